//! What the caller adds to a descriptor, read before the model runs.

use std::path::PathBuf;

use crate::diagnostics::Result;
use crate::resolve::{KafkaClusterResource, Kubeconfig};

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
    /// Local files that become a generated Secret per alias (`--secret-file`), already read.
    pub secret_files: Vec<SecretFile>,
    /// The descriptor's `kubernetesConfigs`, in its order, as reading each one went; filled by
    /// [`crate::resolve_references`]. A kubeconfig that cannot be read is an error only where
    /// the model needs it.
    pub kubeconfigs: Vec<Result<Kubeconfig>>,
    /// The directory that files named by the input (`descriptorFile`, `kafkaClusterFiles`) must
    /// stay in, when whoever wrote the input may not read the machine's files (Argo CD, KRM).
    pub reference_root: Option<PathBuf>,
}

/// One `--secret-file ALIAS[:KEY]=FILE`, with the file's bytes (or why they could not be read).
#[derive(Clone)]
pub struct SecretFile {
    pub alias: String,
    pub key: String,
    pub path: PathBuf,
    pub contents: Result<Vec<u8>>,
}

impl SecretFile {
    /// Reads the file (within the input cap); a failure is kept for the model to report.
    pub fn read(alias: String, key: String, path: PathBuf) -> SecretFile {
        let contents = crate::resolve::read_bytes(&path, "the --secret-file", "--secret-file");
        SecretFile {
            alias,
            key,
            path,
            contents,
        }
    }
}

/// Never the file's bytes: they are secret material.
impl std::fmt::Debug for SecretFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretFile")
            .field("alias", &self.alias)
            .field("key", &self.key)
            .field("path", &self.path)
            .field("bytes", &self.contents.as_ref().map(Vec::len))
            .finish()
    }
}
