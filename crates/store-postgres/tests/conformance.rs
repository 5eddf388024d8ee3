//! The store conformance suite, run against PostgreSQL: each case in a fresh schema of the
//! server named by `INTERLOG_TEST_POSTGRES` (`scripts/test` starts a throw-away one). Without
//! it the cases are skipped, saying so.

use interlog_store::OpenOptions;
use interlog_store_postgres::PgStore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A store in a schema of its own, or `None` when no server is configured.
async fn fresh_store() -> Option<Arc<PgStore>> {
    let Ok(base) = std::env::var("INTERLOG_TEST_POSTGRES") else {
        eprintln!("skipped: INTERLOG_TEST_POSTGRES names no PostgreSQL server");
        return None;
    };
    static N: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "conformance_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        jiff::Timestamp::now().as_millisecond() % 1_000_000
    );
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}schema={schema}");
    Some(Arc::new(
        PgStore::open(&url, OpenOptions::default())
            .await
            .unwrap_or_else(|e| panic!("open {schema}: {e:?}")),
    ))
}

interlog_store::conformance_tests!(match fresh_store().await {
    Some(store) => store,
    None => return,
});
