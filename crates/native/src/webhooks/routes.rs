//! `/api/v1/tenants/{tenant}/webhooks`: register, list, read, delete webhooks and read
//! their recent delivery attempts (admin).

use super::{definitions, signature, Attempt, Definition, DeliveryState};
use crate::responses::{AdminRefusals, JsonBodyRefusals};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use interlog_http::auth::Admin;
use interlog_http::body::JsonBody;
use interlog_http::error::{ApiError, ApiResult};
use interlog_http::listing::parse_filter;
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_store::Tenant;
use serde::{Deserialize, Serialize};

/// What a client sends to register a webhook.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to POST events (http or https).
    pub url: String,
    /// Any of `engagement.upserted`, `engagement.deleted` (changes of the feed),
    /// `export.completed` and `export.failed` (an export job finished).
    pub events: Vec<String>,
    /// A native listing query string (e.g. `channel_type=voice&queue_id=q1`, or
    /// `filter=channel_type:voice OR queue_id:q1` for an expression): only upserts of
    /// matching engagements are sent. Deletions are always sent. Names (`queue=Billing`)
    /// stand for the ids of that name as each event is sent, as in the listing.
    #[serde(default)]
    pub filter: Option<String>,
}

/// A webhook as the API shows it; the secret only in the answer to its creation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The signing secret (`whsec_…`): shown once, when the webhook is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: String,
    /// `active` or `disabled` (after failing for the retry period, or when the receiver
    /// answered 410 Gone).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Every event up to this feed position has been delivered.
    pub delivered_through: i64,
    /// Since when the next event has been failing (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

/// A page of a webhook's recent attempts, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deliveries {
    pub webhook: WebhookView,
    pub attempts: Vec<Attempt>,
    /// Where the next (older) page starts: pass it as `before`; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
}

/// Longest `filter` a webhook stores (bytes).
pub const MAX_FILTER_BYTES: usize = 2048;
/// Attempts a page of `…/deliveries` shows by default, and at most.
const DEFAULT_PAGE: u64 = 20;
const MAX_PAGE: u64 = super::KEPT_ATTEMPTS as u64;

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn view(id: &str, d: &Definition, s: &DeliveryState, with_secret: bool) -> WebhookView {
    WebhookView {
        id: id.to_owned(),
        url: d.url.clone(),
        events: d.events.clone(),
        filter: d.filter.clone(),
        secret: with_secret.then(|| d.secret.clone()),
        created_at: d.created_at.clone(),
        status: if s.disabled.is_some() {
            "disabled"
        } else {
            "active"
        }
        .into(),
        disabled_at: s.disabled.as_ref().map(|(at, _)| at.clone()),
        disabled_reason: s.disabled.as_ref().map(|(_, why)| why.clone()),
        delivered_through: s.cursor,
        failing_since: s.failing.as_ref().map(|f| rfc3339(f.since_ms)),
        next_attempt_at: s.failing.as_ref().map(|f| rfc3339(f.next_at_ms)),
    }
}

/// Checks a filter query string as the native listing reads it.
fn check_filter(filter: &str) -> ApiResult<interlog_store::Filter> {
    if filter.len() > MAX_FILTER_BYTES {
        return Err(ApiError::field(
            "filter",
            format!("at most {MAX_FILTER_BYTES} bytes"),
        ));
    }
    parse_filter(filter).map_err(|e| ApiError::field("filter", e.detail))
}

