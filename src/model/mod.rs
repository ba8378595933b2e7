//! Validation and defaults: from the descriptor as written to a [`Model`] in which every
//! decision is made (aliases, bootstrap addresses, the secrets plan, names, replicas, grants).
//! Templates only place the model's values.

mod grants;
mod kafka_versions;
pub mod monitoring;
pub mod observability;
pub mod policy;
pub mod secrets;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::descriptor::{Descriptor, Located, PropertiesBlock};
use crate::diagnostics::{did_you_mean, Collector, Diagnostic, Location, Result};
use crate::hash;
use crate::properties::{self, Entry};
use crate::resolve::{self, KafkaClusterResource, ListenerLookup};
use crate::version;

pub use grants::TopicGrant;
use policy::NamingPolicy;
use secrets::{ClusterSecrets, SecretVolume};

/// Maps and sets of property keys and aliases, looked up tens of thousands of times for a
/// large descriptor: foldhash hashes these short strings several times faster than the
/// standard library's SipHash. They are only looked up, never iterated, so the output does not
/// depend on their (randomly seeded) order.
pub type KeyMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type KeySet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// Where the ConfigMap holding mm2.properties is mounted.
pub const CONFIG_DIR: &str = "/etc/mirrormaker2/config";
pub const PROPERTIES_FILE: &str = "mm2.properties";
pub const DEFAULT_NAME: &str = "mirrormaker2";
pub const DEFAULT_HEAP_OPTS: &str = "-Xms256M -Xmx2G";
/// Port of the internal REST server that KIP-710 multi-node MirrorMaker2 needs.
pub const REST_PORT: u16 = 8080;

/// Everything the caller adds to the descriptor: files, overrides and defaults from the
/// environment (flags, Helm's namespace and context, a KRM stream).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub kafka_clusters: Vec<KafkaClusterResource>,
    pub bootstrap_overrides: Vec<(String, String)>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub image: Option<String>,
    /// Fallback kube context for default aliases (e.g. Helm's `--kube-context`).
    pub kube_context: Option<String>,
    /// Local files that become a generated Secret per alias: (alias, key, path).
    pub secret_files: Vec<(String, String, PathBuf)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// The kube context this instance is for, when known.
    pub context: Option<String>,
    /// Arguments of connect-mirror-maker.sh: the properties file, then `--clusters` with the
    /// clusters this instance writes to.
    pub args: Vec<String>,
    /// Annotations every object of this instance carries (its kube context, with several).
    pub object_annotations: BTreeMap<String, String>,
    pub name: String,
    pub namespace: String,
    pub image: String,
    pub kafka_version: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    pub clusters: Vec<Cluster>,
    pub flows: Vec<Flow>,
    pub properties: String,
    pub config_map_name: String,
    pub config_sha256: String,
    pub heap_opts: String,
    pub replicas: i64,
    pub autoscaling: Option<Autoscaling>,
    pub rest_port: Option<u16>,
    pub resources: serde_json::Value,
    pub node_selector: Option<serde_json::Value>,
    pub tolerations: Option<serde_json::Value>,
    pub affinity: Option<serde_json::Value>,
    pub istio_revision: Option<String>,
    pub secret_volumes: Vec<SecretVolumeModel>,
    pub generated_secrets: Vec<GeneratedSecret>,
    /// Secrets managed outside mm2gen that the pods mount: their rotation must roll the pods.
    pub external_secrets: Vec<String>,
    pub kafka_user: Option<KafkaUserModel>,
    pub pod_labels: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
    pub deployment_annotations: BTreeMap<String, String>,
    /// `Recreate` for a single node: two dedicated MirrorMaker2 nodes without the KIP-710 REST
    /// server must never run side by side, not even during a rollout.
    pub strategy: &'static str,
    pub pod_disruption_budget: bool,
    pub observability: observability::Observability,
    pub monitoring: monitoring::Monitoring,
    /// Probes of a single replica, which has no REST server: liveness on the metrics port.
    pub metrics_probes: bool,
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub alias: String,
    pub bootstrap_servers: String,
    /// `namespace/name` of the KafkaCluster for clusters managed by Streaming Data Manager.
    pub kafka_cluster: Option<(String, String)>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Flow {
    pub source: String,
    pub target: String,
    /// How this flow names topics on the target; decided once, read by the grants and the lint.
    #[serde(skip)]
    pub policy: NamingPolicy,
}

