//! The dialect as the app serves it: its [`Api`] value and its routes.

use crate::config::{self, GwsConfig};
use crate::envelope::{code, GwsError};
use crate::ingest::FORMAT;
use crate::shared::Gws;
use crate::{cometd, content, history, me, NAME};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodRouter};
use axum::Extension;
use interlog_http::{Api, ApiState, Demo, DemoTenant, RecordLink, Routes, TenantIdShape};
use std::sync::Arc;

/// The Genesys Web Services dialect.
pub static API: Api = Api {
    name: NAME,
    tenant_id: Some(TenantIdShape::ANY),
    config_keys: config::CONFIG_KEYS,
    routes: |values| Ok(routes_with(GwsConfig::from_section(values)?)),
    format: Some(FORMAT),
    connector: Some(&crate::client::CONNECTOR),
    // GetInteractionContent: a POST whose answer arrives over CometD.
    record_link: |_, e| {
        Some(RecordLink {
            method: "POST",
            path: format!("/api/v2/ucs/interactions/{}", e.id),
        })
    },
    observe,
    demo: Demo {
        alias: None,
        // So the demo's user can log in with a bare user name.
        config_defaults: &[("default_tenant", "demo")],
        calls: Some(demo_calls),
    },
    ..Api::NONE
};

/// Keeps `interlog_cometd_clients` up to date at every scrape.
fn observe(state: &ApiState, handles: &axum::http::Extensions) {
    if let Some(gws) = handles.get::<Arc<Gws>>().cloned() {
        state.exposition.on_scrape(move || {
            metrics::gauge!(interlog_http::metrics::COMETD_CLIENTS).set(gws.stats().clients as f64);
        });
    }
}

/// The history with the user's name and password (HTTP Basic).
fn demo_calls(t: &DemoTenant) -> String {
    let (user, password) = (t.username, t.password);
    format!(
        "  # Genesys Web Services (user {user}, password {password})\n  curl -s -u '{user}:{password}' \"$BASE/api/v2/ucs/interactions?maxSize=2\"\n"
    )
}

/// The dialect's routes, for the running dialect `gws`.
pub fn routes(gws: &Arc<Gws>) -> Routes {
    Routes::new(NAME)
        .route("/api/v2/me", only(get(me::get)))
        .route(
            "/api/v2/ucs/interactions",
            only(get(history::get).post(history::post)),
        )
        .route("/api/v2/ucs/interactions/{id}", only(post(content::post)))
        .route(
            "/api/v2/ucs/contacts/{id}/interactions",
            only(post(history::post_contact)),
        )
        .route(
            "/api/v2/notifications",
            only(post(cometd::endpoint::endpoint)),
        )
        .route(
            "/api/v2/notifications/",
            only(post(cometd::endpoint::endpoint)),
        )
        .route(
            "/api/v2/notifications/{*rest}",
            only(post(cometd::endpoint::endpoint)),
        )
        .layer(Extension(gws.clone()))
        .expose(gws.clone())
}

/// A route whose other methods get GWS's envelope rather than the native 405.
fn only(m: MethodRouter<ApiState>) -> MethodRouter<ApiState> {
    m.fallback(|_: HeaderMap| async {
        GwsError::new(code::FORBIDDEN, "This resource does not accept that method")
            .with_http(axum::http::StatusCode::METHOD_NOT_ALLOWED)
            .into_response()
    })
}

/// The routes with these settings.
pub fn routes_with(config: GwsConfig) -> Routes {
    routes(&Gws::new(config))
}
