//! GWS's response envelope: every body carries `statusCode` (0 on success) and, on failure,
//! only `statusMessage`. The HTTP status follows the code's meaning (GWS documents none
//! except the CSRF 403; see the README's table).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_http::{ApiError, ErrorKind};
use serde::Serialize;

/// The documented status codes this dialect uses.
pub mod code {
    pub const OK: u8 = 0;
    /// A required parameter is missing in the request.
    pub const MISSING_PARAMETER: u8 = 1;
    /// A specified parameter is not valid for the current state.
    pub const INVALID_PARAMETER: u8 = 2;
    /// The operation is forbidden.
    pub const FORBIDDEN: u8 = 3;
    /// An internal error occurred.
    pub const INTERNAL: u8 = 4;
    /// The user does not have permission to perform this operation.
    pub const NO_PERMISSION: u8 = 5;
    /// The requested resource could not be found.
    pub const NOT_FOUND: u8 = 6;
    /// Input validation error: the value is not within the range of valid values.
    pub const OUT_OF_RANGE: u8 = 10;
    /// User is not authenticated.
    pub const NOT_AUTHENTICATED: u8 = 20;
}

/// GWS's wording of the CSRF failure.
pub const CSRF_MESSAGE: &str = "Missing or invalid Csrf token";

/// A failure, rendered as `{"statusCode":n,"statusMessage":"…"}`.
#[derive(Debug)]
pub struct GwsError {
    pub code: u8,
    pub message: String,
    pub http: StatusCode,
    /// Logged, never sent.
    pub cause: Option<String>,
    /// `Retry-After` seconds of a 429 or 503.
    pub retry_after: Option<u64>,
}

impl GwsError {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        let http = match code {
            code::MISSING_PARAMETER | code::INVALID_PARAMETER | code::OUT_OF_RANGE => {
                StatusCode::BAD_REQUEST
            }
            code::FORBIDDEN | code::NO_PERMISSION => StatusCode::FORBIDDEN,
            code::NOT_FOUND => StatusCode::NOT_FOUND,
            code::NOT_AUTHENTICATED => StatusCode::UNAUTHORIZED,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        GwsError {
            code,
            message: message.into(),
            http,
            cause: None,
            retry_after: None,
        }
    }

    pub fn access_denied() -> Self {
        GwsError::new(code::NOT_AUTHENTICATED, "Access denied")
    }

    pub fn csrf() -> Self {
        GwsError::new(code::FORBIDDEN, CSRF_MESSAGE)
    }

    pub fn missing(name: &str) -> Self {
        GwsError::new(code::MISSING_PARAMETER, format!("{name} is required"))
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        GwsError::new(code::INVALID_PARAMETER, message)
    }

    pub fn out_of_range(message: impl Into<String>) -> Self {
        GwsError::new(code::OUT_OF_RANGE, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = GwsError::new(code::INTERNAL, "An internal error occurred");
        e.cause = Some(cause.to_string());
        e
    }

    pub fn with_http(mut self, http: StatusCode) -> Self {
        self.http = http;
        self
    }
}

impl From<ApiError> for GwsError {
    fn from(e: ApiError) -> Self {
        e.log();
        let code = match e.kind {
            ErrorKind::Unauthorized => code::NOT_AUTHENTICATED,
            ErrorKind::Forbidden => code::NO_PERMISSION,
            ErrorKind::NotFound => code::NOT_FOUND,
            ErrorKind::BadParameter | ErrorKind::MalformedBody => code::INVALID_PARAMETER,
            ErrorKind::Validation | ErrorKind::PayloadTooLarge => code::OUT_OF_RANGE,
            ErrorKind::MethodNotAllowed | ErrorKind::TooManyRequests => code::FORBIDDEN,
            _ => code::INTERNAL,
        };
        // A store that is down for a moment is said so (with the 503), not hidden.
        let message = if code == code::INTERNAL && e.kind != ErrorKind::Unavailable {
            "An internal error occurred".to_owned()
        } else {
            e.detail
        };
        let mut out = GwsError::new(code, message).with_http(e.kind.status());
        out.retry_after = e.retry_after;
        out
    }
}

impl From<interlog_store::StoreError> for GwsError {
    fn from(e: interlog_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Serialize)]
struct Failure<'a> {
    #[serde(rename = "statusCode")]
    status_code: u8,
    #[serde(rename = "statusMessage")]
    status_message: &'a str,
}

impl IntoResponse for GwsError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(status_code = self.code, cause = %cause, "gws request failed");
        }
        let body = serde_json::to_string(&Failure {
            status_code: self.code,
            status_message: &self.message,
        })
        .expect("failures serialize");
        let mut res = (self.http, json_headers(), body).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == code::NOT_AUTHENTICATED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Genesys Web Services\""),
            );
        }
        res
    }
}

fn json_headers() -> [(header::HeaderName, HeaderValue); 1] {
    [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    )]
}

/// A success body already serialized (it starts with `{"statusCode":0`).
pub fn ok_json(body: String) -> Response {
    (StatusCode::OK, json_headers(), body).into_response()
}

/// `{"statusCode":0,"referenceId":n}`: an accepted asynchronous operation.
pub fn accepted(reference_id: u64) -> Response {
    ok_json(format!(
        "{{\"statusCode\":0,\"referenceId\":{reference_id}}}"
    ))
}

pub type GwsResult<T> = Result<T, GwsError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_has_the_http_status_of_its_meaning() {
        assert_eq!(GwsError::access_denied().http, StatusCode::UNAUTHORIZED);
        assert_eq!(GwsError::csrf().http, StatusCode::FORBIDDEN);
        assert_eq!(GwsError::csrf().code, 3);
        assert_eq!(GwsError::missing("x").code, 1);
        assert_eq!(GwsError::missing("x").http, StatusCode::BAD_REQUEST);
        assert_eq!(GwsError::new(6, "x").http, StatusCode::NOT_FOUND);
        assert_eq!(
            GwsError::internal("boom").message,
            "An internal error occurred"
        );
        let e: GwsError = ApiError::parameter("sort", "bad").into();
        assert_eq!((e.code, e.http), (2, StatusCode::BAD_REQUEST));
    }
}
