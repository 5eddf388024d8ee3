//! Export jobs: a tenant's engagements matching the native list's filters, as of one
//! change-feed position (a read snapshot, [`interlog_store::Engagements::snapshot`]), written
//! to a file in Parquet, CSV or NDJSON ([`encode`]) that any client of the tenant's admins
//! starts, watches and downloads.
//!
//! A job is durable, leased work ([`job`]): its record is a setting of its tenant
//! (namespace [`JOBS`]) holding its state and lease, so any instance may run it, a job
//! whose instance died is run again from the start by another (at most [`MAX_ATTEMPTS`]
//! times, then `failed` with the reason), and a partial file never outlives its run. Each
//! instance runs one export at a time ([`worker`]), reading on a connection and thread of
//! its own at low priority, so exports never take the API's readers or turns. Files live in
//! [`interlog_http::ExportConfig::dir`] (`<tenant id>/<job id>.<ext>`, mode 0600), are
//! deleted `ttl` after they were completed, and count against the tenant's byte quota.

#[cfg(test)]
mod batch;
pub mod columnar;
pub mod decode;
pub mod encode;
pub mod job;
pub mod memory;
pub mod routes;
pub mod schema;
pub mod worker;

use interlog_http::background::lease::{Lease, Leased};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Settings namespace of export jobs (key: the job's id).
pub const JOBS: &str = "exports";
/// How often a job whose instance died is run again before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 3;
/// Jobs a tenant may have queued or running at once.
pub const MAX_ACTIVE: usize = 4;
/// Job records a tenant keeps (finished ones included; `DELETE` removes one).
pub const MAX_KEPT: usize = 100;

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Parquet,
    Csv,
    Ndjson,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "parquet" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            "ndjson" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    Expired,
}

impl JobState {
    /// Whether the job is still to run or running.
    pub fn is_active(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// How far a job got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    /// Engagements written so far.
    pub done: u64,
    /// Engagements in the snapshot (known once it is taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// An export job's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub state: JobState,
    pub format: Format,
    /// The filters as given (shown back).
    #[serde(default)]
    pub filters: serde_json::Map<String, serde_json::Value>,
    /// The same as a native list query string (what is parsed when the job runs).
    pub query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    #[serde(default)]
    pub progress: Progress,
    #[serde(default)]
    pub rows: u64,
    #[serde(default)]
    pub bytes: u64,
    pub requested_by: String,
    /// RFC 3339.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The change-feed position the rows are consistent with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Runs started (a run interrupted by a crash is started again).
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// Finished, its `export.completed` or `export.failed` webhook event not yet queued
    /// ([`worker`] queues it, then clears this).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub announce: bool,
}

/// A job runs under a lease while it is queued or running; a finished one is not taken.
impl Leased for Job {
    fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn lease_mut(&mut self) -> &mut Option<Lease> {
        &mut self.lease
    }

    fn is_paused(&self) -> bool {
        !self.state.is_active()
    }
}

/// An export job as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ExportView {
    /// `ex_…`
    pub id: String,
    pub state: JobState,
    pub format: Format,
    #[schema(value_type = Object)]
    pub filters: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    pub progress: Progress,
    /// Engagements in the file (once completed).
    pub rows: u64,
    /// Size of the file (once completed).
    pub bytes: u64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The change-feed position the rows are consistent with: read the feed after it
    /// (`GET …/changes?after=POSITION`) for everything that changed since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the file is (once completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Job {
    pub fn view(&self, tenant_key: &str) -> ExportView {
        ExportView {
            id: self.id.clone(),
            state: self.state,
            format: self.format,
            filters: self.filters.clone(),
            fields: self.fields.clone(),
            progress: self.progress,
            rows: self.rows,
            bytes: self.bytes,
            created_at: self.created_at.clone(),
            completed_at: self.completed_at.clone(),
            expires_at: self.expires_at.clone(),
            position: self.position,
            error: self.error.clone(),
            file: (self.state == JobState::Completed)
                .then(|| format!("/api/v1/tenants/{tenant_key}/exports/{}/file", self.id)),
        }
    }
}

/// The directory of a tenant's export files.
pub fn tenant_dir(root: &Path, tenant_id: i64) -> PathBuf {
    root.join(tenant_id.to_string())
}

/// A finished job's file.
pub fn file_path(root: &Path, tenant_id: i64, id: &str, format: Format) -> PathBuf {
    tenant_dir(root, tenant_id).join(format!("{id}.{}", format.extension()))
}

/// The file a run writes, renamed to [`file_path`] when it completes.
pub fn partial_path(root: &Path, tenant_id: i64, id: &str, format: Format) -> PathBuf {
    tenant_dir(root, tenant_id).join(format!("{id}.{}.part", format.extension()))
}

/// Whether `id` has the shape of a job id (others are 404 without a store read).
pub fn is_job_id(id: &str) -> bool {
    id.len() <= 64 && id.starts_with("ex_") && id[3..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A new job id.
pub fn new_job_id() -> String {
    format!("ex_{}", interlog_store::new_id())
}

/// `t` in RFC 3339, to the millisecond.
pub fn rfc3339(t: jiff::Timestamp) -> String {
    t.round(jiff::Unit::Millisecond).unwrap_or(t).to_string()
}

/// Now, in RFC 3339.
pub fn now_rfc3339() -> String {
    rfc3339(jiff::Timestamp::now())
}