impl Flow {
    pub fn new(props: &UserProperties, source: &str, target: &str) -> Flow {
        Flow {
            source: source.to_string(),
            target: target.to_string(),
            policy: NamingPolicy::for_flow(props, source, target),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Autoscaling {
    pub min_replicas: i64,
    pub max_replicas: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretVolumeModel {
    pub name: String,
    pub mount_path: String,
    pub sources: Vec<SecretSource>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretSource {
    pub secret_name: String,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GeneratedSecret {
    pub name: String,
    pub alias: String,
    pub sha256: String,
    /// key -> base64 of the file's bytes.
    pub data: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KafkaUserModel {
    pub name: String,
    pub namespace: String,
    pub cluster_name: String,
    pub cluster_namespace: String,
    pub secret_name: String,
    pub grants: Vec<TopicGrant>,
    /// Why grants are broad, when they are; printed as a comment above the object.
    pub notes: Vec<String>,
}

/// The user's `mirrorMaker2Properties`, parsed, with a way back to the descriptor's lines.
#[derive(Debug, Clone)]
pub struct UserProperties {
    pub text: String,
    pub entries: Vec<Entry>,
    pub block: Option<PropertiesBlock>,
    /// Key -> index of its last entry (java.util.Properties keeps the last value).
    last: KeyMap<String, usize>,
}

impl UserProperties {
    fn location(&self, line: usize, col: usize, len: usize) -> Option<Location> {
        self.block
            .as_ref()
            .and_then(|b| b.location_of(line, col, len))
    }

    fn path(&self, line: usize) -> String {
        let base = self
            .block
            .as_ref()
            .map_or("mirrorMaker2Properties", |b| b.path.as_str());
        format!("{base} (line {line} of the block)")
    }

    pub fn diag_at_key(&self, entry: &Entry, d: Diagnostic) -> Diagnostic {
        d.at(self.location(entry.first_line, entry.key_col, entry.key.len()))
            .path(self.path(entry.first_line))
    }

    /// Points at a part of the key, e.g. the alias of a flow.
    pub fn diag_at_key_part(
        &self,
        entry: &Entry,
        offset: usize,
        len: usize,
        d: Diagnostic,
    ) -> Diagnostic {
        d.at(self.location(entry.first_line, entry.key_col + offset, len))
            .path(self.path(entry.first_line))
    }

    pub fn diag_at_value(&self, entry: &Entry, d: Diagnostic) -> Diagnostic {
        let raw = self
            .text
            .split('\n')
            .nth(entry.first_line - 1)
            .unwrap_or("");
        let after_key = entry.key_col + entry.key.len();
        let value_col = raw
            .get(after_key..)
            .and_then(|rest| rest.find(entry.value.trim()).map(|i| after_key + i))
            .unwrap_or(entry.key_col);
        let len = entry.value.trim().len();
        d.at(self.location(entry.first_line, value_col, len))
            .path(self.path(entry.first_line))
    }

    /// Points at the line that enables a flow (`<source>-><target>.enabled`), when there is one.
    pub fn diag_at_flow(&self, source: &str, target: &str, d: Diagnostic) -> Diagnostic {
        match self.get(&format!("{source}->{target}.enabled")) {
            Some(e) => self.diag_at_key(e, d),
            None => d,
        }
    }

    /// The last value of a key (java.util.Properties keeps the last one).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.last.get(key).map(|&i| &self.entries[i])
    }

    pub fn new(text: String, entries: Vec<Entry>, block: Option<PropertiesBlock>) -> Self {
        let last = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        UserProperties {
            text,
            entries,
            block,
            last,
        }
    }
}

/// An alias as the model uses it, with where it was decided.
struct AliasDecl {
    alias: String,
    origin: Option<Located<String>>,
    /// How the alias was decided, for messages about defaulted aliases.
    defaulted_from: Option<String>,
    path: String,
    location: Option<Location>,
    sdm: Option<SdmInfo>,
    non_sdm_bootstrap: Option<Located<String>>,
    credentials: crate::descriptor::Credentials,
}

struct SdmInfo {
    namespace: String,
    name: String,
    /// The Kubernetes cluster it runs in: kubernetesConfigContext, else --kube-context, else
    /// the first kubeconfig's current-context.
    context: Option<String>,
    explicit_context: Option<Located<String>>,
    internal_listener: Option<Located<String>>,
    external_listener: Option<Located<String>>,
}

/// Which part of the descriptor one MirrorMaker2 instance runs.
#[derive(Debug, Clone)]
struct Scope {
    /// The instance's kube context, when known.
    context: Option<String>,
    /// SDM aliases in this instance's Kubernetes cluster; None: a single instance, every SDM
    /// cluster is local.
    local: Option<BTreeSet<String>>,
}

impl Scope {
    fn is_local(&self, alias: &str) -> bool {
        self.local.as_ref().is_none_or(|l| l.contains(alias))
    }
}

/// Builds the model of the descriptor's single MirrorMaker2 instance.
pub fn build(d: &Descriptor, inputs: &Inputs) -> Result<Model> {
    let mut all = build_all(d, inputs)?;
    Ok(all.remove(0))
}

/// Builds one model per MirrorMaker2 instance, reporting every problem found (not only the
/// first). SDM clusters are grouped by Kubernetes cluster (kube context); each group whose
/// clusters some flow writes to gets an instance that runs those flows: MirrorMaker2 consumes
/// remotely and produces locally. A descriptor with one Kubernetes cluster gives one instance.
pub fn build_all(d: &Descriptor, inputs: &Inputs) -> Result<Vec<Model>> {
    build_all_with_properties(d, inputs).map(|(_, models)| models)
}

/// [`build_all`], also returning the parsed user properties (for the lint checks).
pub fn build_all_with_properties(
    d: &Descriptor,
    inputs: &Inputs,
) -> Result<(UserProperties, Vec<Model>)> {
    let mut diags = Collector::default();
    let props = user_properties(d, &mut diags);
    diags.check()?;

    let aliases = declare_aliases(d, inputs, &mut diags);
    check_aliases(&aliases, &mut diags);
    diags.check()?;

    let alias_names: Vec<&str> = aliases.iter().map(|a| a.alias.as_str()).collect();
    check_user_keys(&props, &alias_names, &mut diags);
    let flows = enabled_flows(&props, &alias_names);
    check_flows_have_a_host(&props, &aliases, &flows, &mut diags);
    check_contexts_in_kubeconfigs(d, &aliases, &mut diags);
    diags.check()?;

    let mut contexts: Vec<Option<String>> = Vec::new();
    for a in &aliases {
        if let Some(sdm) = &a.sdm {
            if !contexts.contains(&sdm.context) {
                contexts.push(sdm.context.clone());
            }
        }
    }
    if contexts.len() > 1 {
        check_no_client_settings_for_sdm_clusters(&props, &aliases, &mut diags);
        diags.check()?;
    }
    let mut common_warnings = diags.warnings.clone();
    common_warnings.extend(flow_warnings(&props, &alias_names, &flows));
    let mut models = Vec::new();
    if contexts.len() <= 1 {
        let scope = Scope {
            context: contexts.pop().flatten(),
            local: None,
        };
        models.push(build_instance(d, inputs, &props, &aliases, &flows, &scope)?);
    } else {
        for context in &contexts {
            let local: BTreeSet<String> = aliases
                .iter()
                .filter(|a| a.sdm.as_ref().is_some_and(|s| &s.context == context))
                .map(|a| a.alias.clone())
                .collect();
            let hosted: Vec<Flow> = flows
                .iter()
                .filter(|f| local.contains(&f.target))
                .cloned()
                .collect();
            if hosted.is_empty() {
                common_warnings.push(Diagnostic::warning(format!(
                    "no enabled flow writes to {} (kube context `{}`), so no MirrorMaker2 runs there",
                    local.iter().cloned().collect::<Vec<_>>().join(", "),
                    context.as_deref().unwrap_or("default")
                )));
                continue;
            }
            let scope = Scope {
                context: context.clone(),
                local: Some(local),
            };
            models.push(build_instance(
                d, inputs, &props, &aliases, &hosted, &scope,
            )?);
        }
        if models.is_empty() {
            return Err(Diagnostic::error("no enabled flow writes to a Streaming Data Manager cluster")
                .help("enable a flow into one of kafkaClusters, e.g. `source-cluster->target-cluster.enabled=true`")
                .into());
        }
    }
    models[0].warnings.splice(0..0, common_warnings);
    Ok((props, models))
}

fn build_instance(
    d: &Descriptor,
    inputs: &Inputs,
    props: &UserProperties,
    aliases: &[AliasDecl],
    flows: &[Flow],
    scope: &Scope,
) -> Result<Model> {
    let mut diags = Collector::default();
    let props = props.clone();
    let flows = flows.to_vec();
    let clusters = bootstrap_addresses(aliases, inputs, scope, &mut diags);
    diags.check()?;

    let target = target_cluster(aliases, &flows, scope);
    let name = decide_name(d, inputs, &mut diags);
    let namespace = decide_namespace(d, inputs, target, &mut diags);
    check_one_namespace(inputs, aliases, &flows, scope, &mut diags);
    let image = inputs
        .image
        .clone()
        .or_else(|| d.spec.image.as_ref().map(|i| i.value.clone()))
        .unwrap_or_else(|| version::DEFAULT_IMAGE.to_string());
    let kafka_version = version::kafka_version_of_image(&image);
    let brokers = flow_brokers(d, inputs, aliases, &flows, &props);
    kafka_versions::check(kafka_version.as_deref(), &image, &brokers, &mut diags);
    diags.check()?;

    // Secrets: descriptor references plus Secrets generated from local files.
    let generated = generated_secrets(&name, aliases, inputs, &mut diags);
    let cluster_secrets: Vec<ClusterSecrets> = aliases
        .iter()
        .map(|a| {
            let default_secret = generated.iter().find(|g| g.alias == a.alias).map_or_else(
                || format!("{name}-{}-credentials", dns_label(&a.alias, 40)),
                |g| g.name.clone(),
            );
            ClusterSecrets::new(&a.alias, default_secret, &a.credentials)
        })
        .collect();
    for a in aliases {
        if let (Some(g), Some(tls)) = (
            generated.iter().find(|g| g.alias == a.alias),
            &a.credentials.tls,
        ) {
            if let Some(sn) = &tls.secret_name {
                diags.push(sn.diag(Diagnostic::error(format!(
                    "`{}` names Secret `{}`, but --secret-file also generates `{}` for this alias",
                    sn.path, sn.value, g.name
                )))
                .help("use one: drop `secretName` to use the generated Secret, or drop --secret-file"));
            }
        }
    }
    let remote_sdm: Vec<&str> = aliases
        .iter()
        .filter(|a| a.sdm.is_some() && !scope.is_local(&a.alias))
        .map(|a| a.alias.as_str())
        .collect();
    let plan = secrets::plan(&props, &cluster_secrets, &remote_sdm, &mut diags);
    diags.check()?;

    let replicas = replicas(d, kafka_version.as_deref(), &image, &mut diags);
    diags.check()?;
    let multi_node = replicas.1.is_some() || replicas.0 > 1;

    // MirrorMaker2 starts a herder for every pair of clusters whose target is in `--clusters`
    // (all clusters without it): the reverse target->source herder would create its heartbeats
    // and Connect topics in the source cluster (the e2e test caught it). So name the targets.
    let flow_targets: BTreeSet<&str> = flows.iter().map(|f| f.target.as_str()).collect();
    let mut targets: Vec<&str> = clusters
        .iter()
        .map(|c| c.alias.as_str())
        .filter(|a| flow_targets.contains(a))
        .collect();
    if targets.is_empty() {
        targets = aliases
            .iter()
            .filter(|a| a.sdm.is_some() && scope.is_local(&a.alias))
            .map(|a| a.alias.as_str())
            .collect();
    }
    let maintained = maintained_lines(&clusters, &plan, multi_node, &targets, &props, &image);
    check_maintained_conflicts(&props, &maintained, &mut diags);
    diags.check()?;

    let mut comments = Vec::new();

    let mut args = vec![
        format!("{CONFIG_DIR}/{PROPERTIES_FILE}"),
        "--clusters".to_string(),
    ];
    args.extend(targets.iter().map(|t| t.to_string()));
    let mut object_annotations = BTreeMap::new();
    if scope.local.is_some() {
        let flow_list = flows
            .iter()
            .map(|f| format!("{}->{}", f.source, f.target))
            .collect::<Vec<_>>()
            .join(", ");
        comments.push(format!(
            "this instance runs in kube context `{}` the flows that write to its clusters ({}): {flow_list}",
            scope.context.as_deref().unwrap_or("default"),
            targets.join(", ")
        ));
        object_annotations.insert(
            "mm2gen.io/kube-context".to_string(),
            scope.context.clone().unwrap_or_default(),
        );
    }
    if multi_node {
        comments.push(
            "several MirrorMaker2 pods share work through the internal REST server of KIP-710"
                .to_string(),
        );
    }
    let text = properties::compose(&maintained, &comments, &props.text, &plan.replacements);
    let observability = observability::decide(&d.spec, CONFIG_DIR, &mut diags);
    diags.check()?;
    let mut config_files: BTreeMap<String, Vec<u8>> = observability
        .config_files()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
    config_files.insert(PROPERTIES_FILE.to_string(), text.as_bytes().to_vec());
    let config_sha256 = hash::sha256_hex(&hash::canonical_map_bytes(&config_files));

    let labels = labels(&name, kafka_version.as_deref());
    let selector: BTreeMap<String, String> = labels
        .iter()
        .filter(|(k, _)| {
            k.as_str() == "app.kubernetes.io/name" || k.as_str() == "app.kubernetes.io/instance"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    let heap_opts = d
        .spec
        .kafka_heap_opts
        .as_ref()
        .map_or(DEFAULT_HEAP_OPTS.to_string(), |h| h.value.clone());
    if heap_opts.contains(['\n', '\r']) {
        let h = d
            .spec
            .kafka_heap_opts
            .as_ref()
            .expect("only a user value can hold a newline");
        diags.push(
            h.diag(Diagnostic::error("kafkaHeapOpts holds a line break"))
                .help("write the JVM options on one line, e.g. `-Xms256M -Xmx2G`"),
        );
    }
    let resources = pod_resources(d, &heap_opts, &mut diags);
    let node_selector =
        typed_passthrough::<BTreeMap<String, String>>(&d.spec.node_selector, &mut diags);
    let tolerations = typed_passthrough::<Vec<k8s_openapi::api::core::v1::Toleration>>(
        &d.spec.tolerations,
        &mut diags,
    );
    let affinity =
        typed_passthrough::<k8s_openapi::api::core::v1::Affinity>(&d.spec.affinity, &mut diags);
    let istio_revision = istio_revision(d, &mut diags);

    let external_secrets: Vec<String> = plan
        .volumes
        .iter()
        .flat_map(|v| v.sources.keys())
        .filter(|s| !generated.iter().any(|g| &g.name == *s))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    check_generated_keys(&generated, &plan.volumes, &mut diags);

    let kafka_user = target.and_then(|t| {
        grants::kafka_user(
            d,
            &props,
            &flows,
            t.alias.as_str(),
            t.sdm
                .as_ref()
                .map(|s| (s.namespace.as_str(), s.name.as_str())),
            &name,
            &namespace,
            &mut diags,
        )
    });
    diags.check()?;

    let mut pod_labels = labels.clone();
    let mut pod_annotations = BTreeMap::new();
    pod_annotations.insert("mm2gen.io/config-sha256".to_string(), config_sha256.clone());
    pod_annotations.insert(
        "kubectl.kubernetes.io/default-container".to_string(),
        "mirrormaker2".to_string(),
    );
    if let Some(m) = &observability.metrics {
        // Read by annotation-based scrape configs, and by Istio's metrics merging, which serves
        // the app's metrics with the proxy's on port 15020 when mTLS would block a direct scrape.
        pod_annotations.insert("prometheus.io/scrape".to_string(), "true".to_string());
        pod_annotations.insert("prometheus.io/port".to_string(), m.port.to_string());
        pod_annotations.insert("prometheus.io/path".to_string(), "/metrics".to_string());
    }
    if let Some(rev) = &istio_revision {
        pod_labels.insert("istio.io/rev".to_string(), rev.clone());
        pod_annotations.insert("sidecar.istio.io/inject".to_string(), "true".to_string());
        // MirrorMaker2 connects at start-up; without the proxy up its first connections fail.
        pod_annotations.insert(
            "proxy.istio.io/config".to_string(),
            "{\"holdApplicationUntilProxyStarts\":true}".to_string(),
        );
    }
    let mut deployment_annotations = BTreeMap::new();
    if !external_secrets.is_empty() {
        // Secrets managed outside mm2gen keep their name when rotated; Stakater Reloader (or a
        // compatible controller) rolls the pods when they change.
        deployment_annotations.insert(
            "secret.reloader.stakater.com/reload".to_string(),
            external_secrets.join(","),
        );
    }

    if scope.local.is_some() {
        deployment_annotations.insert(
            "mm2gen.io/flows".to_string(),
            flows
                .iter()
                .map(|f| format!("{}->{}", f.source, f.target))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    let warnings = diags.warnings;
    let monitoring = monitoring::decide(
        &name,
        &namespace,
        &labels,
        &flows,
        observability.metrics.as_ref(),
    );

    Ok(Model {
        context: scope.context.clone(),
        args,
        object_annotations,
        config_map_name: format!("{name}-config-{}", &config_sha256[..10]),
        config_sha256,
        properties: text,
        name,
        namespace,
        image,
        kafka_version,
        labels,
        selector,
        clusters,
        flows,
        heap_opts,
        replicas: replicas.0,
        autoscaling: replicas.1,
        rest_port: multi_node.then_some(REST_PORT),
        resources,
        node_selector,
        tolerations,
        affinity,
        istio_revision,
        secret_volumes: plan
            .volumes
            .iter()
            .map(|v: &SecretVolume| SecretVolumeModel {
                name: v.volume_name.clone(),
                mount_path: v.mount_path.clone(),
                sources: v
                    .sources
                    .iter()
                    .map(|(s, keys)| SecretSource {
                        secret_name: s.clone(),
                        keys: keys.iter().cloned().collect(),
                    })
                    .collect(),
            })
            .collect(),
        generated_secrets: generated,
        external_secrets,
        kafka_user,
        pod_labels,
        pod_annotations,
        deployment_annotations,
        strategy: if multi_node {
            "RollingUpdate"
        } else {
            "Recreate"
        },
        pod_disruption_budget: multi_node,
        metrics_probes: !multi_node && observability.metrics.is_some(),
        monitoring,
        observability,
        warnings,
    })
}

/// The descriptor's `mirrorMaker2Properties`, parsed (for checks that read the user's keys).
pub fn parse_user_properties(d: &Descriptor) -> Result<UserProperties> {
    let mut diags = Collector::default();
    let props = user_properties(d, &mut diags);
    diags.check()?;
    Ok(props)
}

fn user_properties(d: &Descriptor, diags: &mut Collector) -> UserProperties {
    let block = d.properties.clone();
    let text = block.as_ref().map_or(String::new(), |b| b.text.clone());
    let mut props = UserProperties::new(text.clone(), Vec::new(), block.clone());
    match properties::parse(&text) {
        Ok(entries) => props = UserProperties::new(text, entries, block),
        Err(e) => {
            let d = Diagnostic::error(format!("mirrorMaker2Properties cannot be read as Java properties: {}", e.message))
                .at(props.location(e.line, 0, 1))
                .path(props.path(e.line))
                .help("fix the line: escapes are `\\uXXXX`, `\\\\`, `\\n`; a line ending in `\\` continues on the next one");
            diags.push(d);
        }
    }
    props
}

/// Aliases in the order MirrorMaker2's `clusters` lists them: non-SDM clusters first, then
/// SDM clusters, each in descriptor order.
fn declare_aliases(d: &Descriptor, inputs: &Inputs, diags: &mut Collector) -> Vec<AliasDecl> {
    let mut out = Vec::new();
    for c in &d.non_sdm_clusters {
        let Some(alias) = required(
            &c.alias,
            &c.path,
            "alias",
            c.location.clone(),
            "name the cluster, e.g. `alias: source-cluster`",
            diags,
        ) else {
            continue;
        };
        let bootstrap = required(
            &c.bootstrap_server_address,
            &c.path,
            "bootstrapServerAddress",
            c.location.clone(),
            "give the source cluster's listener address, e.g. `bootstrapServerAddress: kafka-1.example.com:9092`",
            diags,
        );
        out.push(AliasDecl {
            alias: alias.value.clone(),
            origin: Some(alias.clone()),
            defaulted_from: None,
            path: c.path.clone(),
            location: c.location.clone(),
            sdm: None,
            non_sdm_bootstrap: bootstrap.cloned(),
            credentials: c.credentials.clone(),
        });
    }
    let mut kubeconfig_cache: Option<Result<resolve::Kubeconfig>> = None;
    for c in &d.kafka_clusters {
        let namespace = non_empty(&c.namespace).unwrap_or("kafka").to_string();
        let name = non_empty(&c.name).unwrap_or("kafka").to_string();
        let needs_kubeconfig =
            non_empty(&c.kubernetes_config_context).is_none() && inputs.kube_context.is_none();
        let current_context = match (needs_kubeconfig, d.kubernetes_configs.first()) {
            (true, Some(first)) => {
                let kc = kubeconfig_cache.get_or_insert_with(|| {
                    resolve::load_kubeconfig(&resolve::kubeconfig_path(&first.value, &d.base_dir))
                });
                match kc {
                    Ok(k) => k.current_context.clone(),
                    // Only an alias that must be derived from it makes a missing kubeconfig fatal.
                    Err(e) if non_empty(&c.alias).is_none() => {
                        for diag in &e.diagnostics {
                            diags.push(first.diag(diag.clone()));
                        }
                        None
                    }
                    Err(_) => None,
                }
            }
            _ => None,
        };
        let context = non_empty(&c.kubernetes_config_context)
            .map(str::to_string)
            .or_else(|| inputs.kube_context.clone())
            .or(current_context);
        let (alias, defaulted_from) = match non_empty(&c.alias) {
            Some(a) => (a.to_string(), None),
            None => match &context {
                Some(ctx) => (
                    format!("{ctx}_{namespace}_{name}"),
                    Some(format!("`${{kubernetesConfigContext}}_${{namespace}}_${{name}}` with context `{ctx}`")),
                ),
                None => {
                    diags.push(
                        Diagnostic::error(format!("{} has no alias and no kube context to derive one from", c.path))
                            .at(c.location.clone())
                            .path(c.path.clone())
                            .help("set `alias:` (e.g. `alias: target-cluster`), or `kubernetesConfigContext:`, or list a kubeconfig with a current-context in `kubernetesConfigs`"),
                    );
                    continue;
                }
            },
        };
        let internal = c
            .internal_listener_name
            .clone()
            .filter(|l| !l.value.is_empty())
            .or_else(|| {
                c.external_listener_name
                    .clone()
                    .filter(|l| !l.value.is_empty())
            });
        out.push(AliasDecl {
            alias,
            origin: c.alias.clone().filter(|a| !a.value.is_empty()),
            defaulted_from,
            path: c.path.clone(),
            location: c.location.clone(),
            sdm: Some(SdmInfo {
                namespace,
                name,
                context,
                explicit_context: c
                    .kubernetes_config_context
                    .clone()
                    .filter(|l| !l.value.is_empty()),
                internal_listener: internal,
                external_listener: c
                    .external_listener_name
                    .clone()
                    .filter(|l| !l.value.is_empty()),
            }),
            non_sdm_bootstrap: None,
            credentials: c.credentials.clone(),
        });
    }
    if d.kafka_clusters.is_empty() {
        diags.push(
            Diagnostic::error("the descriptor lists no kafkaClusters")
                .help("MirrorMaker2 runs next to the Streaming Data Manager Kafka cluster it migrates into: list it under `kafkaClusters` (namespace, name, alias)"),
        );
    }
    out
}

fn required<'a>(
    value: &'a Option<Located<String>>,
    parent: &str,
    field: &str,
    parent_location: Option<Location>,
    help: &str,
    diags: &mut Collector,
) -> Option<&'a Located<String>> {
    match value {
        Some(v) if !v.value.trim().is_empty() => Some(v),
        Some(v) => {
            diags.push(
                v.diag(Diagnostic::error(format!("`{parent}.{field}` is empty")))
                    .help(help.to_string()),
            );
            None
        }
        None => {
            diags.push(
                Diagnostic::error(format!("`{parent}` has no `{field}`"))
                    .at(parent_location)
                    .path(format!("{parent}.{field}"))
                    .help(help.to_string()),
            );
            None
        }
    }
}

fn non_empty(v: &Option<Located<String>>) -> Option<&str> {
    v.as_ref()
        .map(|l| l.value.as_str())
        .filter(|s| !s.is_empty())
}

/// MirrorMaker2 builds topic names from aliases (`mm2-offsets.<alias>.internal`, ...), so an
/// alias must be usable in a Kafka topic name; it is also a properties key prefix and a path.
fn check_aliases(aliases: &[AliasDecl], diags: &mut Collector) {
    let mut seen: BTreeMap<&str, &AliasDecl> = BTreeMap::new();
    for a in aliases {
        let bad: Vec<char> = a
            .alias
            .chars()
            .filter(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let problem = if !bad.is_empty() {
            Some(format!(
                "contains {}, which MirrorMaker2 cannot use: it puts aliases into Kafka topic names (letters, digits, `.`, `_`, `-` only)",
                bad.iter().map(|c| format!("`{}`", c.escape_default())).collect::<Vec<_>>().join(", ")
            ))
        } else if a.alias == "." || a.alias == ".." {
            Some("is not a legal Kafka topic name part".to_string())
        } else if a.alias.len() > 100 {
            Some("is longer than 100 characters; MirrorMaker2's internal topic names would exceed Kafka's 249".to_string())
        } else if a.alias.contains("->") {
            Some("contains `->`, which separates the aliases of a flow".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            let mut d = Diagnostic::error(format!("cluster alias `{}` {problem}", a.alias));
            d = match (&a.origin, &a.defaulted_from) {
                (Some(origin), _) => origin.diag(d).help("choose a name such as `source-cluster` or `target-cluster`"),
                (None, Some(how)) => d
                    .at(a.location.clone())
                    .path(format!("{}.alias", a.path))
                    .help(format!("the alias defaulted to {how}; set `alias:` explicitly, e.g. `alias: target-cluster`")),
                (None, None) => d.at(a.location.clone()).path(a.path.clone()),
            };
            diags.push(d);
        }
        if let Some(first) = seen.insert(&a.alias, a) {
            let d = Diagnostic::error(format!(
                "cluster alias `{}` is declared twice (also at {})",
                a.alias, first.path
            ))
            .at(a
                .origin
                .as_ref()
                .and_then(|o| o.location.clone())
                .or(a.location.clone()))
            .path(a.path.clone())
            .help("every cluster needs its own alias: MirrorMaker2 addresses clusters by alias");
            diags.push(d);
        }
    }
}

/// Keys that mm2gen maintains may not be set by the user, and flows must name declared aliases.
fn check_user_keys(props: &UserProperties, aliases: &[&str], diags: &mut Collector) {
    let known: KeySet<&str> = aliases.iter().copied().collect();
    for e in &props.entries {
        if e.key == "clusters" {
            diags.push(
                props
                    .diag_at_key(e, Diagnostic::error("`clusters` is maintained by mm2gen"))
                    .label("redefines the maintained cluster list")
                    .help("remove this line: mm2gen lists every cluster of kafkaClusters and nonSDMKafkaClusters"),
            );
        }
        if e.key
            .strip_suffix(".bootstrap.servers")
            .is_some_and(|a| known.contains(a))
        {
            {
                diags.push(
                    props
                        .diag_at_key(e, Diagnostic::error(format!("`{}` is maintained by mm2gen", e.key)))
                        .label("redefines a maintained bootstrap address")
                        .help("remove this line: set the address with bootstrapServerAddress, the KafkaCluster resource, or --bootstrap-servers ALIAS=HOST:PORT"),
                );
            }
        }
        if let Some((source, rest)) = e.key.split_once("->") {
            let target = alias_prefix(rest, &known);
            let target_text = rest.split('.').next().unwrap_or(rest);
            if !known.contains(source) {
                diags.push(unknown_alias(props, e, source, 0, aliases));
            }
            if target.is_none() {
                diags.push(unknown_alias(
                    props,
                    e,
                    target_text,
                    source.len() + 2,
                    aliases,
                ));
            }
        }
        let value = e.value.trim();
        if secrets::is_placeholder(value) && !is_secret_key(&e.key) {
            diags.push(
                props
                    .diag_at_value(
                        e,
                        Diagnostic::error(format!(
                            "`{}` still holds the guide's placeholder `{value}`",
                            e.key
                        )),
                    )
                    .label("placeholder")
                    .help("replace it with a real value, or remove the line"),
            );
        }
    }
}

/// The longest declared alias that `key` starts with, followed by a `.`.
pub fn alias_prefix<'a>(key: &'a str, known: &KeySet<&str>) -> Option<&'a str> {
    key.match_indices('.')
        .rev()
        .map(|(i, _)| &key[..i])
        .find(|p| known.contains(p))
}

fn is_secret_key(key: &str) -> bool {
    secrets::SecretSetting::ALL
        .iter()
        .any(|s| key.ends_with(s.config_key()))
}

fn unknown_alias(
    props: &UserProperties,
    e: &Entry,
    alias: &str,
    offset: usize,
    aliases: &[&str],
) -> Diagnostic {
    let side = if offset == 0 { "source" } else { "target" };
    let flow = e.key.split('.').next().unwrap_or(&e.key);
    let help = match did_you_mean(alias, aliases.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("declared aliases: {}", aliases.join(", ")),
    };
    props
        .diag_at_key_part(
            e,
            offset,
            alias.len(),
            Diagnostic::error(format!(
                "unknown cluster alias `{alias}` as the {side} of flow `{flow}` in `{}`",
                e.key
            )),
        )
        .label("not declared in kafkaClusters or nonSDMKafkaClusters")
        .help(help)
}

/// Flows switched on with `A->B.enabled=true` (MirrorMaker2 reads booleans case-insensitively).
fn enabled_flows(props: &UserProperties, aliases: &[&str]) -> Vec<Flow> {
    let position: KeyMap<&str, usize> = aliases.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let mut flows: Vec<(usize, usize)> = Vec::new();
    for e in &props.entries {
        let Some((source, target)) = e
            .key
            .strip_suffix(".enabled")
            .and_then(|f| f.split_once("->"))
        else {
            continue;
        };
        // The last value wins; an unknown alias was reported by check_user_keys.
        let enabled = props
            .get(&e.key)
            .is_some_and(|last| last.value.trim().eq_ignore_ascii_case("true"));
        if let (true, Some(&s), Some(&t)) = (enabled, position.get(source), position.get(target)) {
            if s != t {
                flows.push((s, t));
            }
        }
    }
    // MirrorMaker2 orders nothing by flow; sort for deterministic output.
    flows.sort_unstable();
    flows.dedup();
    flows
        .into_iter()
        .map(|(s, t)| Flow::new(props, aliases[s], aliases[t]))
        .collect()
}

fn flow_warnings(props: &UserProperties, aliases: &[&str], flows: &[Flow]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if flows.is_empty() {
        out.push(
            Diagnostic::warning(
                "no replication flow is enabled: MirrorMaker2 will start and copy nothing",
            )
            .help("enable one, e.g. `source-cluster->target-cluster.enabled=true`"),
        );
    }
    for e in &props.entries {
        if let Some(flow) = e.key.strip_suffix(".enabled").filter(|k| k.contains("->")) {
            if !e.value.trim().eq_ignore_ascii_case("true")
                && !e.value.trim().eq_ignore_ascii_case("false")
            {
                out.push(
                    props
                        .diag_at_value(
                            e,
                            Diagnostic::warning(format!(
                                "flow `{flow}` is enabled only by `true`; `{}` counts as false",
                                e.value.trim()
                            )),
                        )
                        .help("write `true` or `false`"),
                );
            }
        }
    }
    let _ = aliases;
    out
}

/// Bootstrap servers per alias: overrides first, then the descriptor or the KafkaCluster.
fn bootstrap_addresses(
    aliases: &[AliasDecl],
    inputs: &Inputs,
    scope: &Scope,
    diags: &mut Collector,
) -> Vec<Cluster> {
    for (alias, _) in &inputs.bootstrap_overrides {
        if !aliases.iter().any(|a| &a.alias == alias) {
            let names: Vec<&str> = aliases.iter().map(|a| a.alias.as_str()).collect();
            let help = match did_you_mean(alias, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("declared aliases: {}", names.join(", ")),
            };
            diags.push(
                Diagnostic::error(format!("--bootstrap-servers names unknown alias `{alias}`"))
                    .help(help),
            );
        }
    }
    let mut out = Vec::new();
    for a in aliases {
        let override_ = inputs
            .bootstrap_overrides
            .iter()
            .rev()
            .find(|(al, _)| al == &a.alias);
        let address = if let Some((_, addr)) = override_ {
            if let Err(why) = check_bootstrap(addr) {
                diags.push(
                    Diagnostic::error(format!("--bootstrap-servers {}={addr}: {why}", a.alias))
                        .help("give host:port pairs separated by commas, e.g. kafka-0.example.com:9092,kafka-1.example.com:9092"),
                );
            }
            addr.clone()
        } else if let Some(b) = &a.non_sdm_bootstrap {
            if let Err(why) = check_bootstrap(&b.value) {
                diags.push(b.diag(Diagnostic::error(format!("bootstrapServerAddress `{}`: {why}", b.value.escape_default()))).help(
                    "give host:port pairs separated by commas, e.g. kafka-0.example.com:9092,kafka-1.example.com:9092",
                ));
            }
            b.value.clone()
        } else if let Some(sdm) = &a.sdm {
            let resolved = if scope.is_local(&a.alias) {
                sdm_bootstrap(a, sdm, inputs)
            } else {
                remote_sdm_bootstrap(a, sdm, inputs)
            };
            match resolved {
                Ok(addr) => addr,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            }
        } else {
            continue;
        };
        out.push(Cluster {
            alias: a.alias.clone(),
            bootstrap_servers: address,
            kafka_cluster: a
                .sdm
                .as_ref()
                .map(|s| (s.namespace.clone(), s.name.clone())),
        });
    }
    out
}

fn sdm_bootstrap(
    a: &AliasDecl,
    sdm: &SdmInfo,
    inputs: &Inputs,
) -> std::result::Result<String, Diagnostic> {
    let fix = format!(
        "pass the KafkaCluster resource with --kafka-cluster FILE (e.g. from `kubectl get kafkacluster {} -n {} -o yaml`), or set the address with --bootstrap-servers {}=HOST:PORT (in a MirrorMaker2Migration object: `kafkaClusterFiles:` or `bootstrapServers:`, or a KafkaCluster in the same stream)",
        sdm.name, sdm.namespace, a.alias
    );
    let Some(listener) = &sdm.internal_listener else {
        return Err(Diagnostic::error(format!("{} names no listener to reach Kafka cluster {}/{} through", a.path, sdm.namespace, sdm.name))
            .at(a.location.clone())
            .path(a.path.clone())
            .help("set `internalListenerName:` (or `externalListenerName:`) to a listener of the KafkaCluster, e.g. `internal`"));
    };
    let Some(cr) = resolve::find_kafka_cluster(
        &inputs.kafka_clusters,
        &sdm.namespace,
        &sdm.name,
        sdm.context.as_deref(),
    ) else {
        let known: Vec<String> = inputs
            .kafka_clusters
            .iter()
            .map(|c| format!("{}/{}", c.namespace.as_deref().unwrap_or("?"), c.name))
            .collect();
        let seen = if known.is_empty() {
            "no KafkaCluster resource was given".to_string()
        } else {
            format!("the KafkaCluster resources given are {}", known.join(", "))
        };
        return Err(Diagnostic::error(format!(
            "cannot find the bootstrap address of `{}`: {seen}, none is {}/{}",
            a.alias, sdm.namespace, sdm.name
        ))
        .at(a.location.clone())
        .path(a.path.clone())
        .help(fix));
    };
    match cr.internal_bootstrap(&listener.value, &sdm.namespace) {
        ListenerLookup::Found { host, port } => Ok(format!("{host}:{port}")),
        ListenerLookup::NoSuchListener { available } => Err(listener
            .diag(Diagnostic::error(format!(
                "KafkaCluster {}/{} has no listener named `{}` (it has: {})",
                sdm.namespace,
                sdm.name,
                listener.value,
                if available.is_empty() {
                    "none".to_string()
                } else {
                    available.join(", ")
                }
            )))
            .help(
                match did_you_mean(&listener.value, available.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => fix,
                },
            )),
        ListenerLookup::NoPort { listener: l } => Err(listener
            .diag(Diagnostic::error(format!(
                "listener `{l}` of KafkaCluster {}/{} has no containerPort",
                sdm.namespace, sdm.name
            )))
            .help(fix)),
    }
}

/// A remote SDM cluster is reached through its external listener: the address Koperator
/// publishes in the KafkaCluster's status (`status.listenerStatuses.externalListeners`).
fn remote_sdm_bootstrap(
    a: &AliasDecl,
    sdm: &SdmInfo,
    inputs: &Inputs,
) -> std::result::Result<String, Diagnostic> {
    let fix = format!(
        "pass the KafkaCluster exported with its status (`kubectl get kafkacluster {} -n {} -o yaml` in its cluster) with --kafka-cluster, or set the address with --bootstrap-servers {}=HOST:PORT",
        sdm.name, sdm.namespace, a.alias
    );
    let Some(listener) = &sdm.external_listener else {
        return Err(Diagnostic::error(format!(
            "`{}` runs in another Kubernetes cluster than this MirrorMaker2, so it is reached through its external listener, but it names none",
            a.alias
        ))
        .at(a.location.clone())
        .path(format!("{}.externalListenerName", a.path))
        .help("set `externalListenerName:` (e.g. `external`), or set the address with --bootstrap-servers"));
    };
    let cr = resolve::find_kafka_cluster(
        &inputs.kafka_clusters,
        &sdm.namespace,
        &sdm.name,
        sdm.context.as_deref(),
    );
    let addresses = cr
        .map(|c| c.external_addresses(&listener.value))
        .unwrap_or_default();
    if addresses.is_empty() {
        let why = match cr {
            None => format!("no KafkaCluster {}/{} was given", sdm.namespace, sdm.name),
            Some(_) => format!(
                "KafkaCluster {}/{} publishes no address for external listener `{}` in its status",
                sdm.namespace, sdm.name, listener.value
            ),
        };
        return Err(listener
            .diag(Diagnostic::error(format!(
                "cannot find the external bootstrap address of remote cluster `{}`: {why}",
                a.alias
            )))
            .help(fix));
    }
    Ok(addresses.join(","))
}

/// `host:port[,host:port...]`: checked strictly because the value is written into
/// mm2.properties, where a line break or `#` would change what MirrorMaker2 reads.
pub fn check_bootstrap(value: &str) -> std::result::Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".into());
    }
    for part in value.split(',') {
        let part = part.trim();
        let (host, port) = if let Some(rest) = part.strip_prefix('[') {
            let (h, p) = rest
                .split_once("]:")
                .ok_or_else(|| format!("`{part}` is not [ipv6]:port"))?;
            if !h
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                return Err(format!("`{h}` is not an IPv6 address"));
            }
            (h, p)
        } else {
            part.rsplit_once(':')
                .ok_or_else(|| format!("`{}` has no port", part.escape_default()))?
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
        {
            return Err(format!(
                "`{}` is not a host name or address",
                host.escape_default()
            ));
        }
        match port.parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => {}
            _ => return Err(format!("`{}` is not a port number", port.escape_default())),
        }
    }
    Ok(())
}

/// The SDM cluster MirrorMaker2 runs next to: the local target of the enabled flows, else the
/// first local SDM cluster.
fn target_cluster<'a>(
    aliases: &'a [AliasDecl],
    flows: &[Flow],
    scope: &Scope,
) -> Option<&'a AliasDecl> {
    let local = || {
        aliases
            .iter()
            .filter(|a| a.sdm.is_some() && scope.is_local(&a.alias))
    };
    local()
        .find(|a| flows.iter().any(|f| f.target == a.alias))
        .or_else(|| local().next())
}

/// One instance lives in one namespace: its local targets must agree unless -n decides.
fn check_one_namespace(
    inputs: &Inputs,
    aliases: &[AliasDecl],
    flows: &[Flow],
    scope: &Scope,
    diags: &mut Collector,
) {
    if inputs.namespace.is_some() {
        return;
    }
    let targets: Vec<&AliasDecl> = aliases
        .iter()
        .filter(|a| {
            a.sdm.is_some() && scope.is_local(&a.alias) && flows.iter().any(|f| f.target == a.alias)
        })
        .collect();
    let namespaces: BTreeSet<&str> = targets
        .iter()
        .filter_map(|a| a.sdm.as_ref().map(|s| s.namespace.as_str()))
        .collect();
    if namespaces.len() > 1 {
        let at = targets[1];
        diags.push(
            Diagnostic::error(format!(
                "the flows of one MirrorMaker2 instance write to Kafka clusters in different namespaces ({})",
                namespaces.iter().copied().collect::<Vec<_>>().join(", ")
            ))
            .at(at.location.clone())
            .path(at.path.clone())
            .help("choose the instance's namespace with -n/--namespace, or split the descriptor"),
        );
    }
}

/// MirrorMaker2 runs next to the cluster it writes to; a flow between two clusters outside
/// Streaming Data Manager has no such place.
fn check_flows_have_a_host(
    props: &UserProperties,
    aliases: &[AliasDecl],
    flows: &[Flow],
    diags: &mut Collector,
) {
    let sdm: KeySet<&str> = aliases
        .iter()
        .filter(|a| a.sdm.is_some())
        .map(|a| a.alias.as_str())
        .collect();
    let is_sdm = |alias: &str| sdm.contains(alias);
    for f in flows
        .iter()
        .filter(|f| !is_sdm(&f.source) && !is_sdm(&f.target))
    {
        let d = Diagnostic::error(format!(
            "flow {}->{} connects two clusters outside Streaming Data Manager: no MirrorMaker2 instance can host it",
            f.source, f.target
        ))
        .help("mm2gen runs MirrorMaker2 next to the SDM cluster a flow writes to; replicate into one of kafkaClusters, or disable this flow");
        diags.push(props.diag_at_flow(&f.source, &f.target, d));
    }
    let multi = aliases
        .iter()
        .filter_map(|a| a.sdm.as_ref().map(|s| &s.context))
        .collect::<BTreeSet<_>>()
        .len()
        > 1;
    for f in flows
        .iter()
        .filter(|f| multi && is_sdm(&f.source) && !is_sdm(&f.target))
    {
        let key = format!("{}->{}.enabled", f.source, f.target);
        let d = Diagnostic::error(format!(
            "flow {}->{} writes to a cluster outside Streaming Data Manager, and the descriptor spans several Kubernetes clusters",
            f.source, f.target
        ))
        .help("with several Kubernetes clusters each MirrorMaker2 runs the flows into its own SDM clusters; render flows into other clusters from a separate descriptor");
        diags.push(match props.get(&key) {
            Some(e) => props.diag_at_key(e, d),
            None => d,
        });
    }
}

/// With several Kubernetes clusters an SDM cluster is local to one instance (internal
/// listener, no client TLS) and remote to the others (mesh gateway, client TLS): settings the
/// user writes for it would apply to both, so they belong in the cluster's `tls` block.
fn check_no_client_settings_for_sdm_clusters(
    props: &UserProperties,
    aliases: &[AliasDecl],
    diags: &mut Collector,
) {
    for e in &props.entries {
        let Some(a) = aliases
            .iter()
            .filter(|a| a.sdm.is_some())
            .find(|a| e.key.starts_with(&format!("{}.", a.alias)))
        else {
            continue;
        };
        let rest = &e.key[a.alias.len() + 1..];
        let rest = ["consumer.", "producer.", "admin."]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        if rest == "security.protocol" || rest.starts_with("ssl.") || rest.starts_with("sasl.") {
            diags.push(
                props
                    .diag_at_key(e, Diagnostic::error(format!(
                        "`{}` would apply in every Kubernetes cluster, also where `{}` is local and reached without client TLS",
                        e.key, a.alias
                    )))
                    .label("client setting of an SDM cluster")
                    .help(format!(
                        "remove it and give `{}` a `tls:` block (secretName and keys): mm2gen adds the client TLS settings only in the instances that reach it through its mesh gateway",
                        a.alias
                    )),
            );
        }
    }
}

/// A kube context named in the descriptor must exist in the kubeconfigs it lists (those that
/// can be read: the guide's placeholder path is common and harmless when nothing needs it).
fn check_contexts_in_kubeconfigs(d: &Descriptor, aliases: &[AliasDecl], diags: &mut Collector) {
    let kubeconfigs: Vec<resolve::Kubeconfig> = d
        .kubernetes_configs
        .iter()
        .filter_map(|k| {
            resolve::load_kubeconfig(&resolve::kubeconfig_path(&k.value, &d.base_dir)).ok()
        })
        .collect();
    if kubeconfigs.is_empty() {
        return;
    }
    let known: BTreeSet<&str> = kubeconfigs
        .iter()
        .flat_map(|k| k.contexts.iter().map(String::as_str))
        .collect();
    for a in aliases {
        if let Some(ctx) = a.sdm.as_ref().and_then(|s| s.explicit_context.as_ref()) {
            if !known.contains(ctx.value.as_str()) {
                let help = match did_you_mean(&ctx.value, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "the kubeconfigs define: {}",
                        known.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                };
                diags.push(ctx.diag(Diagnostic::error(format!("kube context `{}` is in none of the kubeconfigs listed in kubernetesConfigs", ctx.value))).help(help));
            }
        }
    }
}

fn decide_name(d: &Descriptor, inputs: &Inputs, diags: &mut Collector) -> String {
    let from_krm = d.krm.as_ref().and_then(|k| k.name.clone());
    let name = inputs
        .name
        .clone()
        .or_else(|| from_krm.as_ref().map(|n| n.value.clone()))
        .unwrap_or_else(|| DEFAULT_NAME.to_string());
    if let Err(why) = check_dns_label(&name, 40) {
        let d = Diagnostic::error(format!("name `{}` {why}", name.escape_default()))
            .help("use lower-case letters, digits and `-`, at most 40 characters (it prefixes the names of every object)");
        diags.push(match (&inputs.name, from_krm) {
            (None, Some(n)) => n.diag(d),
            _ => d.path("--name"),
        });
    }
    name
}

fn decide_namespace(
    d: &Descriptor,
    inputs: &Inputs,
    target: Option<&AliasDecl>,
    diags: &mut Collector,
) -> String {
    let from_krm = d.krm.as_ref().and_then(|k| k.namespace.clone());
    let ns = inputs
        .namespace
        .clone()
        .or_else(|| from_krm.as_ref().map(|n| n.value.clone()))
        .or_else(|| target.and_then(|t| t.sdm.as_ref().map(|s| s.namespace.clone())))
        .unwrap_or_else(|| "kafka".to_string());
    if let Err(why) = check_dns_label(&ns, 63) {
        let d = Diagnostic::error(format!("namespace `{}` {why}", ns.escape_default())).help(
            "a Kubernetes namespace is lower-case letters, digits and `-`, at most 63 characters",
        );
        diags.push(match (&inputs.namespace, from_krm, target) {
            (Some(_), _, _) => d.path("--namespace"),
            (None, Some(n), _) => n.diag(d),
            (None, None, Some(t)) => d
                .at(t.location.clone())
                .path(format!("{}.namespace", t.path)),
            _ => d,
        });
    }
    ns
}

pub fn check_dns_label(value: &str, max: usize) -> std::result::Result<(), String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    if value.len() > max {
        return Err(format!("is longer than {max} characters"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("may hold only lower-case letters, digits and `-`".into());
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A DNS label made from an alias (`source_cluster.eu` -> `source-cluster-eu`).
pub fn dns_label(value: &str, max: usize) -> String {
    let mut s: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.truncate(max);
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "cluster".to_string()
    } else {
        s
    }
}

/// The clusters the flows read from and write to, with what says which Kafka they run.
fn flow_brokers<'a>(
    d: &'a Descriptor,
    inputs: &'a Inputs,
    aliases: &'a [AliasDecl],
    flows: &[Flow],
    props: &UserProperties,
) -> Vec<kafka_versions::Broker<'a>> {
    let syncs_configs = |f: &Flow| {
        [
            format!("{}->{}.sync.topic.configs.enabled", f.source, f.target),
            "sync.topic.configs.enabled".to_string(),
        ]
        .iter()
        .find_map(|k| props.get(k))
        .is_none_or(|e| !e.value.trim().eq_ignore_ascii_case("false"))
    };
    aliases
        .iter()
        .filter(|a| {
            flows
                .iter()
                .any(|f| f.source == a.alias || f.target == a.alias)
        })
        .map(|a| kafka_versions::Broker {
            alias: &a.alias,
            stated: d
                .non_sdm_clusters
                .iter()
                .find(|c| a.sdm.is_none() && c.path == a.path)
                .and_then(|c| c.kafka_version.as_ref()),
            kafka_cluster: a.sdm.as_ref().and_then(|s| {
                resolve::find_kafka_cluster(
                    &inputs.kafka_clusters,
                    &s.namespace,
                    &s.name,
                    s.context.as_deref(),
                )
            }),
            syncs_topic_configs_into: flows
                .iter()
                .any(|f| f.target == a.alias && syncs_configs(f)),
        })
        .collect()
}

fn replicas(
    d: &Descriptor,
    kafka_version: Option<&str>,
    image: &str,
    diags: &mut Collector,
) -> (i64, Option<Autoscaling>) {
    let min = d.spec.min_replicas.as_ref();
    let max = d.spec.max_replicas.as_ref();
    let min_v = min.map_or(1, |m| m.value);
    let max_v = max.map_or(min_v.max(1), |m| m.value);
    for r in [min, max].into_iter().flatten() {
        if r.value < 1 || r.value > 100 {
            diags.push(
                r.diag(Diagnostic::error(format!(
                    "`{}` is {}; it must be between 1 and 100",
                    r.path, r.value
                )))
                .help("MirrorMaker2 needs at least one pod"),
            );
        }
    }
    if min_v > max_v {
        let at = max.or(min).expect("min > max needs a user-given value");
        diags.push(
            at.diag(Diagnostic::error(format!(
                "minReplicas ({min_v}) is greater than maxReplicas ({max_v})"
            )))
            .help("set maxReplicas to at least minReplicas"),
        );
    }
    if max_v > 1 {
        let too_old = kafka_version
            .and_then(version::parse)
            .is_some_and(|v| v < (3, 5, 0));
        if too_old {
            let at = max
                .or(min)
                .expect("more than one replica needs a user-given value");
            diags.push(
                at.diag(Diagnostic::error(format!(
                    "several MirrorMaker2 replicas need Kafka 3.5 or newer (KIP-710), but image `{image}` runs Kafka {}",
                    kafka_version.unwrap_or("?")
                )))
                .help(format!("use a newer image (the default is {}) or set minReplicas and maxReplicas to 1", version::DEFAULT_IMAGE)),
            );
        } else if kafka_version.is_none() {
            diags.push(Diagnostic::warning(format!(
                "cannot tell the Kafka version of image `{image}`; several replicas need Kafka 3.5 or newer (KIP-710)"
            )));
        }
    }
    let autoscaling = (max_v > min_v).then_some(Autoscaling {
        min_replicas: min_v,
        max_replicas: max_v,
    });
    (min_v, autoscaling)
}

/// How long a group of several MirrorMaker2 pods keeps the connectors and tasks of a pod that
/// left before handing them to the others. Connect's default, 5 minutes, waits for a worker that
/// bounces; a Kubernetes pod that is gone is replaced by a new member, which gets the work when it
/// joins, so the wait only stalls replication after a scale-down (the e2e test measured it).
pub const REBALANCE_MAX_DELAY_MS: u32 = 30_000;

fn maintained_lines(
    clusters: &[Cluster],
    plan: &secrets::SecretsPlan,
    multi_node: bool,
    targets: &[&str],
    props: &UserProperties,
    image: &str,
) -> Vec<(String, String)> {
    let mut lines = vec![(
        "clusters".to_string(),
        clusters
            .iter()
            .map(|c| c.alias.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )];
    for c in clusters {
        lines.push((
            format!("{}.bootstrap.servers", c.alias),
            c.bootstrap_servers.clone(),
        ));
    }
    lines.extend(plan.remote_tls_lines.iter().cloned());
    if plan.uses_provider {
        let p = secrets::PROVIDER_NAME;
        lines.push(("config.providers".into(), p.into()));
        lines.push((
            format!("config.providers.{p}.class"),
            secrets::PROVIDER_CLASS.into(),
        ));
        lines.push((
            format!("config.providers.{p}.param.allowed.paths"),
            secrets::SECRETS_ROOT.into(),
        ));
    }
    // Without it MirrorMaker2 scans every class on its classpath for plugins at every start:
    // once for itself and once per herder, 3 to 4 s each on the e2e machine (more under a CPU
    // limit), and a WARN that suggests this very setting. A herder reads worker settings from
    // its target cluster's keys only. A `plugin.discovery` of the user's, at any level, is kept
    // alone, and so is a `plugin.path`: plugins added there may have no manifests.
    let user_decides = props.entries.iter().any(|e| {
        ["plugin.discovery", "plugin.path"].iter().any(|k| {
            e.key
                .strip_suffix(k)
                .is_some_and(|p| p.is_empty() || p.ends_with('.'))
        })
    });
    if !user_decides && version::official_image_has_plugin_manifests(image) {
        lines.push(("plugin.discovery".into(), "service_load".into()));
        for target in targets {
            lines.push((format!("{target}.plugin.discovery"), "service_load".into()));
        }
    }
    if multi_node {
        // The REST server reads `listeners` untransformed (no config providers). With no host,
        // Jetty advertises the pod's own address, which the other pods can reach.
        lines.push(("dedicated.mode.enable.internal.rest".into(), "true".into()));
        lines.push(("listeners".into(), format!("http://:{REST_PORT}")));
        // A worker setting: MirrorMaker2 reads it from the target cluster's keys. The user's own
        // value, if any, is kept.
        for target in targets {
            let key = format!("{target}.scheduled.rebalance.max.delay.ms");
            if props.get(&key).is_none() {
                lines.push((key, REBALANCE_MAX_DELAY_MS.to_string()));
            }
        }
    }
    lines
}

fn check_maintained_conflicts(
    props: &UserProperties,
    maintained: &[(String, String)],
    diags: &mut Collector,
) {
    let maintained: KeySet<&str> = maintained.iter().map(|(k, _)| k.as_str()).collect();
    for e in &props.entries {
        if e.key == "clusters" || e.key.ends_with(".bootstrap.servers") {
            continue;
        }
        if maintained.contains(e.key.as_str()) {
            diags.push(
                props
                    .diag_at_key(e, Diagnostic::error(format!("`{}` is maintained by mm2gen for this descriptor", e.key)))
                    .label("conflicts with a maintained setting")
                    .help("remove this line: mm2gen sets it for the mounted secrets (config.providers) or for several replicas (KIP-710 REST settings)"),
            );
        }
    }
}

fn labels(name: &str, kafka_version: Option<&str>) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert(
        "app.kubernetes.io/name".to_string(),
        "mirrormaker2".to_string(),
    );
    l.insert("app.kubernetes.io/instance".to_string(), name.to_string());
    l.insert(
        "app.kubernetes.io/component".to_string(),
        "replication".to_string(),
    );
    l.insert(
        "app.kubernetes.io/part-of".to_string(),
        "kafka-migration".to_string(),
    );
    l.insert(
        "app.kubernetes.io/managed-by".to_string(),
        "mm2gen".to_string(),
    );
    if let Some(v) = kafka_version {
        l.insert("app.kubernetes.io/version".to_string(), v.to_string());
    }
    l
}

/// Resources as given (type-checked), else derived from the heap: the JVM needs the heap plus
/// roughly 512Mi of metaspace, threads and buffers.
fn pod_resources(d: &Descriptor, heap_opts: &str, diags: &mut Collector) -> serde_json::Value {
    if let Some(r) = &d.spec.resources {
        let mut value = r.value.clone();
        // Users write `cpu: 1`; Kubernetes quantities are strings.
        for group in ["limits", "requests"] {
            if let Some(serde_json::Value::Object(m)) = value.get_mut(group) {
                for v in m.values_mut() {
                    if let serde_json::Value::Number(n) = v {
                        *v = serde_json::Value::String(n.to_string());
                    }
                }
            }
        }
        let located = Located {
            value,
            location: r.location.clone(),
            path: r.path.clone(),
        };
        return typed_passthrough::<k8s_openapi::api::core::v1::ResourceRequirements>(
            &Some(located),
            diags,
        )
        .unwrap_or_default();
    }
    let heap_mib = max_heap_mib(heap_opts).unwrap_or(2048);
    let memory = format!("{}Mi", heap_mib + 512);
    serde_json::json!({
        "requests": {"cpu": "500m", "memory": memory},
        "limits": {"memory": memory},
    })
}

/// The `-Xmx` of the JVM options, in MiB.
pub fn max_heap_mib(opts: &str) -> Option<u64> {
    let v = opts
        .split_whitespace()
        .rev()
        .find_map(|o| o.strip_prefix("-Xmx"))?;
    let (digits, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: u64 = digits.parse().ok()?;
    match unit {
        "g" | "G" => Some(n * 1024),
        "m" | "M" => Some(n),
        "k" | "K" => Some(n / 1024),
        "" => Some(n / (1024 * 1024)),
        _ => None,
    }
}

/// A user value that goes into the pod spec, checked against the Kubernetes type: a field the
/// type does not have (a typo such as `nodeAfinity`) is an error, not a silent loss.
fn typed_passthrough<T>(
    value: &Option<Located<serde_json::Value>>,
    diags: &mut Collector,
) -> Option<serde_json::Value>
where
    T: serde::de::DeserializeOwned + Serialize,
{
    let v = value.as_ref()?;
    match crate::check::roundtrip::<T>(&v.value) {
        Ok(typed) => Some(typed),
        Err(problem) => {
            diags.push(
                v.diag(Diagnostic::error(format!(
                    "`{}` is not a valid Kubernetes value: {}",
                    v.path, problem.message
                )))
                .help(problem.help),
            );
            None
        }
    }
}

fn istio_revision(d: &Descriptor, diags: &mut Collector) -> Option<String> {
    let icp = d.spec.istio_control_plane.as_ref()?;
    match (non_empty(&icp.name), non_empty(&icp.namespace)) {
        (None, None) => None,
        (Some(n), Some(ns)) => {
            let revision = format!("{n}.{ns}");
            let ok = revision.len() <= 63
                && revision
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if !ok {
                diags.push(
                    Diagnostic::error(format!(
                        "istioControlPlane `{revision}` cannot be a label value"
                    ))
                    .at(icp.location.clone())
                    .path(icp.path.clone())
                    .help(
                        "use the IstioControlPlane's name and namespace as they are in the cluster",
                    ),
                );
            }
            Some(revision)
        }
        _ => {
            diags.push(
                Diagnostic::error("istioControlPlane needs both `name` and `namespace`")
                    .at(icp.location.clone())
                    .path(icp.path.clone())
                    .help("give the IstioControlPlane of Streaming Data Manager, e.g. name: sdm-icp-v115x, namespace: istio-system; or remove the block"),
            );
            None
        }
    }
}

fn generated_secrets(
    name: &str,
    aliases: &[AliasDecl],
    inputs: &Inputs,
    diags: &mut Collector,
) -> Vec<GeneratedSecret> {
    let mut by_alias: BTreeMap<&str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for (alias, key, path) in &inputs.secret_files {
        if !aliases.iter().any(|a| &a.alias == alias) {
            diags.push(
                Diagnostic::error(format!("--secret-file names unknown alias `{alias}`"))
                    .help("use ALIAS=FILE with an alias of the descriptor"),
            );
            continue;
        }
        if let Err(why) = check_secret_key(key) {
            diags.push(
                Diagnostic::error(format!("--secret-file key `{key}` {why}"))
                    .help("use ALIAS:KEY=FILE to choose a key of letters, digits, `.`, `_`, `-`"),
            );
            continue;
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                if by_alias
                    .entry(alias)
                    .or_default()
                    .insert(key.clone(), bytes)
                    .is_some()
                {
                    diags.push(
                        Diagnostic::error(format!(
                            "--secret-file gives key `{key}` of `{alias}` twice"
                        ))
                        .help("give each key once"),
                    );
                }
            }
            Err(e) => diags.push(
                Diagnostic::error(format!("cannot read --secret-file {}: {e}", path.display()))
                    .help("check the path"),
            ),
        }
    }
    by_alias
        .into_iter()
        .map(|(alias, files)| {
            let sha256 = hash::sha256_hex(&hash::canonical_map_bytes(&files));
            GeneratedSecret {
                name: format!("{name}-{}-{}", dns_label(alias, 40), &sha256[..10]),
                alias: alias.to_string(),
                sha256,
                data: files
                    .into_iter()
                    .map(|(k, v)| (k, hash::base64(&v)))
                    .collect(),
            }
        })
        .collect()
}

fn check_generated_keys(
    generated: &[GeneratedSecret],
    volumes: &[SecretVolume],
    diags: &mut Collector,
) {
    for g in generated {
        for v in volumes {
            if let Some(keys) = v.sources.get(&g.name) {
                for k in keys {
                    if !g.data.contains_key(k) {
                        diags.push(
                            Diagnostic::error(format!("mm2.properties of `{}` needs key `{k}`, but --secret-file gave only {}", g.alias, g.data.keys().cloned().collect::<Vec<_>>().join(", ")))
                                .help(format!("add --secret-file {}:{k}=FILE", g.alias)),
                        );
                    }
                }
            }
        }
    }
}

pub fn check_secret_key(key: &str) -> std::result::Result<(), String> {
    if key.is_empty() || key == "." || key == ".." || key.len() > 253 {
        return Err("is not a valid Secret key".into());
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("may hold only letters, digits, `.`, `_` and `-`".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_addresses_are_checked_strictly() {
        assert!(check_bootstrap("a.example.com:9092,b:9093").is_ok());
        assert!(check_bootstrap("[::1]:9092").is_ok());
        assert!(check_bootstrap("a:9092\nclusters=x").is_err());
        assert!(check_bootstrap("a").is_err());
        assert!(check_bootstrap("a:0").is_err());
        assert!(check_bootstrap("a b:1").is_err());
    }

    #[test]
    fn heap_size_is_read_from_xmx() {
        assert_eq!(max_heap_mib("-Xms256M -Xmx2G"), Some(2048));
        assert_eq!(max_heap_mib("-Xmx512m"), Some(512));
        assert_eq!(max_heap_mib("-Xms1g"), None);
    }

    #[test]
    fn dns_labels_from_aliases() {
        assert_eq!(dns_label("Source_Cluster.eu", 40), "source-cluster-eu");
        assert_eq!(dns_label("__", 40), "cluster");
    }
}
