//! Validation and defaults: from the descriptor as written to a [`Model`] in which every
//! decision is made (aliases, bootstrap addresses, the secrets plan, names, replicas, grants).
//! Templates only place the model's values.

mod aliases;
mod bootstrap;
mod collisions;
pub mod defaults;
mod field_checks;
mod flows;
mod grants;
mod kafka_versions;
mod maintained;
pub mod monitoring;
mod names;
pub mod observability;
mod pod;
pub mod policy;
mod scaling;
pub mod secret_keys;
pub mod secrets;
mod view;

use std::collections::{BTreeMap, BTreeSet};

use crate::descriptor::Descriptor;
use crate::diagnostics::{Collector, Diagnostic, Result};
use crate::hash;
use crate::inputs::Inputs;
use crate::properties::{self, UserProperties};
use crate::version;
use aliases::{
    check_aliases, check_contexts_in_kubeconfigs, check_name_collisions, check_user_keys,
    declare_aliases, AliasDecl, Scope,
};
use bootstrap::bootstrap_addresses;
use flows::{
    check_flows_have_a_host, check_no_client_settings_for_sdm_clusters, check_one_namespace,
    flow_brokers, flow_warnings, target_cluster,
};
use maintained::{check_maintained_conflicts, maintained_lines};
use names::{check_image, decide_name, decide_namespace, labels};
use pod::{istio_revision, pod_resources, typed_passthrough};
use scaling::replicas;
use secrets::{
    base64_decoded_len, check_generated_keys, generated_secrets, ClusterSecrets, SecretVolume,
};

pub use aliases::alias_prefix;
pub use bootstrap::check_bootstrap;
pub use defaults::{CONFIG_DIR, DEFAULT_HEAP_OPTS, DEFAULT_NAME, PROPERTIES_FILE, REST_PORT};
pub use flows::enabled_flows;
pub use grants::TopicGrant;
pub use names::{check_dns_label, dns_label};
pub use pod::max_heap_mib;
pub use scaling::REBALANCE_MAX_DELAY_MS;
pub use secrets::check_secret_key;
pub use view::*;

/// Builds one model per MirrorMaker2 instance, reporting every problem found (not only the
/// first), with the parsed user properties (for the lint checks). SDM clusters are grouped by
/// Kubernetes cluster (kube context); each group whose clusters some flow writes to gets an
/// instance that runs those flows: MirrorMaker2 consumes remotely and produces locally. A
/// descriptor with one Kubernetes cluster gives one instance.
pub fn build_all_with_properties(
    d: &Descriptor,
    inputs: &Inputs,
) -> Result<(UserProperties, Vec<Model>)> {
    let mut diags = Collector::default();
    let props = user_properties(d, &mut diags);
    diags.check()?;

    // Alias errors do not stop the checks below: they need only the aliases' names, and a
    // linter reports everything it can in one run.
    let aliases = declare_aliases(d, inputs, &mut diags);
    check_aliases(&aliases, &mut diags);

    let alias_names: Vec<&str> = aliases.iter().map(|a| a.alias.as_str()).collect();
    check_user_keys(&props, &alias_names, &mut diags);
    let flows = enabled_flows(&props, &alias_names);
    check_flows_have_a_host(&props, &aliases, &flows, &mut diags);
    check_contexts_in_kubeconfigs(&aliases, inputs, &mut diags);
    field_checks::check_patterns(&props, &mut diags);
    field_checks::check_pod_fields(d, &mut diags);
    if let Some(h) = &d.spec.kafka_heap_opts {
        field_checks::check_heap_opts(h, &mut diags);
    }
    let credentials = d.kafka_clusters.iter().map(|c| &c.credentials);
    for c in credentials.chain(d.non_sdm_clusters.iter().map(|c| &c.credentials)) {
        field_checks::check_credentials(c, &mut diags);
    }
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
    check_image(d, inputs, &image, kafka_version.as_deref(), &mut diags);
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
    check_name_collisions(aliases, &cluster_secrets, &generated, &plan, &mut diags);
    diags.check()?;

    let replicas = replicas(d, kafka_version.as_deref(), &image, &mut diags);
    diags.check()?;
    let multi_node = replicas.1.is_some() || replicas.0 > 1;
    if let (true, Err(why)) = (multi_node, crate::k8s_rules::dns1035_label(&name)) {
        let err = Diagnostic::error(format!(
            "name `{name}` cannot name the Service that several replicas need: it {why}"
        ))
        .help(format!(
            "start the name with a letter, e.g. `mm2-{name}`: a Service name is a DNS-1035 label"
        ));
        diags.push(
            match (&inputs.name, d.krm.as_ref().and_then(|k| k.name.as_ref())) {
                (None, Some(n)) => n.diag(err),
                _ => err.path("--name"),
            },
        );
    }

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
    if let Some(err) = field_checks::data_size_error("ConfigMap", "mm2.properties", text.len()) {
        let at = d.properties.as_ref();
        diags.push(
            err.at(at.and_then(|b| b.location.clone()))
                .path(at.map_or("mirrorMaker2Properties", |b| b.path.as_str())),
        );
    }
    for g in &generated {
        let size = g.data.values().map(|b64| base64_decoded_len(b64)).sum();
        if let Some(err) = field_checks::data_size_error(
            "Secret",
            &format!("the --secret-file files of `{}`", g.alias),
            size,
        ) {
            diags.push(err.path("--secret-file"));
        }
    }

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
        context_origin: aliases
            .iter()
            .filter_map(|a| a.sdm.as_ref())
            .filter(|s| s.context == scope.context)
            .find_map(|s| s.explicit_context.clone()),
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
