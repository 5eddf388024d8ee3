//! `/api/v1/tenants/{tenant}/exports`: start, list, read, download and cancel or remove
//! export jobs (admin).

use super::encode::field_names;
use super::job::{edit, remove_files, used_bytes};
use super::worker::WAKE;
use super::{file_path, is_job_id, new_job_id, now_rfc3339, ExportView, Format, Job, JobState};
use super::{Progress, JOBS, MAX_ACTIVE, MAX_KEPT};
use crate::responses::{AdminRefusals, JsonBodyRefusals};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use interlog_http::auth::Admin;
use interlog_http::background::lease::Lease;
use interlog_http::body::JsonBody;
use interlog_http::error::{ApiError, ApiResult, ErrorKind};
use interlog_http::ApiState;
use interlog_store::Filter;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Longest query string the filters may make (bytes).
const MAX_FILTER_BYTES: usize = 8192;
/// Bytes read from the file per chunk of a download.
const CHUNK: usize = 64 << 10;

/// What a client sends to start an export.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExport {
    /// `parquet`, `csv` or `ndjson`.
    pub format: String,
    /// The native list's filter parameters, by the same names (`started_from`,
    /// `channel_type`, `agent`, `data.KEY`, `filter`…); a list for several values. Names
    /// (`queue: "Billing"`) stand for the ids of that name when the job runs.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filters: Option<Map<String, Value>>,
    /// Only these top-level fields (Parquet and NDJSON) or columns (CSV).
    #[serde(default)]
    pub fields: Option<Vec<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExportList {
    /// Newest first.
    pub exports: Vec<ExportView>,
}

/// A refusal of the listing's parameter `NAME` as one of `filters.NAME`.
fn under_filters(e: ApiError) -> ApiError {
    match e.parameter.clone() {
        Some(p) => {
            let detail = e
                .detail
                .strip_prefix(&format!("{p}: "))
                .unwrap_or(&e.detail)
                .to_owned();
            ApiError::parameter(&format!("filters.{p}"), detail)
        }
        None => e,
    }
}

/// The filters as a native list query string, and as read; 400 naming `filters.NAME` when
/// one is bad.
fn filter_query(filters: &Map<String, Value>) -> ApiResult<(String, Filter)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in filters {
        let bad = || {
            ApiError::parameter(
                &format!("filters.{name}"),
                "must be a string, a number, a boolean or a list of them",
            )
        };
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        match value {
            Value::Array(items) => {
                for v in items {
                    pairs.push((name.clone(), scalar(v).ok_or_else(bad)?));
                }
            }
            v => pairs.push((name.clone(), scalar(v).ok_or_else(bad)?)),
        }
    }
    let query = serde_urlencoded::to_string(&pairs).map_err(ApiError::internal)?;
    if query.len() > MAX_FILTER_BYTES {
        return Err(ApiError::parameter(
            "filters",
            format!("at most {MAX_FILTER_BYTES} bytes as a query string"),
        ));
    }
    let filter = interlog_http::listing::parse_filter(&query).map_err(under_filters)?;
    Ok((query, filter))
}

