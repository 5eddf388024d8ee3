//! Interaction history: `GET /api/v2/ucs/interactions` answers at once;
//! `POST /api/v2/ucs/interactions` (RetrieveInteractionHistory, RetrieveAgentHistory) and
//! `POST /api/v2/ucs/contacts/{id}/interactions` (RetrieveContactHistory) answer
//! `{"statusCode":0,"referenceId":n}` and deliver a `GetInteractionsHistoryMessage` to the
//! session's CometD clients.

use crate::csrf::{self, Modifying};
use crate::envelope::{accepted, ok_json, GwsError, GwsResult};
use crate::mapping;
use crate::params::{self, HistoryParams, Operation, Source};
use crate::render::{self, base_url, Interaction, RenderContext};
use crate::session::GwsCaller;
use crate::shared::Gws;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use bytes::Bytes;
use interlog_http::ApiState;
use interlog_model::Engagement;
use interlog_store::{Filter, Query, Sort, SortDir, SortKey, Start, Store, Tenant, TimeRange};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;
use std::sync::Arc;

/// `maxSize` when the request has none.
pub const DEFAULT_MAX_SIZE: u32 = 100;

/// A search ready to run: what the store narrows by, and the exact checks after it.
#[derive(Debug, Clone)]
pub struct Search {
    pub filter: Filter,
    pub sort: SortDir,
    pub limit: u32,
    /// The exact `mediaType` (the store's channel filter is wider).
    pub media_type: Option<String>,
    /// The exact contact id (the store's customer filter matches any identifier).
    pub contact_id: Option<String>,
    pub custom_attributes: Vec<String>,
}

/// The tenant's zone (UTC if the stored name is not a zone).
pub fn tenant_zone(t: &Tenant) -> TimeZone {
    interlog_model::time::zone(&t.time_zone).unwrap_or(TimeZone::UTC)
}

fn range_err(e: String) -> GwsError {
    GwsError::out_of_range(e)
}

/// The instants `[from, to)` a request covers: each date in the tenant's zone; without
/// `toDate` up to the end of today, without `fromDate` from one month before `toDate`
/// (before today when neither is given).
pub fn window(p: &HistoryParams, tz: &TimeZone, now: Timestamp) -> GwsResult<TimeRange> {
    let today = now.to_zoned(tz.clone()).date();
    let day_start =
        |d: jiff::civil::Date| crate::dates::DateParam::Day(d).start(tz).map_err(range_err);
    let to = match p.to {
        Some(t) => t.end_exclusive(tz).map_err(range_err)?,
        None => crate::dates::DateParam::Day(today)
            .end_exclusive(tz)
            .map_err(range_err)?,
    };
    let from = match (p.from, p.to) {
        (Some(f), _) => f.start(tz).map_err(range_err)?,
        (None, Some(t)) => {
            let anchor = t.start(tz).map_err(range_err)?.to_zoned(tz.clone()).date();
            let d = anchor
                .checked_sub(1.month())
                .map_err(|e| range_err(e.to_string()))?;
            day_start(d)?
        }
        (None, None) => {
            let d = today
                .checked_sub(1.month())
                .map_err(|e| range_err(e.to_string()))?;
            day_start(d)?
        }
    };
    if from >= to {
        return Err(GwsError::out_of_range("fromDate is after toDate"));
    }
    Ok(TimeRange {
        from: Some(from),
        to: Some(to),
    })
}

