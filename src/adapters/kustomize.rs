//! Kustomize's legacy exec plugin contract (`kubectl kustomize --enable-alpha-plugins` runs it):
//! the executable lives at `$XDG_CONFIG_HOME/kustomize/plugin/mm2gen.io/v1alpha1/
//! mirrormaker2migration/MirrorMaker2Migration` and gets the path of a file holding its config
//! object; the working directory is the kustomization root.
//!
//! As a generator (stdin empty) it renders the config's descriptor. As a transformer (the
//! resources arrive on stdin) it also expands `MirrorMaker2Migration` objects of the stream
//! and reads `KafkaCluster` objects from it.

use std::path::{Path, PathBuf};

use super::stream;
use crate::descriptor;
use crate::diagnostics::{Diagnostic, Result, SourceFile};
use crate::yaml;
use crate::Inputs;

pub const PLUGIN_KIND: &str = "MirrorMaker2Migration";

/// Where kustomize looks for the plugin under a config home.
pub fn plugin_path(config_home: &Path) -> PathBuf {
    config_home
        .join("kustomize/plugin")
        .join(descriptor::KRM_API_VERSION)
        .join(PLUGIN_KIND.to_ascii_lowercase())
        .join(PLUGIN_KIND)
}

/// `$XDG_CONFIG_HOME`, else `~/.config`, as kustomize resolves it.
pub fn default_config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
}

/// Installs the plugin: a two-line script that runs this mm2gen binary.
pub fn install(config_home: &Path, mm2gen: &Path) -> Result<PathBuf> {
    let path = plugin_path(config_home);
    let dir = path.parent().expect("the plugin path has a directory");
    let fail = |what: &str, e: std::io::Error| {
        Diagnostic::error(format!("cannot {what} {}: {e}", dir.display()))
            .help("check that the config home is writable, or pass --config-home DIR")
    };
    std::fs::create_dir_all(dir).map_err(|e| fail("create", e))?;
    let quoted = mm2gen.display().to_string().replace('\'', "'\\''");
    let script = format!("#!/bin/sh\n# Kustomize exec plugin for kind {PLUGIN_KIND}, installed by `mm2gen kustomize-plugin install`.\nexec '{quoted}' kustomize-exec \"$@\"\n");
    let mut tmp = tempfile::Builder::new()
        .prefix(".mm2gen-")
        .tempfile_in(dir)
        .map_err(|e| fail("write to", e))?;
    std::io::Write::write_all(&mut tmp, script.as_bytes()).map_err(|e| fail("write to", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(|e| fail("write to", e))?;
    }
    tmp.persist(&path).map_err(|e| fail("write to", e.error))?;
    Ok(path)
}

/// Runs the plugin on its config file, with the resources kustomize piped in (if any).
pub fn run(config_path: &Path, stdin: &str, inputs: &Inputs) -> Result<(String, Vec<Diagnostic>)> {
    let text = crate::resolve::read_input(
        config_path,
        "the plugin config",
        "the kustomization's generators/transformers",
    )?;
    let root_dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let source = SourceFile::new(config_path.display().to_string(), text.clone());
    let config = yaml::parse_documents(&source)?.into_iter().next();
    let has_descriptor = config
        .as_ref()
        .is_some_and(|c| c.get("spec").is_some() || c.get("descriptorFile").is_some());
    let mut docs = if stdin.trim().is_empty() {
        Vec::new()
    } else {
        stream::split("<stdin>", stdin)?
    };
    if has_descriptor || docs.is_empty() {
        let node = config.ok_or_else(|| {
            Diagnostic::error("the plugin config is empty").help(format!(
                "give a `kind: {PLUGIN_KIND}` object with `spec:` or `descriptorFile:`"
            ))
        })?;
        docs.push(stream::RawDocument {
            text,
            node: Some(node),
            source,
        });
    }
    // Kustomize keeps a build inside the kustomization root by default; so do its plugins' files.
    let mut inputs = inputs.clone();
    inputs
        .reference_root
        .get_or_insert_with(|| root_dir.clone());
    let (expanded, warnings) = stream::expand(&docs, &inputs, &root_dir)?;
    let mut out = String::new();
    for e in expanded {
        match e {
            stream::Expanded::PassThrough(doc) => {
                out.push_str("---\n");
                out.push_str(&doc.text);
                if !doc.text.ends_with('\n') {
                    out.push('\n');
                }
            }
            stream::Expanded::Generated(m) => out.push_str(&m.to_yaml()),
        }
    }
    Ok((out, warnings))
}
