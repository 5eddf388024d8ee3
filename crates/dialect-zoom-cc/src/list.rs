//! `GET /v2/contact_center/engagements`: completed engagements in a window, oldest first,
//! keyset-paged with sealed `next_page_token`s that carry the window and the total.

use crate::auth::ZoomCaller;
use crate::error::{ZoomError, ZoomResult};
use crate::page_token::{self, Listing};
use crate::params::{list_request, ListRequest};
use crate::render::{self, Clock, Shape};
use crate::scopes::op;
use crate::time::{self, Window};
use crate::view::View;
use crate::{json_response, Zoom};
use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use interlog_http::ApiState;
use interlog_store::{Filter, Position, Query, Sort, SortDir, SortKey, Start, Tenant, TimeRange};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a list token carries: the window (fixed on the first page, so the default
/// "past 24 hours" does not move while paging), the position, and the total.
#[derive(Serialize, Deserialize)]
struct PageState {
    s: i64,
    e: i64,
    v: i64,
    i: String,
    n: u64,
}

/// Zoom's order of results is undocumented: oldest first, ties by id.
const SORT: Sort = Sort {
    key: SortKey::StartedAt,
    dir: SortDir::Asc,
};

pub async fn list(
    caller: ZoomCaller<op::ListEngagements>,
    State(state): State<ApiState>,
    Extension(zoom): Extension<Arc<Zoom>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = run(&state, &zoom, &caller.tenant, raw.as_deref()).await;
    caller.respond(result)
}

fn millis(ms: i64) -> ZoomResult<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|_| ZoomError::field("next_page_token", "is damaged"))
}

/// Whether any engagement of the tenant matches `filter` (an existence check through the
/// store's indexes: no rows are read).
async fn exists(state: &ApiState, tenant: &Tenant, filter: Filter) -> ZoomResult<bool> {
    let page = state
        .store
        .list(
            tenant,
            &Query {
                filter,
                limit: 0,
                ..Query::default()
            },
        )
        .await?;
    Ok(page.has_more)
}

/// On an empty first page, a queue or agent the account has never seen is one that does
/// not exist (Zoom's 1201 and 1001).
async fn check_named(state: &ApiState, tenant: &Tenant, req: &ListRequest) -> ZoomResult<()> {
    if let Some(q) = &req.queue_id {
        let f = Filter {
            queue_ids: vec![q.clone()],
            ..Filter::default()
        };
        if !exists(state, tenant, f).await? {
            return Err(ZoomError::new(
                StatusCode::NOT_FOUND,
                1201,
                format!("Queue does not exist: {q}."),
            ));
        }
    }
    if let Some(u) = &req.user_id {
        let f = Filter {
            agents: vec![u.clone()],
            ..Filter::default()
        };
        if !exists(state, tenant, f).await? {
            return Err(ZoomError::new(
                StatusCode::NOT_FOUND,
                1001,
                format!("User does not exist: {u}."),
            ));
        }
    }
    Ok(())
}

async fn run(
    state: &ApiState,
    zoom: &Zoom,
    tenant: &Tenant,
    raw: Option<&str>,
) -> ZoomResult<Response> {
    let req = list_request(raw)?;
    let fp = req.fingerprint();
    let now = Timestamp::now();
    let (window, start, known_total) = match &req.next_page_token {
        Some(token) => {
            let st: PageState = page_token::open(
                &state.signer,
                &tenant.key,
                Listing::Engagements,
                &fp,
                now.as_second(),
                token,
            )?;
            let window = Window {
                start: millis(st.s)?,
                end: millis(st.e)?,
            };
            let pos = Position {
                value: st.v,
                id: st.i,
            };
            (window, Start::After(pos), Some(st.n))
        }
        None => {
            let w = time::window(req.from.as_deref(), req.to.as_deref(), &req.tz, now)
                .map_err(|p| ZoomError::field(p.field, p.message))?;
            (w, Start::First, None)
        }
    };
    let mut filter = req.filter.clone();
    filter.started = TimeRange {
        from: Some(window.start),
        to: Some(window.end),
    };
    let query = Query {
        filter,
        sort: SORT,
        start,
        limit: req.page_size,
        with_total: known_total.is_none(),
        count_within: None,
    };
    let turn = state.heavy.turn_for(query.lane(), tenant).await?;
    let page = state.store.list(tenant, &query).await?;
    let total = known_total
        .or(page.total.map(interlog_store::Total::value))
        .unwrap_or(0);
    if known_total.is_none() && page.items.is_empty() {
        check_named(state, tenant, &req).await?;
    }
    let token = match &page.next {
        Some(pos) => page_token::seal(
            &state.signer,
            &tenant.key,
            Listing::Engagements,
            &fp,
            now.as_second(),
            zoom.config.page_token_ttl_secs,
            PageState {
                s: window.start.as_millisecond(),
                e: window.end.as_millisecond(),
                v: pos.value,
                i: pos.id.clone(),
                n: total,
            },
        ),
        None => String::new(),
    };

    let clock = Clock {
        utc: time::is_utc(&req.tz),
        tz: req.tz.clone(),
    };
    let mut body = Vec::with_capacity(256 + page.items.len() * 1024);
    body.extend_from_slice(b"{\"next_page_token\":");
    serde_json::to_writer(&mut body, &token).map_err(|e| ZoomError::internal(&e))?;
    let head = format!(
        ",\"page_size\":{},\"total_records\":{total},\"timezone\":",
        req.page_size
    );
    body.extend_from_slice(head.as_bytes());
    serde_json::to_writer(&mut body, &req.tz_name).map_err(|e| ZoomError::internal(&e))?;
    let from = time::render_local_z(window.start, &req.tz);
    let to = time::render_local_z(window.last_second(), &req.tz);
    body.extend_from_slice(
        format!(",\"from\":\"{from}\",\"to\":\"{to}\",\"engagements\":[").as_bytes(),
    );
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let view = View::parse(&item.json).map_err(|e| ZoomError::internal(&e))?;
        serde_json::to_writer(
            &mut body,
            &render::engagement(&view, &clock, Shape::ListItem),
        )
        .map_err(|e| ZoomError::internal(&e))?;
    }
    body.extend_from_slice(b"]}");
    Ok(interlog_http::heavy::hold(
        turn,
        json_response(StatusCode::OK, body),
    ))
}
