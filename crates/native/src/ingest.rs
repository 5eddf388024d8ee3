//! Bulk ingest of NDJSON: one engagement a line, streamed, stored in batches.
//!
//! [`IngestPump`] is the one pipeline (bytes → lines → records decoded by format →
//! batches → store) that the HTTP bulk endpoint and `interlog import` both feed, so both
//! accept and report lines the same way. Each line stands alone: a bad line is reported
//! with its number and reason and the good lines around it are stored.

use crate::responses::AgentRefusals;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::Json;
use futures_util::StreamExt;
use interlog_http::auth::Agent;
use interlog_http::error::{ApiError, ApiResult, ErrorKind};
use interlog_http::formats::{accept, decode_record, Decoder, Format};
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_model::Engagement;
use interlog_store::{Store, Tenant, UpsertOutcome};
use serde::Serialize;
use std::sync::Arc;

fn native_line(line: &[u8]) -> Result<Vec<Engagement>, String> {
    let e: Engagement = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    Ok(vec![e])
}

/// The canonical format: one engagement as the native API writes it, a line.
pub const NATIVE: Format = Format {
    name: "native",
    line: native_line,
    xml_document: None,
};

/// Lines stored per transaction.
pub const BATCH: usize = 2_000;
/// Most problem lines listed in a summary.
pub const MAX_PROBLEMS: usize = 10_000;

/// One line that was not created.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LineProblem {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `rejected` (not stored) or `stale` (an older version of a stored engagement).
    #[schema(value_type = String)]
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct IngestSummary {
    pub lines: u64,
    pub created: u64,
    pub updated: u64,
    pub stale: u64,
    pub rejected: u64,
    /// Lines not created, in order (at most 10,000).
    pub problems: Vec<LineProblem>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub problems_truncated: bool,
}

impl IngestSummary {
    fn problem(&mut self, p: LineProblem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.problems_truncated = true;
        }
    }

    /// Records a line that could not be read or was invalid.
    pub fn reject(&mut self, line: u64, reason: String) {
        self.rejected += 1;
        self.problem(LineProblem {
            line,
            id: None,
            result: "rejected",
            reason: Some(reason),
        });
    }
}

/// Reads one NDJSON line of the canonical format into a valid, normalized engagement.
pub fn parse_line(line: &[u8]) -> Result<Engagement, String> {
    let e: Engagement = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    accept(e).map_err(|e| e.detail)
}

/// A stored batch: each line's number and id, and what storing it did.
type StoredBatch = (Vec<(u64, String)>, Vec<UpsertOutcome>);

/// The limits of one ingest stream.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Largest line; a longer one is rejected by number, the rest go on.
    pub max_line: usize,
    /// Largest whole XML document (for formats that take one).
    pub max_document: usize,
    /// Largest stream; lines before the limit are stored.
    pub max_total: usize,
}

/// Why a stream stopped before its end. Lines stored before it stay stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the stream exceeds {0} bytes; lines before the limit were stored")]
    StreamTooLarge(usize),
    #[error("an XML document may be at most {0} bytes")]
    DocumentTooLarge(usize),
    #[error(transparent)]
    Store(#[from] interlog_store::StoreError),
}

/// The ingest pipeline: feed it the stream's bytes in chunks of any size, then finish it.
/// A stream whose first byte (after white space) is `<`, in a format with XML documents,
/// is one whole document.
pub struct IngestPump {
    ingest: Ingest,
    splitter: LineSplitter,
    limits: IngestLimits,
    received: usize,
    /// The whole XML document, when the stream is one.
    document: Option<Vec<u8>>,
    lines: Vec<(u64, Option<Vec<u8>>)>,
}

impl IngestPump {
    pub fn new(
        store: Arc<dyn Store>,
        tenant: Arc<Tenant>,
        format: Format,
        limits: IngestLimits,
    ) -> Self {
        IngestPump {
            ingest: Ingest::with_format(store, tenant, format),
            splitter: LineSplitter::new(limits.max_line),
            limits,
            received: 0,
            document: None,
            lines: Vec::new(),
        }
    }

    /// Lines read so far (for progress).
    pub fn lines(&self) -> u64 {
        self.ingest.summary.lines
    }

