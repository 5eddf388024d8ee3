//! The data directory holds the database, the signing key and credentials: it is created
//! readable by the owner only (0700) and so is every file Interlog creates in it (0600;
//! SQLite gives its `-wal` and `-shm` files the database file's mode). A directory or file
//! that already exists with wider permissions is left as it is, with a warning.

use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Creates `dir` (and its parents) if missing, owner-only; warns when it exists and others
/// may read it.
pub fn ensure_dir(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        warn_if_open(dir);
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(0o700);
    b.create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Creates an empty owner-only file at `path` if none is there (so that whatever opens it
/// next keeps that mode); warns when an existing one is readable by others.
pub fn ensure_file(path: &Path) -> Result<(), String> {
    if path.exists() {
        warn_if_open(path);
        return Ok(());
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path)
        .map(|_| ())
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn warn_if_open(path: &Path) {
    // Several parts of a start (the data directory, the store's directory, the signing
    // key's) may check one path: say it once.
    static WARNED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if mode & 0o077 != 0 && !warned.iter().any(|p| p == path) {
            warned.push(path.to_path_buf());
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "readable by other users; restrict it (chmod go-rwx) to keep engagement data private"
            );
        }
    }
}
