//! The Zoom Contact Center dialect: a wire-compatible copy of Zoom's engagement history API
//! (`/v2/contact_center/engagements...`) and its server-to-server OAuth token endpoint,
//! over Interlog's canonical model and store, and the `zoom_cc` ingest format.
//!
//! Zoom's "account" is the tenant of the bearer token. Choices Zoom leaves undocumented are
//! listed in this crate's README.
//!
//! Its client side, the `zoom_cc` connector ([`client`]), reads a Zoom account's history
//! the same way a Zoom integration would.

mod api;
mod auth;
pub mod channels;
pub mod client;
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
mod shared;
pub mod time;
pub mod view;

pub use api::{routes, API};
pub use config::{LabelLimit, RateLimits, ZoomConfig};
pub use ingest::FORMAT;
pub use shared::Zoom;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The dialect's name: its ingest format and its tenant-alias namespace (an alias in this
/// namespace is accepted as the `account_id` of a token request).
pub const NAME: &str = "zoom_cc";

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
