//! Argo CD Config Management Plugin (sidecar): the generate command runs in the application's
//! source directory with the application's environment. Each setting (`DESCRIPTOR`,
//! `KAFKA_CLUSTER`, ...) arrives as `ARGOCD_ENV_<NAME>` when set in the Application's
//! `spec.source.plugin.env`, or as `PARAM_<NAME>` when set as one of the parameters the
//! plugin.yaml announces (`spec.source.plugin.parameters`, the UI's Parameters tab); the env
//! entry wins. The destination namespace arrives as `ARGOCD_APP_NAMESPACE`.

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, Result};
use crate::{references, Inputs};

/// The descriptor file name the plugin discovers applications by.
pub const DEFAULT_DESCRIPTOR: &str = "mm2-descriptor.yaml";

/// What the CMP environment asks for: the descriptor path and the render inputs.
#[derive(Debug, Clone)]
pub struct Request {
    pub descriptor: PathBuf,
    pub inputs: Inputs,
}

/// Reads the request from environment variables (passed in, so tests need no global state).
/// `app_dir` is the application's source directory, the working directory Argo CD runs the
/// plugin in: relative paths are read from it, and every file the settings or the descriptor
/// name must be inside it, since the Application's author sees what the plugin prints.
pub fn request(env: &dyn Fn(&str) -> Option<String>, app_dir: &Path) -> Result<Request> {
    let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let setting =
        |name: &str| get(&format!("ARGOCD_ENV_{name}")).or_else(|| get(&format!("PARAM_{name}")));
    let mut inputs = Inputs {
        namespace: setting("NAMESPACE").or_else(|| get("ARGOCD_APP_NAMESPACE")),
        name: setting("NAME"),
        image: setting("IMAGE"),
        kube_context: setting("KUBE_CONTEXT"),
        reference_root: Some(app_dir.to_path_buf()),
        ..Inputs::default()
    };
    if let Some(files) = setting("KAFKA_CLUSTER") {
        for f in files.split([',', ' ', '\n']).filter(|f| !f.is_empty()) {
            inputs
                .kafka_clusters
                .extend(references::load_kafka_clusters(
                    Path::new(f),
                    Some(app_dir),
                    "ARGOCD_ENV_KAFKA_CLUSTER",
                )?);
        }
    }
    if let Some(list) = setting("BOOTSTRAP_SERVERS") {
        for pair in list
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (alias, addr) = pair.split_once('=').ok_or_else(|| {
                Diagnostic::error(format!(
                    "BOOTSTRAP_SERVERS entry `{pair}` is not ALIAS=HOST:PORT"
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
            setting("DESCRIPTOR").unwrap_or_else(|| DEFAULT_DESCRIPTOR.to_string()),
        ),
        inputs,
    })
}

/// Loads the descriptor the request names, from inside the application's directory.
pub fn load_descriptor(request: &Request) -> Result<crate::Descriptor> {
    references::load_descriptor(
        &request.descriptor,
        request.inputs.reference_root.as_deref(),
        "ARGOCD_ENV_DESCRIPTOR",
    )
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
        let r = request(&env, Path::new("app")).unwrap();
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

    #[test]
    fn reads_announced_parameters_and_env_entries_win() {
        let env = |k: &str| match k {
            "PARAM_DESCRIPTOR" => Some("mm2/descriptor.yaml".to_string()),
            "PARAM_NAME" => Some("from-param".to_string()),
            "ARGOCD_ENV_NAME" => Some("from-env".to_string()),
            "PARAM_BOOTSTRAP_SERVERS" => Some("target=a:1".to_string()),
            _ => None,
        };
        let r = request(&env, Path::new("app")).unwrap();
        assert_eq!(r.descriptor, PathBuf::from("mm2/descriptor.yaml"));
        assert_eq!(r.inputs.name.as_deref(), Some("from-env"));
        assert_eq!(
            r.inputs.bootstrap_overrides,
            vec![("target".into(), "a:1".into())]
        );
    }
}
