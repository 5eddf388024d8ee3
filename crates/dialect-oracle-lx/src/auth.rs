//! `GET /v1/auth/{tenant}`: the Live Experience token request.
//!
//! The keys `grant_type` (`password`), `domain_name` and `credentials` (base64 of
//! `clientId:clientSecret`) are read from the query string, else from request headers of
//! the same names; without `credentials`, HTTP Basic with the client id and secret works
//! too. The answer is an Interlog access token valid for 20 minutes, so it is accepted by
//! every API of the tenant.

use crate::error::LxError;
use crate::negotiate::{self, Media};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use interlog_http::auth::basic_credentials;
use interlog_http::auth::credentials::{authenticate_client, issue_for_client};
use interlog_http::params::Params;
use interlog_http::{ApiError, ApiResult, ApiState};

/// "A JWT automatically expires after 20 minutes."
pub const TOKEN_TTL_SECS: i64 = 20 * 60;

const KEYS: &[&str] = &["grant_type", "domain_name", "credentials"];

/// A key from the query string, else from a header of the same name; blank counts as absent.
fn key<'a>(p: &'a Params, headers: &'a HeaderMap, name: &str) -> ApiResult<Option<&'a str>> {
    let from_query = p.one(name)?.map(str::trim).filter(|v| !v.is_empty());
    Ok(from_query.or_else(|| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }))
}

/// The client id and secret in a `credentials` value.
pub fn decode_credentials(value: &str) -> Option<(String, String)> {
    // An unencoded `+` in a query string arrives as a space; base64 never holds spaces.
    let cleaned: String = value
        .trim()
        .chars()
        .map(|c| if c == ' ' { '+' } else { c })
        .collect();
    let unpadded = cleaned.trim_end_matches('=');
    let bytes = STANDARD_NO_PAD
        .decode(unpadded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(unpadded))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, secret) = text.split_once(':')?;
    (!id.is_empty()).then(|| (id.to_owned(), secret.to_owned()))
}

fn failed() -> ApiError {
    ApiError::new(
        interlog_http::ErrorKind::Unauthorized,
        "client authentication failed",
    )
}

async fn issue(
    state: &ApiState,
    tenant: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> ApiResult<String> {
    let p = Params::parse(query);
    p.reject_unknown(KEYS, &[])?;
    if let Some(g) = key(&p, headers, "grant_type")? {
        if g != "password" {
            return Err(ApiError::parameter(
                "grant_type",
                format!("accepted: password; not {g:?}"),
            ));
        }
    }
    // The LX domain names the vendor's region; one Interlog server is its own domain.
    let _domain = key(&p, headers, "domain_name")?;
    let (id, secret) = match key(&p, headers, "credentials")? {
        Some(c) => decode_credentials(c).ok_or_else(|| {
            ApiError::parameter(
                "credentials",
                "must be the base64 encoding of clientId:clientSecret",
            )
        })?,
        None => basic_credentials(headers).ok_or_else(failed)?,
    };
    let (t, client) = authenticate_client(state, &id, &secret)
        .await?
        .ok_or_else(failed)?;
    if t.key != tenant {
        return Err(failed());
    }
    let token = issue_for_client(state, &t, &client, TOKEN_TTL_SECS, client.scopes.clone());
    let mut body = String::with_capacity(token.len() + 80);
    body.push_str("{\"access_token\":");
    crate::render_json::push_str(&mut body, &token);
    body.push_str(",\"token_type\":\"Bearer\",\"expires_in\":");
    body.push_str(&TOKEN_TTL_SECS.to_string());
    body.push('}');
    Ok(body)
}

/// The token request. The token itself is always JSON (Oracle: "returns a JSON"); an error
/// follows the client's `Accept` like every other error of the dialect.
pub async fn token(
    State(state): State<ApiState>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let media = negotiate::from_headers(&headers).unwrap_or(Media::Json);
    match issue(&state, &tenant, query.as_deref(), &headers).await {
        Ok(body) => {
            let mut res = body.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(error) => LxError {
            error,
            media,
            challenge: "Basic realm=\"interlog\"",
        }
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn credentials_decode_in_any_base64_spelling() {
        let enc = STANDARD.encode("client-1:s3>>>?x");
        assert!(enc.contains('+') && enc.ends_with('='), "{enc}");
        let want = Some(("client-1".to_owned(), "s3>>>?x".to_owned()));
        assert_eq!(decode_credentials(&enc), want);
        assert_eq!(decode_credentials(&enc.replace('+', " ")), want);
        assert_eq!(decode_credentials(enc.trim_end_matches('=')), want);
        assert_eq!(
            decode_credentials(&URL_SAFE_NO_PAD.encode("client-1:s3>>>?x")),
            want
        );
        assert_eq!(
            decode_credentials(&STANDARD.encode("id:with:colons")),
            Some(("id".to_owned(), "with:colons".to_owned()))
        );
        for bad in [
            "",
            "!!!",
            &STANDARD.encode("no-colon"),
            &STANDARD.encode(":secret"),
        ] {
            assert_eq!(decode_credentials(bad), None, "{bad}");
        }
    }
}