    /// Takes the next chunk of the stream; stores batches as they fill.
    pub async fn feed(&mut self, chunk: &[u8]) -> Result<(), IngestError> {
        let first = self.received == 0;
        self.received += chunk.len();
        if self.received > self.limits.max_total {
            return Err(IngestError::StreamTooLarge(self.limits.max_total));
        }
        if first && self.ingest.is_xml_document(chunk) {
            self.document = Some(Vec::new());
        }
        if let Some(doc) = self.document.as_mut() {
            if doc.len() + chunk.len() > self.limits.max_document {
                return Err(IngestError::DocumentTooLarge(self.limits.max_document));
            }
            doc.extend_from_slice(chunk);
            return Ok(());
        }
        let lines = &mut self.lines;
        self.splitter.feed(chunk, |l| lines.push(owned(l)));
        self.drain().await
    }

    async fn drain(&mut self) -> Result<(), IngestError> {
        for (n, text) in std::mem::take(&mut self.lines) {
            match text {
                Some(t) => self.ingest.line(n, &t).await?,
                None => {
                    self.ingest.summary.lines += 1;
                    self.ingest.summary.reject(
                        n,
                        format!("the line is longer than {} bytes", self.limits.max_line),
                    );
                }
            }
        }
        Ok(())
    }

    /// Ends the stream: stores what is left and returns the summary. Every stored line is
    /// durable.
    pub async fn finish(mut self) -> Result<IngestSummary, IngestError> {
        if let Some(doc) = self.document.take() {
            self.ingest.xml_document(&doc).await?;
        } else {
            let lines = &mut self.lines;
            self.splitter.finish(|l| lines.push(owned(l)));
            self.drain().await?;
        }
        Ok(self.ingest.finish().await?)
    }
}

fn owned(l: Line<'_>) -> (u64, Option<Vec<u8>>) {
    match l {
        Line::Text(n, t) => (n, Some(t.to_vec())),
        Line::TooLong(n) => (n, None),
    }
}

/// Accumulates lines into batches and stores them, keeping one batch in flight while the
/// next is parsed. A batch's lines are parsed on the background threads
/// ([`interlog_store::background_cpu`]), one part per core; the store prepares rows the
/// same way, so its single writer only writes.
struct Ingest {
    store: Arc<dyn Store>,
    tenant: Arc<Tenant>,
    format: Format,
    /// Lines read and not parsed yet.
    unparsed: Vec<(u64, Vec<u8>)>,
    batch: Vec<(u64, Engagement)>,
    in_flight: Option<tokio::task::JoinHandle<interlog_store::Result<StoredBatch>>>,
    summary: IngestSummary,
    /// The counts already added to the ingest metrics.
    counted: [u64; 4],
}

impl Ingest {
    /// Adds what was settled since the last call to the ingest metrics.
    fn count(&mut self) {
        let s = &self.summary;
        let now = [s.created, s.updated, s.stale, s.rejected];
        for (i, result) in ["created", "updated", "stale", "rejected"]
            .into_iter()
            .enumerate()
        {
            interlog_http::metrics::ingest_lines(
                self.format.name,
                result,
                now[i] - self.counted[i],
            );
        }
        self.counted = now;
    }
}

impl Drop for Ingest {
    /// A stream that stopped early still counts the lines it settled.
    fn drop(&mut self) {
        self.count();
    }
}

impl Ingest {
    /// An ingest of records in `format`.
    fn with_format(store: Arc<dyn Store>, tenant: Arc<Tenant>, format: Format) -> Self {
        Ingest {
            store,
            tenant,
            format,
            unparsed: Vec::with_capacity(BATCH),
            batch: Vec::with_capacity(BATCH),
            in_flight: None,
            summary: IngestSummary::default(),
            counted: [0; 4],
        }
    }

