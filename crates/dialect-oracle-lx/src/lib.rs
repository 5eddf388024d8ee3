//! The Oracle Live Experience dialect: the vendor's engagement history API
//! (`/v1/auth/{tenant}`, `/v1/engagements/{tenant}`, its count and delete) in JSON and XML,
//! and the `oracle_lx` ingest format (`engagementV1` JSON lines or XML documents).
//!
//! Every choice the vendor leaves undocumented is written down once, in this crate's
//! README, and tested. Its client side, the `oracle_lx` connector ([`client`]), reads an
//! LX tenant's history as an LX integration would.

mod api;
pub mod auth;
pub mod caller;
pub mod client;
pub mod engagements;
pub mod error;
pub mod ingest;
pub mod negotiate;
pub mod params;
pub mod render_json;
pub mod render_xml;
pub mod view;
pub mod xml;

pub use api::{routes, API};
pub use ingest::FORMAT;

/// The dialect's name: its ingest format and its tenant-alias namespace.
pub const NAME: &str = "oracle_lx";
