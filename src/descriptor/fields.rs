//! The fields each part of the input accepts (anything else is an error with a suggestion);
//! schemas/descriptor.schema.json lists the same ones, which a test checks.

pub const SDM_CLUSTER_FIELDS: &[&str] = &[
    "namespace",
    "name",
    "kubernetesConfigContext",
    "alias",
    "internalListenerName",
    "externalListenerName",
    "tls",
    "sasl",
];
pub const NON_SDM_CLUSTER_FIELDS: &[&str] = &[
    "bootstrapServerAddress",
    "alias",
    "kafkaVersion",
    "tls",
    "sasl",
];
pub const TLS_FIELDS: &[&str] = &[
    "secretName",
    "truststoreKey",
    "truststorePasswordKey",
    "keystoreKey",
    "keystorePasswordKey",
    "keyPasswordKey",
];
pub const SASL_FIELDS: &[&str] = &["secretName", "jaasConfigKey"];
pub const SPEC_FIELDS: &[&str] = &[
    "kafkaHeapOpts",
    "resources",
    "nodeSelector",
    "tolerations",
    "affinity",
    "minReplicas",
    "maxReplicas",
    "istioControlPlane",
    "image",
    "kafkaUser",
    "metrics",
    "logging",
];
pub const METRICS_FIELDS: &[&str] = &[
    "enabled",
    "port",
    "agentImage",
    "agentJar",
    "podMonitor",
    "alerts",
    "dashboard",
];
pub const ALERTS_FIELDS: &[&str] = &[
    "enabled",
    "replicationLatencySeconds",
    "recordAgeSeconds",
    "checkpointAgeSeconds",
    "forMinutes",
];
pub const LOGGING_FIELDS: &[&str] = &["level", "loggers", "json"];
pub const ISTIO_FIELDS: &[&str] = &["name", "namespace"];
pub const KAFKA_USER_FIELDS: &[&str] = &["enabled", "name"];
pub const KRM_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "descriptorFile",
    "kafkaClusterFiles",
    "bootstrapServers",
];
pub const DESCRIPTOR_FIELDS: &[&str] = &[
    "kubernetesConfigs",
    "kafkaClusters",
    "nonSDMKafkaClusters",
    "mirrorMaker2Spec",
    "mirrorMaker2Properties",
];
