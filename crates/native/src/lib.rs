//! The native API under `/api/v1`: one canonical model, rich filters, keyset cursors; bulk
//! ingest, the change feed, webhooks, connectors, erasures, exports and analytics; the OpenAPI
//! document and its page; and the service's health checks.

pub mod access;
pub mod analytics;
pub mod changes;
pub mod connectors;
pub mod engagements;
pub mod erasures;
pub mod exports;
mod health;
pub mod ingest;
pub mod listing;
pub mod names;
pub mod oauth;
pub mod openapi;
pub mod responses;
pub mod webhooks;

use axum::routing::{get, post};
use interlog_http::api::DEMO_TOKEN;
use interlog_http::{Api, Demo, DemoTenant, RecordLink, Routes};

/// The native API's name (its routes' `api` label, its ingest format's name).
pub const NAME: &str = "native";

/// The native API.
pub static API: Api = Api {
    name: NAME,
    routes: |_| Ok(routes()),
    format: Some(ingest::NATIVE),
    record_link: |tenant, e| {
        Some(RecordLink::get(format!(
            "/api/v1/tenants/{}/engagements/{}",
            tenant.key, e.id
        )))
    },
    workers: || {
        vec![
            webhooks::delivery::worker(),
            connectors::runner::worker(),
            erasures::worker::worker(),
            exports::worker::worker(),
        ]
    },
    demo: Demo {
        calls: Some(demo_calls),
        ..Demo::NONE
    },
    ..Api::NONE
};

/// A token, then the tenant's newest engagements.
fn demo_calls(t: &DemoTenant) -> String {
    format!(
        "  # native\n  TOKEN=$(curl -s -X POST $BASE/api/v1/oauth/token -d grant_type=client_credentials -d client_id=$ID -d client_secret=$SECRET | {DEMO_TOKEN})\n  curl -s -H \"Authorization: Bearer $TOKEN\" \"$BASE/api/v1/tenants/{key}/engagements?limit=2\"\n",
        key = t.key,
    )
}

/// The native API's routes (and the service's own: health and documentation).
pub fn routes() -> Routes {
    Routes::new(NAME)
        .public("/api/v1/oauth/token", post(oauth::token))
        .route(
            "/api/v1/tenants/{tenant}/engagements",
            get(listing::list).post(engagements::create),
        )
        .route(
            "/api/v1/tenants/{tenant}/engagements/{id}",
            get(engagements::get)
                .put(engagements::put)
                .patch(engagements::patch)
                .delete(engagements::delete),
        )
        .route("/api/v1/tenants/{tenant}/ingest", post(ingest::ingest))
        .route("/api/v1/tenants/{tenant}/changes", get(changes::changes))
        .route(
            "/api/v1/tenants/{tenant}/webhooks",
            get(webhooks::routes::list).post(webhooks::routes::create),
        )
        .route(
            "/api/v1/tenants/{tenant}/webhooks/{id}",
            get(webhooks::routes::get).delete(webhooks::routes::delete),
        )
        .route(
            "/api/v1/tenants/{tenant}/webhooks/{id}/deliveries",
            get(webhooks::routes::deliveries),
        )
        .route(
            "/api/v1/tenants/{tenant}/connectors",
            get(connectors::routes::list).post(connectors::routes::create),
        )
        .route(
            "/api/v1/tenants/{tenant}/connectors/{id}",
            get(connectors::routes::get)
                .patch(connectors::routes::patch)
                .delete(connectors::routes::delete),
        )
        .route(
            "/api/v1/tenants/{tenant}/connectors/{id}/run",
            post(connectors::routes::run),
        )
        .route("/api/v1/tenants/{tenant}/clients", get(access::clients))
        .route(
            "/api/v1/tenants/{tenant}/clients/{id}",
            axum::routing::delete(access::delete_client),
        )
        .route(
            "/api/v1/tenants/{tenant}/clients/{id}/disable",
            post(access::disable_client),
        )
        .route(
            "/api/v1/tenants/{tenant}/clients/{id}/enable",
            post(access::enable_client),
        )
        .route("/api/v1/tenants/{tenant}/users", get(access::users))
        .route(
            "/api/v1/tenants/{tenant}/users/{username}",
            axum::routing::delete(access::delete_user),
        )
        .route(
            "/api/v1/tenants/{tenant}/users/{username}/disable",
            post(access::disable_user),
        )
        .route(
            "/api/v1/tenants/{tenant}/users/{username}/enable",
            post(access::enable_user),
        )
        .route("/api/v1/tenants/{tenant}/erasures", post(erasures::create))
        .route("/api/v1/tenants/{tenant}/erasures/{id}", get(erasures::get))
        .route(
            "/api/v1/tenants/{tenant}/exports",
            get(exports::routes::list).post(exports::routes::create),
        )
        .route(
            "/api/v1/tenants/{tenant}/exports/{id}",
            get(exports::routes::get).delete(exports::routes::delete),
        )
        .route(
            "/api/v1/tenants/{tenant}/exports/{id}/file",
            get(exports::routes::file),
        )
        .route(
            "/api/v1/tenants/{tenant}/analytics",
            get(analytics::analytics),
        )
        .route("/api/v1/tenants/{tenant}/names", get(names::names))
        .merge(openapi::routes())
        .merge(health::routes())
}
