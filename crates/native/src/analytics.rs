//! `GET /api/v1/tenants/{tenant}/analytics`: the contact-center figures of the tenant's
//! engagements (offered, answered, abandoned, waits, service level, handle time,
//! transfers) by bucket of time and group, counted from the store the moment it is asked.

use crate::responses::ReaderRefusals;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use interlog_http::analytics::{report, Report, Request};
use interlog_http::auth::Reader;
use interlog_http::params::Params;
use interlog_http::{ApiResult, ApiState};

/// The listing's filter parameters are added to this operation's documentation from the
/// listing's (see `openapi::SharedFilters`): the same names, the same meaning.
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{tenant}/analytics",
    tag = "analytics",
    params(
        ("from" = Option<String>, Query, description = "RFC 3339; engagements that started at or after. Default: 7 days before `to`"),
        ("to" = Option<String>, Query, description = "RFC 3339; engagements that started before. Default: now"),
        ("interval" = Option<String>, Query, description = "15m, 30m, hour, day, week (from Monday), month or total (default): the buckets, in `time_zone`"),
        ("time_zone" = Option<String>, Query, description = "IANA zone the buckets are cut in (local days follow daylight saving). Default: the tenant's"),
        ("group_by" = Option<String>, Query, description = "Up to 3 of queue, agent, team, channel_type, direction, source, disposition (repeatable or comma-separated)"),
        ("sl_threshold_secs" = Option<u64>, Query, description = "Service level threshold in seconds (default 20)"),
        ("short_abandon_secs" = Option<u64>, Query, description = "Abandons that waited less are short abandons (default 0)"),
        ("sl_formula" = Option<String>, Query, description = "interlog (default): answered within the threshold / (answered + abandoned - short abandoned); amazon: answered or abandoned in under the threshold / (answered + abandoned)"),
    ),
    responses(
        ReaderRefusals,
        (status = 200, description = "The figures by group and bucket, with the definitions they were counted by", body = Report),
        (status = 400, description = "A bad parameter (code bad_parameter, naming it)"),
        (status = 429, description = "Too many heavy requests of this tenant are running or waiting; try again after `Retry-After` seconds"),
    ),
)]
pub async fn analytics(
    caller: Reader,
    State(state): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params = Params::parse(raw.as_deref());
    let mut request = Request::parse(&params, &caller.tenant, jiff::Timestamp::now())?;
    request.query.filter =
        interlog_http::names::resolve(&*state.store, &caller.tenant, &request.query.filter).await?;
    // Figures read every engagement of the range: heavy work, whatever the range.
    let turn = state.heavy.turn(&caller.tenant).await?;
    let figures = report(&state, &caller.tenant, &request).await?;
    Ok(turn.hold(Json(figures)))
}
