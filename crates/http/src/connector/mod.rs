//! Connectors: Interlog reading a platform's history API as a client. This is the contract
//! between a **kind** of connector — the client side of one dialect, living in that
//! dialect's crate next to its server side — and the one runner that schedules, leases,
//! commits and reports every connector (the native API's `connectors` module).
//!
//! A kind ([`ConnectorKind`], an API's [`crate::Api::connector`]) says which settings it
//! takes (the vendor's own credential names and options, which of them are secret), its
//! vendor's documented defaults, and how to open a [`Source`]: something that reads the
//! records that started in a time [`Window`], page by page, with the vendor's auth, paging
//! and limits, and maps each record to a canonical engagement through the dialect's ingest
//! mapping. Everything else — windows, cursors, leases, upserts, counts, backoff between
//! runs, status and metrics — is the runner's, once. HTTP retries, `Retry-After` and the
//! `X-RateLimit-*` pacing are [`vendor::VendorClient`]'s, once.

pub mod stored;
pub mod token;
pub mod vendor;

use crate::formats::{accept, Decoder};
use async_trait::async_trait;
use interlog_model::{Engagement, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
pub use token::{Authorized, Tokens};
pub use vendor::VendorClient;

/// One kind of connector: a vendor's history API read as a client.
pub struct ConnectorKind {
    /// The kind's name: its dialect's name (`zoom_cc`…).
    pub name: &'static str,
    /// What the vendor's API is, for messages and documentation.
    pub vendor: &'static str,
    /// The settings the kind takes besides the common ones (`base_url`, `token_url`,
    /// `start_from`, `poll_interval_secs`, `lookback_secs`, `enabled`).
    pub fields: &'static [Field],
    /// The API root as the vendor documents it, when it has one fixed root.
    pub default_base_url: Option<&'static str>,
    /// Where the vendor's tokens come from when `token_url` is not given.
    pub token_url: TokenUrl,
    /// How long one read may span: the vendor's limit (Zoom: a month), else a size whose
    /// records page through comfortably; the runner halves windows a source finds too
    /// large, and grows them again after small ones, up to this.
    pub max_window: Duration,
    /// The window a backfill starts with.
    pub first_window: Duration,
    /// Checks what the generic checks cannot (a JSON option's shape…).
    pub check: fn(&Settings) -> Result<(), FieldProblem>,
    /// Opens a source for one run.
    pub open: fn(Settings, VendorClient) -> Box<dyn Source>,
}

/// Where a kind's tokens come from by default.
#[derive(Clone, Copy)]
pub enum TokenUrl {
    /// The vendor has no token endpoint (HTTP Basic on every call).
    None,
    /// One URL, as the vendor documents it.
    Fixed(&'static str),
    /// Made from the other settings (e.g. a path under `base_url` naming the account).
    Derived(fn(&Settings) -> Option<String>),
}

/// One setting of a kind.
pub struct Field {
    pub name: &'static str,
    /// Never shown back, and kept encrypted in the store.
    pub secret: bool,
    pub required: bool,
    pub shape: Shape,
    /// What it is, in the vendor's words where it has them.
    pub doc: &'static str,
}

/// What a setting holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A string of 1 to [`MAX_TEXT`] bytes.
    Text,
    /// A JSON value of at most [`MAX_JSON`] bytes, checked by the kind.
    Json,
}

/// The longest text setting (a credential, an id, a zone name).
pub const MAX_TEXT: usize = 1024;
/// The largest JSON setting, as written compactly.
pub const MAX_JSON: usize = 64 * 1024;

impl Field {
    pub const fn text(name: &'static str, doc: &'static str) -> Field {
        Field {
            name,
            secret: false,
            required: true,
            shape: Shape::Text,
            doc,
        }
    }

    pub const fn secret(name: &'static str, doc: &'static str) -> Field {
        Field {
            secret: true,
            ..Field::text(name, doc)
        }
    }

    pub const fn optional(self) -> Field {
        Field {
            required: false,
            ..self
        }
    }

    pub const fn json(self) -> Field {
        Field {
            shape: Shape::Json,
            ..self
        }
    }
}

/// A setting that cannot be used, and why (a 400 naming it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A connector's settings as a source reads them: the API root, the token endpoint, and
/// every kind setting given (secrets in clear, only in memory).
#[derive(Clone)]
pub struct Settings {
    pub base_url: String,
    /// Given, or the kind's default ([`ConnectorKind::token_url_of`]).
    pub token_url: Option<String>,
    pub values: BTreeMap<String, Value>,
}

impl std::fmt::Debug for Settings {
    /// Values are left out: some are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("fields", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Settings {
    /// A text setting.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Value::as_str)
    }

    /// A text setting the kind requires (the runner checked it is there).
    pub fn required(&self, name: &str) -> Result<&str, SourceError> {
        self.text(name)
            .ok_or_else(|| SourceError::Vendor(format!("the setting {name} is missing")))
    }

    /// The API root without a trailing `/`, with `path` appended.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }
}

