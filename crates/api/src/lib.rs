//! Interlog's HTTP API: authentication, the native API, and (per dialect) the vendors'
//! wire-compatible history APIs. Handlers translate requests into store queries and render
//! the results; they never touch SQL.

pub mod app;
pub mod auth;
pub mod body;
pub mod dialect;
pub mod erasures;
pub mod error;
pub mod formats;
pub mod ingest;
pub mod metrics;
pub mod native;
pub mod oauth;
pub mod openapi;
pub mod params;
pub mod routes;
pub mod settings;
pub mod state;
pub mod webhooks;

pub use app::{App, AppBuilder};
pub use dialect::{Dialect, RecordLink, Setting, TenantIdShape};
pub use error::{ApiError, ApiResult, ErrorKind};
pub use routes::{Access, RouteInfo, Routes};
pub use settings::{SettingError, SettingValues};
pub use state::{ApiConfig, AppState, MetricsServing};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The shared layers (request ids, tracing, body limit, metrics) and problem-shaped
/// 404/405/413 around every route.
fn layers(
    routes: Router<AppState>,
    state: &AppState,
    metrics: Option<std::sync::Arc<metrics::HttpMetrics>>,
) -> Router<AppState> {
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

/// Documentation and health: open to anyone.
fn service_routes() -> Routes {
    Routes::new("native")
        .public("/api/v1/openapi.json", get(openapi_json))
        .public("/api/v1/docs", get(|| async { Html(openapi::DOCS_PAGE) }))
        .public(openapi::REDOC_PATH, get(openapi::redoc_js))
        .public("/healthz", get(|| async { "ok" }))
        .public("/readyz", get(readyz))
}

/// Makes the client's address known to the work the request causes (for per-source
/// limits).
async fn source_of_request(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let source = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    auth::guard::with_source(source, next.run(req)).await
}

async fn openapi_json() -> Response {
    static DOC: std::sync::LazyLock<String> = std::sync::LazyLock::new(openapi::document);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOC.as_str(),
    )
        .into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
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