    /// Takes one line (numbered from 1); stores a batch when it is full.
    async fn line(&mut self, number: u64, line: &[u8]) -> interlog_store::Result<()> {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            return Ok(());
        }
        self.summary.lines += 1;
        self.unparsed.push((number, trimmed.to_vec()));
        if self.unparsed.len() >= BATCH {
            self.parse().await?;
            self.flush().await?;
        }
        Ok(())
    }

    /// Parses the lines read so far into the batch, in parts on the background threads.
    async fn parse(&mut self) -> interlog_store::Result<()> {
        /// Below this, one part: handing work over costs more than it saves.
        const PART: usize = 64;
        let decode = self.format.line;
        // Asked once: on Linux each call reads the cgroup's CPU limits from files.
        static THREADS: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        });
        let size = self.unparsed.len().div_ceil(*THREADS).max(PART);
        let capacity = self.unparsed.capacity();
        let mut rest = std::mem::replace(&mut self.unparsed, Vec::with_capacity(capacity));
        let mut parts = Vec::new();
        while !rest.is_empty() {
            let tail = rest.split_off(size.min(rest.len()));
            let part = std::mem::replace(&mut rest, tail);
            parts.push(interlog_store::background_cpu::run(move || {
                part.into_iter()
                    .map(|(n, line)| (n, decode_record(decode, &line)))
                    .collect::<Vec<_>>()
            }));
        }
        for part in parts {
            let parsed = part.await?;
            for (number, result) in parsed {
                match result {
                    Ok(es) => self.batch.extend(es.into_iter().map(|e| (number, e))),
                    Err(reason) => self.summary.reject(number, reason),
                }
            }
        }
        Ok(())
    }

    /// Takes a whole XML document of the format (numbered as line 1).
    async fn xml_document(&mut self, document: &[u8]) -> interlog_store::Result<()> {
        self.summary.lines += 1;
        match self.format.xml_document {
            Some(decode) => self.record(1, document, decode),
            None => self.summary.reject(
                1,
                format!("the {} format has no XML documents", self.format.name),
            ),
        }
        self.flush().await
    }

    /// Whether a body starting with `first` is a whole XML document of this format.
    fn is_xml_document(&self, first: &[u8]) -> bool {
        self.format.xml_document.is_some() && first.trim_ascii_start().starts_with(b"<")
    }

    fn record(&mut self, number: u64, record: &[u8], decode: Decoder) {
        match decode_record(decode, record) {
            Ok(es) => self.batch.extend(es.into_iter().map(|e| (number, e))),
            Err(reason) => self.summary.reject(number, reason),
        }
    }

    async fn settle(&mut self) -> interlog_store::Result<()> {
        if let Some(job) = self.in_flight.take() {
            let (lines, outcomes) = job
                .await
                .map_err(|e| interlog_store::StoreError::backend("ingest task", e))??;
            for ((line, id), outcome) in lines.into_iter().zip(outcomes) {
                match outcome {
                    UpsertOutcome::Created => self.summary.created += 1,
                    UpsertOutcome::Updated => self.summary.updated += 1,
                    UpsertOutcome::Stale => {
                        self.summary.stale += 1;
                        self.summary.problem(LineProblem {
                            line,
                            id: Some(id),
                            result: "stale",
                            reason: None,
                        });
                    }
                }
            }
            self.count();
        }
        Ok(())
    }

    async fn flush(&mut self) -> interlog_store::Result<()> {
        self.settle().await?;
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let (store, tenant) = (self.store.clone(), self.tenant.clone());
        self.in_flight = Some(tokio::spawn(async move {
            let lines: Vec<(u64, String)> = batch.iter().map(|(n, e)| (*n, e.id.clone())).collect();
            let engagements = batch.into_iter().map(|(_, e)| e).collect();
            let outcomes = store.upsert_many(&tenant, engagements).await?;
            Ok((lines, outcomes))
        }));
        Ok(())
    }

    /// Stores what is left and returns the summary; every stored line is durable.
    async fn finish(mut self) -> interlog_store::Result<IngestSummary> {
        self.parse().await?;
        self.flush().await?;
        self.settle().await?;
        self.count();
        self.counted = [0; 4];
        Ok(std::mem::take(&mut self.summary))
    }
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/ingest", tag = "engagements",
    params(
        ("format" = Option<String>, Query, description = "native (default) or a dialect's vendor shape, e.g. oracle_lx, zoom_cc"),
    ),
    request_body(
        description = "One engagement a line (canonical JSON, or the format's vendor JSON); streamed. A format with XML documents (oracle_lx) also takes one whole document.",
        content(
            (String = "application/x-ndjson"),
            (String = "application/xml"),
        )
    ),
    responses(
        AgentRefusals,
        (status = 200, description = "Every line accounted for: counts, and the lines not created with their line number and reason", body = IngestSummary),
        (status = 400, description = "An unknown format or parameter, or a body that could not be read"),
        (status = 413, description = "The stream, a line or an XML document exceeds its configured limit"),
        (status = 429, description = "The tenant already sends as many bulk streams as one tenant may at once (`Retry-After`)"),
        (status = 503, description = "The server already takes `bulk_streams` streams at once (`Retry-After`)"),
    ),
)]
pub async fn ingest(
    caller: Agent,
    State(state): State<ApiState>,
    RawQuery(raw): RawQuery,
    body: Body,
) -> ApiResult<Json<IngestSummary>> {
    let params = Params::parse(raw.as_deref());
    params.reject_unknown(&["format"], &[])?;
    let format = match params.one("format")? {
        None => NATIVE,
        Some(name) => state.formats.get(name).ok_or_else(|| {
            ApiError::parameter("format", format!("accepted: {}", state.formats.names()))
        })?,
    };
    // Before the body is read: a refused stream costs nothing but its head.
    let _stream = state.bulk_streams.begin(&caller.tenant)?;
    let limits = IngestLimits {
        max_line: state.config.max_line_bytes,
        max_document: state.config.max_body_bytes,
        max_total: state.config.max_bulk_bytes,
    };
    let mut pump = IngestPump::new(state.store.clone(), caller.tenant.clone(), format, limits);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorKind::MalformedBody,
                format!("the body could not be read: {e}"),
            )
        })?;
        pump.feed(&chunk).await.map_err(ingest_error)?;
    }
    Ok(Json(pump.finish().await.map_err(ingest_error)?))
}

