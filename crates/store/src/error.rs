use thiserror::Error;

/// What a store operation can fail with. Backend errors keep their cause for the logs; the
/// API never shows it to clients.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("the stored engagement is newer than this write")]
    Stale,
    #[error("edit rejected: {0}")]
    Rejected(#[from] crate::EditRejected),
    #[error("the store is shutting down")]
    Closed,
    /// The backend cannot be reached or cannot take the work now (its server is down or
    /// restarting, every connection is busy, a statement timed out). Nothing was written;
    /// the caller may retry shortly.
    #[error("the store is unavailable: {context}")]
    Unavailable {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A read ran past the statement budget ([`crate::ReadLimits::statement_budget`]) and
    /// was stopped. The same request would likely take as long again: a client should
    /// narrow it (a shorter time range, a more selective filter, a smaller page).
    #[error("the query ran past its time budget of {} ms and was stopped", .0.as_millis())]
    TimedOut(std::time::Duration),
    #[error("backend failure: {context}")]
    Backend {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub fn unavailable(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Unavailable {
            context: context.into(),
            source: source.into(),
        }
    }

    /// Whether the store could not take the request now ([`StoreError::Closed`] or
    /// [`StoreError::Unavailable`]): a client should retry, not give up.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Closed | StoreError::Unavailable { .. })
    }

    pub fn backend(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Backend {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// An error and its causes on one line, for logs and command-line messages (never for
/// clients).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}
