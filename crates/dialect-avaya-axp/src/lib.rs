//! The Avaya Experience Platform (AXP) Customer Journey dialect: every operation of Avaya's
//! Customer Journey API under `/api/journey/v1`, the A&A token endpoint under
//! `/api/auth/v1`, and the `avaya_axp` ingest format. See the crate's README for the
//! choices where Avaya leaves something undocumented.

mod access;
pub mod client;
mod custom_method;
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
mod routes;
mod token;
pub mod validate;

pub use access::{AxpClaims, APP_KEY, NAME};
pub use ingest::{decode_line, FORMAT};
pub use routes::routes;

use interlog_http::aliases::alias_in;
use interlog_http::api::DEMO_TOKEN;
use interlog_http::{Demo, DemoTenant, RecordLink, TenantIdShape};

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
