//! The store conformance suite, run against a fresh SQLite database per case.

use interlog_store::conformance::Fixture;
use interlog_store::Store;
use interlog_store_sqlite::SqliteStore;
use std::sync::Arc;

/// A store in its own temporary directory, removed when the case ends.
struct Fresh {
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

impl Fixture for Fresh {
    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    fn shared(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

async fn fresh_store() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("conformance.db")).unwrap());
    Fresh { store, _dir: dir }
}

interlog_store::conformance_tests!(fresh_store().await);
