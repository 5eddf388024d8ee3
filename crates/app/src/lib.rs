//! The composition root of Interlog: the one list of dialects and store backends, the
//! layered configuration, and the server. `interlog serve`, the admin commands and every
//! black-box test go through here, so what is tested is what ships.

pub mod config;
mod connection;
pub mod keys;
pub mod maintenance;
pub mod private_files;
pub mod registry;
pub mod server;
pub mod store_url;

pub use config::{Config, ConfigError, Overrides};
pub use registry::DIALECTS;
pub use server::Server;
pub use store_url::{open_store, StoreUrl};

use interlog_http::auth::Signer;
use interlog_http::{App, AppBuilder};
use interlog_store::Store;
use std::sync::Arc;

/// Makes sure the data directory exists, owner-only (warning when it is more open), and
/// opens the configured store: what `interlog serve` does before it serves, and what the
/// tests do before they start a server.
pub async fn open_configured_store(config: &Config) -> Result<Arc<dyn Store>, String> {
    private_files::ensure_dir(&config.data)?;
    open_store(&config.store, interlog_store::OpenOptions::default()).await
}

/// Builds the app a configuration describes, over `store`.
pub fn build_app(config: &Config, store: Arc<dyn Store>) -> Result<App, ConfigError> {
    let key = keys::signing_key(&config.data, config.signing_key_file.as_deref())
        .map_err(ConfigError::Key)?;
    let mut builder = AppBuilder::new(store, Signer::new(key), config.api.clone());
    for dialect in DIALECTS {
        builder = builder.dialect(dialect, config.dialect_settings(dialect.name));
    }
    builder = builder.routes(interlog_native::routes);
    builder = builder.routes(interlog_explorer::routes);
    let app = builder.build().map_err(ConfigError::Setting)?;
    observe(&app);
    Ok(app)
}

/// Gauges read from the dialects' running parts when `/metrics` is scraped.
fn observe(app: &App) {
    if let Some(gws) = app
        .handles
        .get::<Arc<interlog_dialect_genesys_gws::Gws>>()
        .cloned()
    {
        app.state.exposition.on_scrape(move || {
            metrics::gauge!(interlog_http::metrics::COMETD_CLIENTS).set(gws.stats().clients as f64);
        });
    }
}
