//! Reading JSON request bodies with clear errors: the [`JsonBody`] extractor.

use crate::error::{ApiError, ApiResult, ErrorKind};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// A JSON request body of type `T`, as an extractor. The body is read first (over the
/// configured limit: 413), must be declared JSON (`application/json` or any `+json` type;
/// else 415 `unsupported_media_type`), and must parse as `T` (else the one 400
/// `malformed_body` problem, saying where and why).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let declared = require_json(req.headers());
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        declared
            .and_then(|()| parse(&body))
            .map(JsonBody)
            .map_err(IntoResponse::into_response)
    }
}

/// Requires a JSON content type (`application/json` or any `+json` type).
fn require_json(headers: &HeaderMap) -> ApiResult<()> {
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
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
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
