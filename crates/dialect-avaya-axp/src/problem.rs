//! Errors as Avaya writes them: RFC 7807 `application/problem+json` with `type`, `title`,
//! `status`, `detail` and, for constraint violations, `violations[{field, message, code}]`.
//!
//! The bodies are the ones in Avaya's OpenAPI documents, word for word. The Customer Journey
//! API and the A&A token API use different `type` bases (`avaya-experience-platform` and the
//! older `onecloud-ccaas`), and so does this module.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_http::{ApiError, ErrorKind};
use interlog_store::StoreError;
use serde::Serialize;

const JOURNEY_BASE: &str =
    "https://developers.avayacloud.com/avaya-experience-platform/docs/error-handling";
const ONECLOUD_BASE: &str = "https://developers.avayacloud.com/onecloud-ccaas/docs/error-handling";

/// Avaya's violation code for a required value that is missing or null.
pub const NOT_NULL: i32 = 20002;
/// Avaya's violation code for a value that does not match its rule. Avaya publishes it for
/// patterns; Interlog uses it for every rule a present value breaks (length, range, enum,
/// date-time), with the message naming the rule.
pub const MUST_MATCH: i32 = 20006;

const CONSTRAINT_DETAIL: &str = "A problem that indicates a syntactically correct, yet semantically illegal request. The Server can not process this request until the client resolves the semantic errors described in the violations section.";

/// One field of a request that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub field: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
}

impl Violation {
    pub fn missing(field: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            message: "must not be null".into(),
            code: Some(NOT_NULL),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            message: message.into(),
            code: Some(MUST_MATCH),
        }
    }
}

/// Which of Avaya's two APIs answers: their problem bodies differ in `type` base and a few
/// texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Journey,
    Auth,
}

/// An error on its way to an AXP client.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub type_uri: String,
    pub title: &'static str,
    pub detail: String,
    pub violations: Option<Vec<Violation>>,
    cause: Option<Box<str>>,
    /// `Retry-After` seconds of a 429 or 503.
    retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    type_uri: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    violations: Option<&'a [Violation]>,
}

impl Problem {
    fn new(status: StatusCode, base: &str, fragment: &str, title: &'static str) -> Self {
        Problem {
            status,
            type_uri: format!("{base}#{fragment}"),
            title,
            detail: String::new(),
            violations: None,
            cause: None,
            retry_after: None,
        }
    }

    fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    fn base(api: Api) -> &'static str {
        match api {
            Api::Journey => JOURNEY_BASE,
            Api::Auth => ONECLOUD_BASE,
        }
    }

    /// 400: the request broke the rules listed.
    pub fn constraint(api: Api, violations: Vec<Violation>) -> Self {
        let mut p = Problem::new(
            StatusCode::BAD_REQUEST,
            Self::base(api),
            "constraint-violation",
            "Constraint Violation",
        )
        .with_detail(CONSTRAINT_DETAIL);
        p.violations = Some(violations);
        p
    }

    /// 400 for one field.
    pub fn field(api: Api, v: Violation) -> Self {
        Problem::constraint(api, vec![v])
    }

    /// 400: the body is not JSON (Avaya's "Malformed Payload").
    pub fn malformed(api: Api, why: impl std::fmt::Display) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            Self::base(api),
            "bad-request",
            "Bad Request",
        )
        .with_detail(format!(
            "The request could not be understood by the server due to malformed syntax: {why}"
        ))
    }

    pub fn unauthorized(api: Api) -> Self {
        let guide = match api {
            Api::Journey => {
                "https://developers.avayacloud.com/avaya-experience-platform/docs/how-to-authenticate-with-ccaas-apis"
            }
            Api::Auth => {
                "https://developers.avayacloud.com/onecloud-ccaas/docs/how-to-authenticate-with-ccaas-apis"
            }
        };
        Problem::new(
            StatusCode::UNAUTHORIZED,
            Self::base(api),
            "unauthorized",
            "Unauthorized",
        )
        .with_detail(format!(
            "This operation requires authentication. See {guide}"
        ))
    }

    pub fn forbidden(api: Api) -> Self {
        Problem::new(StatusCode::FORBIDDEN, Self::base(api), "forbidden", "Forbidden")
            .with_detail("According to the access control policy the current user and/or accountId does not have permission to access this resource.")
    }

    pub fn not_found(api: Api) -> Self {
        match api {
            Api::Journey => Problem::new(
                StatusCode::NOT_FOUND,
                JOURNEY_BASE,
                "resource-not-found",
                "Resource Not Found",
            )
            .with_detail("Resource not found."),
            Api::Auth => Problem::new(StatusCode::NOT_FOUND, ONECLOUD_BASE, "not-found", "Not Found")
                .with_detail("Either there is no API method associated with the URL path of the request, or the request refers to one or more resources that were not found."),
        }
    }

    pub fn conflict(api: Api) -> Self {
        Problem::new(StatusCode::CONFLICT, Self::base(api), "conflict", "Conflict")
            .with_detail("Indicates that the resource the client is trying to create already exists or some conflict when processing the request.")
    }

    /// Unsupported media type (415). Avaya's own example gives it the Conflict type and
    /// title; the Customer Journey document has none, so it gets a type of its own there.
    pub fn unsupported_media_type(api: Api) -> Self {
        let detail =
            "The media-type in Content-type of the request is not supported by the server.";
        match api {
            Api::Auth => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ONECLOUD_BASE,
                "conflict",
                "Conflict",
            ),
            Api::Journey => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                JOURNEY_BASE,
                "unsupported-media-type",
                "Unsupported Media Type",
            ),
        }
        .with_detail(detail)
    }

    pub fn method_not_allowed(api: Api) -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Self::base(api),
            "method-not-allowed",
            "Method Not Allowed",
        )
        .with_detail("The resource does not support this HTTP method.")
    }

    pub fn too_large(api: Api) -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Self::base(api),
            "payload-too-large",
            "Payload Too Large",
        )
        .with_detail("The request body is larger than the server accepts.")
    }

    /// 422 for a second agent note, exactly as Avaya's `AgentNoteAlreadyExists` example.
    pub fn note_exists(account: &str, engagement: &str) -> Self {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ONECLOUD_BASE,
            "constraint-violation",
            "Constraint Violation",
        )
        .with_detail(CONSTRAINT_DETAIL);
        p.violations = Some(vec![Violation {
            field: "Engagement".into(),
            message: format!(
                "You cannot create second note for accountId = {account} and engagementId = {engagement}"
            ),
            code: None,
        }]);
        p
    }

    pub fn unavailable(api: Api) -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Self::base(api),
            "service-unavailable",
            "Service Unavailable",
        )
        .with_detail("The service is unavailable; retry shortly.")
    }

    /// 500; the cause goes to the log, never to the client.
    pub fn server_error(api: Api, cause: impl std::fmt::Display) -> Self {
        let mut p = Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Self::base(api),
            "server-error",
            "Server Error",
        )
        .with_detail("An internal server error was encountered.");
        p.cause = Some(cause.to_string().into());
        p
    }

    /// A store failure seen by the Customer Journey API.
    pub fn store(e: StoreError) -> Self {
        Problem::store_on(Api::Journey, e)
    }

    /// A store failure seen by `api`, through [`Problem::api`].
    pub fn store_on(api: Api, e: StoreError) -> Self {
        Problem::api(api, ApiError::from(e))
    }

    /// 429: the client asked too often; retry after `secs`.
    pub fn too_many_requests(api: Api, detail: impl Into<String>, secs: u32) -> Self {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            Self::base(api),
            "too-many-requests",
            "Too Many Requests",
        )
        .with_detail(detail);
        p.retry_after = Some(secs);
        p
    }

    /// A shared-layer error (the token helpers, the store) in Avaya's shape: the one route
    /// every error of the layers below takes.
    pub fn api(api: Api, e: ApiError) -> Self {
        match e.kind {
            ErrorKind::TooManyRequests => {
                let secs = e
                    .retry_after
                    .map_or(1, |s| s.min(u64::from(u32::MAX)) as u32);
                Problem::too_many_requests(api, e.detail, secs)
            }
            ErrorKind::Unavailable => {
                let mut p = Problem::unavailable(api).with_detail(e.detail);
                p.retry_after = e.retry_after.map(|s| s.min(u64::from(u32::MAX)) as u32);
                p
            }
            ErrorKind::Unauthorized => Problem::unauthorized(api),
            ErrorKind::Forbidden => Problem::forbidden(api),
            ErrorKind::NotFound => Problem::not_found(api),
            ErrorKind::Conflict | ErrorKind::Stale => Problem::conflict(api),
            ErrorKind::Validation | ErrorKind::BadParameter => {
                let field = e.parameter.unwrap_or_else(|| "body".into());
                Problem::field(api, Violation::invalid(field, e.detail))
            }
            ErrorKind::MalformedBody => Problem::malformed(api, e.detail),
            ErrorKind::PayloadTooLarge => Problem::too_large(api),
            ErrorKind::UnsupportedMediaType => Problem::unsupported_media_type(api),
            ErrorKind::MethodNotAllowed => Problem::method_not_allowed(api),
            _ => {
                let cause = match &e.cause {
                    Some(c) => error_chain(c.as_ref()),
                    None => e.detail.clone(),
                };
                Problem::server_error(api, cause)
            }
        }
    }
}

use interlog_http::error::error_chain;

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        Problem::store(e)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(status = self.status.as_u16(), cause = %cause, "AXP request failed");
        }
        let body = Body {
            type_uri: &self.type_uri,
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            violations: self.violations.as_deref(),
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        let mut res = (self.status, text).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"avaya_axp\""),
            );
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

pub type AxpResult<T> = Result<T, Problem>;
