//! The native API under `/api/v1`: one canonical model, rich filters, keyset cursors.

pub mod cursor;
pub mod engagements;
pub mod listing;

use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::formats::NATIVE;
use crate::ingest::{Ingest, IngestSummary, Line, LineSplitter};
use crate::params::Params;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
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
    params(
        ("tenant" = String, Path, description = "Tenant key"),
        ("format" = Option<String>, Query, description = "native (default) or a dialect's vendor shape, e.g. oracle_lx, zoom_cc"),
    ),
    request_body(content = String, content_type = "application/x-ndjson", description = "One engagement a line (canonical JSON, or the format's vendor JSON); streamed. Formats with XML documents also take one whole document."),
    responses(
        (status = 200, description = "Every line accounted for: counts, and the lines not created with their line number and reason", body = IngestSummary),
        (status = 413, description = "The stream exceeds the configured bulk limit"),
    ),
    security(("bearer" = []))
)]
pub async fn ingest(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestSummary>> {
    let access = state
        .authorize(&headers, &tenant, ClientRole::Agent)
        .await?;
    let params = Params::parse(raw.as_deref());
    params.reject_unknown(&["format"], &[])?;
    let format = match params.one("format")? {
        None => NATIVE,
        Some(name) => state.formats.get(name).ok_or_else(|| {
            ApiError::parameter("format", format!("accepted: {}", state.formats.names()))
        })?,
    };
    let max_line = state.config.max_line_bytes;
    let max_total = state.config.max_bulk_bytes;
    let max_document = state.config.max_body_bytes;
    let mut ingest = Ingest::with_format(state.store.clone(), access.tenant.clone(), format);
    let mut splitter = LineSplitter::new(max_line);
    let mut stream = body.into_data_stream();
    let mut received = 0usize;
    let mut lines = Vec::new();
    // A format with XML documents takes a body that starts with `<` whole.
    let mut document: Option<Vec<u8>> = None;
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
        if received == chunk.len() && ingest.is_xml_document(&chunk) {
            document = Some(Vec::new());
        }
        if let Some(doc) = document.as_mut() {
            if doc.len() + chunk.len() > max_document {
                return Err(ApiError::new(
                    ErrorKind::PayloadTooLarge,
                    format!("an XML document may be at most {max_document} bytes"),
                ));
            }
            doc.extend_from_slice(&chunk);
            continue;
        }
        splitter.feed(&chunk, |l| lines.push(owned(l)));
        for (n, text) in lines.drain(..) {
            feed(&mut ingest, n, text, max_line).await?;
        }
    }
    if let Some(doc) = document {
        ingest.xml_document(&doc).await?;
        return Ok(Json(ingest.finish().await?));
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
