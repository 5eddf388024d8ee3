//! The Zoom Contact Center dialect: a wire-compatible copy of Zoom's engagement history API
//! (`/v2/contact_center/engagements...`) and its server-to-server OAuth token endpoint,
//! over Interlog's canonical model and store, and the `zoom_cc` ingest format.
//!
//! Zoom's "account" is the tenant of the bearer token. Choices Zoom leaves undocumented are
//! listed in this crate's README.

mod auth;
pub mod channels;
pub mod config;
mod engagement;
pub mod error;
pub mod ingest;
mod list;
mod notes;
mod oauth;
pub mod page_token;
pub mod params;
pub mod rate_limit;
pub mod render;
pub mod scopes;
pub mod time;
pub mod view;

pub use config::{LabelLimit, RateLimits, ZoomConfig};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Extension;
use interlog_http::api::DEMO_TOKEN;
use interlog_http::formats::Format;
use interlog_http::{Api, Demo, DemoTenant, RecordLink, Routes, TenantIdShape};
use std::sync::Arc;

/// The dialect's name: its ingest format and its tenant-alias namespace (an alias in this
/// namespace is accepted as the `account_id` of a token request).
pub const NAME: &str = "zoom_cc";

/// The `zoom_cc` ingest format: one Zoom engagement (or list envelope) a line.
pub const FORMAT: Format = Format {
    name: NAME,
    line: ingest::decode,
    xml_document: None,
};

/// What the handlers share besides the application state.
pub struct Zoom {
    pub config: ZoomConfig,
    limiter: Option<rate_limit::RateLimiter>,
}

impl Zoom {
    pub fn new(config: ZoomConfig) -> Self {
        Zoom {
            limiter: config.rate_limits.map(rate_limit::RateLimiter::new),
            config,
        }
    }
}

/// The Zoom Contact Center dialect.
pub static API: Api = Api {
    name: NAME,
    tenant_id: Some(TenantIdShape::ANY),
    config_keys: config::CONFIG_KEYS,
    routes: |values| Ok(routes(ZoomConfig::from_section(values)?)),
    format: Some(FORMAT),
    // Zoom's account is the token's, so the path names only the engagement.
    record_link: |_, e| {
        Some(RecordLink::get(format!(
            "/v2/contact_center/engagements/{}",
            e.id
        )))
    },
    demo: Demo {
        calls: Some(demo_calls),
        ..Demo::NONE
    },
    ..Api::NONE
};

/// A token for the client's id and secret, then engagements of the month up to the newest
/// one's day: without `from` and `to` Zoom lists the past 24 hours of the clock, which holds
/// nothing once the demo's data has aged (a data directory reused days later).
fn demo_calls(t: &DemoTenant) -> String {
    let newest_day = t
        .newest
        .first()
        .map_or(t.end, |e| e.started_at)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let month_before = newest_day
        .checked_sub(jiff::Span::new().days(27))
        .unwrap_or(newest_day);
    format!(
        "  # Zoom Contact Center\n  ZOOM=$(curl -s -u $ID:$SECRET -X POST \"$BASE/oauth/token?grant_type=account_credentials&account_id={key}\" | {DEMO_TOKEN})\n  curl -s -H \"Authorization: Bearer $ZOOM\" \"$BASE/v2/contact_center/engagements?from={month_before}&to={newest_day}&page_size=2\"\n",
        key = t.key,
    )
}

/// The dialect's routes with these settings.
pub fn routes(config: ZoomConfig) -> Routes {
    let base = "/v2/contact_center/engagements";
    Routes::new(NAME)
        .public("/oauth/token", post(oauth::token))
        .route(base, get(list::list))
        // A static segment wins over `{engagementId}`, so `notes` is never taken for an id.
        .route(&format!("{base}/notes"), get(notes::all_notes))
        .route(&format!("{base}/{{id}}"), get(engagement::get))
        .route(&format!("{base}/{{id}}/events"), get(engagement::events))
        .route(
            &format!("{base}/{{id}}/recordings"),
            get(engagement::list_recordings).delete(engagement::delete_recordings),
        )
        .route(
            &format!("{base}/{{id}}/recordings/status"),
            get(engagement::recording_status),
        )
        .route(
            &format!("{base}/{{id}}/recording/{{command}}"),
            put(engagement::recording_control),
        )
        .route(&format!("{base}/{{id}}/survey"), get(engagement::survey))
        .route(
            &format!("{base}/{{id}}/notes"),
            get(notes::engagement_notes),
        )
        .route(
            &format!("{base}/{{id}}/notes/{{note_id}}"),
            get(notes::get_note).patch(notes::update_note),
        )
        .layer(Extension(Arc::new(Zoom::new(config))))
}

/// A JSON answer with Zoom's content type.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        )],
        body,
    )
        .into_response()
}