fn check_fields(format: Format, fields: Option<Vec<String>>) -> ApiResult<Option<Vec<String>>> {
    let Some(fields) = fields else {
        return Ok(None);
    };
    if fields.is_empty() {
        return Err(ApiError::parameter("fields", "name at least one field"));
    }
    let known = field_names(format);
    for (i, f) in fields.iter().enumerate() {
        if !known.iter().any(|k| k == f) {
            let shown: String = f.chars().take(64).collect();
            return Err(ApiError::parameter(
                &format!("fields[{i}]"),
                format!(
                    "{shown:?} is not a field of {} exports; known: {}",
                    format.extension(),
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(Some(fields))
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/exports", tag = "exports",
    request_body = NewExport,
    responses(
        AdminRefusals,
        JsonBodyRefusals,
        (status = 202, description = "Queued: GET the Location to follow it", body = ExportView),
        (status = 409, description = "The tenant keeps too many export records: delete some"),
        (status = 429, description = "The tenant's export files fill its quota, or it has too many exports queued or running"),
    ),
)]
pub async fn create(
    caller: Admin,
    State(state): State<ApiState>,
    JsonBody(req): JsonBody<NewExport>,
) -> ApiResult<Response> {
    let format = Format::parse(&req.format)
        .ok_or_else(|| ApiError::parameter("format", "accepted: parquet, csv, ndjson"))?;
    let filters = req.filters.unwrap_or_default();
    let (query, filter) = filter_query(&filters)?;
    let fields = check_fields(format, req.fields)?;
    let tenant = &caller.tenant;
    let store = state.store.as_ref();
    // A name of too many ids is refused now rather than failing the job (the job resolves
    // the names again when it takes its snapshot).
    interlog_http::names::resolve(store, tenant, &filter)
        .await
        .map_err(under_filters)?;
    let jobs: Vec<(String, Job)> = interlog_http::settings::read_all(store, tenant, JOBS).await?;
    if jobs.len() >= MAX_KEPT {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            format!("a tenant keeps at most {MAX_KEPT} exports; delete finished ones first"),
        ));
    }
    if jobs.iter().filter(|(_, j)| j.state.is_active()).count() >= MAX_ACTIVE {
        let mut e = ApiError::new(
            ErrorKind::TooManyRequests,
            format!("a tenant may have at most {MAX_ACTIVE} exports queued or running"),
        );
        e.retry_after = Some(10);
        return Err(e);
    }
    let used = used_bytes(store, tenant, "").await?;
    let quota = state.config.exports.quota_bytes;
    if used >= quota {
        let mut e = ApiError::new(
            ErrorKind::TooManyRequests,
            format!(
                "the tenant's export files hold {used} bytes of its quota of {quota}; delete \
                 finished exports (DELETE …/exports/{{id}}) or wait until they expire"
            ),
        );
        e.retry_after = Some(60);
        return Err(e);
    }
    let job = Job {
        id: new_job_id(),
        state: JobState::Queued,
        format,
        filters,
        query,
        fields,
        progress: Progress::default(),
        rows: 0,
        bytes: 0,
        requested_by: caller.claims.sub.clone(),
        created_at: now_rfc3339(),
        completed_at: None,
        expires_at: None,
        position: None,
        error: None,
        attempts: 0,
        lease: None,
        announce: false,
    };
    store
        .put_setting(
            tenant,
            JOBS,
            &job.id,
            &serde_json::to_string(&job).expect("jobs serialize"),
        )
        .await?;
    WAKE.notify_one();
    let location = format!("/api/v1/tenants/{}/exports/{}", tenant.key, job.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(job.view(&tenant.key)),
    )
        .into_response())
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/exports", tag = "exports",
    responses(AdminRefusals, (status = 200, description = "The tenant's exports, newest first", body = ExportList)),
)]
pub async fn list(caller: Admin, State(state): State<ApiState>) -> ApiResult<Json<ExportList>> {
    let mut jobs: Vec<(String, Job)> =
        interlog_http::settings::read_all(state.store.as_ref(), &caller.tenant, JOBS).await?;
    jobs.sort_by(|a, b| b.0.cmp(&a.0));
    Ok(Json(ExportList {
        exports: jobs
            .iter()
            .map(|(_, j)| j.view(&caller.tenant.key))
            .collect(),
    }))
}

