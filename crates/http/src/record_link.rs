//! How one engagement is read through an API: the explorer shows each API's request for
//! the engagement it displays.

use interlog_model::Engagement;
use interlog_store::Tenant;

/// How an API reads one engagement of a tenant; `None` when the tenant has no name in it.
pub type RecordLinkFn = fn(&Tenant, &Engagement) -> Option<RecordLink>;

/// A request that reads one engagement through an API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLink {
    /// `GET`, or the method of a dialect whose read is not a GET (GWS's content is a POST).
    pub method: &'static str,
    /// Path and query.
    pub path: String,
}

impl RecordLink {
    pub fn get(path: String) -> Self {
        RecordLink {
            method: "GET",
            path,
        }
    }
}
