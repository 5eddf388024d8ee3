//! Writing engagements in an export's format, the same for the API's jobs and for
//! `interlog export`: NDJSON (the stored bodies, one a line), CSV (one row an engagement,
//! scalars and flattened lists, see [`CSV_COLUMNS`]) and Parquet ([`super::schema`]).
//! Memory stays bounded whatever the size: NDJSON and CSV stream, Parquet holds a few
//! batches and one row group at a time ([`super::columnar`]).

use super::columnar::ParquetPipeline;
use super::schema;
use super::Format;
use interlog_model::Engagement;
use interlog_store::StoredEngagement;
use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("writing the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("a stored engagement does not decode: {0}")]
    Json(#[from] serde_json::Error),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("the file passed the tenant's export quota ({0} bytes left)")]
    Quota(u64),
    #[error("the Parquet writer's threads stopped")]
    Stopped,
    #[error("a thread of the Parquet writer panicked")]
    Panicked,
}

/// The CSV columns. Lists are flattened into one cell, their items joined with `;`:
/// `channels` the channel types, `agents` each agent participant's email (else id),
/// `customer_phones`/`customer_emails` as stored, `queues` each visit's queue name (else
/// id), `dispositions` each one's name (else id). Times are RFC 3339 UTC; an absent value
/// is an empty cell.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "source",
    "started_at",
    "ended_at",
    "duration_ms",
    "state",
    "outcome",
    "direction",
    "channels",
    "agents",
    "customer_phones",
    "customer_emails",
    "queues",
    "team",
    "dispositions",
    "subject",
];

fn join<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(";")
}

/// One engagement's CSV cells, in [`CSV_COLUMNS`] order.
pub fn csv_row(e: &Engagement) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    vec![
        e.id.clone(),
        opt(e.source.map(|s| s.to_string())),
        e.started_at.to_string(),
        opt(e.ended_at.map(|t| t.to_string())),
        opt(e.duration_ms.map(|d| d.to_string())),
        opt(e.state.map(|s| s.to_string())),
        opt(e.outcome.map(|s| s.to_string())),
        opt(e.direction.map(|s| s.to_string())),
        join(e.channels.iter().map(|c| c.kind.as_str())),
        join(
            e.agents()
                .filter_map(|a| a.email.clone().or_else(|| a.id.clone())),
        ),
        join(&e.customer.phones),
        join(&e.customer.emails),
        join(
            e.queues
                .iter()
                .map(|q| q.name.clone().unwrap_or_else(|| q.id.clone())),
        ),
        opt(e.team.clone()),
        join(
            e.dispositions
                .iter()
                .filter_map(|d| d.name.clone().or_else(|| d.id.clone())),
        ),
        opt(e.subject.clone()),
    ]
}

/// The columns (or top-level fields) a format has, what `fields` may name.
pub fn field_names(format: Format) -> Vec<String> {
    match format {
        Format::Csv => CSV_COLUMNS.iter().map(|s| s.to_string()).collect(),
        Format::Ndjson | Format::Parquet => schema::column_names(),
    }
}

/// Counts what passes to the file, and refuses to pass `limit` bytes.
pub struct Counted<W> {
    inner: W,
    written: u64,
    limit: u64,
}

impl<W: Write> Counted<W> {
    pub fn new(inner: W, limit: u64) -> Self {
        Counted {
            inner,
            written: 0,
            limit,
        }
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() as u64 > self.limit {
            return Err(std::io::Error::other(QuotaPassed(self.limit)));
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("quota of {0} bytes passed")]
struct QuotaPassed(u64);

/// A quota error hidden in an I/O error (through the CSV or Parquet writer) as itself.
fn surface(e: EncodeError) -> EncodeError {
    fn quota(e: &(dyn std::error::Error + 'static)) -> Option<u64> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = cur {
            if let Some(q) = err.downcast_ref::<QuotaPassed>() {
                return Some(q.0);
            }
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                if let Some(inner) = io.get_ref() {
                    if let Some(q) = inner.downcast_ref::<QuotaPassed>() {
                        return Some(q.0);
                    }
                }
            }
            cur = err.source();
        }
        None
    }
    match quota(&e) {
        Some(limit) => EncodeError::Quota(limit),
        None => e,
    }
}

/// Where an export's engagements go, in its format.
pub enum Sink<W: Write + Send> {
    Ndjson {
        out: Counted<W>,
        fields: Option<Vec<String>>,
    },
    Csv {
        out: Box<csv::Writer<Counted<W>>>,
        columns: Option<Vec<usize>>,
    },
    Parquet(Box<ParquetPipeline<W>>),
}

impl<W: Write + Send + 'static> Sink<W> {
    /// A sink writing `format` to `out`, at most `limit` bytes, with only `fields` (names
    /// checked by the caller against [`field_names`]).
    pub fn new(
        format: Format,
        out: W,
        limit: u64,
        fields: Option<Vec<String>>,
    ) -> Result<Self, EncodeError> {
        let out = Counted::new(out, limit);
        Ok(match format {
            Format::Ndjson => Sink::Ndjson { out, fields },
            Format::Csv => {
                let columns = fields.map(|f| {
                    CSV_COLUMNS
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| f.iter().any(|n| n == *c))
                        .map(|(i, _)| i)
                        .collect::<Vec<_>>()
                });
                let mut w = csv::Writer::from_writer(out);
                let header: Vec<&str> = match &columns {
                    Some(cols) => cols.iter().map(|&i| CSV_COLUMNS[i]).collect(),
                    None => CSV_COLUMNS.to_vec(),
                };
                w.write_record(&header).map_err(|e| surface(e.into()))?;
                Sink::Csv {
                    out: Box::new(w),
                    columns,
                }
            }
            Format::Parquet => Sink::Parquet(Box::new(
                ParquetPipeline::start(out, fields).map_err(surface)?,
            )),
        })
    }

    /// Writes a batch of engagements.
    pub fn write(&mut self, items: Vec<StoredEngagement>) -> Result<(), EncodeError> {
        self.write_inner(items).map_err(surface)
    }

    fn write_inner(&mut self, items: Vec<StoredEngagement>) -> Result<(), EncodeError> {
        match self {
            Sink::Ndjson { out, fields } => {
                for item in &items {
                    match fields {
                        None => out.write_all(item.json.as_bytes())?,
                        Some(keep) => {
                            let mut v: serde_json::Map<String, serde_json::Value> =
                                serde_json::from_str(&item.json)?;
                            v.retain(|k, _| keep.iter().any(|n| n == k));
                            serde_json::to_writer(&mut *out, &v)?;
                        }
                    }
                    out.write_all(b"\n")?;
                }
            }
            Sink::Csv { out, columns } => {
                for item in &items {
                    let row = csv_row(&item.engagement()?);
                    match columns {
                        None => out.write_record(&row)?,
                        Some(cols) => out.write_record(cols.iter().map(|&i| &row[i]))?,
                    }
                }
            }
            Sink::Parquet(p) => p.write(items)?,
        }
        Ok(())
    }

    /// Ends the file; the bytes written.
    pub fn finish(self) -> Result<(u64, W), EncodeError> {
        let counted = match self {
            Sink::Ndjson { mut out, .. } => {
                out.flush()?;
                out
            }
            Sink::Csv { out, .. } => (*out)
                .into_inner()
                .map_err(|e| EncodeError::Io(std::io::Error::other(e.to_string())))?,
            Sink::Parquet(p) => p.finish().map_err(surface)?,
        };
        let Counted {
            mut inner, written, ..
        } = counted;
        inner.flush()?;
        Ok((written, inner))
    }
}
