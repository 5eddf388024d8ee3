//! The one way to assemble the HTTP application: the store, the signer, the configuration
//! and the APIs to serve, with the shared middleware. `interlog serve`, the CLI and every
//! black-box test build the app through [`ApisBuilder`], from the app's one list of APIs.

use crate::api::Api;
use crate::auth::Signer;
use crate::config::{ConfigSection, ConfigValueError};
use crate::error::{ApiError, ErrorKind};
use crate::formats::Formats;
use crate::metrics::{self, HttpMetrics};
use crate::routes::{RouteInfo, Routes};
use crate::state::{ApiConfig, ApiState, MetricsServing, Served};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use interlog_store::Store;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Where the Prometheus exposition is served.
pub const METRICS_PATH: &str = "/metrics";

/// Collects what the app is made of.
pub struct ApisBuilder {
    store: Arc<dyn Store>,
    signer: Signer,
    config: ApiConfig,
    apis: Vec<(&'static Api, ConfigSection)>,
}

/// The assembled application.
pub struct Apis {
    pub state: ApiState,
    /// Every route, with the shared layers.
    pub router: Router,
    /// Every route the router serves, by API.
    pub routes: Vec<RouteInfo>,
    /// The running parts the APIs exposed ([`Routes::expose`]), by type.
    pub handles: axum::http::Extensions,
    /// `GET /metrics` alone, for a listener of its own ([`MetricsServing::OwnListener`]).
    pub metrics_router: Option<Router>,
}

impl ApisBuilder {
    pub fn new(store: Arc<dyn Store>, signer: Signer, config: ApiConfig) -> Self {
        ApisBuilder {
            store,
            signer,
            config,
            apis: Vec::new(),
        }
    }

    /// Serves `api` with the values of its config section.
    pub fn api(mut self, api: &'static Api, section: ConfigSection) -> Self {
        self.apis.push((api, section));
        self
    }

    /// Builds the app; a config value that cannot be used is an error naming it.
    pub fn build(self) -> Result<Apis, ConfigValueError> {
        let apis: Vec<&'static Api> = self.apis.iter().map(|(a, _)| *a).collect();
        let served = Served {
            formats: Formats::new(apis.iter().filter_map(|a| a.format)),
            connectors: apis.iter().filter_map(|a| a.connector).collect(),
            tenant_ids: apis
                .iter()
                .filter_map(|a| Some((a.name, a.tenant_id?)))
                .collect(),
            record_links: apis.iter().map(|a| (a.name, a.record_link)).collect(),
        };
        let state = ApiState::new(self.store, self.signer, self.config, served);
        let mut all = Routes::new("");
        for (api, section) in &self.apis {
            all = all.merge((api.routes)(section)?);
        }
        let serving = state.config.metrics;
        if serving == MetricsServing::WithApi {
            all = all.merge(Routes::new("native").public(METRICS_PATH, get(exposition)));
        }
        let (router, routes, handles) = all.into_parts();
        let http_metrics = (serving != MetricsServing::Off).then(|| {
            Arc::new(HttpMetrics::new(
                routes.iter().map(|r| (r.api, r.path.as_str())),
            ))
        });
        let router = layers(router, &state, http_metrics).with_state(state.clone());
        let metrics_router = (serving == MetricsServing::OwnListener).then(|| {
            Router::new()
                .route(METRICS_PATH, get(exposition))
                .with_state(state.clone())
        });
        let app = Apis {
            state,
            router,
            routes,
            handles,
            metrics_router,
        };
        for api in apis {
            (api.observe)(&app.state, &app.handles);
        }
        Ok(app)
    }
}

/// `GET /metrics`: the Prometheus exposition.
async fn exposition(State(state): State<ApiState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.exposition.render(),
    )
        .into_response()
}

/// The shared layers (request ids, tracing, body limit, metrics) and problem-shaped
/// 404/405/413 around every route.
fn layers(
    routes: Router<ApiState>,
    state: &ApiState,
    metrics: Option<std::sync::Arc<metrics::HttpMetrics>>,
) -> Router<ApiState> {
    let max_body = state.config.max_body_bytes;
    let request_id = header::HeaderName::from_static("x-request-id");
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(source_of_request))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::map_response(body_limit_problem))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    match metrics {
        Some(m) => routes.layer(axum::middleware::from_fn_with_state(m, metrics::track)),
        None => routes,
    }
}

/// Makes the client's address known to the work the request causes (for per-source
/// limits).
async fn source_of_request(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let source = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    crate::auth::guard::with_source(source, next.run(req)).await
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorKind::MethodNotAllowed,
        "this resource does not accept that method",
    )
}

/// Axum answers an oversized body with a plain-text 413; give it the problem shape. A 413
/// a handler rendered itself (a dialect's envelope) is left alone.
async fn body_limit_problem(res: Response) -> Response {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && plain {
        return ApiError::new(
            ErrorKind::PayloadTooLarge,
            "the request body is larger than the configured limit",
        )
        .into_response();
    }
    res
}
