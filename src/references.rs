//! Files that one input names for another: a `MirrorMaker2Migration` wrapper's `descriptorFile`
//! and `kafkaClusterFiles`, Argo CD's `DESCRIPTOR` and `KAFKA_CLUSTER` settings.
//!
//! Whoever writes the naming input need not be allowed to read the machine's files: an Argo CD
//! Application's author sees what the plugin prints, and a KRM function config may come from
//! someone else's repository. So, with a root directory (the adapter decides which), a path
//! must lead to a file under it once `..` and symlinks are followed. And whatever the root, a
//! file is quoted in an error only once it proved to be what it was named as (a descriptor, a
//! YAML stream of KafkaClusters): an error never shows the lines of a file that is neither.

use std::path::{Component, Path, PathBuf};

use crate::descriptor::{self, Descriptor};
use crate::diagnostics::{Diagnostic, Error, Result, SourceFile};
use crate::resolve::{self, KafkaClusterResource};
use crate::yaml;

/// `path` if it may be read under `root` (always, without one); else an error that names the
/// path and the root, without saying whether the file exists.
pub fn confine(path: &Path, root: Option<&Path>, named_by: &str) -> Result<PathBuf> {
    let Some(root) = root else {
        return Ok(path.to_path_buf());
    };
    let outside = || -> Error {
        Diagnostic::error(format!(
            "{named_by} `{}` is outside {}",
            path.display(),
            root.display()
        ))
        .help(format!("name a file inside {} by a relative path: here mm2gen reads no file outside the directory it renders (`..` and symlinks that lead out are refused)", root.display()))
        .into()
    };
    let root_real = root.canonicalize().map_err(|e| {
        Error::from(
            Diagnostic::error(format!(
                "cannot resolve the directory {}: {e}",
                root.display()
            ))
            .help("run mm2gen in an existing directory"),
        )
    })?;
    let root_lexical = lexical_absolute(root);
    let lexical = lexical_absolute(path);
    // Decided on the text first, so a path outside learns nothing of the file system.
    if !lexical.starts_with(&root_lexical) && !lexical.starts_with(&root_real) {
        return Err(outside());
    }
    match lexical.canonicalize() {
        Ok(real) if real.starts_with(&root_real) => Ok(real),
        Ok(_) => Err(outside()),
        // Missing: the read reports it, for a path that is inside.
        Err(_) => Ok(lexical),
    }
}

/// `path` made absolute against the working directory, with `.` and `..` taken away as text.
fn lexical_absolute(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A descriptor named by another input (`descriptorFile`, Argo CD's `DESCRIPTOR`).
pub fn load_descriptor(path: &Path, root: Option<&Path>, named_by: &str) -> Result<Descriptor> {
    let real = confine(path, root, named_by)?;
    let text = resolve::read_input(&real, "the descriptor", named_by)?;
    let name = path.display().to_string();
    let docs = parse_unquoted(&SourceFile::new(name.clone(), text.as_str()))?;
    let is_descriptor = docs.len() == 1
        && (descriptor::is_krm_wrapper(&docs[0])
            || descriptor::DESCRIPTOR_FIELDS
                .iter()
                .any(|f| docs[0].get(f).is_some()));
    if !is_descriptor {
        return Err(Diagnostic::error(format!(
            "{name} is not a MirrorMaker2 migration descriptor: it is not one YAML document with `kafkaClusters`, `mirrorMaker2Properties` or the other descriptor fields, nor a `kind: MirrorMaker2Migration`"
        ))
        .help(format!("check the path in {named_by}; mm2gen does not quote a file that is not a descriptor"))
        .into());
    }
    let base = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    descriptor::load(&name, &text, base)
}

/// KafkaCluster resources named by another input (`kafkaClusterFiles`, Argo CD's
/// `KAFKA_CLUSTER`). Documents of other kinds are skipped unread, as in `--kafka-cluster` files.
pub fn load_kafka_clusters(
    path: &Path,
    root: Option<&Path>,
    named_by: &str,
) -> Result<Vec<KafkaClusterResource>> {
    let real = confine(path, root, named_by)?;
    let text = resolve::read_input(&real, "the KafkaCluster file", named_by)?;
    let source = SourceFile::new(path.display().to_string(), text);
    let docs = parse_unquoted(&source)?;
    resolve::kafka_clusters_in(&source, &docs)
}

/// A kubeconfig the descriptor lists (`kubernetesConfigs`), under `root` when there is one: in
/// Argo CD, a kubeconfig of the repo server would otherwise lend its context to the output.
pub fn load_kubeconfig(
    raw: &str,
    base_dir: &Path,
    root: Option<&Path>,
) -> Result<resolve::Kubeconfig> {
    let path = resolve::kubeconfig_path(raw, base_dir);
    confine(&path, root, "kubernetesConfigs")?;
    resolve::load_kubeconfig(&path)
}

/// Parses a YAML stream; a syntax error says where, but shows no line of the file.
pub fn parse_unquoted(source: &SourceFile) -> Result<Vec<yaml::Node>> {
    yaml::parse_documents(source).map_err(|e| {
        let unquoted = e.diagnostics.into_iter().map(|mut d| {
            if let Some(l) = d.location.take() {
                d.message
                    .push_str(&format!(" (line {}, column {})", l.line, l.col + 1));
            }
            d.label = None;
            d
        });
        Error::from(unquoted.collect::<Vec<_>>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_root_are_refused_before_the_file_system_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("d.yaml"), "kafkaClusters: []\n").unwrap();
        assert!(confine(&root.join("d.yaml"), Some(root), "x").is_ok());
        assert!(confine(&root.join("sub/../d.yaml"), Some(root), "x").is_ok());
        assert!(confine(&root.join("missing.yaml"), Some(root), "x").is_ok());
        for outside in [
            PathBuf::from("/etc/passwd"),
            root.join("../x"),
            root.join("sub/../../x"),
        ] {
            let e = confine(&outside, Some(root), "descriptorFile").unwrap_err();
            assert!(e.to_string().contains("is outside"), "{e}");
        }
        assert_eq!(
            confine(Path::new("/etc/passwd"), None, "x").unwrap(),
            PathBuf::from("/etc/passwd")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(dir.path().join("secret"), "token: abc\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("d.yaml")).unwrap();
        let e = confine(&root.join("d.yaml"), Some(&root), "descriptorFile").unwrap_err();
        assert!(e.to_string().contains("is outside"), "{e}");
    }
}
