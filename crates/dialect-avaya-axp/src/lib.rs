//! The Avaya Experience Platform (AXP) Customer Journey dialect: every operation of Avaya's
//! Customer Journey API under `/api/journey/v1`, the A&A token endpoint under
//! `/api/auth/v1`, and the `avaya_axp` ingest format. See the crate's README for the
//! choices where Avaya leaves something undocumented.
//!
//! Several of Avaya's paths end in a custom method after a colon (`journeys:search`,
//! `{engagementId}:update`). Such a segment is routed as one path parameter and dispatched
//! here on the method after its last colon; an unknown method is a 404 problem.

mod access;
pub mod client;
mod engagements;
pub mod http;
mod identifiers;
pub mod identity;
pub mod ingest;
mod journeys;
pub mod json;
mod notes;
pub mod problem;
pub mod render;
mod token;
pub mod validate;

pub use access::{AxpClaims, APP_KEY, NAME};
pub use ingest::{decode_line, FORMAT};

use access::{Account, Axp};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::Extension;
use bytes::Bytes;
use http::split_method;
use interlog_http::aliases::alias_in;
use interlog_http::api::DEMO_TOKEN;
use interlog_http::{ApiState, Demo, DemoTenant, RecordLink, Routes, TenantIdShape};
use problem::{Api, AxpResult, Problem};

const BASE: &str = "/accounts/{accountId}";

/// The Avaya Experience Platform Customer Journey dialect. It has no settings.
pub static API: interlog_http::Api = interlog_http::Api {
    name: NAME,
    tenant_id: Some(TenantIdShape {
        accepts: validate::is_account_id,
        description: "six letters (an AXP account id)",
    }),
    routes: |_| Ok(routes()),
    format: Some(FORMAT),
    connector: Some(&crate::client::CONNECTOR),
    record_link,
    demo: Demo {
        alias: Some(DEMO_ACCOUNT),
        config_defaults: &[],
        calls: Some(demo_calls),
    },
    ..interlog_http::Api::NONE
};

/// The demo tenant's account id (`demo` is not six letters).
const DEMO_ACCOUNT: &str = "DEMOAC";

/// A token for the client's id, secret and application key, then the newest engagement
/// with an AXP id (a UUID).
fn demo_calls(t: &DemoTenant) -> String {
    let path = match t
        .newest
        .iter()
        .find(|e| uuid::Uuid::parse_str(&e.id).is_ok())
    {
        Some(e) => format!("engagements/{}", e.id),
        None => "engagements?engagementIds=00000000-0000-0000-0000-000000000000".into(),
    };
    format!(
        "  # Avaya Experience Platform (account {DEMO_ACCOUNT}, application key {app_key})\n  AXP=$(curl -s -H 'appkey: {app_key}' -d grant_type=client_credentials -d client_id=$ID -d client_secret=$SECRET $BASE/api/auth/v1/{DEMO_ACCOUNT}/protocol/openid-connect/token | {DEMO_TOKEN})\n  curl -s -H \"Authorization: Bearer $AXP\" -H 'appkey: {app_key}' \"$BASE/api/journey/v1/accounts/{DEMO_ACCOUNT}/{path}\"\n",
        app_key = t.app_key,
    )
}

/// The engagement under the tenant's account id: its alias in this dialect, else its key
/// when that has the shape of one.
fn record_link(
    tenant: &interlog_store::Tenant,
    e: &interlog_model::Engagement,
) -> Option<RecordLink> {
    let account = match alias_in(tenant, NAME) {
        Some(alias) => alias.to_owned(),
        None if validate::is_account_id(&tenant.key) => tenant.key.to_ascii_uppercase(),
        None => return None,
    };
    Some(RecordLink::get(format!(
        "/api/journey/v1/accounts/{account}/engagements/{}",
        e.id
    )))
}

/// The dialect's routes, with their own caches (one set per router). Paths under the two
/// prefixes that match no operation get Avaya's 404 problem.
pub fn routes() -> Routes {
    let r = |p: &str| format!("{BASE}{p}");
    let auth = Routes::new(NAME)
        .public(
            "/{accountId}/protocol/openid-connect/token",
            post(token::token).fallback(auth_method_not_allowed),
        )
        .public(
            "/{accountId}/protocol/openid-connect/revoke",
            post(token::revoke).fallback(auth_method_not_allowed),
        )
        .fallback(auth_not_found);
    let journey = Routes::new(NAME)
        .route(&r("/engagements"), any(engagements_root))
        .route(&r("/engagements/{engagementId}"), any(engagement))
        .route(
            &r("/engagements/{engagementId}/agent-notes"),
            any(agent_notes),
        )
        .route(
            &r("/engagements/{engagementId}/agent-note"),
            any(agent_note),
        )
        .route(
            &r("/engagements/{engagementId}/agent-note/{noteId}"),
            any(agent_note_one),
        )
        .route(
            &r("/engagements/{engagementId}/participants/{participantId}"),
            any(participant),
        )
        .route(&r("/identifiers"), any(identifiers_root))
        .route(&r("/identifiers/{identifierId}"), any(identifier_one))
        .route(&r("/{segment}"), any(account_segment))
        .fallback(journey_not_found);
    Routes::new(NAME)
        .nest("/api/auth/v1", auth)
        .nest("/api/journey/v1", journey)
        .layer(Extension(Axp::default()))
}