impl ConnectorKind {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The token endpoint of `settings`: the one given, else the kind's default.
    pub fn token_url_of(&self, settings: &Settings) -> Option<String> {
        settings.token_url.clone().or_else(|| match self.token_url {
            TokenUrl::None => None,
            TokenUrl::Fixed(url) => Some(url.to_owned()),
            TokenUrl::Derived(make) => make(settings),
        })
    }
}

/// A span of start times, half-open: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Window {
    pub fn length(&self) -> Duration {
        self.to
            .duration_since(self.from)
            .try_into()
            .unwrap_or(Duration::ZERO)
    }
}

/// One page of what a vendor answered: each record mapped, or why it could not be.
#[derive(Debug, Default)]
pub struct Page {
    pub records: Vec<Result<Engagement, Rejected>>,
}

/// A record that did not map to a valid engagement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The vendor's id of the record, when it could be read.
    pub id: Option<String>,
    pub reason: String,
}

/// Accepts one vendor record as its dialect's ingest mapping decoded it: a valid,
/// normalized engagement, as every ingest accepts one ([`accept`]); else why not, with the
/// vendor's id of the record (`id`) when it could be read.
pub fn accept_record(
    decoded: Result<Engagement, String>,
    id: Option<&str>,
) -> Result<Engagement, Rejected> {
    let rejected = |reason: String| Rejected {
        id: id.map(str::to_owned),
        reason,
    };
    accept(decoded.map_err(rejected)?).map_err(|e| rejected(e.detail))
}

/// Maps one vendor record (its JSON text) through a dialect's ingest decoder, which must
/// find exactly one engagement in it, and accepts it ([`accept_record`]).
pub fn map_record(
    decode: Decoder,
    record: &[u8],
    id: Option<&str>,
) -> Result<Engagement, Rejected> {
    let decoded = decode(record).and_then(|mut es| match es.len() {
        1 => Ok(es.pop().expect("one")),
        n => Err(format!("{n} engagements in one record")),
    });
    accept_record(decoded, id)
}

/// How a read of a window ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Every record of the window was handed over.
    Done,
    /// The window holds more than one read should page through (e.g. before the vendor's
    /// page tokens expire); nothing or part of it was handed over. The runner reads it
    /// again in halves.
    TooLarge,
}

/// Where a source hands its pages.
#[async_trait]
pub trait Sink: Send {
    /// Takes one page; an error means the run is over (the source stops).
    async fn page(&mut self, page: Page) -> Result<(), SourceError>;
}

/// A vendor's history, read one window at a time for one run.
#[async_trait]
pub trait Source: Send {
    /// Reads the records that started in `window` — a source may also read a little
    /// around it (whole seconds, whole days), never less — handing each page to `sink` as
    /// it arrives.
    async fn read(&mut self, window: Window, sink: &mut dyn Sink) -> Result<Read, SourceError>;
}

/// Why a read failed. The runner keeps what was committed and tries the window again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The vendor refused the credentials (or the token it gave for them).
    #[error("the vendor refused the credentials: {0}")]
    Credentials(String),
    /// The vendor's limits say to wait longer than a run should (a daily limit).
    #[error("the vendor's rate limit is exhausted until {until}")]
    RateLimited { until: Timestamp },
    /// No usable answer after the retries: the network, timeouts, 5xx.
    #[error("the vendor cannot be reached: {0}")]
    Unreachable(String),
    /// An answer the connector cannot use (an unexpected status or shape).
    #[error("the vendor's answer cannot be used: {0}")]
    Vendor(String),
    /// The run is over (the server stops, or the store failed).
    #[error("the run stopped: {0}")]
    Stopped(String),
}

/// The first `max` characters of a vendor's answer, for an error message.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text: String = String::from_utf8_lossy(body).chars().take(max).collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
