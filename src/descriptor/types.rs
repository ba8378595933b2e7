//! What the reader produces: the descriptor's fields as typed values, each with its place.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diagnostics::{Diagnostic, Location, SourceFile};

/// A value together with where the user wrote it.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub location: Option<Location>,
    /// Path inside the input document, e.g. `kafkaClusters[0].alias`.
    pub path: String,
}

impl<T> Located<T> {
    pub fn diag(&self, d: Diagnostic) -> Diagnostic {
        d.at(self.location.clone()).path(self.path.clone())
    }
}

#[derive(Debug, Clone)]
pub struct Descriptor {
    pub source: SourceFile,
    /// Directory that relative paths in the descriptor (kubeconfigs) are resolved against.
    pub base_dir: PathBuf,
    /// `metadata` of the KRM wrapper, when the descriptor came wrapped.
    pub krm: Option<KrmMetadata>,
    pub kubernetes_configs: Vec<Located<String>>,
    pub kafka_clusters: Vec<SdmCluster>,
    pub non_sdm_clusters: Vec<NonSdmCluster>,
    pub spec: Mm2Spec,
    pub properties: Option<PropertiesBlock>,
}

#[derive(Debug, Clone, Default)]
pub struct KrmMetadata {
    pub name: Option<Located<String>>,
    pub namespace: Option<Located<String>>,
    /// `descriptorFile:` instead of `spec:`: the descriptor lives in its own file (relative to
    /// the wrapper's directory), as Kustomize generator configs and Helm values like it.
    pub descriptor_file: Option<Located<String>>,
    /// `kafkaClusterFiles:`: files with KafkaCluster resources, like --kafka-cluster.
    pub kafka_cluster_files: Vec<Located<String>>,
    /// `bootstrapServers:` alias -> address, like --bootstrap-servers.
    pub bootstrap_servers: Vec<(Located<String>, Located<String>)>,
}

/// A Kafka cluster managed by Streaming Data Manager (a Koperator `KafkaCluster`).
#[derive(Debug, Clone)]
pub struct SdmCluster {
    pub path: String,
    pub location: Option<Location>,
    pub namespace: Option<Located<String>>,
    pub name: Option<Located<String>>,
    pub kubernetes_config_context: Option<Located<String>>,
    pub alias: Option<Located<String>>,
    pub internal_listener_name: Option<Located<String>>,
    pub external_listener_name: Option<Located<String>>,
    pub credentials: Credentials,
}

/// A Kafka cluster outside Streaming Data Manager, reached by its bootstrap address.
#[derive(Debug, Clone)]
pub struct NonSdmCluster {
    pub path: String,
    pub location: Option<Location>,
    pub bootstrap_server_address: Option<Located<String>>,
    pub alias: Option<Located<String>>,
    /// mm2gen extension: the Kafka version the cluster's brokers run (e.g. `2.8.2`), so that
    /// the model can refuse a MirrorMaker2 image that cannot talk to them.
    pub kafka_version: Option<Located<String>>,
    pub credentials: Credentials,
}

/// mm2gen extension: where a cluster's TLS stores and SASL credentials live.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub tls: Option<TlsSecret>,
    pub sasl: Option<SaslSecret>,
}

#[derive(Debug, Clone, Default)]
pub struct TlsSecret {
    pub path: String,
    pub location: Option<Location>,
    pub secret_name: Option<Located<String>>,
    pub truststore_key: Option<Located<String>>,
    pub truststore_password_key: Option<Located<String>>,
    pub keystore_key: Option<Located<String>>,
    pub keystore_password_key: Option<Located<String>>,
    pub key_password_key: Option<Located<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct SaslSecret {
    pub path: String,
    pub location: Option<Location>,
    pub secret_name: Option<Located<String>>,
    pub jaas_config_key: Option<Located<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct Mm2Spec {
    pub kafka_heap_opts: Option<Located<String>>,
    pub resources: Option<Located<serde_json::Value>>,
    pub node_selector: Option<Located<serde_json::Value>>,
    pub tolerations: Option<Located<serde_json::Value>>,
    pub affinity: Option<Located<serde_json::Value>>,
    /// Where each value inside resources, nodeSelector, tolerations and affinity is, by YAML
    /// path (`mirrorMaker2Spec.resources.limits.cpu`): rules on these fields point at the
    /// value they refuse.
    pub value_locations: BTreeMap<String, Location>,
    pub min_replicas: Option<Located<i64>>,
    pub max_replicas: Option<Located<i64>>,
    pub istio_control_plane: Option<IstioControlPlane>,
    /// mm2gen extension: container image.
    pub image: Option<Located<String>>,
    /// mm2gen extension: the KafkaUser for MM2's identity on the target.
    pub kafka_user: Option<KafkaUserSpec>,
    /// mm2gen extension: the Prometheus endpoint and the objects built on it.
    pub metrics: Option<MetricsSpec>,
    /// mm2gen extension: log4j2 levels and layout.
    pub logging: Option<LoggingSpec>,
}

#[derive(Debug, Clone, Default)]
pub struct MetricsSpec {
    pub enabled: Option<Located<bool>>,
    pub port: Option<Located<i64>>,
    pub agent_image: Option<Located<String>>,
    pub agent_jar: Option<Located<String>>,
    pub pod_monitor: Option<Located<bool>>,
    pub alerts: Option<AlertsSpec>,
    pub dashboard: Option<Located<bool>>,
}

#[derive(Debug, Clone, Default)]
pub struct AlertsSpec {
    pub enabled: Option<Located<bool>>,
    pub replication_latency_seconds: Option<Located<i64>>,
    pub record_age_seconds: Option<Located<i64>>,
    pub checkpoint_age_seconds: Option<Located<i64>>,
    pub for_minutes: Option<Located<i64>>,
}

#[derive(Debug, Clone, Default)]
pub struct LoggingSpec {
    pub level: Option<Located<String>>,
    /// Logger name -> level, in the descriptor's order.
    pub loggers: Vec<(Located<String>, Located<String>)>,
    pub json: Option<Located<bool>>,
}

#[derive(Debug, Clone)]
pub struct IstioControlPlane {
    pub path: String,
    pub location: Option<Location>,
    pub name: Option<Located<String>>,
    pub namespace: Option<Located<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct KafkaUserSpec {
    pub enabled: Option<Located<bool>>,
    pub name: Option<Located<String>>,
}

/// The user's `mirrorMaker2Properties` text and how its lines map back to the descriptor file.
#[derive(Clone)]
pub struct PropertiesBlock {
    pub text: String,
    pub location: Option<Location>,
    pub path: String,
    /// For a literal block scalar, content line `n` (0-based) is file line `first_line + n`,
    /// shifted right by `indent` columns.
    pub line_map: Option<LineMap>,
}

/// With its secret values masked, as in every diagnostic.
impl std::fmt::Debug for PropertiesBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PropertiesBlock")
            .field("text", &crate::redact::masked(&self.text))
            .field("location", &self.location)
            .field("path", &self.path)
            .field("line_map", &self.line_map)
            .finish()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LineMap {
    pub first_line: usize,
    pub indent: usize,
}

impl PropertiesBlock {
    /// Where a 1-based line (and 0-based column) of the properties text is in the descriptor.
    pub fn location_of(&self, line: usize, col: usize, len: usize) -> Option<Location> {
        match (self.line_map, &self.location) {
            (Some(map), Some(loc)) => Some(Location::new(
                &loc.file,
                map.first_line + line - 1,
                map.indent + col,
                len,
            )),
            (None, loc) => loc.clone(),
            _ => None,
        }
    }
}
