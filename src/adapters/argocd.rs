//! Argo CD Config Management Plugin (sidecar): the generate command runs in the application's
//! source directory with the application's environment. Parameters arrive as `ARGOCD_ENV_*`;
//! the destination namespace as `ARGOCD_APP_NAMESPACE`.

use std::path::PathBuf;

use crate::diagnostics::{Diagnostic, Result};
use crate::Inputs;

/// The descriptor file name the plugin discovers applications by.
pub const DEFAULT_DESCRIPTOR: &str = "mm2-descriptor.yaml";

/// What the CMP environment asks for: the descriptor path and the render inputs.
#[derive(Debug, Clone)]
pub struct Request {
    pub descriptor: PathBuf,
    pub inputs: Inputs,
}

/// Reads the request from environment variables (passed in, so tests need no global state).
pub fn request(env: &dyn Fn(&str) -> Option<String>) -> Result<Request> {
    let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let mut inputs = Inputs {
        namespace: get("ARGOCD_ENV_NAMESPACE").or_else(|| get("ARGOCD_APP_NAMESPACE")),
        name: get("ARGOCD_ENV_NAME"),
        image: get("ARGOCD_ENV_IMAGE"),
        kube_context: get("ARGOCD_ENV_KUBE_CONTEXT"),
        ..Inputs::default()
    };
    if let Some(files) = get("ARGOCD_ENV_KAFKA_CLUSTER") {
        for f in files.split([',', ' ', '\n']).filter(|f| !f.is_empty()) {
            inputs
                .kafka_clusters
                .extend(crate::resolve::load_kafka_clusters(&PathBuf::from(f))?);
        }
    }
    if let Some(list) = get("ARGOCD_ENV_BOOTSTRAP_SERVERS") {
        for pair in list
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (alias, addr) = pair.split_once('=').ok_or_else(|| {
                Diagnostic::error(format!(
                    "ARGOCD_ENV_BOOTSTRAP_SERVERS entry `{pair}` is not ALIAS=HOST:PORT"
                ))
                .help("separate entries with `;`, e.g. source=a:9092,b:9092;target=c:29092")
            })?;
            inputs
                .bootstrap_overrides
                .push((alias.trim().to_string(), addr.trim().to_string()));
        }
    }
    Ok(Request {
        descriptor: PathBuf::from(
            get("ARGOCD_ENV_DESCRIPTOR").unwrap_or_else(|| DEFAULT_DESCRIPTOR.to_string()),
        ),
        inputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parameters_and_app_namespace() {
        let env = |k: &str| match k {
            "ARGOCD_APP_NAMESPACE" => Some("kafka-migration".to_string()),
            "ARGOCD_ENV_BOOTSTRAP_SERVERS" => Some("target=a:1,b:2; source=c:3".to_string()),
            _ => None,
        };
        let r = request(&env).unwrap();
        assert_eq!(r.inputs.namespace.as_deref(), Some("kafka-migration"));
        assert_eq!(r.descriptor, PathBuf::from(DEFAULT_DESCRIPTOR));
        assert_eq!(
            r.inputs.bootstrap_overrides,
            vec![
                ("target".into(), "a:1,b:2".into()),
                ("source".into(), "c:3".into())
            ]
        );
    }
}
