//! Request and response plumbing shared by the Customer Journey handlers.

use crate::json::Json;
use crate::problem::{Api, AxpResult, Problem, Violation};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use interlog_http::params::Params;
use interlog_http::ApiState;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// Splits a path segment into its resource and its custom method (`journeys:search` →
/// `("journeys", Some("search"))`). The method follows the last colon.
pub fn split_method(segment: &str) -> (&str, Option<&str>) {
    match segment.rsplit_once(':') {
        Some((resource, method)) => (resource, Some(method)),
        None => (segment, None),
    }
}

/// Path parameters; a path axum cannot decode is no resource of this API.
pub struct AxpPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<ApiState> for AxpPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> AxpResult<Self> {
        Path::from_request_parts(parts, state)
            .await
            .map(|Path(t)| AxpPath(t))
            .map_err(|_| Problem::not_found(Api::Journey))
    }
}

/// The resource of a path segment that ends in a custom method: the segment up to its last
/// colon (`{engagementId}` of `{engagementId}:update`), or all of it when it has none.
pub struct Resource(pub String);

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let segment = String::deserialize(d)?;
        Ok(Resource(split_method(&segment).0.to_owned()))
    }
}

/// The request body, or the problem of a body too large to read.
pub struct AxpBody(pub Bytes);

impl FromRequest<ApiState> for AxpBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &ApiState) -> AxpResult<Self> {
        Bytes::from_request(req, state)
            .await
            .map(AxpBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::too_large(Api::Journey)
                } else {
                    Problem::malformed(Api::Journey, e.body_text())
                }
            })
    }
}

/// The media type of the declared `Content-Type` (without its parameters, in lower case;
/// empty when unreadable), if one is declared.
pub fn declared_media_type(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?;
    let essence = ct.to_str().unwrap_or("").split(';').next().unwrap_or("");
    Some(essence.trim().to_ascii_lowercase())
}

/// A JSON body. A declared content type must be JSON; an empty body reads as `{}` so that
/// the missing fields are reported one by one.
pub fn json_body(headers: &HeaderMap, body: &[u8]) -> AxpResult<Json> {
    if let Some(essence) = declared_media_type(headers) {
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(Problem::unsupported_media_type(Api::Journey));
        }
    }
    if body.trim_ascii().is_empty() {
        return Ok(Json::Object(Vec::new()));
    }
    Json::parse(body).map_err(|e| Problem::malformed(Api::Journey, e))
}

/// A JSON object body.
pub fn object_body(headers: &HeaderMap, body: &[u8]) -> AxpResult<Json> {
    let j = json_body(headers, body)?;
    if j.as_object().is_none() {
        return Err(Problem::malformed(
            Api::Journey,
            format!("the body must be a JSON object, not {}", j.kind()),
        ));
    }
    Ok(j)
}

/// `200` with a JSON body.
pub fn ok<T: Serialize>(value: &T) -> Response {
    json(StatusCode::OK, value)
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            text,
        )
            .into_response(),
        Err(e) => Problem::server_error(Api::Journey, e).into_response(),
    }
}

/// `202 Accepted` with no body, as Avaya answers its writes.
pub fn accepted() -> Response {
    StatusCode::ACCEPTED.into_response()
}

/// A page request: `pageNumber` from 1, `pageSize` from 1 to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub number: u64,
    pub size: u64,
}

impl Paging {
    /// Matches skipped before this page.
    pub fn offset(self) -> u64 {
        (self.number - 1).saturating_mul(self.size)
    }
}

/// The single value of a query parameter.
fn one<'a>(params: &'a Params, name: &str, out: &mut Vec<Violation>) -> Option<&'a str> {
    match params.one(name) {
        Ok(v) => v,
        Err(_) => {
            out.push(Violation::invalid(name, "must be given only once"));
            None
        }
    }
}

/// Reads `pageNumber` and `pageSize` (default `default_size`, at most `max`).
pub fn paging(params: &Params, default_size: u64, max: u64, out: &mut Vec<Violation>) -> Paging {
    let size = match one(params, "pageSize", out) {
        None => default_size,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                out.push(Violation::invalid(
                    "pageSize",
                    format!("must be between 1 and {max}"),
                ));
                default_size
            }
        },
    };
    let number = match one(params, "pageNumber", out) {
        None => 1,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=i32::MAX as u64).contains(&n) => n,
            _ => {
                out.push(Violation::invalid(
                    "pageNumber",
                    format!("must be greater than 0 and at most {}", i32::MAX),
                ));
                1
            }
        },
    };
    Paging { number, size }
}

/// Avaya's `Pagination`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page_number: u64,
    pub page_size: u64,
    pub total: u64,
}

impl Pagination {
    pub fn new(p: Paging, total: u64) -> Self {
        Pagination {
            page_number: p.number,
            page_size: p.size,
            total,
        }
    }
}

/// Fails with the violations, if any.
pub fn check(violations: Vec<Violation>) -> AxpResult<()> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Problem::constraint(Api::Journey, violations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_method_is_after_the_last_colon() {
        assert_eq!(
            split_method("journeys:search"),
            ("journeys", Some("search"))
        );
        assert_eq!(split_method("journeys"), ("journeys", None));
        assert_eq!(split_method("a:b:add"), ("a:b", Some("add")));
        assert_eq!(split_method("journeys:"), ("journeys", Some("")));
    }

    #[test]
    fn paging_defaults_and_limits() {
        let mut v = Vec::new();
        let p = paging(&Params::parse(None), 50, 50, &mut v);
        assert_eq!((p.number, p.size, p.offset()), (1, 50, 0));
        assert!(v.is_empty());
        let p = paging(
            &Params::parse(Some("pageSize=10&pageNumber=3")),
            50,
            50,
            &mut v,
        );
        assert_eq!((p.number, p.size, p.offset()), (3, 10, 20));
        for bad in [
            "pageSize=0",
            "pageSize=51",
            "pageNumber=0",
            "pageNumber=-1",
            "pageSize=x",
            "pageNumber=2147483648",
            "pageSize=1&pageSize=2",
        ] {
            let mut v = Vec::new();
            paging(&Params::parse(Some(bad)), 50, 50, &mut v);
            assert_eq!(v.len(), 1, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn splitting_loses_nothing(s in "\\PC{0,40}") {
            let (resource, method) = split_method(&s);
            let joined = match method { Some(m) => format!("{resource}:{m}"), None => resource.to_owned() };
            prop_assert_eq!(joined, s.clone());
            prop_assert!(method.is_none_or(|m| !m.contains(':')));
        }

        #[test]
        fn any_paging_query_reads_without_panicking(q in "\\PC{0,60}") {
            let mut v = Vec::new();
            let p = paging(&Params::parse(Some(&q)), 50, 50, &mut v);
            prop_assert!(p.number >= 1 && (1..=50).contains(&p.size));
        }
    }
}
