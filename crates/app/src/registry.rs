//! The APIs this server serves: the native API, each vendor dialect and the explorer. Each
//! is its own crate; adding one is its crate and one line here. Routes, ingest formats,
//! config sections, tenant aliases, the explorer's links, background work, scrape-time
//! gauges and the demo's calls all come from this list.

use crate::config::Config;
use interlog_http::background::Worker;
use interlog_http::formats::Formats;
use interlog_http::Api;

pub static APIS: &[&Api] = &[
    &interlog_native::API,
    &interlog_dialect_oracle_lx::API,
    &interlog_dialect_zoom_cc::API,
    &interlog_dialect_avaya_axp::API,
    &interlog_dialect_genesys_gws::API,
    &interlog_explorer::API,
];

/// The vendor dialects among them.
pub fn dialects() -> impl Iterator<Item = &'static Api> {
    APIS.iter().copied().filter(|a| a.is_dialect())
}

/// The dialect named `name`.
pub fn dialect(name: &str) -> Option<&'static Api> {
    dialects().find(|d| d.name == name)
}

/// Every ingest format, for `interlog import`.
pub fn formats() -> Formats {
    Formats::new(APIS.iter().filter_map(|a| a.format))
}

/// Every piece of background work the server runs: each API's, and the store's upkeep.
pub fn workers(config: &Config) -> Vec<Worker> {
    let mut all: Vec<Worker> = APIS.iter().flat_map(|a| (a.workers)()).collect();
    all.push(crate::maintenance::worker(
        config.maintenance_interval,
        config.change_horizon,
    ));
    all
}