async fn load(
    state: &ApiState,
    tenant: &Tenant,
    id: &str,
) -> ApiResult<(Definition, DeliveryState)> {
    let d = super::definition(state.store.as_ref(), tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such webhook"))?;
    let s = super::state(state.store.as_ref(), tenant, id).await?;
    Ok((d, s))
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/webhooks", tag = "webhooks",
    request_body = NewWebhook,
    responses(
        AdminRefusals,
        JsonBodyRefusals,
        (status = 201, description = "Registered; the answer holds the signing secret, shown only now", body = WebhookView),
        (status = 422, description = "A bad url, events or filter"),
    ),
)]
pub async fn create(
    caller: Admin,
    State(state): State<ApiState>,
    JsonBody(new): JsonBody<NewWebhook>,
) -> ApiResult<Response> {
    let mut events = new.events.clone();
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(ApiError::field("events", "name at least one event"));
    }
    if let Some(e) = events.iter().find(|e| !super::EVENTS.contains(&e.as_str())) {
        // An unknown event is named only when short: the answer never echoes a large body.
        let named = if e.len() <= 64 {
            format!("{e:?}")
        } else {
            "an unknown event".into()
        };
        return Err(ApiError::field(
            "events",
            format!("{named}; accepted: {}", super::EVENTS.join(", ")),
        ));
    }
    let filter = new.filter.filter(|f| !f.trim().is_empty());
    if let Some(f) = &filter {
        // A name of too many ids is refused now (delivery resolves the names again).
        let parsed = check_filter(f)?;
        interlog_http::names::resolve(state.store.as_ref(), &caller.tenant, &parsed)
            .await
            .map_err(|e| match e.kind {
                interlog_http::ErrorKind::BadParameter => ApiError::field("filter", e.detail),
                _ => e,
            })?;
    }
    let allow = state.config.webhooks.allow_private_targets;
    let url = interlog_http::outbound::check_url(&new.url, allow)
        .await
        .map_err(|e| ApiError::field("url", e))?;
    let existing = definitions(state.store.as_ref(), &caller.tenant).await?;
    if existing.len() >= state.config.webhooks.max_per_tenant {
        return Err(ApiError::field(
            "url",
            format!(
                "a tenant may have at most {} webhooks",
                state.config.webhooks.max_per_tenant
            ),
        ));
    }
    let id = interlog_http::auth::random_id("wh_");
    let definition = Definition {
        url: url.to_string(),
        events,
        filter,
        secret: signature::new_secret(),
        created_at: jiff::Timestamp::now().to_string(),
    };
    // Deliveries start with what is written from now on.
    let head = state.store.changes(&caller.tenant, i64::MAX, 0).await?.head;
    let delivery = DeliveryState {
        cursor: head,
        ..DeliveryState::default()
    };
    let store = state.store.as_ref();
    store
        .put_setting(
            &caller.tenant,
            super::STATES,
            &id,
            &serde_json::to_string(&delivery).expect("states serialize"),
        )
        .await?;
    store
        .put_setting(
            &caller.tenant,
            super::DEFINITIONS,
            &id,
            &serde_json::to_string(&definition).expect("definitions serialize"),
        )
        .await?;
    tracing::info!(tenant = %caller.tenant.key, webhook = %id, by = %caller.claims.sub, "webhook registered");
    Ok((
        StatusCode::CREATED,
        Json(view(&id, &definition, &delivery, true)),
    )
        .into_response())
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/webhooks", tag = "webhooks",
    responses(
        AdminRefusals,
        (status = 200, description = "The tenant's webhooks (without secrets)", body = WebhookList),
    ),
)]
pub async fn list(caller: Admin, State(state): State<ApiState>) -> ApiResult<Json<WebhookList>> {
    let mut webhooks = Vec::new();
    for (id, d) in definitions(state.store.as_ref(), &caller.tenant).await? {
        let s = super::state(state.store.as_ref(), &caller.tenant, &id).await?;
        webhooks.push(view(&id, &d, &s, false));
    }
    webhooks.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(Json(WebhookList { webhooks }))
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    responses(
        AdminRefusals,
        (status = 200, description = "The webhook (without its secret)", body = WebhookView),
        (status = 404, description = "No such webhook"),
    ),
)]
pub async fn get(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Json<WebhookView>> {
    let (d, s) = load(&state, &caller.tenant, &id).await?;
    Ok(Json(view(&id, &d, &s, false)))
}

#[utoipa::path(
    delete, path = "/api/v1/tenants/{tenant}/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    responses(
        AdminRefusals,
        (status = 204, description = "Deleted; no further deliveries"),
        (status = 404, description = "No such webhook"),
    ),
)]
pub async fn delete(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let store = state.store.as_ref();
    load(&state, &caller.tenant, &id).await?;
    for ns in [super::DEFINITIONS, super::STATES] {
        store
            .update_setting(&caller.tenant, ns, &id, Box::new(|_| Ok(None)))
            .await?;
    }
    tracing::info!(tenant = %caller.tenant.key, webhook = %id, by = %caller.claims.sub, "webhook deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/webhooks/{id}/deliveries", tag = "webhooks",
    params(
        ("id" = String, Path, description = "Webhook id"),
        ("limit" = Option<u64>, Query, description = "Attempts per page: 1–100, default 20"),
        ("before" = Option<u64>, Query, description = "Only attempts numbered below this (`next_before` of the previous page)"),
    ),
    responses(
        AdminRefusals,
        (status = 200, description = "The webhook's status and a page of its recent delivery attempts, newest first (the last 100 are kept)", body = Deliveries),
        (status = 400, description = "A bad parameter"),
        (status = 404, description = "No such webhook"),
    ),
)]
pub async fn deliveries(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Deliveries>> {
    let p = Params::parse(raw.as_deref());
    p.reject_unknown(&["limit", "before"], &[])?;
    let limit = p.number("limit", 1, MAX_PAGE)?.unwrap_or(DEFAULT_PAGE) as usize;
    let before = p.number("before", 1, u64::MAX)?.unwrap_or(u64::MAX);
    let (d, s) = load(&state, &caller.tenant, &id).await?;
    let mut older = s.recent.iter().rev().filter(|a| a.number < before);
    let attempts: Vec<Attempt> = older.by_ref().take(limit).cloned().collect();
    let next_before = older.next().and_then(|_| attempts.last().map(|a| a.number));
    Ok(Json(Deliveries {
        webhook: view(&id, &d, &s, false),
        attempts,
        next_before,
    }))
}
