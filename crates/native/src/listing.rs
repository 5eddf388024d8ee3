//! `GET /api/v1/tenants/{tenant}/engagements`: the native listing.

use crate::responses::ReaderRefusals;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use interlog_http::auth::Reader;
use interlog_http::cursor;
use interlog_http::heavy;
use interlog_http::listing::query;
use interlog_http::names;
use interlog_http::params::Params;
use interlog_http::{ApiResult, ApiState};
use interlog_store::Total;

#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/engagements",
    tag = "engagements",
    params(
        ("started_from" = Option<String>, Query, description = "RFC 3339; started at or after"),
        ("started_to" = Option<String>, Query, description = "RFC 3339; started before"),
        ("ended_from" = Option<String>, Query, description = "RFC 3339; ended at or after"),
        ("ended_to" = Option<String>, Query, description = "RFC 3339; ended before"),
        ("updated_from" = Option<String>, Query, description = "RFC 3339; updated at or after"),
        ("updated_to" = Option<String>, Query, description = "RFC 3339; updated before"),
        ("state" = Option<String>, Query, description = "created, queued, active, held, pending, completed (repeatable or comma-separated)"),
        ("outcome" = Option<String>, Query, description = "successful, unsuccessful"),
        ("direction" = Option<String>, Query, description = "inbound, outbound, internal, consult, unknown"),
        ("channel_type" = Option<String>, Query, description = "voice, video, chat, sms, email, social, messaging, kiosk, workitem, other"),
        ("channel_source" = Option<String>, Query, description = "e.g. in_app_chat, web_chat, sms"),
        ("queue_id" = Option<String>, Query, description = "Queue id or name (a name, case and accents ignored, stands for every queue of that name; see GET …/names)"),
        ("queue" = Option<String>, Query, description = "The same as queue_id (both may be given: any of their values)"),
        ("team" = Option<String>, Query, description = "Team (case and accents ignored)"),
        ("agent" = Option<String>, Query, description = "Agent participant id, email or name (a name, case and accents ignored, stands for every agent of that name)"),
        ("participant_email" = Option<String>, Query, description = "Any participant's email"),
        ("customer" = Option<String>, Query, description = "Customer identifier: phone (any formatting), email, account id, custom identifier, contact id"),
        ("disposition" = Option<String>, Query, description = "Disposition id or name (a name also case and accents ignored)"),
        ("min_duration_ms" = Option<u64>, Query, description = "Inclusive"),
        ("max_duration_ms" = Option<u64>, Query, description = "Inclusive"),
        ("filter" = Option<String>, Query, description = "A boolean expression over the filter fields, ANDed with the other parameters: `field:value` terms (started_at, ended_at, updated_at, duration_ms, state, outcome, direction, channel_type, channel_source, queue_id or queue, team, agent, participant_email, customer, disposition, data.KEY; each takes what its plain parameter takes, names and phone ends too) joined by AND (or a space), OR, NOT and parentheses; values may be \"quoted\"; times and duration_ms also compare with >, >=, <, <=. E.g. `(queue:Billing OR agent:ana@x.com) AND NOT outcome:unsuccessful AND started_at>=2026-11-01T00:00:00Z`. At most 4096 characters, 100 terms, 12 nested parentheses or NOTs; an error names the position."),
        ("q" = Option<String>, Query, description = "Full-text search over subject, notes, transcript messages, topics, attributes, disposition names, data values and participants' names, case- and accent-insensitive: every word must be found; `\"a phrase\"`, `word*` (prefix), `-word` (exclude), `a OR b`. Identifier-like words (`CS-005562`, `ana@x.com`) are found as written. At most 1024 characters, 32 terms, 64 words; an error names the position."),
        ("sort" = Option<String>, Query, description = "started_at, ended_at, duration or updated_at; prefix - for descending. Default -started_at"),
        ("limit" = Option<u32>, Query, description = "1–1000, default 50"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("count" = Option<String>, Query, description = "exact: include total (or, when counting takes longer than the server's count budget, total_at_least)"),
    ),
    responses(
        ReaderRefusals,
        (status = 200, description = "A page of engagements, newest first by default", body = EngagementPage),
        (status = 400, description = "A bad parameter (code bad_parameter, naming it)"),
        (status = 429, description = "A heavy request (count=exact, or more than 100 items) while the tenant already has its share of heavy requests waiting; Retry-After says when to try again"),
        (status = 503, description = "The query ran past the server's time budget (narrow it), or the store is unavailable; Retry-After"),
    ),
)]
pub async fn list(
    caller: Reader,
    State(state): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = query(&state, &caller.tenant.key, &Params::parse(raw.as_deref()))?;
    let turn = state.heavy.turn_for(query.lane(), &caller.tenant).await?;
    let run = names::resolved(&*state.store, &caller.tenant, &query).await?;
    let page = state.store.list(&caller.tenant, &run).await?;

    // The stored JSON is the native rendering: splice it in rather than re-serializing.
    let size: usize = page.items.iter().map(|e| e.json.len() + 1).sum();
    let mut body = String::with_capacity(size + 128);
    body.push_str("{\"engagements\":[");
    for (i, e) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&e.json);
    }
    body.push_str("],\"next_cursor\":");
    match &page.next {
        Some(pos) => {
            let c = cursor::encode(
                &state.signer,
                &caller.tenant.key,
                &query.filter,
                &query.sort,
                pos,
            );
            body.push('"');
            body.push_str(&c);
            body.push('"');
        }
        None => body.push_str("null"),
    }
    match page.total {
        Some(Total::Exact(n)) => {
            body.push_str(",\"total\":");
            body.push_str(&n.to_string());
        }
        Some(Total::AtLeast(n)) => {
            body.push_str(",\"total_at_least\":");
            body.push_str(&n.to_string());
        }
        None => {}
    }
    body.push('}');
    let response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    );
    Ok(heavy::hold(turn, response))
}

/// The listing's response shape (for the API documentation).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EngagementPage {
    pub engagements: Vec<interlog_model::Engagement>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Every match, when `count=exact` was asked for and counted in time.
    pub total: Option<u64>,
    /// Instead of `total`, when counting took longer than the server's count budget: at
    /// least this many match (those counted before the budget ran out; there may be more).
    pub total_at_least: Option<u64>,
}
