//! The directory sink: one file per object plus a kustomization.yaml, updated all at once, and
//! the drift check GitOps CI runs against a committed directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::{lock, Manifests, GENERATED_HEADER};
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
        KUSTOMIZATION.to_string(),
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

/// Updates every directory in `targets` all at once or not at all, and returns how many files
/// they hold. Files without mm2gen's header are never touched.
///
/// Each directory is locked for the whole update, so concurrent renders into one directory
/// take turns instead of interleaving their files and prunes. Every new file is first written
/// in full to a staging directory inside its target (a full disk or a bad name fails there,
/// before anything visible changed, in any of the directories); then the files move in by
/// rename in an order that keeps kustomization.yaml naming only files that exist, at any point
/// a crash could stop it: new names first, then files whose name stays, then
/// kustomization.yaml, and only then the removal of files the new set no longer holds.
pub fn write_directories(targets: &[(PathBuf, &Manifests)]) -> Result<usize> {
    let mut created = Vec::new();
    let result = update_all(targets, &mut created);
    if result.is_err() {
        // Directories this run created hold nothing of the user's; an empty one would be the
        // only trace of a failed run.
        for dir in created.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
    result
}

/// Writes one directory all at once or not at all (see [`write_directories`]).
pub fn write_directory(dir: &Path, manifests: &Manifests) -> Result<usize> {
    write_directories(&[(dir.to_path_buf(), manifests)])
}

fn update_all(targets: &[(PathBuf, &Manifests)], created: &mut Vec<PathBuf>) -> Result<usize> {
    for (dir, _) in targets {
        create_dir_recording(dir, created)?;
    }
    let _locks = lock::lock_all(targets.iter().map(|(dir, _)| dir.as_path()))?;
    let plans = targets
        .iter()
        .map(|(dir, manifests)| Plan::new(dir, manifests))
        .collect::<Result<Vec<_>>>()?;
    let staged = plans.iter().map(Plan::stage).collect::<Result<Vec<_>>>()?;
    for (plan, staging) in plans.iter().zip(&staged) {
        plan.commit(staging)?;
    }
    Ok(plans.iter().map(|p| p.expected.len()).sum())
}

/// `create_dir_all` that remembers which directories did not exist before.
fn create_dir_recording(dir: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(d) = current {
        if d.as_os_str().is_empty() || d.symlink_metadata().is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        current = d.parent();
    }
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create", e))?;
    created.extend(missing.into_iter().rev());
    Ok(())
}

/// Prefix of the staging directories an update writes its new files into.
const STAGING_PREFIX: &str = ".mm2gen-stage-";

/// What one directory should hold, and what mm2gen generated there before.
struct Plan {
    dir: PathBuf,
    expected: BTreeMap<String, String>,
    existing: BTreeMap<String, String>,
}

impl Plan {
    /// Reads the directory (under its lock) and refuses before anything is written when a
    /// file mm2gen did not generate holds one of the new names.
    fn new(dir: &Path, manifests: &Manifests) -> Result<Plan> {
        remove_abandoned_staging(dir)?;
        let expected = expected_files(manifests);
        let existing = generated_files(dir)?;
        for name in expected.keys() {
            let target = dir.join(name);
            if target.symlink_metadata().is_ok() && !existing.contains_key(name) {
                return Err(Diagnostic::error(format!("{} exists and was not written by mm2gen", target.display()))
                    .help("move it away or choose another --output-dir: mm2gen never overwrites files it did not generate")
                    .into());
            }
        }
        Ok(Plan {
            dir: dir.to_path_buf(),
            expected,
            existing,
        })
    }

    /// Names whose content changes, in the order they move in: new names, then names that
    /// stay, then kustomization.yaml, which must never name a file that is not there yet.
    fn changed(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .expected
            .iter()
            .filter(|(name, content)| self.existing.get(*name) != Some(*content))
            .map(|(name, _)| name.as_str())
            .collect();
        names.sort_by_key(|name| {
            (
                *name == KUSTOMIZATION,
                self.existing.contains_key(*name),
                *name,
            )
        });
        names
    }

    /// Writes every changed file in full into a staging directory beside its target.
    fn stage(&self) -> Result<tempfile::TempDir> {
        let nothing_changed = |e: std::io::Error, path: &Path| -> crate::diagnostics::Error {
            Diagnostic::error(format!("cannot write {}: {e}", path.display()))
                .help(format!(
                    "nothing was changed in {}: free space or fix the permissions and run again",
                    self.dir.display()
                ))
                .into()
        };
        let staging = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(&self.dir)
            .map_err(|e| nothing_changed(e, &self.dir))?;
        for name in self.changed() {
            let path = staging.path().join(name);
            // A plain create applies the umask, as other tools' output files do.
            let mut file =
                std::fs::File::create_new(&path).map_err(|e| nothing_changed(e, &path))?;
            file.write_all(self.expected[name].as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| nothing_changed(e, &path))?;
        }
        Ok(staging)
    }

    /// Moves the staged files in, then removes generated files the new set no longer holds.
    fn commit(&self, staging: &tempfile::TempDir) -> Result<()> {
        let partial = |e: std::io::Error, path: &Path, verb: &str| -> crate::diagnostics::Error {
            Diagnostic::error(format!("cannot {verb} {}: {e}", path.display()))
                .help(format!(
                    "{} is partly updated (its kustomization.yaml names only files that exist): fix the cause and run again to complete it",
                    self.dir.display()
                ))
                .into()
        };
        for name in self.changed() {
            let target = self.dir.join(name);
            std::fs::rename(staging.path().join(name), &target)
                .map_err(|e| partial(e, &target, "write"))?;
        }
        sync_dir(&self.dir).map_err(|e| partial(e, &self.dir, "write"))?;
        for name in self
            .existing
            .keys()
            .filter(|n| !self.expected.contains_key(*n))
        {
            let target = self.dir.join(name);
            std::fs::remove_file(&target).map_err(|e| partial(e, &target, "remove"))?;
        }
        sync_dir(&self.dir).map_err(|e| partial(e, &self.dir, "write"))
    }
}

const KUSTOMIZATION: &str = "kustomization.yaml";

/// Staging directories left by a run that was killed; no live run has one, since the caller
/// holds the directory's lock.
fn remove_abandoned_staging(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, "read", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "read", e))?;
        let is_staging = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(STAGING_PREFIX));
        if is_staging && entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(entry.path())
                .map_err(|e| io_error(&entry.path(), "remove", e))?;
        }
    }
    Ok(())
}

