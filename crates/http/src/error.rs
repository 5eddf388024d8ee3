//! The one error type of the API. Handlers return it; it renders as an RFC 7807 problem
//! (`application/problem+json`) with a stable machine-readable `code`. Dialects render the
//! same errors in their vendor's envelope. The cause is logged, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_model::FieldError;
use interlog_store::StoreError;
use serde::Serialize;

/// What went wrong, in terms a client can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Missing, malformed, wrong or expired credentials.
    Unauthorized,
    /// Valid credentials whose role or scope does not allow this.
    Forbidden,
    /// No such resource for this caller (including other tenants' resources).
    NotFound,
    /// A query parameter or header is invalid.
    BadParameter,
    /// The body is not well-formed JSON (or not the expected shape).
    MalformedBody,
    /// The body is well-formed but breaks the model's rules.
    Validation,
    /// The resource already exists, or the write is older than what is stored.
    Conflict,
    Stale,
    PayloadTooLarge,
    UnsupportedMediaType,
    NotAcceptable,
    MethodNotAllowed,
    TooManyRequests,
    /// What was asked for is no longer kept (a change-feed position past its horizon).
    Gone,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::BadParameter | ErrorKind::MalformedBody => StatusCode::BAD_REQUEST,
            ErrorKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Conflict | ErrorKind::Stale => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Gone => StatusCode::GONE,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients match on.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::BadParameter => "bad_parameter",
            ErrorKind::MalformedBody => "malformed_body",
            ErrorKind::Validation => "validation_failed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Stale => "stale_write",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::NotAcceptable => "not_acceptable",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::TooManyRequests => "too_many_requests",
            ErrorKind::Gone => "gone",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    const fn title(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "Unauthorized",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "Not Found",
            ErrorKind::BadParameter => "Bad Parameter",
            ErrorKind::MalformedBody => "Malformed Body",
            ErrorKind::Validation => "Validation Failed",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::Stale => "Stale Write",
            ErrorKind::PayloadTooLarge => "Payload Too Large",
            ErrorKind::UnsupportedMediaType => "Unsupported Media Type",
            ErrorKind::NotAcceptable => "Not Acceptable",
            ErrorKind::MethodNotAllowed => "Method Not Allowed",
            ErrorKind::TooManyRequests => "Too Many Requests",
            ErrorKind::Gone => "Gone",
            ErrorKind::Unavailable => "Service Unavailable",
            ErrorKind::Internal => "Internal Server Error",
        }
    }
}

/// An error on its way to a client.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// Safe to show: says what was wrong with the request.
    pub detail: String,
    /// The parameter at fault, for dialects that name it.
    pub parameter: Option<String>,
    /// Per-field problems of a body.
    pub errors: Vec<FieldError>,
    /// Never shown; logged.
    pub cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// `Retry-After` seconds for throttling and unavailability.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ApiError {
            kind,
            detail: detail.into(),
            parameter: None,
            errors: Vec::new(),
            cause: None,
            retry_after: None,
        }
    }

    /// A bad query parameter, naming it and what it accepts.
    pub fn parameter(name: &str, detail: impl Into<String>) -> Self {
        let mut e = ApiError::new(
            ErrorKind::BadParameter,
            format!("{name}: {}", detail.into()),
        );
        e.parameter = Some(name.to_owned());
        e
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            ErrorKind::Unauthorized,
            "missing, invalid or expired credentials",
        )
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(ErrorKind::NotFound, what)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorKind::Forbidden, detail)
    }

    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut e = ApiError::new(
            ErrorKind::Internal,
            "the server could not complete the request",
        );
        e.cause = Some(cause.into());
        e
    }

    /// A validation error of one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = ApiError::new(ErrorKind::Validation, detail);
        e.errors = errors;
        e
    }

    /// Logs the cause chain of server-side failures.
    pub fn log(&self) {
        if let Some(cause) = &self.cause {
            let chain = error_chain(cause.as_ref());
            tracing::error!(code = self.kind.code(), cause = %chain, "request failed");
        }
    }
}

pub use interlog_store::error_chain;

/// Seconds a client is asked to wait when the store is unavailable.
pub const RETRY_AFTER_UNAVAILABLE: u64 = 2;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("no such engagement"),
            StoreError::Conflict(m) => ApiError::new(ErrorKind::Conflict, m),
            StoreError::Invalid(m) => ApiError::new(ErrorKind::Validation, m),
            StoreError::Stale => ApiError::new(
                ErrorKind::Stale,
                "the stored engagement has a newer updated_at than this write",
            ),
            StoreError::Rejected(r) => ApiError::new(ErrorKind::Validation, r.0),
            StoreError::Closed => {
                let mut e = ApiError::new(ErrorKind::Unavailable, "the server is shutting down");
                e.retry_after = Some(1);
                e
            }
            StoreError::TimedOut(budget) => {
                let mut e = ApiError::new(
                    ErrorKind::Unavailable,
                    format!(
                        "the query ran longer than the {} ms a query may take here and was \
                         stopped; narrow the filter or the time range, or ask for fewer items",
                        budget.as_millis()
                    ),
                );
                e.retry_after = Some(RETRY_AFTER_UNAVAILABLE);
                e
            }
            unavailable @ StoreError::Unavailable { .. } => {
                let mut e = ApiError::new(
                    ErrorKind::Unavailable,
                    "the store is unavailable; retry shortly",
                );
                e.retry_after = Some(RETRY_AFTER_UNAVAILABLE);
                e.cause = Some(Box::new(unavailable));
                e
            }
            other => ApiError::internal(other),
        }
    }
}

/// The body of every error of the native API (RFC 7807, `application/problem+json`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// `https://interlog.dev/problems/{code}`.
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    /// The HTTP status.
    status: u16,
    /// What was wrong with the request.
    detail: &'a str,
    /// Stable and machine-readable: unauthorized, forbidden, not_found, bad_parameter,
    /// malformed_body, validation_failed, conflict, stale_write, payload_too_large,
    /// unsupported_media_type, not_acceptable, method_not_allowed, too_many_requests,
    /// unavailable, internal.
    code: &'static str,
    /// The query parameter at fault (`bad_parameter`).
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
    /// Each field's problem (`validation_failed`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<FieldError>)]
    errors: &'a [FieldError],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.kind.status();
        let body = Problem {
            kind: format!("https://interlog.dev/problems/{}", self.kind.code()),
            title: self.kind.title(),
            status: status.as_u16(),
            detail: &self.detail,
            code: self.kind.code(),
            parameter: self.parameter.as_deref(),
            errors: &self.errors,
        };
        let mut res = (
            status,
            serde_json::to_string(&body).expect("problems serialize"),
        )
            .into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.kind == ErrorKind::Unauthorized {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"interlog\""),
            );
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
