//! The directory sink: one file per object plus a kustomization.yaml, written atomically, and
//! the drift check GitOps CI runs against a committed directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use similar::TextDiff;

use super::{Manifests, GENERATED_HEADER};
use crate::diagnostics::{Diagnostic, Result};

/// File name -> content of everything the directory should hold.
fn expected_files(manifests: &Manifests) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut resources = String::new();
    for m in &manifests.objects {
        files.insert(m.file_name(), format!("{GENERATED_HEADER}\n{}", m.yaml()));
        resources.push_str(&format!("- {}\n", m.file_name()));
    }
    files.insert(
        "kustomization.yaml".to_string(),
        format!("{GENERATED_HEADER}\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{resources}"),
    );
    files
}

/// Files in `dir` that mm2gen wrote earlier (they start with its header).
fn generated_files(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut found = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(io_error(dir, "read", e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "read", e))?;
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if !name.ends_with(".yaml")
            || !entry
                .file_type()
                .map_err(|e| io_error(&path, "read", e))?
                .is_file()
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.starts_with(GENERATED_HEADER) {
            found.insert(name, text);
        }
    }
    Ok(found)
}

fn io_error(path: &Path, verb: &str, e: std::io::Error) -> crate::diagnostics::Error {
    Diagnostic::error(format!("cannot {verb} {}: {e}", path.display()))
        .help("check that the directory exists and is writable")
        .into()
}

/// Writes every file through a temporary file in the same directory and a rename, so a reader
/// never sees half a file; then removes files mm2gen generated earlier that are no longer part
/// of the output. Files without mm2gen's header are never touched. Returns the files written.
pub fn write_directory(dir: &Path, manifests: &Manifests) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create", e))?;
    let expected = expected_files(manifests);
    let existing = generated_files(dir)?;
    for name in expected.keys() {
        let target = dir.join(name);
        if target.exists() && !existing.contains_key(name) {
            return Err(Diagnostic::error(format!("{} exists and was not written by mm2gen", target.display()))
                .help("move it away or choose another --output-dir: mm2gen never overwrites files it did not generate")
                .into());
        }
    }
    for (name, content) in &expected {
        if existing.get(name) == Some(content) {
            continue;
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".mm2gen-")
            .tempfile_in(dir)
            .map_err(|e| io_error(dir, "write to", e))?;
        tmp.write_all(content.as_bytes())
            .map_err(|e| io_error(tmp.path(), "write", e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| io_error(tmp.path(), "write", e))?;
        tmp.persist(dir.join(name))
            .map_err(|e| io_error(&dir.join(name), "write", e.error))?;
    }
    for name in existing.keys().filter(|n| !expected.contains_key(*n)) {
        std::fs::remove_file(dir.join(name)).map_err(|e| io_error(&dir.join(name), "remove", e))?;
    }
    Ok(expected.into_keys().collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryCheck {
    UpToDate,
    /// A unified diff from the directory's content to what render produces.
    Differs(String),
}

/// Compares the directory with what render produces, without writing anything.
pub fn check_directory(dir: &Path, manifests: &Manifests) -> Result<DirectoryCheck> {
    let expected = expected_files(manifests);
    let existing = generated_files(dir)?;
    let mut diff = String::new();
    let names: std::collections::BTreeSet<&String> =
        expected.keys().chain(existing.keys()).collect();
    for name in names {
        let old = existing.get(name).map(String::as_str).unwrap_or("");
        let new = expected.get(name).map(String::as_str).unwrap_or("");
        if old == new {
            continue;
        }
        let path = dir.join(name);
        let old_label = if existing.contains_key(name) {
            path.display().to_string()
        } else {
            "/dev/null".to_string()
        };
        let new_label = if expected.contains_key(name) {
            path.display().to_string()
        } else {
            "/dev/null".to_string()
        };
        diff.push_str(
            &TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header(&old_label, &new_label)
                .to_string(),
        );
    }
    Ok(if diff.is_empty() {
        DirectoryCheck::UpToDate
    } else {
        DirectoryCheck::Differs(diff)
    })
}
