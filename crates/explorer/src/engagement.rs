//! `GET /ui/engagements/{id}`: everything about one engagement, and where each API serves
//! it.

use crate::page::{self, Failure};
use crate::session::Session;
use crate::view::{zone, EngagementView, LinkView};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use interlog_http::ApiState;

pub async fn page(
    State(state): State<ApiState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    render(&state, &session, &id)
        .await
        .unwrap_or_else(|f| f.within(session.chrome("")).into_response())
}

async fn render(state: &ApiState, session: &Session, id: &str) -> Result<Response, Failure> {
    let missing = || Failure::not_found("There is no engagement with this id.");
    if !interlog_model::is_valid_id(id) {
        return Err(missing());
    }
    let stored = state
        .store
        .get(&session.tenant, id)
        .await?
        .ok_or_else(missing)?;
    let e = stored.engagement().map_err(Failure::internal)?;
    let tenant = &session.tenant;
    let links = state
        .record_links
        .iter()
        .filter_map(|(api, record_link)| {
            let link = record_link(tenant, &e)?;
            Some(LinkView {
                api: (*api).to_owned(),
                method: link.method,
                path: link.path,
            })
        })
        .collect();
    let view = EngagementView::of(&e, &zone(&tenant.time_zone), links);
    Ok(page::html(&page::Engagement {
        chrome: session.chrome("search"),
        e: view,
    }))
}
