//! Exclusive locks on output directories, held for the length of an update, so two renders
//! into one directory take turns.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, Result};

/// Held until dropped; closing the descriptor releases the lock, also when the process dies.
pub struct DirLock {
    _file: File,
}

/// Locks every directory once, in one global order (sorted canonical paths), so two runs that
/// share several directories cannot each wait for the other.
pub fn lock_all<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Result<Vec<DirLock>> {
    let mut canonical: Vec<PathBuf> = dirs
        .into_iter()
        .map(|dir| std::fs::canonicalize(dir).map_err(|e| lock_error(dir, e)))
        .collect::<Result<_>>()?;
    canonical.sort();
    // A second lock on the same directory from another descriptor would wait for the first.
    canonical.dedup();
    canonical.iter().map(|dir| lock(dir)).collect()
}

fn lock(dir: &Path) -> Result<DirLock> {
    let file = open_lock_target(dir).map_err(|e| lock_error(dir, e))?;
    fs4::FileExt::lock(&file).map_err(|e| lock_error(dir, e))?;
    Ok(DirLock { _file: file })
}

/// flock works on a directory's own descriptor, which leaves no lock file among the user's.
#[cfg(unix)]
fn open_lock_target(dir: &Path) -> std::io::Result<File> {
    File::open(dir)
}

/// Elsewhere a directory handle cannot be locked: a hidden lock file stands in for it.
#[cfg(not(unix))]
fn open_lock_target(dir: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".mm2gen.lock"))
}

fn lock_error(dir: &Path, e: std::io::Error) -> crate::diagnostics::Error {
    Diagnostic::error(format!("cannot lock {}: {e}", dir.display()))
        .help("nothing was changed; check that the directory exists and is writable")
        .into()
}
