//! Reading JSON request bodies with clear errors.

use crate::error::{ApiError, ApiResult, ErrorKind};
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

/// Requires a JSON content type (`application/json` or any `+json` type).
pub fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            format!("expected Content-Type application/json, got {:?}", ct),
        ))
    }
}

/// Parses a JSON body, saying where and why it is malformed.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "does not match the expected shape",
            serde_json::error::Category::Eof => "ends too early",
            _ => "is not valid JSON",
        };
        ApiError::new(
            ErrorKind::MalformedBody,
            format!(
                "the body {what} (line {}, column {}): {}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            ),
        )
    })
}

fn strip_position(msg: &str) -> &str {
    msg.rsplit_once(" at line ").map_or(msg, |(m, _)| m)
}
