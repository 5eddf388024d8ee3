//! The shapes engagements can be ingested in: Interlog's canonical JSON, and each
//! dialect's vendor shape: each API's [`crate::Api::format`]. The app's list of APIs makes
//! the registry; the bulk endpoint (`?format=`) and `interlog import --format` use the same
//! one. Whatever the shape, an engagement is accepted the same way ([`accept`]).

use crate::error::{ApiError, ApiResult};
use interlog_model::{Engagement, SourcePlatform};
use std::collections::BTreeMap;

/// Decodes one record (an NDJSON line, or a whole document) into engagements. A record may
/// hold several (a vendor's list envelope). The error says what is wrong with the record.
pub type Decoder = fn(&[u8]) -> Result<Vec<Engagement>, String>;

/// One ingest format.
#[derive(Clone, Copy)]
pub struct Format {
    /// The name clients use: `native`, `oracle_lx`, `zoom_cc`…
    pub name: &'static str,
    /// Decodes one NDJSON line.
    pub line: Decoder,
    /// Decodes a whole body that starts with `<` (an XML document), when the format has one.
    pub xml_document: Option<Decoder>,
}

/// Every format this server accepts, by name.
#[derive(Clone)]
pub struct Formats(BTreeMap<&'static str, Format>);

impl Formats {
    pub fn new(formats: impl IntoIterator<Item = Format>) -> Self {
        Formats(formats.into_iter().map(|f| (f.name, f)).collect())
    }

    pub fn get(&self, name: &str) -> Option<Format> {
        self.0.get(name).copied()
    }

    /// The accepted names, for error messages.
    pub fn names(&self) -> String {
        self.0.keys().copied().collect::<Vec<_>>().join(", ")
    }
}

/// Normalizes and validates an engagement a client sent, in any API or format.
pub fn accept(mut e: Engagement) -> ApiResult<Engagement> {
    if e.source.is_none() {
        e.source = Some(SourcePlatform::Native);
    }
    e.normalize();
    e.validate().map_err(|v| ApiError::validation(v.0))?;
    Ok(e)
}

/// Decodes one record with `decode` and accepts every engagement in it; the first invalid
/// one rejects the record.
pub fn decode_record(decode: Decoder, record: &[u8]) -> Result<Vec<Engagement>, String> {
    decode(record)?
        .into_iter()
        .map(|e| accept(e).map_err(|e| e.detail))
        .collect()
}
