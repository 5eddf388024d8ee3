//! Online backups of a store's file, and putting one back.
//!
//! A backup copies the database through SQLite's online backup API from a connection that
//! holds one read transaction from before the first page to after the last: in WAL mode
//! that transaction sees one snapshot, so the copy is of one moment however much the
//! server writes meanwhile (writers are never blocked), and the change-feed heads read in
//! the same transaction say which moment. A restore refuses a store that is open: every
//! [`crate::SqliteStore`] holds a shared lock on the database's `-lock` file while it is
//! open, and a restore takes it exclusively.

use crate::schema;
use interlog_store::{Result, StoreError};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Pages copied per step of a backup (4 MiB of 4 KiB pages): the progress between steps.
const PAGES_PER_STEP: i32 = 1024;

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Each tenant's change-feed head in the copy, by tenant key: every write at or before
    /// it is in the copy, none after it.
    pub heads: Vec<(String, i64)>,
    /// The size of the copy in bytes.
    pub bytes: u64,
}

/// How far a copy is: pages copied, of pages in all.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// The lock file beside the database `db` (`<db>-lock`, as SQLite names its `-wal`).
fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-lock");
    PathBuf::from(p)
}

fn open_lock_file(db: &Path) -> Result<File> {
    let path = lock_path(db);
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(&path)
        .map_err(|e| StoreError::backend(format!("open {}", path.display()), e))
}

/// Taken by every open store: shared with other stores open on the file (a server and the
/// admin commands), refused while a restore replaces it.
pub(crate) fn lock_shared(db: &Path) -> Result<File> {
    let file = open_lock_file(db)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::unavailable(
            format!("{} is being restored", db.display()),
            "a restore holds the store's lock file",
        )),
        Err(TryLockError::Error(e)) => Err(StoreError::backend("lock the store", e)),
    }
}

fn failed(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| StoreError::backend(context, e)
}

/// Each tenant's feed head as `conn` sees it.
fn heads(conn: &Connection) -> Result<Vec<(String, i64)>> {
    conn.prepare(
        "SELECT t.key, coalesce(h.head, 0) FROM tenants t
         LEFT JOIN tenant_heads h ON h.tenant_id = t.id ORDER BY t.key",
    )
    .and_then(|mut s| {
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()
    })
    .map_err(failed("read the feed heads"))
}

/// Copies every page of `src` (in its open transaction, if any) into a new file `to`,
/// written beside it first and renamed into place once synced; `before_rename` runs just
/// before the rename.
fn copy(
    src: &Connection,
    to: &Path,
    progress: Progress<'_>,
    before_rename: impl FnOnce() -> Result<()>,
) -> Result<u64> {
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    {
        let mut dst = Connection::open(&partial).map_err(failed("create the copy"))?;
        let backup = Backup::new(src, &mut dst).map_err(failed("start the copy"))?;
        loop {
            let step = backup.step(PAGES_PER_STEP).map_err(failed("copy pages"))?;
            let p = backup.progress();
            let total = p.pagecount.max(0) as u64;
            progress(total.saturating_sub(p.remaining.max(0) as u64), total);
            match step {
                StepResult::Done => break,
                StepResult::More => {}
                // Another connection of this process holds a lock the step needs.
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
    let file = File::open(&partial)
        .map_err(|e| StoreError::backend(format!("open {}", partial.display()), e))?;
    file.sync_all()
        .map_err(|e| StoreError::backend("sync the copy", e))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600));
    }
    before_rename()?;
    std::fs::rename(&partial, to)
        .map_err(|e| StoreError::backend(format!("move the copy to {}", to.display()), e))?;
    sync_dir(to);
    Ok(bytes)
}

/// Makes a rename in `path`'s directory durable.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Writes a consistent copy of the store at `db` to `to` while it is in use (a server may
/// be writing). The copy is of one moment, named by the feed heads it returns.
pub fn backup(db: &Path, to: &Path, progress: Progress<'_>) -> Result<Copied> {
    if !db.exists() {
        return Err(StoreError::backend(
            format!("back up {}", db.display()),
            "no such store",
        ));
    }
    let src = schema::open(db).map_err(failed("open the store"))?;
    // One read transaction from the heads to the last page: one snapshot.
    src.execute_batch("BEGIN").map_err(failed("begin"))?;
    let heads = heads(&src)?;
    let bytes = copy(&src, to, progress, || Ok(()))?;
    src.execute_batch("COMMIT").map_err(failed("end"))?;
    Ok(Copied { heads, bytes })
}

/// Puts the backup `from` in place of the store at `db`, which no server or command may
/// have open. The backup is checked (`integrity_check`, and that it is an Interlog store)
/// before anything is replaced.
pub fn restore(from: &Path, db: &Path, progress: Progress<'_>) -> Result<Copied> {
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::backend(format!("open {}", from.display()), e))?;
    let verdict: String = src
        .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
        .map_err(|e| StoreError::backend(format!("check {}", from.display()), e))?;
    if verdict != "ok" {
        return Err(StoreError::backend(
            format!("{} is damaged", from.display()),
            verdict,
        ));
    }
    let ours: bool = src
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'schema_migrations')
                AND EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'engagements')",
            [],
            |r| r.get(0),
        )
        .map_err(failed("read the backup's schema"))?;
    if !ours {
        return Err(StoreError::backend(
            format!("restore {}", from.display()),
            "not an Interlog store",
        ));
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::backend(format!("create {}", dir.display()), e))?;
    }
    let lock = open_lock_file(db)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(StoreError::backend(
                format!("restore into {}", db.display()),
                "the store is in use (a server or a command has it open): stop it first",
            ))
        }
        Err(TryLockError::Error(e)) => return Err(StoreError::backend("lock the store", e)),
    }
    src.execute_batch("BEGIN").map_err(failed("begin"))?;
    let heads = heads(&src)?;
    // The old store's log and index must not be applied to the restored file.
    let forget_old_log = || {
        for suffix in ["-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            match std::fs::remove_file(PathBuf::from(p)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::backend("remove the old store's log", e)),
            }
        }
        Ok(())
    };
    let bytes = copy(&src, db, progress, forget_old_log)?;
    src.execute_batch("COMMIT").map_err(failed("end"))?;
    drop(lock);
    Ok(Copied { heads, bytes })
}