async fn find(state: &ApiState, caller: &Admin, id: &str) -> ApiResult<Job> {
    if !is_job_id(id) {
        return Err(ApiError::not_found("no such export"));
    }
    interlog_http::settings::read::<Job>(state.store.as_ref(), &caller.tenant, JOBS, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such export"))
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/exports/{id}", tag = "exports",
    params(("id" = String, Path, description = "Export id")),
    responses(
        AdminRefusals,
        (status = 200, description = "The export", body = ExportView),
        (status = 404, description = "No such export"),
    ),
)]
pub async fn get(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Json<ExportView>> {
    let job = find(&state, &caller, &id).await?;
    Ok(Json(job.view(&caller.tenant.key)))
}

#[utoipa::path(
    delete, path = "/api/v1/tenants/{tenant}/exports/{id}", tag = "exports",
    params(("id" = String, Path, description = "Export id")),
    responses(
        AdminRefusals,
        (status = 200, description = "Cancelled (it was queued or running): its partial file is deleted", body = ExportView),
        (status = 204, description = "Removed (it had finished): its file and record are deleted"),
        (status = 404, description = "No such export"),
    ),
)]
pub async fn delete(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let current = find(&state, &caller, &id).await?;
    let after = edit(state.store.as_ref(), &caller.tenant, &id, |j| {
        if j.state.is_active() {
            j.state = JobState::Cancelled;
            j.completed_at = Some(now_rfc3339());
            true
        } else {
            false
        }
    })
    .await?
    .ok_or_else(|| ApiError::not_found("no such export"))?;
    let now = jiff::Timestamp::now().as_millisecond();
    if current.state.is_active() && after.state == JobState::Cancelled {
        // A live run sees the cancel at its next save and deletes its partial file; one
        // whose server died left it here.
        if after
            .lease
            .as_ref()
            .is_none_or(|Lease(_, until)| *until <= now)
        {
            remove_files(&state.config.exports.dir, caller.tenant.id, &id);
        }
        return Ok(Json(after.view(&caller.tenant.key)).into_response());
    }
    remove_files(&state.config.exports.dir, caller.tenant.id, &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A single byte range a `Range` header asks for, resolved against `len`: `Ok(None)` for
/// the whole file (no header, or one this server does not honour: several ranges, another
/// unit, bad syntax), `Err(())` when it cannot be satisfied.
fn byte_range(headers: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if end >= start => (start, end.min(len.saturating_sub(1))),
        (Ok(start), Err(_)) if b.is_empty() => (start, len.saturating_sub(1)),
        (Err(_), Ok(suffix)) if a.is_empty() => {
            if suffix == 0 {
                return Err(());
            }
            (len.saturating_sub(suffix), len.saturating_sub(1))
        }
        _ => return Ok(None),
    };
    if range.0 >= len {
        return Err(());
    }
    Ok(Some(range))
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/exports/{id}/file", tag = "exports",
    params(("id" = String, Path, description = "Export id")),
    responses(
        AdminRefusals,
        (status = 200, description = "The file, with Content-Length and ETag"),
        (status = 206, description = "The part a Range header asked for (one range of bytes)"),
        (status = 304, description = "If-None-Match named the file's ETag"),
        (status = 404, description = "No such export"),
        (status = 409, description = "The export has no file (it is not completed)"),
        (status = 416, description = "The range is past the end of the file"),
    ),
)]
pub async fn file(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let job = find(&state, &caller, &id).await?;
    if job.state != JobState::Completed {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            format!(
                "the export is {}; only a completed export has a file",
                serde_json::to_value(job.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        ));
    }
    let path = file_path(&state.config.exports.dir, caller.tenant.id, &id, job.format);
    let mut file = tokio::fs::File::open(&path).await.map_err(|e| {
        tracing::warn!(export = %id, error = %e, "a completed export's file is missing");
        ApiError::new(
            ErrorKind::Gone,
            "the export's file is no longer on this server (see docs/scale-out.md)",
        )
    })?;
    let len = file.metadata().await.map_err(ApiError::internal)?.len();
    let etag = format!("\"{id}-{len}\"");
    let etag_value = HeaderValue::from_str(&etag).map_err(ApiError::internal)?;
    let named = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    };
    if named(header::IF_NONE_MATCH) == Some(true) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.trim() == etag));
    let range = if if_range_ok {
        byte_range(&headers, len)
    } else {
        Ok(None)
    };
    let (status, start, end) = match range {
        Err(()) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response())
        }
        Ok(None) => (StatusCode::OK, 0, len.saturating_sub(1)),
        Ok(Some((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b),
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(ApiError::internal)?;
    let stream = futures_util::stream::unfold((file, count), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; CHUNK.min(left as usize)];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), (file, left - n as u64)))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(job.format.content_type()),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ETAG, etag_value);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{id}.{}\"",
        job.format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(response)
}
