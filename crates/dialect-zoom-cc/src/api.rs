//! The dialect as the app serves it: its [`Api`] value and its routes.

use crate::config::{self, ZoomConfig};
use crate::ingest::FORMAT;
use crate::shared::Zoom;
use crate::{engagement, list, notes, oauth, NAME};
use axum::routing::{get, post, put};
use axum::Extension;
use interlog_http::api::DEMO_TOKEN;
use interlog_http::{Api, Demo, DemoTenant, RecordLink, Routes, TenantIdShape};
use std::sync::Arc;

/// The Zoom Contact Center dialect.
pub static API: Api = Api {
    name: NAME,
    tenant_id: Some(TenantIdShape::ANY),
    config_keys: config::CONFIG_KEYS,
    routes: |values| Ok(routes(ZoomConfig::from_section(values)?)),
    format: Some(FORMAT),
    connector: Some(&crate::client::CONNECTOR),
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
