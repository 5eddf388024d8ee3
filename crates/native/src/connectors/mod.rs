//! Connectors: Interlog pulling a tenant's history from a platform by itself, incrementally
//! and live, through the client side of that platform's dialect (see
//! [`interlog_http::connector`] for the contract and the stored state).
//!
//! - [`routes`]: `/api/v1/tenants/{tenant}/connectors` (admin);
//! - [`manage`]: creating, changing, removing and reading connectors (the routes and the
//!   CLI);
//! - [`config`]: checking a configuration (a 400 naming the field);
//! - [`runner`]: the `connectors` worker — scheduling, leases, windows, cursors, backoff,
//!   status and metrics, once for every kind;
//! - [`commit`]: storing what a source reads, idempotently.

pub mod commit;
pub mod config;
pub mod manage;
pub mod routes;
pub mod runner;
