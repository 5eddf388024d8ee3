//! Zoom's error envelope: `{"code": N, "message": "..."}`, with `errors[]` for validation.
//! The cause of a server-side failure is logged, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_http::{ApiError, ErrorKind};
use interlog_store::StoreError;
use serde::Serialize;

/// One field's problem in a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// An error on its way to a Zoom client.
#[derive(Debug)]
pub struct ZoomError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    pub errors: Vec<FieldProblem>,
    /// Extra headers (rate limits, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

pub type ZoomResult<T> = Result<T, ZoomError>;

/// Zoom's generic validation code.
pub const VALIDATION: u32 = 300;

impl ZoomError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ZoomError {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// 401, code 124: a missing, malformed or unknown token.
    pub fn invalid_token() -> Self {
        ZoomError::new(StatusCode::UNAUTHORIZED, 124, "Invalid access token.")
    }

    /// 401, code 124: a token past its lifetime (Zoom does not document the code of this
    /// message; 124 is its invalid-token code).
    pub fn expired_token() -> Self {
        ZoomError::new(StatusCode::UNAUTHORIZED, 124, "Access token is expired.")
    }

    /// 401, code 4700: the token lacks every scope that allows the operation.
    pub fn missing_scope(scopes: &[&str]) -> Self {
        ZoomError::new(
            StatusCode::UNAUTHORIZED,
            4700,
            format!(
                "Invalid access token, does not contain scopes:[{}].",
                scopes.join(", ")
            ),
        )
    }

    /// 400, code 300, `Validation Failed.` naming the field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = ZoomError::new(StatusCode::BAD_REQUEST, VALIDATION, "Validation Failed.");
        e.errors.push(FieldProblem {
            field: field.to_owned(),
            message: message.into(),
        });
        e
    }

    /// 400, code 300, with Zoom's message for a body that is not a JSON object.
    pub fn bad_body() -> Self {
        ZoomError::new(
            StatusCode::BAD_REQUEST,
            VALIDATION,
            "Request Body should be a valid JSON object.",
        )
    }

    /// 404, code 2901.
    pub fn no_engagement(id: &str) -> Self {
        ZoomError::new(
            StatusCode::NOT_FOUND,
            2901,
            format!("Engagement does not exist: {id}."),
        )
    }

    /// 500 with no detail; the cause goes to the log.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(cause = %cause, "zoom_cc request failed");
        ZoomError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "The server could not complete the request.",
        )
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Store failures take the one error route: the shared layer's [`ApiError`], rendered in
/// Zoom's envelope.
impl From<StoreError> for ZoomError {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

/// Errors of the shared API layer (tenant lookups, the store) in Zoom's envelope. The
/// cause of a server-side failure is logged, never sent.
impl From<ApiError> for ZoomError {
    fn from(e: ApiError) -> Self {
        match e.kind {
            ErrorKind::Unauthorized => ZoomError::invalid_token(),
            ErrorKind::Unavailable => ZoomError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                503,
                "The service is unavailable. Try again later.",
            )
            .with_header("retry-after", e.retry_after.unwrap_or(1).to_string()),
            ErrorKind::TooManyRequests => {
                ZoomError::new(StatusCode::TOO_MANY_REQUESTS, 429, e.detail)
                    .with_header("retry-after", e.retry_after.unwrap_or(1).to_string())
            }
            ErrorKind::Validation | ErrorKind::BadParameter | ErrorKind::MalformedBody => {
                let mut z =
                    ZoomError::new(StatusCode::BAD_REQUEST, VALIDATION, "Validation Failed.");
                z.errors.push(FieldProblem {
                    field: e.parameter.unwrap_or_else(|| "body".into()),
                    message: e.detail,
                });
                z
            }
            _ => {
                let status = e.kind.status();
                if status.is_server_error() {
                    e.log();
                    ZoomError::internal(&e.detail)
                } else {
                    ZoomError::new(status, u32::from(status.as_u16()), e.detail)
                }
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: u32,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldProblem],
}

impl IntoResponse for ZoomError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&Body {
            code: self.code,
            message: &self.message,
            errors: &self.errors,
        })
        .expect("error bodies serialize");
        let mut res = (self.status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        res
    }
}
