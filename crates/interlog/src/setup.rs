//! What the commands set up: where the data lives (`--data`, `--store`) and the store it
//! names, and the async runtime they run on.

use interlog_app::StoreUrl;
use interlog_store::{OpenOptions, Store};
use std::path::PathBuf;
use std::sync::Arc;

/// Where the data lives; shared by every command that opens the store.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// Data directory (signing key and, by default, the SQLite database).
    #[arg(long, env = "INTERLOG_DATA", default_value = "./interlog-data")]
    pub data: PathBuf,
    /// The store, by URL [default: sqlite://<data>/interlog.db].
    #[arg(long, env = "INTERLOG_STORE")]
    pub store: Option<String>,
}

impl DataArgs {
    pub fn store_url(&self) -> Result<StoreUrl, String> {
        match &self.store {
            Some(url) => StoreUrl::parse(url),
            None => Ok(StoreUrl::in_data_dir(&self.data)),
        }
    }

    /// Opens the store these arguments name, on `rt` (the runtime that will use it).
    pub fn open(
        &self,
        rt: &tokio::runtime::Runtime,
        options: OpenOptions,
    ) -> Result<Arc<dyn Store>, String> {
        let url = self.store_url()?;
        rt.block_on(interlog_app::open_store(&url, options))
    }
}

/// A Tokio runtime for a command.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}
