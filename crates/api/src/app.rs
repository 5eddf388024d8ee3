//! The one way to assemble the HTTP application: the store, the signer, the settings, the
//! dialects and any further routes, with the shared middleware. `interlog serve`, the CLI
//! and every black-box test build the app through [`AppBuilder`].

use crate::auth::Signer;
use crate::dialect::Dialect;
use crate::metrics::HttpMetrics;
use crate::routes::{RouteInfo, Routes};
use crate::settings::{SettingError, SettingValues};
use crate::state::{ApiConfig, AppState, MetricsServing};
use axum::routing::get;
use axum::Router;
use interlog_store::Store;
use std::sync::Arc;

/// Where the Prometheus exposition is served.
pub const METRICS_PATH: &str = "/metrics";

/// Collects what the app is made of.
pub struct AppBuilder {
    store: Arc<dyn Store>,
    signer: Signer,
    config: ApiConfig,
    dialects: Vec<(&'static Dialect, SettingValues)>,
    extra: Vec<fn(&AppState) -> Routes>,
}

/// The assembled application.
pub struct App {
    pub state: AppState,
    /// Every route, with the shared layers.
    pub router: Router,
    /// Every route the router serves, by API.
    pub routes: Vec<RouteInfo>,
    /// The running parts the APIs exposed ([`Routes::expose`]), by type.
    pub handles: axum::http::Extensions,
    /// `GET /metrics` alone, for a listener of its own ([`MetricsServing::OwnListener`]).
    pub metrics_router: Option<Router>,
}

impl AppBuilder {
    pub fn new(store: Arc<dyn Store>, signer: Signer, config: ApiConfig) -> Self {
        AppBuilder {
            store,
            signer,
            config,
            dialects: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Serves `dialect` with these settings of its section.
    pub fn dialect(mut self, dialect: &'static Dialect, settings: SettingValues) -> Self {
        self.dialects.push((dialect, settings));
        self
    }

    /// Serves further routes, made from the state (e.g. the explorer).
    pub fn routes(mut self, routes: fn(&AppState) -> Routes) -> Self {
        self.extra.push(routes);
        self
    }

    /// Builds the app; a dialect setting that cannot be used is an error naming it.
    pub fn build(self) -> Result<App, SettingError> {
        let dialects: Vec<&'static Dialect> = self.dialects.iter().map(|(d, _)| *d).collect();
        let state = AppState::new(self.store, self.signer, self.config, &dialects);
        let mut all = crate::native::routes();
        for (dialect, settings) in &self.dialects {
            all = all.merge((dialect.routes)(settings)?);
        }
        for extra in &self.extra {
            all = all.merge(extra(&state));
        }
        let serving = state.config.metrics;
        if serving == MetricsServing::WithApi {
            all = all.merge(Routes::new("native").public(METRICS_PATH, get(crate::metrics::serve)));
        }
        let (router, routes, handles) = all.into_parts();
        let http_metrics = (serving != MetricsServing::Off).then(|| {
            Arc::new(HttpMetrics::new(
                routes.iter().map(|r| (r.api, r.path.as_str())),
            ))
        });
        let router = crate::layers(router, &state, http_metrics).with_state(state.clone());
        let metrics_router = (serving == MetricsServing::OwnListener).then(|| {
            Router::new()
                .route(METRICS_PATH, get(crate::metrics::serve))
                .with_state(state.clone())
        });
        Ok(App {
            state,
            router,
            routes,
            handles,
            metrics_router,
        })
    }
}
