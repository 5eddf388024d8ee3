//! `POST /oauth/token`: Zoom's server-to-server OAuth. HTTP Basic `client_id:client_secret`
//! and `grant_type=account_credentials&account_id=...` (in the query string, as Zoom
//! documents, or in a form body, as common clients send them); `client_credentials` too.

use crate::scopes::granted;
use crate::shared::Zoom;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use interlog_http::auth::basic_credentials;
use interlog_http::auth::credentials::{authenticate_client, issue_for_client};
use interlog_http::ApiState;
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
struct TokenBody {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
}

/// Zoom's OAuth error body.
fn oauth_error(status: StatusCode, error: &'static str, reason: &str) -> Response {
    let body = serde_json::json!({"reason": reason, "error": error});
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn pairs(raw: Option<&str>, body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    out.extend(form);
    Some(out)
}

fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

pub async fn token(
    State(state): State<ApiState>,
    Extension(zoom): Extension<Arc<Zoom>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(params) = pairs(raw.as_deref(), &body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request body must be form-encoded.",
        );
    };
    let grant = one(&params, "grant_type");
    let account = match grant {
        Some("account_credentials") => match one(&params, "account_id") {
            Some(a) => Some(a),
            None => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing account_id.",
                )
            }
        },
        Some("client_credentials") => None,
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant type.",
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing grant_type.",
            )
        }
    };
    let creds = basic_credentials(&headers).or_else(|| {
        Some((
            one(&params, "client_id")?.to_owned(),
            one(&params, "client_secret")?.to_owned(),
        ))
    });
    let invalid_client = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client_id or client_secret",
        )
    };
    let Some((id, secret)) = creds else {
        return invalid_client();
    };
    let (tenant, client) = match authenticate_client(&state, &id, &secret).await {
        Ok(Some(found)) => found,
        Ok(None) => return invalid_client(),
        Err(e) => return crate::error::ZoomError::from(e).into_response(),
    };
    if let Some(account) = account {
        let by_alias = tenant
            .aliases
            .iter()
            .any(|(d, a)| d == crate::NAME && a == account);
        if account != tenant.key && !by_alias {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Invalid account_id.",
            );
        }
    }
    let scopes = granted(&client.scopes, client.role);
    let ttl = zoom.config.token_ttl_secs;
    let access_token = issue_for_client(&state, &tenant, &client, ttl, scopes.clone());
    let mut res = axum::Json(TokenBody {
        access_token,
        token_type: "bearer",
        expires_in: ttl,
        scope: scopes.join(" "),
    })
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
