//! PostgreSQL's failures in the store's terms: what means "the database cannot take this
//! now" becomes [`StoreError::Unavailable`] (a 503 to clients), the rest a backend failure.

use interlog_store::StoreError;
use tokio_postgres::error::SqlState;

/// Whether a failed transaction may simply be run again (it wrote nothing).
pub(crate) fn is_retryable(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
    )
}

pub(crate) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Whether the error says the server is away, restarting, overloaded or too slow.
fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(c) => {
            c.code().starts_with("08")
                || *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::TOO_MANY_CONNECTIONS
                || *c == SqlState::QUERY_CANCELED
                || *c == SqlState::READ_ONLY_SQL_TRANSACTION
        }
        // No SQL state: the socket or the protocol failed.
        None => true,
    }
}

/// Maps a database error, naming what was being done.
pub(crate) fn pg_error(context: &'static str, e: tokio_postgres::Error) -> StoreError {
    if is_unavailable(&e) {
        StoreError::unavailable(context, e)
    } else {
        StoreError::backend(context, e)
    }
}

/// `map_err` form of [`pg_error`].
pub(crate) fn db(context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| pg_error(context, e)
}

/// A connection could not be had from the pool.
pub(crate) fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Closed => StoreError::Closed,
        PoolError::Backend(e) => pg_error("connect", e),
        PoolError::Timeout(_) => StoreError::unavailable(
            "no database connection became free in time",
            "connection pool exhausted",
        ),
        other => StoreError::unavailable("connect", other.to_string()),
    }
}
