//! The native API under `/api/v1`: one canonical model, rich filters, keyset cursors.

pub mod cursor;
pub mod engagements;
pub mod listing;

use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::ingest::{Ingest, IngestSummary, Line, LineSplitter};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use interlog_store::ClientRole;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oauth/token", post(crate::oauth::token))
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
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/ingest", tag = "engagements",
    params(("tenant" = String, Path, description = "Tenant key")),
    request_body(content = String, content_type = "application/x-ndjson", description = "One engagement (canonical JSON) a line; streamed"),
    responses(
        (status = 200, description = "Every line accounted for: counts, and the lines not created with their line number and reason", body = IngestSummaryDoc),
        (status = 413, description = "The stream exceeds the configured bulk limit"),
    ),
    security(("bearer" = []))
)]
pub async fn ingest(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestSummary>> {
    let access = state
        .authorize(&headers, &tenant, ClientRole::Agent)
        .await?;
    let max_line = state.config.max_line_bytes;
    let max_total = state.config.max_bulk_bytes;
    let mut ingest = Ingest::new(state.store.clone(), access.tenant.clone());
    let mut splitter = LineSplitter::new(max_line);
    let mut stream = body.into_data_stream();
    let mut received = 0usize;
    let mut lines = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorKind::MalformedBody,
                format!("the body could not be read: {e}"),
            )
        })?;
        received += chunk.len();
        if received > max_total {
            return Err(ApiError::new(
                ErrorKind::PayloadTooLarge,
                format!("the stream exceeds {max_total} bytes; lines before the limit were stored"),
            ));
        }
        splitter.feed(&chunk, |l| lines.push(owned(l)));
        for (n, text) in lines.drain(..) {
            feed(&mut ingest, n, text, max_line).await?;
        }
    }
    splitter.finish(|l| lines.push(owned(l)));
    for (n, text) in lines.drain(..) {
        feed(&mut ingest, n, text, max_line).await?;
    }
    Ok(Json(ingest.finish().await?))
}

fn owned(l: Line<'_>) -> (u64, Option<Vec<u8>>) {
    match l {
        Line::Text(n, t) => (n, Some(t.to_vec())),
        Line::TooLong(n) => (n, None),
    }
}

async fn feed(
    ingest: &mut Ingest,
    n: u64,
    text: Option<Vec<u8>>,
    max_line: usize,
) -> ApiResult<()> {
    match text {
        Some(t) => ingest.line(n, &t).await?,
        None => {
            ingest.summary.lines += 1;
            ingest
                .summary
                .reject(n, format!("the line is longer than {max_line} bytes"));
        }
    }
    Ok(())
}

/// The ingest summary's shape (for the API documentation).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct IngestSummaryDoc {
    lines: u64,
    created: u64,
    updated: u64,
    stale: u64,
    rejected: u64,
    /// `{line, id?, result: rejected|stale, reason?}` for each line not created.
    problems: Vec<serde_json::Value>,
    problems_truncated: Option<bool>,
}
