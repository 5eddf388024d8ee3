//! Stores are opened by URL: `sqlite://PATH` (the embedded default) or
//! `postgres://USER:PASSWORD@HOST:PORT/DB[?schema=…&pool_size=…]` (the shared backend for
//! several instances; see `interlog_store_postgres::PgOptions` for its parameters).

use interlog_store::{OpenOptions, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by its URL (which may hold a password).
    Postgres(String),
}

impl StoreUrl {
    /// Reads a store URL: `sqlite://PATH` (`sqlite:///abs/path.db`, `sqlite://./rel.db`)
    /// or `sqlite:PATH`.
    pub fn parse(url: &str) -> Result<StoreUrl, String> {
        let url = url.trim();
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if rest.is_empty() {
                return Err(format!("store URL {url:?} names no database file"));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(rest)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            interlog_store_postgres::PgOptions::parse(url)
                .map_err(|e| format!("store URL {:?}: {e}", redact(url)))?;
            return Ok(StoreUrl::Postgres(url.to_owned()));
        }
        let scheme = url.split_once(':').map_or(url, |(s, _)| s);
        Err(format!(
            "store URL {:?}: unknown scheme {scheme:?}; accepted: sqlite://PATH, postgres://USER@HOST/DB",
            redact(url)
        ))
    }

    /// The default store of a data directory.
    pub fn in_data_dir(data: &Path) -> StoreUrl {
        StoreUrl::Sqlite(data.join("interlog.db"))
    }

    /// The URL without a password, for messages and logs.
    pub fn display(&self) -> String {
        match self {
            StoreUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            StoreUrl::Postgres(url) => redact(url),
        }
    }
}

/// The URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the store at `url`, creating it (and its directory) when needed and bringing its
/// schema up to date. A PostgreSQL store must be opened on the runtime that will use it.
pub async fn open_store(url: &StoreUrl, options: OpenOptions) -> Result<Arc<dyn Store>, String> {
    match url {
        StoreUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::private_files::ensure_dir(dir)?;
            }
            crate::private_files::ensure_file(path)?;
            interlog_store_sqlite::SqliteStore::open_with(path, options)
                .map(|s| Arc::new(s) as Arc<dyn Store>)
                .map_err(|e| format!("cannot open {}: {}", url.display(), error_chain(&e)))
        }
        StoreUrl::Postgres(text) => interlog_store_postgres::PgStore::open(text, options)
            .await
            .map(|s| Arc::new(s) as Arc<dyn Store>)
            .map_err(|e| format!("cannot open {}: {}", url.display(), error_chain(&e))),
    }
}

pub use interlog_http::error::error_chain;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_backend_and_hide_passwords() {
        assert_eq!(
            StoreUrl::parse("sqlite:///var/lib/interlog/interlog.db").unwrap(),
            StoreUrl::Sqlite("/var/lib/interlog/interlog.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite:./x.db").unwrap(),
            StoreUrl::Sqlite("./x.db".into())
        );
        assert!(StoreUrl::parse("sqlite://").is_err());
        let e = StoreUrl::parse("mysql://u:secret@h/db").unwrap_err();
        assert!(e.contains("mysql") && !e.contains("secret"), "{e}");
        let pg = StoreUrl::parse("postgres://u:secret@db:5432/interlog?schema=a").unwrap();
        assert_eq!(pg.display(), "postgres://u:***@db:5432/interlog?schema=a");
        let e = StoreUrl::parse("postgres://u:secret@db/x?pool_size=lots").unwrap_err();
        assert!(e.contains("pool_size") && !e.contains("secret"), "{e}");
    }
}
