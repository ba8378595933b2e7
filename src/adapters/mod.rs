//! Entry points other than `mm2gen render`, each a thin envelope over the same pipeline:
//! a YAML stream (Helm post-renderer, Kustomize legacy exec plugin), a KRM ResourceList
//! (Kustomize/kpt functions), and Argo CD's Config Management Plugin environment.

pub mod argocd;
mod duplicates;
pub mod krm;
pub mod kustomize;
pub mod stream;
