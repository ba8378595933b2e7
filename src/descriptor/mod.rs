//! The input: the vendor's MirrorMaker2 migration descriptor, read as is (YAML or JSON), bare or
//! wrapped in a `MirrorMaker2Migration` KRM object, plus mm2gen's optional extensions.
//!
//! This layer only reads and type-checks: every field keeps where it came from so the model
//! step can point at it. Defaults and cross-field rules live in `model`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use saphyr_parser::ScalarStyle;

use crate::diagnostics::{did_you_mean_or, Collector, Diagnostic, Location, Result, SourceFile};
use crate::yaml::{self, Node, Value};

pub const KRM_API_VERSION: &str = "mm2gen.io/v1alpha1";
pub const KRM_KIND: &str = "MirrorMaker2Migration";

mod fields;
mod types;

pub use fields::*;
pub use types::*;

/// Reads a descriptor from text. `name` is how errors refer to the input.
pub fn load(name: &str, text: &str, base_dir: PathBuf) -> Result<Descriptor> {
    let source = SourceFile::new(name, text);
    let mut docs = yaml::parse_documents(&source)?;
    let root = match docs.len() {
        1 => docs.remove(0),
        0 => {
            return Err(Diagnostic::error(format!("{name} is empty"))
                .help("pass the MirrorMaker2 migration descriptor (YAML or JSON) with -f")
                .into())
        }
        n => {
            return Err(Diagnostic::error(format!(
                "{name} holds {n} YAML documents; a descriptor is one document"
            ))
            .at(Some(docs[1].location(&source)))
            .label("second document starts here")
            .help("split the file, or remove the `---` separators")
            .into())
        }
    };
    let mut reader = Reader {
        file: source.clone(),
        diags: Collector::default(),
    };
    let descriptor = reader.descriptor_or_krm(&root, base_dir);
    reader.diags.check()?;
    Ok(descriptor)
}

/// Reads a descriptor that is already a parsed node (a stream item from Helm or Kustomize).
pub fn from_node(source: &SourceFile, node: &Node, base_dir: PathBuf) -> Result<Descriptor> {
    let mut reader = Reader {
        file: source.clone(),
        diags: Collector::default(),
    };
    let descriptor = reader.descriptor_or_krm(node, base_dir);
    reader.diags.check()?;
    Ok(descriptor)
}

pub fn is_krm_wrapper(node: &Node) -> bool {
    node.get_str("kind") == Some(KRM_KIND)
}

struct Reader {
    file: SourceFile,
    diags: Collector,
}

/// The location of every value below `node`, by YAML path, and of every map key (at the
/// entry's path and `:key`).
fn record_locations(
    node: &Node,
    path: &str,
    file: &SourceFile,
    out: &mut BTreeMap<String, Location>,
) {
    out.insert(path.to_string(), node.location(file));
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let child = format!("{path}.{}", k.key_text());
                out.insert(format!("{child}:key"), k.location(file));
                record_locations(v, &child, file, out);
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                record_locations(v, &format!("{path}[{i}]"), file, out);
            }
        }
        _ => {}
    }
}

impl Reader {
    fn loc(&self, node: &Node) -> Option<Location> {
        Some(node.location(&self.file))
    }

    fn error(&mut self, node: &Node, path: &str, message: String, help: &str) {
        let d = Diagnostic::error(message)
            .at(self.loc(node))
            .path(path)
            .help(help);
        self.diags.push(d);
    }