/// Makes the renames and removals in `dir` durable before the next step relies on them.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Manifest;

    fn manifests(objects: &[(&str, &str, &str)]) -> Manifests {
        Manifests {
            objects: objects
                .iter()
                .map(|(kind, name, data)| Manifest {
                    kind: kind.to_string(),
                    name: name.to_string(),
                    value: serde_json::json!({"kind": kind, "data": data}),
                    comments: Vec::new(),
                })
                .collect(),
        }
    }

    fn content(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                (e.file_name().into_string().unwrap(), bytes)
            })
            .collect()
    }

    #[test]
    fn a_file_that_cannot_be_written_leaves_the_previous_render_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let first = manifests(&[
            ("ConfigMap", "config-aaa", "1"),
            ("Deployment", "mirrormaker2", "config-aaa"),
        ]);
        write_directory(dir.path(), &first).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let before = content(dir.path());
        // A name longer than the file system allows fails only once its file is created;
        // it sorts after every other file, so a file-by-file update would be half done.
        let too_long = "x".repeat(300);
        let second = manifests(&[
            ("ConfigMap", "config-bbb", "2"),
            ("Deployment", "mirrormaker2", "config-bbb"),
            ("Secret", &too_long, "s"),
        ]);
        let err = write_directory(dir.path(), &second).unwrap_err();
        assert!(
            format!("{err:?}").contains("nothing was changed"),
            "{err:?}"
        );
        assert_eq!(content(dir.path()), before);
    }

    #[test]
    fn kustomization_moves_in_after_every_file_it_names_and_new_names_first() {
        let dir = tempfile::tempdir().unwrap();
        write_directory(
            dir.path(),
            &manifests(&[
                ("ConfigMap", "config-aaa", "1"),
                ("Deployment", "mirrormaker2", "config-aaa"),
            ]),
        )
        .unwrap();
        let plan = Plan::new(
            dir.path(),
            &manifests(&[
                ("ConfigMap", "config-bbb", "2"),
                ("Deployment", "mirrormaker2", "config-bbb"),
                ("Service", "zzz", "new"),
            ]),
        )
        .unwrap();
        assert_eq!(
            plan.changed(),
            [
                "configmap-config-bbb.yaml",
                "service-zzz.yaml",
                "deployment-mirrormaker2.yaml",
                "kustomization.yaml"
            ]
        );
    }

    #[test]
    fn a_staging_directory_left_by_a_killed_run_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let abandoned = dir.path().join(format!("{STAGING_PREFIX}abc"));
        std::fs::create_dir(&abandoned).unwrap();
        std::fs::write(abandoned.join("configmap-x.yaml"), "half").unwrap();
        write_directory(dir.path(), &manifests(&[("ConfigMap", "x", "1")])).unwrap();
        assert!(!abandoned.exists());
        assert_eq!(
            content(dir.path()).into_keys().collect::<Vec<_>>(),
            ["configmap-x.yaml", "kustomization.yaml"]
        );
    }
}
