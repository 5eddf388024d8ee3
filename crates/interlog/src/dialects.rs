//! The vendor dialects this server speaks: their routes and their ingest formats. Each
//! dialect is its own crate; this is the one place that lists them.

use interlog_api::formats::Formats;
use interlog_api::AppState;

/// Every dialect's routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(interlog_dialect_oracle_lx::routes())
        .merge(interlog_dialect_avaya_axp::routes())
        .merge(interlog_dialect_genesys_gws::routes())
        .merge(interlog_dialect_zoom_cc::routes())
}

/// The canonical format and every dialect's.
pub fn formats() -> Formats {
    Formats::new([
        interlog_dialect_oracle_lx::FORMAT,
        interlog_dialect_avaya_axp::FORMAT,
        interlog_dialect_genesys_gws::FORMAT,
        interlog_dialect_zoom_cc::FORMAT,
    ])
}