    /// Checks that `node` is a mapping with only `allowed` keys. Null counts as an empty mapping.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        allowed: &[&str],
    ) -> Vec<(&'n str, &'n Node)> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be a mapping, found {what}", display_path(path)),
                    "write it as `key: value` lines indented under it",
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (key, value) in entries {
            let Some(k) = key.as_scalar().map(|s| s.text.as_str()) else {
                self.error(
                    key,
                    path,
                    "mapping keys must be plain strings".into(),
                    "use a simple key",
                );
                continue;
            };
            if allowed.contains(&k) {
                out.push((k, value));
            } else {
                let here = if path.is_empty() {
                    "the descriptor".to_string()
                } else {
                    format!("`{path}`")
                };
                let help = did_you_mean_or(k, allowed.iter().copied(), || {
                    format!("the fields of {here} are: {}", allowed.join(", "))
                });
                let d = Diagnostic::error(format!("unknown field `{k}` in {here}"))
                    .at(self.loc(key))
                    .label("not a known field")
                    .path(join(path, k))
                    .help(help);
                self.diags.push(d);
            }
        }
        out
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<Located<String>> {
        match &node.value {
            Value::Null => None,
            Value::Scalar(s) => Some(Located {
                value: s.text.clone(),
                location: self.loc(node),
                path: path.to_string(),
            }),
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be a string, found {what}", display_path(path)),
                    "write a single value on the same line as the key",
                );
                None
            }
        }
    }

    fn integer(&mut self, node: &Node, path: &str) -> Option<Located<i64>> {
        self.typed_scalar(
            node,
            path,
            Node::as_i64,
            "a whole number",
            "write a number without quotes, e.g. `1`",
        )
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<Located<bool>> {
        self.typed_scalar(
            node,
            path,
            Node::as_bool,
            "true or false",
            "write `true` or `false` without quotes",
        )
    }

    /// A plain scalar read as `T`; null counts as absent.
    fn typed_scalar<T>(
        &mut self,
        node: &Node,
        path: &str,
        read: fn(&Node) -> Option<T>,
        expected: &str,
        help: &str,
    ) -> Option<Located<T>> {
        if node.is_null() {
            return None;
        }
        match read(node) {
            Some(value) => Some(Located {
                value,
                location: self.loc(node),
                path: path.to_string(),
            }),
            None => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be {expected}, found {what}", display_path(path)),
                    help,
                );
                None
            }
        }
    }

    fn json(&mut self, node: &Node, path: &str) -> Option<Located<serde_json::Value>> {
        (!node.is_null()).then(|| Located {
            value: node.to_json(),
            location: self.loc(node),
            path: path.to_string(),
        })
    }

    fn list<'n>(&mut self, node: &'n Node, path: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be a list, found {what}", display_path(path)),
                    "write each entry on its own line starting with `- `",
                );
                &[]
            }
        }
    }

    fn descriptor_or_krm(&mut self, root: &Node, base_dir: PathBuf) -> Descriptor {
        if root.get("apiVersion").is_some() || root.get("kind").is_some() {
            return self.krm(root, base_dir);
        }
        self.descriptor(root, "", base_dir, None)
    }

    fn krm(&mut self, root: &Node, base_dir: PathBuf) -> Descriptor {
        let fields = self.fields(
            root,
            "",
            &[
                "apiVersion",
                "kind",
                "metadata",
                "spec",
                "descriptorFile",
                "kafkaClusterFiles",
                "bootstrapServers",
            ],
        );
        let mut metadata = KrmMetadata::default();
        let mut spec = None;
        for (k, v) in fields {
            match k {
                "apiVersion" => {
                    if let Some(s) = self.string(v, "apiVersion") {
                        if s.value != KRM_API_VERSION {
                            self.error(
                                v,
                                "apiVersion",
                                format!("unsupported apiVersion `{}`", s.value),
                                &format!("use `apiVersion: {KRM_API_VERSION}`"),
                            );
                        }
                    }
                }
                "kind" => {
                    if let Some(s) = self.string(v, "kind") {
                        if s.value != KRM_KIND {
                            self.error(
                                v,
                                "kind",
                                format!("unsupported kind `{}`", s.value),
                                &format!("mm2gen reads `kind: {KRM_KIND}` (or a bare descriptor)"),
                            );
                        }
                    }
                }
                "metadata" => {
                    // Kustomize and kpt add their own annotations and labels; accept any
                    // metadata and read only what names the output.
                    if v.as_map().is_none() && !v.is_null() {
                        self.error(
                            v,
                            "metadata",
                            "`metadata` must be a mapping".into(),
                            "give at least `name:`",
                        );
                    }
                    if let Some(n) = v.get("name") {
                        metadata.name = self.string(n, "metadata.name");
                    }
                    if let Some(n) = v.get("namespace") {
                        metadata.namespace = self.string(n, "metadata.namespace");
                    }
                }
                "spec" => spec = Some(v),
                "descriptorFile" => metadata.descriptor_file = self.string(v, "descriptorFile"),
                "kafkaClusterFiles" => {
                    for (i, item) in self.list(v, "kafkaClusterFiles").iter().enumerate() {
                        if let Some(f) = self.string(item, &format!("kafkaClusterFiles[{i}]")) {
                            metadata.kafka_cluster_files.push(f);
                        }
                    }
                }
                "bootstrapServers" => {
                    if v.as_map().is_none() && !v.is_null() {
                        self.error(
                            v,
                            "bootstrapServers",
                            "`bootstrapServers` must be a mapping of alias to address".into(),
                            "write `target-cluster: host:port` lines under it",
                        );
                    }
                    for (key, value) in v.as_map().unwrap_or(&[]) {
                        let path = format!("bootstrapServers.{}", key.key_text());
                        if let (Some(k), Some(a)) =
                            (self.string(key, &path), self.string(value, &path))
                        {
                            metadata.bootstrap_servers.push((k, a));
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(file), Some(_)) = (&metadata.descriptor_file, spec) {
            let d = file.diag(Diagnostic::error("the MirrorMaker2Migration has both `spec` and `descriptorFile`"))
                .help("keep one: the descriptor inline under `spec`, or in the file `descriptorFile` names");
            self.diags.push(d);
        }
        if metadata.descriptor_file.is_some() {
            return self.descriptor(&empty_node(root), "spec", base_dir, Some(metadata));
        }
        let Some(spec) = spec else {
            self.error(
                root,
                "",
                format!("the {KRM_KIND} object has no `spec`"),
                "put the descriptor (kafkaClusters, nonSDMKafkaClusters, mirrorMaker2Spec, mirrorMaker2Properties) under `spec:`, or name its file with `descriptorFile:`",
            );
            return self.descriptor(&empty_node(root), "spec", base_dir, Some(metadata));
        };
        self.descriptor(spec, "spec", base_dir, Some(metadata))
    }

    fn descriptor(
        &mut self,
        node: &Node,
        path: &str,
        base_dir: PathBuf,
        krm: Option<KrmMetadata>,
    ) -> Descriptor {
        let mut d = Descriptor {
            source: self.file.clone(),
            base_dir,
            krm,
            kubernetes_configs: Vec::new(),
            kafka_clusters: Vec::new(),
            non_sdm_clusters: Vec::new(),
            spec: Mm2Spec::default(),
            properties: None,
        };
        if node.as_map().is_none() && !node.is_null() {
            let what = node.kind_name();
            self.error(
                node,
                path,
                format!("a descriptor must be a mapping, found {what}"),
                "see examples/descriptor.yaml for the expected shape",
            );
            return d;
        }
        for (k, v) in self.fields(node, path, DESCRIPTOR_FIELDS) {
            let p = join(path, k);
            match k {
                "kubernetesConfigs" => {
                    for (i, item) in self.list(v, &p).iter().enumerate() {
                        if let Some(s) = self.string(item, &format!("{p}[{i}]")) {
                            d.kubernetes_configs.push(s);
                        }
                    }
                }
                "kafkaClusters" => {
                    for (i, item) in self.list(v, &p).iter().enumerate() {
                        if item.is_null() {
                            continue;
                        }
                        let c = self.sdm_cluster(item, &format!("{p}[{i}]"));
                        d.kafka_clusters.push(c);
                    }
                }
                "nonSDMKafkaClusters" => {
                    for (i, item) in self.list(v, &p).iter().enumerate() {
                        if item.is_null() {
                            continue;
                        }
                        let c = self.non_sdm_cluster(item, &format!("{p}[{i}]"));
                        d.non_sdm_clusters.push(c);
                    }
                }
                "mirrorMaker2Spec" => d.spec = self.spec(v, &p),
                "mirrorMaker2Properties" => d.properties = self.properties(v, &p),
                _ => {}
            }
        }
        d
    }

    fn sdm_cluster(&mut self, node: &Node, path: &str) -> SdmCluster {
        let mut c = SdmCluster {
            path: path.to_string(),
            location: self.loc(node),
            namespace: None,
            name: None,
            kubernetes_config_context: None,
            alias: None,
            internal_listener_name: None,
            external_listener_name: None,
            credentials: Credentials::default(),
        };
        let allowed = SDM_CLUSTER_FIELDS;
        for (k, v) in self.fields(node, path, allowed) {
            let p = join(path, k);
            match k {
                "namespace" => c.namespace = self.string(v, &p),
                "name" => c.name = self.string(v, &p),
                "kubernetesConfigContext" => c.kubernetes_config_context = self.string(v, &p),
                "alias" => c.alias = self.string(v, &p),
                "internalListenerName" => c.internal_listener_name = self.string(v, &p),
                "externalListenerName" => c.external_listener_name = self.string(v, &p),
                "tls" => c.credentials.tls = Some(self.tls(v, &p)),
                "sasl" => c.credentials.sasl = Some(self.sasl(v, &p)),
                _ => {}
            }
        }
        c
    }

    fn non_sdm_cluster(&mut self, node: &Node, path: &str) -> NonSdmCluster {
        let mut c = NonSdmCluster {
            path: path.to_string(),
            location: self.loc(node),
            bootstrap_server_address: None,
            alias: None,
            kafka_version: None,
            credentials: Credentials::default(),
        };
        for (k, v) in self.fields(node, path, NON_SDM_CLUSTER_FIELDS) {
            let p = join(path, k);
            match k {
                "bootstrapServerAddress" => c.bootstrap_server_address = self.string(v, &p),
                "alias" => c.alias = self.string(v, &p),
                "kafkaVersion" => c.kafka_version = self.string(v, &p),
                "tls" => c.credentials.tls = Some(self.tls(v, &p)),
                "sasl" => c.credentials.sasl = Some(self.sasl(v, &p)),
                _ => {}
            }
        }
        c
    }

    fn tls(&mut self, node: &Node, path: &str) -> TlsSecret {
        let mut t = TlsSecret {
            path: path.to_string(),
            location: self.loc(node),
            ..TlsSecret::default()
        };
        let allowed = TLS_FIELDS;
        for (k, v) in self.fields(node, path, allowed) {
            let p = join(path, k);
            let s = self.string(v, &p);
            match k {
                "secretName" => t.secret_name = s,
                "truststoreKey" => t.truststore_key = s,
                "truststorePasswordKey" => t.truststore_password_key = s,
                "keystoreKey" => t.keystore_key = s,
                "keystorePasswordKey" => t.keystore_password_key = s,
                "keyPasswordKey" => t.key_password_key = s,
                _ => {}
            }
        }
        t
    }

    fn sasl(&mut self, node: &Node, path: &str) -> SaslSecret {
        let mut s = SaslSecret {
            path: path.to_string(),
            location: self.loc(node),
            ..SaslSecret::default()
        };
        for (k, v) in self.fields(node, path, SASL_FIELDS) {
            let p = join(path, k);
            let value = self.string(v, &p);
            match k {
                "secretName" => s.secret_name = value,
                "jaasConfigKey" => s.jaas_config_key = value,
                _ => {}
            }
        }
        s
    }

    fn spec(&mut self, node: &Node, path: &str) -> Mm2Spec {
        let mut s = Mm2Spec::default();
        let allowed = SPEC_FIELDS;
        for (k, v) in self.fields(node, path, allowed) {
            let p = join(path, k);
            match k {
                "kafkaHeapOpts" => s.kafka_heap_opts = self.string(v, &p),
                "resources" | "nodeSelector" | "tolerations" | "affinity" => {
                    let value = self.json(v, &p);
                    record_locations(v, &p, &self.file, &mut s.value_locations);
                    match k {
                        "resources" => s.resources = value,
                        "nodeSelector" => s.node_selector = value,
                        "tolerations" => s.tolerations = value,
                        _ => s.affinity = value,
                    }
                }
                "minReplicas" => s.min_replicas = self.integer(v, &p),
                "maxReplicas" => s.max_replicas = self.integer(v, &p),
                "image" => s.image = self.string(v, &p),
                "istioControlPlane" => {
                    let mut icp = IstioControlPlane {
                        path: p.clone(),
                        location: self.loc(v),
                        name: None,
                        namespace: None,
                    };
                    for (k2, v2) in self.fields(v, &p, ISTIO_FIELDS) {
                        let p2 = join(&p, k2);
                        match k2 {
                            "name" => icp.name = self.string(v2, &p2),
                            _ => icp.namespace = self.string(v2, &p2),
                        }
                    }
                    s.istio_control_plane = Some(icp);
                }
                "kafkaUser" => {
                    let mut ku = KafkaUserSpec::default();
                    for (k2, v2) in self.fields(v, &p, KAFKA_USER_FIELDS) {
                        let p2 = join(&p, k2);
                        match k2 {
                            "enabled" => ku.enabled = self.boolean(v2, &p2),
                            _ => ku.name = self.string(v2, &p2),
                        }
                    }
                    s.kafka_user = Some(ku);
                }
                "metrics" => s.metrics = Some(self.metrics(v, &p)),
                "logging" => s.logging = Some(self.logging(v, &p)),
                _ => {}
            }
        }
        s
    }

    fn metrics(&mut self, node: &Node, path: &str) -> MetricsSpec {
        let mut m = MetricsSpec::default();
        for (k, v) in self.fields(node, path, METRICS_FIELDS) {
            let p = join(path, k);
            match k {
                "enabled" => m.enabled = self.boolean(v, &p),
                "port" => m.port = self.integer(v, &p),
                "agentImage" => m.agent_image = self.string(v, &p),
                "agentJar" => m.agent_jar = self.string(v, &p),
                "podMonitor" => m.pod_monitor = self.boolean(v, &p),
                "dashboard" => m.dashboard = self.boolean(v, &p),
                _ => {
                    let mut a = AlertsSpec::default();
                    for (k2, v2) in self.fields(v, &p, ALERTS_FIELDS) {
                        let p2 = join(&p, k2);
                        match k2 {
                            "enabled" => a.enabled = self.boolean(v2, &p2),
                            "replicationLatencySeconds" => {
                                a.replication_latency_seconds = self.integer(v2, &p2)
                            }
                            "recordAgeSeconds" => a.record_age_seconds = self.integer(v2, &p2),
                            "checkpointAgeSeconds" => {
                                a.checkpoint_age_seconds = self.integer(v2, &p2)
                            }
                            _ => a.for_minutes = self.integer(v2, &p2),
                        }
                    }
                    m.alerts = Some(a);
                }
            }
        }
        m
    }

    fn logging(&mut self, node: &Node, path: &str) -> LoggingSpec {
        let mut l = LoggingSpec::default();
        for (k, v) in self.fields(node, path, LOGGING_FIELDS) {
            let p = join(path, k);
            match k {
                "level" => l.level = self.string(v, &p),
                "json" => l.json = self.boolean(v, &p),
                _ => {
                    let Value::Map(entries) = &v.value else {
                        if !v.is_null() {
                            let what = v.kind_name();
                            self.error(
                                v,
                                &p,
                                format!("`{}` must be a mapping, found {what}", display_path(&p)),
                                "write one `logger.name: LEVEL` line per logger, e.g. `org.apache.kafka.connect.mirror.MirrorSourceConnector: DEBUG`",
                            );
                        }
                        continue;
                    };
                    for (key, value) in entries {
                        let Some(name) = self.string(key, &p) else {
                            continue;
                        };
                        let p2 = join(&p, &name.value);
                        if let Some(level) = self.string(value, &p2) {
                            l.loggers.push((name, level));
                        }
                    }
                }
            }
        }
        l
    }

    fn properties(&mut self, node: &Node, path: &str) -> Option<PropertiesBlock> {
        let scalar = match &node.value {
            Value::Null => return None,
            Value::Scalar(s) => s,
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`mirrorMaker2Properties` must be a text block, found {what}"),
                    "write it as `mirrorMaker2Properties: |-` followed by indented key=value lines",
                );
                return None;
            }
        };
        let line_map = if matches!(scalar.style, ScalarStyle::Literal) {
            literal_line_map(&self.file, node.start.line)
        } else {
            None
        };
        Some(PropertiesBlock {
            text: scalar.text.clone(),
            location: self.loc(node),
            path: path.to_string(),
            line_map,
        })
    }
}

/// Where the content of a literal block scalar starts. The parser reports the scalar at its
/// indicator (`|`, `|-`) or at its first content line depending on the input; content starts
/// on the line after an indicator, indented like its first non-blank line.
fn literal_line_map(file: &SourceFile, reported_line: usize) -> Option<LineMap> {
    let lines: Vec<&str> = file.text.lines().collect();
    let at = lines.get(reported_line.checked_sub(1)?)?;
    let is_indicator = at.split('#').next().map(str::trim_end).is_some_and(|l| {
        l.ends_with('|') || l.ends_with("|-") || l.ends_with("|+") || l.contains(": |")
    });
    let first_line = if is_indicator {
        reported_line + 1
    } else {
        reported_line
    };
    let indent = lines
        .iter()
        .skip(first_line - 1)
        .find(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())?;
    Some(LineMap { first_line, indent })
}

fn empty_node(at: &Node) -> Node {
    Node {
        start: at.start,
        end: at.start,
        value: Value::Null,
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "the descriptor"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Descriptor> {
        load("d.yaml", text, PathBuf::from("."))
    }

    #[test]
    fn unknown_field_suggests_the_close_one() {
        let err = load_str("kafkaCluster:\n  - name: kafka\n").unwrap_err();
        let d = &err.diagnostics[0];
        assert!(d.message.contains("unknown field `kafkaCluster`"));
        assert_eq!(d.help.as_deref(), Some("did you mean `kafkaClusters`?"));
        assert_eq!(d.where_().as_deref(), Some("d.yaml:1:1"));
    }

    #[test]
    fn krm_wrapper_reads_metadata_and_spec() {
        let d = load_str(
            "apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mm2\nspec:\n  kafkaClusters:\n  - alias: t\n",
        )
        .unwrap();
        assert_eq!(d.krm.unwrap().name.unwrap().value, "mm2");
        assert_eq!(
            d.kafka_clusters[0].alias.as_ref().unwrap().path,
            "spec.kafkaClusters[0].alias"
        );
    }

    #[test]
    fn literal_properties_lines_map_to_file_lines() {
        let d = load_str("mirrorMaker2Properties: |-\n  a=1\n  b=2\n").unwrap();
        let p = d.properties.unwrap();
        let loc = p.location_of(2, 0, 1).unwrap();
        assert_eq!((loc.line, loc.col), (3, 2));
    }

    #[test]
    fn wrong_types_are_reported_together() {
        let err =
            load_str("mirrorMaker2Spec:\n  minReplicas: one\n  maxReplicas: [1]\n").unwrap_err();
        assert_eq!(err.diagnostics.len(), 2);
        assert!(err.diagnostics[0]
            .message
            .contains("must be a whole number"));
    }
}