/// Turns a request into a search. `contact` is the contact of RetrieveContactHistory's
/// path (or the GET form's `contactId`).
pub fn build(
    p: &HistoryParams,
    op: Operation,
    caller: &GwsCaller,
    gws: &Gws,
    now: Timestamp,
) -> GwsResult<Search> {
    let tenant = &caller.tenant;
    let tz = tenant_zone(tenant);
    let mut started = window(p, &tz, now)?;
    let hot = jiff::SignedDuration::try_from(gws.config.hot_window_of(&tenant.key))
        .unwrap_or(jiff::SignedDuration::MAX);
    let cutoff = now.checked_sub(hot).unwrap_or(Timestamp::MIN);
    started = started.intersect(match p.source {
        Source::Main => TimeRange {
            from: Some(cutoff),
            to: None,
        },
        Source::Archive => TimeRange {
            from: None,
            to: Some(cutoff),
        },
    });
    let mut filter = Filter {
        started,
        ..Filter::default()
    };
    if let Some(m) = &p.media_type {
        let (types, sources) = mapping::media_filter(m);
        filter.channel_types = types;
        filter.channel_sources = sources;
    }
    match (&p.user_id, op) {
        (Some(u), _) => filter.agents = vec![u.clone()],
        // Undocumented in GWS: without userId, an agent's history is the caller's own.
        (None, Operation::RetrieveAgentHistory) => {
            filter.agents = std::iter::once(caller.user_id.clone())
                .chain(caller.email.clone())
                .collect();
        }
        _ => {}
    }
    if let Some(c) = &p.contact_id {
        filter.customer = vec![c.clone()];
    }
    filter.data = p.search.clone();
    let default_limit = if op == Operation::RetrieveContactHistory {
        gws.config.max_size_limit
    } else {
        DEFAULT_MAX_SIZE.min(gws.config.max_size_limit)
    };
    Ok(Search {
        filter,
        sort: p.sort.unwrap_or(SortDir::Desc),
        limit: p.max_size.unwrap_or(default_limit),
        media_type: p.media_type.clone(),
        contact_id: p.contact_id.clone(),
        custom_attributes: p.custom_attributes.clone(),
    })
}

fn keep(s: &Search, e: &Engagement) -> bool {
    let media_ok = s.media_type.as_deref().is_none_or(|want| {
        mapping::media_type(e).is_some_and(|have| have.eq_ignore_ascii_case(want))
    });
    let contact_ok = s.contact_id.as_deref().is_none_or(|want| {
        e.customer
            .contact_id
            .as_deref()
            .is_some_and(|have| have.eq_ignore_ascii_case(want))
    });
    media_ok && contact_ok
}

