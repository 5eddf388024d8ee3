//! Stores are opened by URL: `sqlite://PATH` (the embedded default) or, with a backend
//! that supports it, `postgres://…`.

use interlog_store::{OpenOptions, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite database file.
    Sqlite(PathBuf),
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
        let scheme = url.split_once(':').map_or(url, |(s, _)| s);
        Err(format!(
            "store URL {:?}: unknown scheme {scheme:?}; accepted: sqlite://PATH",
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
/// schema up to date.
pub fn open_store(url: &StoreUrl, options: OpenOptions) -> Result<Arc<dyn Store>, String> {
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
    }
}

pub use interlog_api::error::error_chain;

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
    }
}
