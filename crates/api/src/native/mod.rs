//! The native API under `/api/v1`: one canonical model, rich filters, keyset cursors.

pub mod changes;
pub mod cursor;
pub mod engagements;
pub mod listing;

use crate::auth::Agent;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::formats::NATIVE;
use crate::ingest::{IngestError, IngestLimits, IngestPump, IngestSummary};
use crate::params::Params;
use crate::routes::Routes;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::routing::{get, post};
use axum::Json;
use futures_util::StreamExt;

/// The native API's routes (and the service's own: health and documentation).
pub fn routes() -> Routes {
    Routes::new("native")
        .public("/api/v1/oauth/token", post(crate::oauth::token))
        .route(
            "/api/v1/tenants/{tenant}/engagements",
            get(listing::list).post(engagements::create),
        )
        .route(
            "/api/v1/tenants/{tenant}/engagements/{id}",
            get(engagements::get)
                .put(engagements::put)
                .patch(engagements::patch)
                .delete(engagements::delete),
        )
        .route("/api/v1/tenants/{tenant}/ingest", post(ingest))
        .route("/api/v1/tenants/{tenant}/changes", get(changes::changes))
        .route(
            "/api/v1/tenants/{tenant}/webhooks",
            get(crate::webhooks::routes::list).post(crate::webhooks::routes::create),
        )
        .route(
            "/api/v1/tenants/{tenant}/webhooks/{id}",
            get(crate::webhooks::routes::get).delete(crate::webhooks::routes::delete),
        )
        .route(
            "/api/v1/tenants/{tenant}/webhooks/{id}/deliveries",
            get(crate::webhooks::routes::deliveries),
        )
        .route(
            "/api/v1/tenants/{tenant}/erasures",
            post(crate::erasures::create),
        )
        .route(
            "/api/v1/tenants/{tenant}/erasures/{id}",
            get(crate::erasures::get),
        )
        .merge(crate::service_routes())
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/ingest", tag = "engagements",
    params(
        ("tenant" = String, Path, description = "Tenant key"),
        ("format" = Option<String>, Query, description = "native (default) or a dialect's vendor shape, e.g. oracle_lx, zoom_cc"),
    ),
    request_body(
        description = "One engagement a line (canonical JSON, or the format's vendor JSON); streamed. A format with XML documents (oracle_lx) also takes one whole document.",
        content(
            (String = "application/x-ndjson"),
            (String = "application/xml"),
        )
    ),
    responses(
        (status = 200, description = "Every line accounted for: counts, and the lines not created with their line number and reason", body = IngestSummary),
        (status = 400, description = "An unknown format or parameter, or a body that could not be read"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "Needs the agent role"),
        (status = 404, description = "No such tenant for this token"),
        (status = 413, description = "The stream, a line or an XML document exceeds its configured limit"),
    ),
    security(("bearer" = []))
)]
pub async fn ingest(
    caller: Agent,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Body,
) -> ApiResult<Json<IngestSummary>> {
    let params = Params::parse(raw.as_deref());
    params.reject_unknown(&["format"], &[])?;
    let format = match params.one("format")? {
        None => NATIVE,
        Some(name) => state.formats.get(name).ok_or_else(|| {
            ApiError::parameter("format", format!("accepted: {}", state.formats.names()))
        })?,
    };
    let limits = IngestLimits {
        max_line: state.config.max_line_bytes,
        max_document: state.config.max_body_bytes,
        max_total: state.config.max_bulk_bytes,
    };
    let mut pump = IngestPump::new(state.store.clone(), caller.tenant.clone(), format, limits);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorKind::MalformedBody,
                format!("the body could not be read: {e}"),
            )
        })?;
        pump.feed(&chunk).await.map_err(ingest_error)?;
    }
    Ok(Json(pump.finish().await.map_err(ingest_error)?))
}

fn ingest_error(e: IngestError) -> ApiError {
    match e {
        IngestError::Store(e) => e.into(),
        e @ (IngestError::StreamTooLarge(_) | IngestError::DocumentTooLarge(_)) => {
            ApiError::new(ErrorKind::PayloadTooLarge, e.to_string())
        }
    }
}
