//! What the caller adds to a descriptor, read before the model runs.

use std::path::PathBuf;

use crate::resolve::KafkaClusterResource;

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
    /// The directory that files named by the input (`descriptorFile`, `kafkaClusterFiles`) must
    /// stay in, when whoever wrote the input may not read the machine's files (Argo CD, KRM).
    pub reference_root: Option<PathBuf>,
}
