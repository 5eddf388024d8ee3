//! `/v1/engagements/{tenant}` (list), `/v1/engagements/count/{tenant}` and
//! `DELETE /v1/engagements/{tenant}/{id}`.

use crate::caller::LxCaller;
use crate::error::{LxError, LxResult};
use crate::negotiate::{self, Media};
use crate::{params, render_json, render_xml, view};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_http::auth::caller::{AdminRole, ReaderRole};
use interlog_http::{heavy, ApiError, ApiState, ErrorKind};
use interlog_model::is_valid_id;
use interlog_store::Tenant;
use jiff::tz::TimeZone;

/// A 200 answer in the negotiated representation.
fn ok(media: Media, body: String) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

/// A handler's answer, its error rendered in the negotiated representation.
fn respond(media: Media, result: LxResult<Response>) -> Response {
    result.unwrap_or_else(|error| LxError::new(error, media).into_response())
}

/// The tenant's zone, in which zone-less date parameters are read.
fn zone_of(tenant: &Tenant) -> TimeZone {
    interlog_model::time::zone(&tenant.time_zone).unwrap_or_else(|_| {
        tracing::warn!(tenant = %tenant.key, zone = %tenant.time_zone, "unknown tenant time zone; reading dates in UTC");
        TimeZone::UTC
    })
}

fn corrupt(e: serde_json::Error) -> ApiError {
    ApiError::internal(e)
}

/// `GET /v1/engagements/{tenant}`.
pub async fn list(
    access: LxCaller<ReaderRole>,
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
) -> Response {
    let media = access.media;
    respond(
        media,
        async {
            let req = params::list_request(query.as_deref(), &zone_of(&access.tenant))?;
            let query = req.query();
            let turn = state.heavy.turn_for(query.lane(), &access.tenant).await?;
            let page = state.store.list(&access.tenant, &query).await?;
            let size: usize = page.items.iter().map(|e| e.json.len()).sum();
            let mut body = String::with_capacity(size + 256);
            match media {
                Media::Json => {
                    render_json::start_list(&mut body, page.has_more);
                    for (i, item) in page.items.iter().enumerate() {
                        if i > 0 {
                            body.push(',');
                        }
                        render_json::engagement(
                            &mut body,
                            &view::from_stored(&item.json).map_err(corrupt)?,
                        );
                    }
                    render_json::end_list(&mut body);
                }
                Media::Xml(_) => {
                    render_xml::start_list(&mut body, page.has_more);
                    for item in &page.items {
                        render_xml::engagement(
                            &mut body,
                            &view::from_stored(&item.json).map_err(corrupt)?,
                        );
                    }
                    render_xml::end_list(&mut body);
                }
            }
            Ok(heavy::hold(turn, ok(media, body)))
        }
        .await,
    )
}

/// `GET /v1/engagements/count/{tenant}`.
pub async fn count(
    access: LxCaller<ReaderRole>,
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
) -> Response {
    let media = access.media;
    respond(
        media,
        async {
            let filter = params::count_filter(query.as_deref(), &zone_of(&access.tenant))?;
            let _turn = state.heavy.turn(&access.tenant).await?;
            let n = state
                .store
                .count(&access.tenant, &filter, None)
                .await?
                .value();
            Ok(ok(
                media,
                match media {
                    Media::Json => render_json::count(n),
                    Media::Xml(_) => render_xml::count(n),
                },
            ))
        }
        .await,
    )
}

/// `DELETE /v1/engagements/{tenant}/{id}`: admin only; 204 when deleted.
pub async fn delete(
    access: LxCaller<AdminRole>,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> Response {
    respond(
        access.media,
        async {
            if is_valid_id(&id) && state.store.delete(&access.tenant, &id).await? {
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(ApiError::not_found("no such engagement"))
            }
        }
        .await,
    )
}

/// A method the resource does not have (e.g. `GET /v1/engagements/{tenant}/{id}`, which
/// Oracle does not offer), in the dialect's error body, with the methods it does have.
pub fn method_not_allowed(headers: &HeaderMap, allow: &'static str) -> Response {
    let media = negotiate::from_headers(headers).unwrap_or(Media::Json);
    let mut res = LxError::new(
        ApiError::new(
            ErrorKind::MethodNotAllowed,
            format!("this resource accepts only {allow}"),
        ),
        media,
    )
    .into_response();
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}
