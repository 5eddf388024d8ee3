//! `GET /api/v1/tenants/{tenant}/changes`: the tenant's change feed (see
//! [`interlog_store::Changes`]), for consumers that follow every write and deletion without
//! polling time windows.

use crate::responses::ReaderRefusals;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use interlog_http::auth::Reader;
use interlog_http::error::{ApiError, ApiResult, ErrorKind};
use interlog_http::params::Params;
use interlog_http::{ApiState, HeavyTurn};
use interlog_store::{Change, ChangeKind, ChangePage, Tenant, CHANGES_TOPIC};
use std::time::Duration;

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;
/// Longest `wait`, in seconds.
pub const MAX_WAIT_SECS: u64 = 60;

/// One change as the feed writes it: `{"position","op","id","at","engagement"?,"reason"?}`,
/// the engagement's stored JSON spliced in.
pub fn write_change(out: &mut String, c: &Change) {
    out.push_str("{\"position\":");
    out.push_str(&c.position.to_string());
    match &c.kind {
        ChangeKind::Upsert(_) => out.push_str(",\"op\":\"upsert\""),
        ChangeKind::Delete(_) => out.push_str(",\"op\":\"delete\""),
    }
    out.push_str(",\"id\":");
    out.push_str(&serde_json::to_string(&c.id).expect("strings serialize"));
    out.push_str(",\"at\":\"");
    out.push_str(&c.at.to_string());
    out.push('"');
    match &c.kind {
        ChangeKind::Upsert(stored) => {
            out.push_str(",\"engagement\":");
            out.push_str(&stored.json);
        }
        ChangeKind::Delete(reason) => {
            out.push_str(",\"reason\":\"");
            out.push_str(reason.as_str());
            out.push('"');
        }
    }
    out.push('}');
}

/// The feed of `tenant` after `after`, refusing a position older than the trimmed
/// tombstones (410). A read of the feed is heavy work: it takes a turn (see
/// [`interlog_http::heavy`]), given back when the response has been written.
pub async fn read(
    state: &ApiState,
    tenant: &Tenant,
    after: i64,
    limit: u32,
) -> ApiResult<(ChangePage, HeavyTurn)> {
    let turn = state.heavy.turn(tenant).await?;
    let page = state.store.changes(tenant, after, limit).await?;
    if after > 0 && after < page.trimmed_through {
        return Err(ApiError::new(
            ErrorKind::Gone,
            format!(
                "after: deletions up to position {} are no longer kept (the feed keeps \
                 tombstones for its horizon); start again without after",
                page.trimmed_through
            ),
        ));
    }
    Ok((page, turn))
}

#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/changes",
    tag = "changes",
    params(
        ("after" = Option<i64>, Query, description = "The position after which to read (next_after of the previous answer); 0 or absent: from the beginning of what is kept"),
        ("limit" = Option<u32>, Query, description = "1–1000, default 100"),
        ("wait" = Option<u32>, Query, description = "Seconds (0–60) to wait for a change when there is none after `after`"),
    ),
    responses(
        ReaderRefusals,
        (status = 200, description = "Changes in position order: each engagement once at the position of its latest write (with the engagement as it is now), deletions as tombstones", body = ChangeFeed),
        (status = 400, description = "A bad parameter"),
        (status = 410, description = "`after` is older than the deletions the feed still keeps"),
    ),
)]
pub async fn changes(
    caller: Reader,
    State(state): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(raw.as_deref());
    p.reject_unknown(&["after", "limit", "wait"], &[])?;
    let after = p.number("after", 0, i64::MAX as u64)?.unwrap_or(0) as i64;
    let limit = p.number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT) as u32;
    let wait = Duration::from_secs(p.number("wait", 0, MAX_WAIT_SECS)?.unwrap_or(0));
    let as_of = jiff::Timestamp::now();
    let (mut page, turn) = read(&state, &caller.tenant, after, limit).await?;
    let mut turn = Some(turn);
    if page.changes.is_empty() && !wait.is_zero() {
        // No turn is held while waiting: a long poll costs nothing until a change comes.
        drop(turn.take());
        // Subscribe before looking again, so a commit between the two is not missed.
        let mut sub = state.store.subscribe(&caller.tenant, CHANGES_TOPIC).await?;
        let (p, t) = read(&state, &caller.tenant, after, limit).await?;
        (page, turn) = (p, Some(t));
        if page.changes.is_empty() {
            drop(turn.take());
            if tokio::time::timeout(wait, sub.next()).await.is_ok() {
                let (p, t) = read(&state, &caller.tenant, after, limit).await?;
                (page, turn) = (p, Some(t));
            }
        }
    }
    let next_after = page.changes.last().map_or(after, |c| c.position);
    let mut body = String::with_capacity(
        64 + page
            .changes
            .iter()
            .map(|c| match &c.kind {
                ChangeKind::Upsert(s) => s.json.len() + 96,
                ChangeKind::Delete(_) => 128,
            })
            .sum::<usize>(),
    );
    body.push_str("{\"changes\":[");
    for (i, c) in page.changes.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        write_change(&mut body, c);
    }
    body.push_str("],\"next_after\":");
    body.push_str(&next_after.to_string());
    body.push_str(",\"consistent_as_of\":\"");
    body.push_str(&as_of.to_string());
    body.push_str("\"}");
    let response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    );
    Ok(interlog_http::heavy::hold(turn, response))
}

/// The feed's response shape (for the API documentation).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ChangeFeed {
    pub changes: Vec<ChangeDoc>,
    /// Pass as `after` to read on.
    pub next_after: i64,
    /// The instant the feed was read at: what committed later comes after `next_after`.
    pub consistent_as_of: String,
}

/// One change (for the API documentation).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ChangeDoc {
    pub position: i64,
    /// `upsert` or `delete`.
    pub op: String,
    pub id: String,
    /// When the write committed (RFC 3339).
    pub at: String,
    /// For `upsert`: the engagement as it is now.
    pub engagement: Option<interlog_model::Engagement>,
    /// For `delete`: `deleted`, `retention` or `erased`.
    pub reason: Option<String>,
}
