//! Errors in the dialect's one body, `ApiResponseV1` (the generic response type Oracle's
//! reference names without documenting its fields): `status`, `code`, `message` and, for a
//! bad parameter, `parameter`. JSON by default, XML (root `apiResponseV1`) when the client
//! asked for XML.

use crate::negotiate::Media;
use crate::xml::push_text;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_http::{ApiError, ErrorKind};

/// An error on its way to an Oracle Live Experience client, in the representation it asked
/// for.
#[derive(Debug)]
pub struct LxError {
    pub error: ApiError,
    pub media: Media,
    /// The `WWW-Authenticate` challenge of a 401.
    pub challenge: &'static str,
}

impl LxError {
    pub fn new(error: ApiError, media: Media) -> Self {
        LxError {
            error,
            media,
            challenge: "Bearer realm=\"interlog\"",
        }
    }

    /// The answer to a client that accepts none of the types this dialect writes.
    pub fn not_acceptable() -> Self {
        LxError::new(
            ApiError::new(
                ErrorKind::NotAcceptable,
                "this resource is available as application/json, application/xml or text/xml",
            ),
            Media::Json,
        )
    }
}

/// Renders the error body; the cause, if any, is only logged.
pub fn body(error: &ApiError, media: Media) -> String {
    let status = error.kind.status().as_u16();
    let code = error.kind.code();
    match media {
        Media::Json => {
            let mut out = String::with_capacity(128 + error.detail.len());
            out.push_str("{\"status\":");
            out.push_str(&status.to_string());
            out.push_str(",\"code\":");
            crate::render_json::push_str(&mut out, code);
            out.push_str(",\"message\":");
            crate::render_json::push_str(&mut out, &error.detail);
            if let Some(p) = &error.parameter {
                out.push_str(",\"parameter\":");
                crate::render_json::push_str(&mut out, p);
            }
            out.push('}');
            out
        }
        Media::Xml(_) => {
            let mut out = String::with_capacity(160 + error.detail.len());
            out.push_str(crate::xml::DECLARATION);
            out.push_str("<apiResponseV1><status>");
            out.push_str(&status.to_string());
            out.push_str("</status><code>");
            push_text(&mut out, code);
            out.push_str("</code><message>");
            push_text(&mut out, &error.detail);
            out.push_str("</message>");
            if let Some(p) = &error.parameter {
                out.push_str("<parameter>");
                push_text(&mut out, p);
                out.push_str("</parameter>");
            }
            out.push_str("</apiResponseV1>");
            out
        }
    }
}

impl IntoResponse for LxError {
    fn into_response(self) -> Response {
        self.error.log();
        let status: StatusCode = self.error.kind.status();
        let mut res = (status, body(&self.error, self.media)).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.media.content_type()),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Accept"));
        if self.error.kind == ErrorKind::Unauthorized {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(self.challenge),
            );
        }
        if let Some(secs) = self.error.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The result of a handler that already knows the client's representation.
pub type LxResult<T> = Result<T, ApiError>;