type Body = Result<Bytes, BytesRejection>;

fn respond(r: AxpResult<Response>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

fn not_allowed() -> AxpResult<Response> {
    Err(Problem::method_not_allowed(Api::Journey))
}

fn unknown() -> AxpResult<Response> {
    Err(Problem::not_found(Api::Journey))
}

async fn auth_method_not_allowed() -> Problem {
    Problem::method_not_allowed(Api::Auth)
}

async fn auth_not_found() -> Problem {
    Problem::not_found(Api::Auth)
}

async fn journey_not_found() -> Problem {
    Problem::not_found(Api::Journey)
}

async fn engagements_root(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            match method {
                Method::GET => engagements::list(&state, &account.allow()?, query.as_deref()).await,
                Method::POST => {
                    let b = http::bytes(body)?;
                    engagements::create(&state, &account.allow()?, &headers, &b).await
                }
                _ => not_allowed(),
            }
        }
        .await,
    )
}

async fn engagement(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            let (_, segment) = http::path(path)?;
            let (id, m) = split_method(&segment);
            match (m, &method) {
                (None, &Method::GET) => engagements::get_one(&state, &account.allow()?, id).await,
                (Some("update"), &Method::POST) => {
                    let b = http::bytes(body)?;
                    engagements::update(&state, &account.allow()?, id, &headers, &b).await
                }
                (Some("appendIdentifiers"), &Method::POST) => {
                    let b = http::bytes(body)?;
                    engagements::append_identifiers(&state, &account.allow()?, id, &headers, &b)
                        .await
                }
                (None | Some("update" | "appendIdentifiers"), _) => not_allowed(),
                _ => unknown(),
            }
        }
        .await,
    )
}

async fn agent_notes(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    respond(
        async {
            let (_, id) = http::path(path)?;
            match method {
                Method::GET => notes::list(&state, &account.allow()?, &id).await,
                _ => not_allowed(),
            }
        }
        .await,
    )
}

async fn agent_note(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            let (_, id) = http::path(path)?;
            match method {
                Method::POST => {
                    let b = http::bytes(body)?;
                    notes::create(&state, &account.allow()?, &id, &headers, &b).await
                }
                _ => not_allowed(),
            }
        }
        .await,
    )
}

async fn agent_note_one(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            let (_, id, note) = http::path(path)?;
            match method {
                Method::PUT => {
                    let b = http::bytes(body)?;
                    notes::update(&state, &account.allow()?, &id, &note, &headers, &b).await
                }
                Method::DELETE => notes::delete(&state, &account.allow()?, &id, &note).await,
                _ => not_allowed(),
            }
        }
        .await,
    )
}

async fn participant(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            let (_, id, segment) = http::path(path)?;
            let (pid, m) = split_method(&segment);
            match (m, &method) {
                (Some("add"), &Method::POST) => {
                    let b = http::bytes(body)?;
                    let caller = account.allow()?;
                    engagements::add_participant(&state, &caller, &id, pid, &headers, &b).await
                }
                (Some("remove"), &Method::POST) => {
                    let b = http::bytes(body)?;
                    let caller = account.allow()?;
                    engagements::remove_participant(&state, &caller, &id, pid, &headers, &b).await
                }
                (Some("add" | "remove"), _) => not_allowed(),
                _ => unknown(),
            }
        }
        .await,
    )
}

async fn identifiers_root(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            match method {
                Method::GET => identifiers::list(&state, &account.allow()?).await,
                Method::POST => {
                    let b = http::bytes(body)?;
                    identifiers::create(&state, &account.allow()?, &headers, &b).await
                }
                _ => not_allowed(),
            }
        }
        .await,
    )
}

async fn identifier_one(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            let (_, id) = http::path(path)?;
            match method {
                Method::GET => identifiers::get_one(&state, &account.allow()?, &id).await,
                Method::PUT => {
                    let b = http::bytes(body)?;
                    identifiers::update(&state, &account.allow()?, &id, &headers, &b).await
                }
                _ => not_allowed(),
            }
        }
        .await,
    )
}

/// The custom methods directly under an account: `journeys`, `journeys:search`,
/// `journeys:unlinkIdentifier`, `journeys:listAgents`, `identifiers:delete`.
async fn account_segment(
    account: Account,
    method: Method,
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(
        async {
            let (_, segment) = http::path(path)?;
            let known = matches!(
                split_method(&segment),
                (
                    "journeys",
                    None | Some("search" | "unlinkIdentifier" | "listAgents")
                ) | ("identifiers", Some("delete"))
            );
            if !known {
                return unknown();
            }
            if method != Method::POST {
                return not_allowed();
            }
            let b = http::bytes(body)?;
            let q = query.as_deref();
            match split_method(&segment) {
                ("journeys", None) => journeys::link(&state, &account.allow()?, &headers, &b).await,
                ("journeys", Some("search")) => {
                    journeys::search(&state, &account.allow()?, q, &headers, &b).await
                }
                ("journeys", Some("unlinkIdentifier")) => {
                    journeys::unlink(&state, &account.allow()?, &headers, &b).await
                }
                ("journeys", Some("listAgents")) => {
                    journeys::list_agents(&state, &account.allow()?, q, &headers, &b).await
                }
                _ => identifiers::delete(&state, &account.allow()?, &headers, &b).await,
            }
        }
        .await,
    )
}
