//! The native API under `/api/v1`: one canonical model, rich filters, keyset cursors; bulk
//! ingest, the change feed, webhooks and erasures; the OpenAPI document and its page; and
//! the service's health checks.

pub mod changes;
pub mod engagements;
pub mod erasures;
mod health;
pub mod ingest;
pub mod listing;
pub mod oauth;
pub mod openapi;
pub mod webhooks;

use axum::routing::{get, post};
use interlog_http::{AppState, Routes};

/// The native API's routes (and the service's own: health and documentation).
pub fn routes(_: &AppState) -> Routes {
    Routes::new("native")
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
        .route("/api/v1/tenants/{tenant}/erasures", post(erasures::create))
        .route("/api/v1/tenants/{tenant}/erasures/{id}", get(erasures::get))
        .merge(openapi::routes())
        .merge(health::routes())
}
