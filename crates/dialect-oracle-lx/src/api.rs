//! The dialect as the app serves it: its [`Api`] value and its routes.

use crate::ingest::FORMAT;
use crate::{auth, engagements, NAME};
use axum::http::HeaderMap;
use axum::routing::{delete, get, MethodRouter};
use interlog_http::aliases::alias_in;
use interlog_http::api::DEMO_TOKEN;
use interlog_http::{Api, ApiState, Demo, DemoTenant, RecordLink, Routes, TenantIdShape};
use interlog_model::Engagement;
use interlog_store::Tenant;

/// The Oracle Live Experience dialect. It has no settings.
pub static API: Api = Api {
    name: NAME,
    tenant_id: Some(TenantIdShape::ANY),
    routes: |_| Ok(routes()),
    format: Some(FORMAT),
    connector: Some(&crate::client::CONNECTOR),
    record_link,
    demo: Demo {
        calls: Some(demo_calls),
        ..Demo::NONE
    },
    ..Api::NONE
};

/// A token for the client's id and secret, then the tenant's newest engagements.
fn demo_calls(t: &DemoTenant) -> String {
    format!(
        "  # Oracle Live Experience\n  LX=$(curl -s -u $ID:$SECRET $BASE/v1/auth/{key} | {DEMO_TOKEN})\n  curl -s -H \"Authorization: Bearer $LX\" \"$BASE/v1/engagements/{key}?limit=2\"\n",
        key = t.key,
    )
}

/// The listing narrowed to the engagement's start (Oracle has no read by id), in the
/// tenant's local time as Oracle's parameters are.
fn record_link(tenant: &Tenant, e: &Engagement) -> Option<RecordLink> {
    let tz = interlog_model::time::zone(&tenant.time_zone).ok()?;
    let local = e.started_at.to_zoned(tz);
    let at = format!(
        "{}.{:03}",
        local.strftime("%Y-%m-%dT%H:%M:%S"),
        local.millisecond()
    );
    let name = alias_in(tenant, NAME).unwrap_or(&tenant.key);
    Some(RecordLink::get(format!(
        "/v1/engagements/{name}?status=all&startAfter={at}&startBefore={at}"
    )))
}

/// The dialect's routes, to merge into the server's router.
pub fn routes() -> Routes {
    Routes::new(NAME)
        .public("/v1/auth/{tenant}", only(get(auth::token), "GET, HEAD"))
        .route(
            "/v1/engagements/{tenant}",
            only(get(engagements::list), "GET, HEAD"),
        )
        .route(
            "/v1/engagements/count/{tenant}",
            only(get(engagements::count), "GET, HEAD"),
        )
        .route(
            "/v1/engagements/{tenant}/{id}",
            only(delete(engagements::delete), "DELETE"),
        )
}

/// A route's methods, and the dialect's 405 naming them (`allow`) for any other.
fn only(methods: MethodRouter<ApiState>, allow: &'static str) -> MethodRouter<ApiState> {
    methods.fallback(move |h: HeaderMap| async move { engagements::method_not_allowed(&h, allow) })
}