/// Runs a search: pages through the store's matches (by start time, then id) until
/// `limit` engagements pass the exact checks.
pub async fn run(store: &dyn Store, tenant: &Tenant, s: &Search) -> GwsResult<Vec<Engagement>> {
    let mut out = Vec::with_capacity(s.limit.min(1000) as usize);
    if s.filter.started.is_empty() {
        return Ok(out);
    }
    let mut query = Query {
        filter: s.filter.clone(),
        sort: Sort {
            key: SortKey::StartedAt,
            dir: s.sort,
        },
        start: Start::First,
        limit: s.limit.max(1),
        with_total: false,
        count_within: None,
    };
    loop {
        let page = store.list(tenant, &query).await?;
        for item in &page.items {
            let e = item.engagement().map_err(GwsError::internal)?;
            if keep(s, &e) {
                out.push(e);
                if out.len() >= s.limit as usize {
                    return Ok(out);
                }
            }
        }
        match page.next {
            Some(next) if page.has_more => query.start = Start::After(next),
            _ => return Ok(out),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody<'a> {
    status_code: u8,
    interactions: Vec<Interaction<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryMessage<'a> {
    pub reference_id: u64,
    pub message_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactions: Option<Vec<Interaction<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|v| v.to_str().ok())
}

/// `GET /api/v2/ucs/interactions`: the seed's synchronous form.
pub async fn get(
    caller: GwsCaller,
    State(state): State<ApiState>,
    Extension(gws): Extension<Arc<Gws>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let run_get = async {
        let p = params::from_query(raw.as_deref(), gws.config.max_size_limit)?;
        // The GET form is RetrieveInteractionHistory's, `contactId` included: maxSize
        // defaults to 100 here whatever the filter.
        let search = build(
            &p,
            Operation::RetrieveInteractionHistory,
            &caller,
            &gws,
            Timestamp::now(),
        )?;
        let found = run(state.store.as_ref(), &caller.tenant, &search).await?;
        let tz = tenant_zone(&caller.tenant);
        let base = base_url(gws.config.base_url.as_deref(), host(&headers));
        let cx = RenderContext {
            base_url: &base,
            tz: &tz,
            custom_attributes: &search.custom_attributes,
        };
        let body = ListBody {
            status_code: 0,
            interactions: found.iter().map(|e| render::interaction(e, &cx)).collect(),
        };
        let mut res = ok_json(serde_json::to_string(&body).map_err(GwsError::internal)?);
        csrf::decorate(&gws, &caller, &mut res);
        GwsResult::Ok(res)
    };
    run_get.await.unwrap_or_else(IntoResponse::into_response)
}

/// Starts a history search whose result goes to the caller's CometD clients.
async fn start(
    state: ApiState,
    gws: Arc<Gws>,
    caller: GwsCaller,
    search: Search,
    base: String,
) -> GwsResult<u64> {
    let tenant = caller.tenant.clone();
    gws.launch(state.store.clone(), caller.tenant.clone(), caller.session_key(), move |reference| async move {
        let message_type = "GetInteractionsHistoryMessage";
        let found = run(state.store.as_ref(), &tenant, &search).await;
        let tz = tenant_zone(&tenant);
        let cx = RenderContext {
            base_url: &base,
            tz: &tz,
            custom_attributes: &search.custom_attributes,
        };
        let msg = match &found {
            Ok(es) => HistoryMessage {
                reference_id: reference,
                message_type,
                interactions: Some(es.iter().map(|e| render::interaction(e, &cx)).collect()),
                error_message: None,
            },
            Err(e) => {
                if let Some(c) = &e.cause {
                    tracing::error!(cause = %c, "history search failed");
                }
                HistoryMessage {
                    reference_id: reference,
                    message_type,
                    interactions: None,
                    error_message: Some(e.message.clone()),
                }
            }
        };
        serde_json::to_string(&msg).unwrap_or_else(|_| {
            format!(r#"{{"referenceId":{reference},"messageType":"{message_type}","errorMessage":"An internal error occurred"}}"#)
        })
    })
    .await
}

async fn post_common(
    caller: GwsCaller,
    state: ApiState,
    gws: Arc<Gws>,
    headers: HeaderMap,
    body: Bytes,
    contact: Option<String>,
) -> GwsResult<Response> {
    let allowed: &[Operation] = if contact.is_some() {
        &[Operation::RetrieveContactHistory]
    } else {
        &[
            Operation::RetrieveInteractionHistory,
            Operation::RetrieveAgentHistory,
        ]
    };
    let (op, mut p) = params::from_body(&body, allowed, gws.config.max_size_limit)?;
    p.contact_id = contact;
    let search = build(&p, op, &caller, &gws, Timestamp::now())?;
    let base = base_url(gws.config.base_url.as_deref(), host(&headers));
    let reference = start(state, gws.clone(), caller.clone(), search, base).await?;
    let mut res = accepted(reference);
    csrf::decorate(&gws, &caller, &mut res);
    Ok(res)
}

/// `POST /api/v2/ucs/interactions`.
pub async fn post(
    Modifying(caller): Modifying,
    State(state): State<ApiState>,
    Extension(gws): Extension<Arc<Gws>>,
    headers: HeaderMap,
    body: Bytes,
) -> GwsResult<Response> {
    post_common(caller, state, gws, headers, body, None).await
}

/// `POST /api/v2/ucs/contacts/{id}/interactions`.
pub async fn post_contact(
    Modifying(caller): Modifying,
    State(state): State<ApiState>,
    Extension(gws): Extension<Arc<Gws>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> GwsResult<Response> {
    if id.is_empty() || id.len() > 256 {
        return Err(GwsError::new(
            crate::envelope::code::NOT_FOUND,
            "No such contact",
        ));
    }
    post_common(caller, state, gws, headers, body, Some(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_date_param;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn windows_default_to_the_last_month_in_the_tenant_zone() {
        let dublin = TimeZone::get("Europe/Dublin").unwrap();
        let now = ts("2024-07-15T10:00:00Z");
        let w = window(&HistoryParams::default(), &dublin, now).unwrap();
        assert_eq!(w.from, Some(ts("2024-06-14T23:00:00Z")));
        assert_eq!(w.to, Some(ts("2024-07-15T23:00:00Z")));
        let only_to = HistoryParams {
            to: Some(parse_date_param("2024-03-31").unwrap()),
            ..Default::default()
        };
        let w = window(&only_to, &dublin, now).unwrap();
        assert_eq!(w.from, Some(ts("2024-02-29T00:00:00Z")));
        assert_eq!(w.to, Some(ts("2024-03-31T23:00:00Z")));
        let backwards = HistoryParams {
            from: Some(parse_date_param("2024-03-02").unwrap()),
            to: Some(parse_date_param("2024-03-01").unwrap()),
            ..Default::default()
        };
        assert_eq!(window(&backwards, &dublin, now).unwrap_err().code, 10);
    }
}
