//! `GET /api/v1/tenants/{tenant}/names`: the names of the tenant's queues, agents, teams
//! and dispositions that start with what was typed, with their ids, for pickers (the
//! explorer's among them). The same names are accepted by the listing's filters.

use crate::responses::ReaderRefusals;
use axum::extract::{RawQuery, State};
use axum::Json;
use interlog_http::auth::Reader;
use interlog_http::params::Params;
use interlog_http::{ApiError, ApiResult, ApiState};
use interlog_store::NameKind;
use serde::Serialize;

/// Longest prefix, in characters: longer than any name anyone types.
const MAX_PREFIX_CHARS: usize = 200;
/// Most names one answer holds, and how many unless asked.
const MAX_LIMIT: u64 = 100;
const DEFAULT_LIMIT: u64 = 10;

const KINDS: &str = "queue, agent, team, disposition";

/// One name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NameView {
    /// queue, agent, team or disposition.
    pub kind: &'static str,
    /// What the listing's filter of this kind matches (`queue_id`, `agent`, `team`,
    /// `disposition`).
    pub id: String,
    pub name: String,
    /// How many stored engagements mention this id with this name.
    pub engagements: u64,
    /// The latest start among them (RFC 3339).
    pub last_seen: String,
}

/// The answer: the most mentioned names first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NameList {
    pub names: Vec<NameView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/names",
    tag = "engagements",
    params(
        ("kind" = String, Query, description = "queue, agent, team or disposition"),
        ("prefix" = Option<String>, Query, description = "The start of any word of the name, case and accents ignored (`bil` finds Billing and Zoë Bíll; `niall camp` finds Niall Campbell); empty or absent: every name. At most 200 characters"),
        ("limit" = Option<u32>, Query, description = "1–100, default 10"),
    ),
    responses(
        ReaderRefusals,
        (status = 200, description = "Names and their ids, the most mentioned first (then by name)", body = NameList),
        (status = 400, description = "A bad parameter (code bad_parameter, naming it)"),
    ),
)]
pub async fn names(
    caller: Reader,
    State(state): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<NameList>> {
    let p = Params::parse(raw.as_deref());
    p.reject_unknown(&["kind", "prefix", "limit"], &[])?;
    let kind = match p.one("kind")? {
        None => return Err(ApiError::parameter("kind", format!("required: {KINDS}"))),
        Some(k) => NameKind::parse(k)
            .ok_or_else(|| ApiError::parameter("kind", format!("accepted: {KINDS}")))?,
    };
    let prefix = p.one("prefix")?.unwrap_or("");
    if prefix.chars().count() > MAX_PREFIX_CHARS {
        return Err(ApiError::parameter(
            "prefix",
            format!("at most {MAX_PREFIX_CHARS} characters"),
        ));
    }
    let limit = p.number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT) as u32;
    let found = state
        .store
        .suggest_names(&caller.tenant, kind, prefix, limit)
        .await?;
    Ok(Json(NameList {
        names: found
            .into_iter()
            .map(|n| NameView {
                kind: n.kind.as_str(),
                id: n.id,
                name: n.name,
                engagements: n.engagements,
                last_seen: n.last_seen.to_string(),
            })
            .collect(),
    }))
}