fn ingest_error(e: IngestError) -> ApiError {
    match e {
        IngestError::Store(e) => e.into(),
        e @ (IngestError::StreamTooLarge(_) | IngestError::DocumentTooLarge(_)) => {
            ApiError::new(ErrorKind::PayloadTooLarge, e.to_string())
        }
    }
}

/// Splits a byte stream into lines, carrying partial lines across chunks and refusing lines
/// longer than a limit.
pub struct LineSplitter {
    buf: Vec<u8>,
    max_line: usize,
    next_number: u64,
    /// The current line overflowed the limit: skip to its end.
    skipping: bool,
}

/// A complete line, or a line that was too long.
pub enum Line<'a> {
    Text(u64, &'a [u8]),
    TooLong(u64),
}

impl LineSplitter {
    pub fn new(max_line: usize) -> Self {
        LineSplitter {
            buf: Vec::new(),
            max_line,
            next_number: 1,
            skipping: false,
        }
    }

    /// Feeds a chunk; calls `each` for every complete line in it.
    pub fn feed(&mut self, chunk: &[u8], mut each: impl FnMut(Line<'_>)) {
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(pos);
            rest = &tail[1..];
            let n = self.next_number;
            self.next_number += 1;
            if self.skipping || self.buf.len() + head.len() > self.max_line {
                self.skipping = false;
                self.buf.clear();
                each(Line::TooLong(n));
            } else if self.buf.is_empty() {
                each(Line::Text(n, head));
            } else {
                self.buf.extend_from_slice(head);
                each(Line::Text(n, &self.buf));
                self.buf.clear();
            }
        }
        if !self.skipping {
            if self.buf.len() + rest.len() > self.max_line {
                self.skipping = true;
                self.buf.clear();
            } else {
                self.buf.extend_from_slice(rest);
            }
        }
    }

    /// The last line when the stream does not end with a newline.
    pub fn finish(&mut self, mut each: impl FnMut(Line<'_>)) {
        let n = self.next_number;
        if self.skipping {
            each(Line::TooLong(n));
        } else if !self.buf.is_empty() {
            each(Line::Text(n, &self.buf));
        }
        self.buf.clear();
        self.skipping = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(chunks: &[&[u8]], max: usize) -> Vec<(u64, Option<Vec<u8>>)> {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        let mut push = |l: Line<'_>| match l {
            Line::Text(n, t) => out.push((n, Some(t.to_vec()))),
            Line::TooLong(n) => out.push((n, None)),
        };
        for c in chunks {
            s.feed(c, &mut push);
        }
        s.finish(&mut push);
        out
    }

    #[test]
    fn lines_span_chunks_and_long_lines_are_refused_by_number() {
        let out = split(&[b"ab", b"c\nde", b"f\n", b"0123456789ab\nlast"], 10);
        assert_eq!(
            out,
            vec![
                (1, Some(b"abc".to_vec())),
                (2, Some(b"def".to_vec())),
                (3, None),
                (4, Some(b"last".to_vec()))
            ]
        );
    }

    proptest! {
        #[test]
        fn chunking_does_not_change_the_lines(text in "[a-c\n]{0,200}", cut in 1usize..50) {
            let whole = split(&[text.as_bytes()], 1000);
            let chunks: Vec<&[u8]> = text.as_bytes().chunks(cut).collect();
            prop_assert_eq!(split(&chunks, 1000), whole);
        }
    }
}
