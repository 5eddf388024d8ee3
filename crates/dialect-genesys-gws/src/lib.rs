//! The Genesys Web Services (GWS 8.5/8.6) dialect: the UCS interaction history API as a
//! Workspace-style client uses it — Basic login, the `JSESSIONID` session, CSRF tokens,
//! history operations answered over CometD — plus the plain GET form the seed describes,
//! and the `genesys_gws` ingest format. See the README for every choice made where GWS
//! leaves something undocumented. Its client side, the `genesys_gws` connector
//! ([`client`]), reads a GWS deployment's history as a Workspace-style client would.

mod api;
pub mod client;
pub mod cometd;
pub mod config;
mod content;
pub mod csrf;
pub mod dates;
pub mod envelope;
mod history;
pub mod ingest;
pub mod mapping;
mod me;
pub mod params;
pub mod render;
pub mod session;
mod shared;

pub use api::{routes_with, API};
pub use cometd::hub::Stats;
pub use config::GwsConfig;
pub use ingest::FORMAT;
pub use shared::Gws;

/// The dialect's name: its ingest format, its config section and its tenant-alias
/// namespace (the tenant part of a login may be an alias in it).
pub const NAME: &str = "genesys_gws";
