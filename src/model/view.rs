//! What the templates see: one MirrorMaker2 instance with every value decided.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::descriptor::Located;
use crate::diagnostics::Diagnostic;
use crate::properties::UserProperties;

use super::grants::TopicGrant;
use super::policy::NamingPolicy;

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// The kube context this instance is for, when known.
    pub context: Option<String>,
    /// Where the descriptor names that context (`kubernetesConfigContext`), when it does.
    #[serde(skip)]
    pub context_origin: Option<Located<String>>,
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
    pub observability: super::observability::Observability,
    pub monitoring: super::monitoring::Monitoring,
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

#[derive(Clone, Serialize)]
pub struct GeneratedSecret {
    pub name: String,
    pub alias: String,
    pub sha256: String,
    /// key -> base64 of the file's bytes.
    pub data: BTreeMap<String, String>,
}

/// The keys, never the `--secret-file` contents (a Model printed with `{:?}` prints this).
impl std::fmt::Debug for GeneratedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedSecret")
            .field("name", &self.name)
            .field("alias", &self.alias)
            .field("sha256", &self.sha256)
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .finish()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::UserProperties;

    #[test]
    fn debug_output_masks_secrets() {
        let text = "a.ssl.key.password=hunter2\ntasks.max=3\n".to_string();
        let entries = crate::properties::parse(&text).unwrap();
        let props = UserProperties::new(text, entries, None);
        let debug = format!("{props:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("a.ssl.key.password") && debug.contains("tasks.max"));
        let generated = GeneratedSecret {
            name: "s".into(),
            alias: "a".into(),
            sha256: "0".into(),
            data: [("key.password".to_string(), "aHVudGVyMg==".to_string())].into(),
        };
        let debug = format!("{generated:?}");
        assert!(!debug.contains("aHVudGVyMg=="), "{debug}");
        assert!(debug.contains("key.password"), "{debug}");
    }
}
