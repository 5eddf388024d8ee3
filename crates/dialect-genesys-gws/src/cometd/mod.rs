//! A CometD (Bayeux 1.0) server for GWS's notifications: long polling only (GWS 8.5 does
//! not support WebSocket), client ids bound to the HTTP session that handshook them, and
//! bounded memory per client.

pub mod endpoint;
pub mod hub;
pub mod protocol;
pub mod relay;

/// The topic of Interaction History results.
pub const INTERACTIONS_CHANNEL: &str = "/v2/ucs/interactions";
