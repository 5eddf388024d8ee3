//! The native listing's query language — filters, sort, paging and signed cursors — as
//! every peer reads it: the native listing and its webhooks' filters, the explorer's
//! search, `interlog export --filter`.

use crate::cursor;
use crate::error::{ApiError, ApiResult};
use crate::filter_expr;
use crate::params::{Params, MAX_VALUES};
use crate::state::ApiState;
use crate::text_query;
use interlog_model::time::parse_instant;
use interlog_model::{ChannelType, Direction, Outcome, State as LifeState};
use interlog_store::{Filter, Query, Sort, SortDir, SortKey, Start, TimeRange};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 1000;

/// The parameters that make a filter (besides `data.KEY`).
pub const FILTER_PARAMETERS: &[&str] = &[
    "started_from",
    "started_to",
    "ended_from",
    "ended_to",
    "updated_from",
    "updated_to",
    "state",
    "outcome",
    "direction",
    "channel_type",
    "channel_source",
    "queue_id",
    "queue",
    "team",
    "agent",
    "participant_email",
    "customer",
    "disposition",
    "min_duration_ms",
    "max_duration_ms",
    "filter",
    "q",
];

/// The parameters of paging and order.
const PAGING: &[&str] = &["sort", "limit", "cursor", "count"];

fn range(p: &Params, from: &str, to: &str) -> ApiResult<TimeRange> {
    let read = |name: &str| -> ApiResult<_> {
        p.one(name)?
            .map(|v| parse_instant(v).map_err(|e| ApiError::parameter(name, e.to_string())))
            .transpose()
    };
    let r = TimeRange {
        from: read(from)?,
        to: read(to)?,
    };
    if r.is_empty() {
        return Err(ApiError::parameter(to, format!("must be after {from}")));
    }
    Ok(r)
}

fn sort(p: &Params) -> ApiResult<Sort> {
    let Some(v) = p.one("sort")? else {
        return Ok(Sort::default());
    };
    let (dir, name) = match v.strip_prefix('-') {
        Some(n) => (SortDir::Desc, n),
        None => (SortDir::Asc, v),
    };
    let key = match name {
        "started_at" => SortKey::StartedAt,
        "ended_at" => SortKey::EndedAt,
        "duration" => SortKey::Duration,
        "updated_at" => SortKey::UpdatedAt,
        _ => {
            return Err(ApiError::parameter(
                "sort",
                "accepted: started_at, ended_at, duration, updated_at, each optionally prefixed with - for descending",
            ))
        }
    };
    Ok(Sort { key, dir })
}

fn strings(p: &Params, name: &str) -> ApiResult<Vec<String>> {
    let values: Vec<String> = p.all(name).into_iter().map(str::to_owned).collect();
    if values.len() > MAX_VALUES {
        return Err(ApiError::parameter(
            name,
            format!("at most {MAX_VALUES} values"),
        ));
    }
    if let Some(v) = values.iter().find(|v| v.len() > 1024) {
        return Err(ApiError::parameter(
            name,
            format!("value of {} characters is too long", v.len()),
        ));
    }
    Ok(values)
}

/// `queue_id` and `queue` (its other name: both take ids and names, see [`crate::names`]).
fn queues(p: &Params) -> ApiResult<Vec<String>> {
    let mut values = strings(p, "queue_id")?;
    values.extend(strings(p, "queue")?);
    if values.len() > MAX_VALUES {
        return Err(ApiError::parameter(
            "queue",
            format!("at most {MAX_VALUES} values of queue_id and queue together"),
        ));
    }
    Ok(values)
}

/// The `filter=` expression, if one is given (see [`crate::filter_expr`]).
fn expression(p: &Params) -> ApiResult<Option<interlog_store::Expr>> {
    let Some(text) = p.one("filter")? else {
        return Ok(None);
    };
    filter_expr::parse(text).map_err(|e| ApiError::parameter("filter", e.to_string()))
}

/// The full-text `q`, if one is given (see [`crate::text_query`]).
fn text(p: &Params) -> ApiResult<Option<interlog_store::search::TextQuery>> {
    let Some(text) = p.one("q")? else {
        return Ok(None);
    };
    text_query::parse(text).map_err(|e| ApiError::parameter("q", e.to_string()))
}

/// Reads the native listing parameters into a filter.
pub fn filter(p: &Params) -> ApiResult<Filter> {
    let mut data = Vec::new();
    for (k, v) in p.with_prefix("data.") {
        if k.is_empty() {
            return Err(ApiError::parameter("data.", "needs a key: data.KEY=VALUE"));
        }
        data.push((k.to_owned(), v.to_owned()));
        if data.len() > MAX_VALUES {
            return Err(ApiError::parameter(
                "data.",
                format!("at most {MAX_VALUES} data.KEY=VALUE pairs"),
            ));
        }
    }
    let f = Filter {
        started: range(p, "started_from", "started_to")?,
        ended: range(p, "ended_from", "ended_to")?,
        updated: range(p, "updated_from", "updated_to")?,
        states: p.all_parsed::<LifeState>("state")?,
        outcomes: p.all_parsed::<Outcome>("outcome")?,
        directions: p.all_parsed::<Direction>("direction")?,
        channel_types: p.all_parsed::<ChannelType>("channel_type")?,
        channel_sources: strings(p, "channel_source")?,
        queue_ids: queues(p)?,
        teams: strings(p, "team")?,
        agents: strings(p, "agent")?,
        participant_emails: strings(p, "participant_email")?,
        customer: strings(p, "customer")?,
        dispositions: strings(p, "disposition")?,
        min_duration_ms: p.number("min_duration_ms", 0, i64::MAX as u64)?,
        max_duration_ms: p.number("max_duration_ms", 0, i64::MAX as u64)?,
        data,
        expr: expression(p)?,
        text: text(p)?,
    };
    if let (Some(a), Some(b)) = (f.min_duration_ms, f.max_duration_ms) {
        if b < a {
            return Err(ApiError::parameter(
                "max_duration_ms",
                "must not be below min_duration_ms",
            ));
        }
    }
    Ok(f)
}

/// Reads the native listing parameters (filters, `sort`, `limit`, `cursor`, `count`)
/// into a query for the tenant `tenant_key` (its cursors are bound to it); any other
/// parameter is an error.
pub fn query(state: &ApiState, tenant_key: &str, p: &Params) -> ApiResult<Query> {
    p.reject_unknown(&[FILTER_PARAMETERS, PAGING].concat(), &["data."])?;
    let filter = filter(p)?;
    let sort = sort(p)?;
    let limit = p.number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT) as u32;
    let with_total = match p.one("count")? {
        None => false,
        Some("exact") => true,
        Some(_) => return Err(ApiError::parameter("count", "accepted: exact")),
    };
    let start = match p.one("cursor")? {
        Some(c) => Start::After(cursor::decode(
            &state.signer,
            tenant_key,
            &filter,
            &sort,
            c,
        )?),
        None => Start::First,
    };
    Ok(Query {
        filter,
        sort,
        start,
        limit,
        with_total,
        count_within: with_total.then_some(state.config.count_budget),
    })
}

/// A filter written as a query string of the filter parameters (a webhook's filter):
/// any other parameter is an error.
pub fn parse_filter(text: &str) -> ApiResult<Filter> {
    let p = Params::parse(Some(text));
    p.reject_unknown(FILTER_PARAMETERS, &["data."])?;
    filter(&p)
}
