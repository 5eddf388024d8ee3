//! Freed memory kept for reuse while a Parquet export runs.
//!
//! The server hands memory back to the system as soon as it is freed, so that its resident
//! memory follows what is in use (issue 21). An export frees and allocates the same few
//! megabytes for every batch (stored bodies, decoded engagements, Arrow columns, pages), so
//! each batch faulted in fresh pages the kernel had to zero first: a fifth to a third of the
//! export's CPU. Which allocator the process uses, and how it is told to keep freed pages,
//! is the binary's choice: it [`install`]s the two calls, and while at least one export
//! [`hold`]s, freed pages stay for reuse. Without an [`install`] (tests, other binaries)
//! holding does nothing.

use std::sync::{Mutex, OnceLock};

/// How the process's allocator keeps freed pages and hands them back again.
#[derive(Debug, Clone, Copy)]
pub struct Hooks {
    /// From now on, keep freed pages for reuse (for a while) rather than return them.
    pub keep: fn(),
    /// Return what was kept so far, and go on keeping.
    pub trim: fn(),
    /// Return what was kept, and return freed pages at once again.
    pub release: fn(),
}

static HOOKS: OnceLock<Hooks> = OnceLock::new();
/// Exports holding; the first one in keeps, the last one out releases.
static HOLDING: Mutex<usize> = Mutex::new(0);

/// Sets the allocator's calls, once, before any export runs (later calls are ignored).
pub fn install(hooks: Hooks) {
    let _ = HOOKS.set(hooks);
}

/// Freed pages are kept while this lives.
#[must_use = "freed pages are kept only while the hold lives"]
pub struct Held(());

/// Keeps freed pages until the returned hold (and every other) is dropped.
pub fn hold() -> Held {
    let mut n = HOLDING.lock().unwrap_or_else(|e| e.into_inner());
    if *n == 0 {
        if let Some(h) = HOOKS.get() {
            (h.keep)();
        }
    }
    *n += 1;
    Held(())
}

/// Returns what was kept so far while exports go on keeping: an export calls it after each
/// row group, so what is kept stays one row group's worth (freed ranges the allocator does
/// not reuse would otherwise pile up over a long export).
pub fn trim() {
    let n = HOLDING.lock().unwrap_or_else(|e| e.into_inner());
    if *n > 0 {
        if let Some(h) = HOOKS.get() {
            (h.trim)();
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut n = HOLDING.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        if *n == 0 {
            if let Some(h) = HOOKS.get() {
                (h.release)();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static KEPT: AtomicUsize = AtomicUsize::new(0);
    static RELEASED: AtomicUsize = AtomicUsize::new(0);
    static TRIMMED: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn the_first_hold_keeps_trims_apply_while_held_and_the_last_one_releases() {
        install(Hooks {
            keep: || {
                KEPT.fetch_add(1, Ordering::SeqCst);
            },
            trim: || {
                TRIMMED.fetch_add(1, Ordering::SeqCst);
            },
            release: || {
                RELEASED.fetch_add(1, Ordering::SeqCst);
            },
        });
        trim();
        assert_eq!(TRIMMED.load(Ordering::SeqCst), 0, "nothing is kept");
        let a = hold();
        let b = hold();
        assert_eq!(KEPT.load(Ordering::SeqCst), 1);
        trim();
        assert_eq!(TRIMMED.load(Ordering::SeqCst), 1);
        drop(a);
        assert_eq!(RELEASED.load(Ordering::SeqCst), 0, "one export still holds");
        drop(b);
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
        drop(hold());
        assert_eq!(
            (KEPT.load(Ordering::SeqCst), RELEASED.load(Ordering::SeqCst)),
            (2, 2)
        );
    }
}
