//! The composition root of Interlog: the one list of APIs and store backends, the
//! layered configuration, and the server. `interlog serve`, the admin commands and every
//! black-box test go through here, so what is tested is what ships.

pub mod backup;
pub mod config;
mod connection;
pub mod keys;
pub mod maintenance;
pub mod private_files;
pub mod registry;
pub mod server;
pub mod store_url;
pub mod tls;

pub use config::{Config, ConfigError, Overrides};
pub use registry::APIS;
pub use server::Server;
pub use store_url::{open_store, StoreUrl};

use interlog_http::auth::Signer;
use interlog_http::{Apis, ApisBuilder};
use interlog_store::Store;
use std::sync::Arc;

/// Makes sure the data directory exists, owner-only (warning when it is more open), and
/// opens the configured store: what `interlog serve` does before it serves, and what the
/// tests do before they start a server.
pub async fn open_configured_store(config: &Config) -> Result<Arc<dyn Store>, String> {
    private_files::ensure_dir(&config.data)?;
    let options = interlog_store::OpenOptions {
        limits: config.read_limits,
        ..Default::default()
    };
    open_store(&config.store, options).await
}

/// Builds the app a configuration describes, over `store`.
pub fn build_apis(config: &Config, store: Arc<dyn Store>) -> Result<Apis, ConfigError> {
    let key = keys::signing_key(&config.data, config.signing_key_file.as_deref())
        .map_err(ConfigError::Key)?;
    let mut builder = ApisBuilder::new(store, Signer::new(key), config.api.clone());
    for api in APIS {
        builder = builder.api(api, config.dialect_section(api.name));
    }
    builder.build().map_err(ConfigError::Value)
}
