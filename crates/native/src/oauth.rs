//! `POST /api/v1/oauth/token`: OAuth 2.0 token requests (client credentials and password).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use interlog_http::auth::basic_credentials;
use interlog_http::auth::credentials::{
    authenticate_client, authenticate_user, issue_for_client, issue_for_user,
};
use interlog_http::ApiState;
use serde::Serialize;
use std::collections::HashMap;

/// The token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// An OAuth error body (RFC 6749 §5.2).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OAuthError<'a> {
    /// invalid_request, invalid_client or unsupported_grant_type.
    pub error: &'static str,
    pub error_description: &'a str,
}

/// A token request (`application/x-www-form-urlencoded`), for the API documentation.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// client_credentials or password.
    grant_type: String,
    /// client_credentials: the client id (or HTTP Basic).
    client_id: Option<String>,
    /// client_credentials: the client secret (or HTTP Basic).
    client_secret: Option<String>,
    /// password: the tenant key.
    tenant: Option<String>,
    /// password: the user name.
    username: Option<String>,
    /// password: the user's password.
    password: Option<String>,
}

/// An OAuth error (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &'static str, description: &str) -> Response {
    let mut res = (
        status,
        Json(OAuthError {
            error,
            error_description: description,
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"interlog\"".parse().expect("static"),
        );
    }
    res
}

#[utoipa::path(
    post,
    path = "/api/v1/oauth/token",
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded", description = "grant_type=client_credentials with client_id and client_secret (or HTTP Basic), or grant_type=password with tenant, username and password"),
    responses(
        (status = 200, description = "An access token", body = TokenResponse),
        (status = 400, description = "Malformed request or unsupported grant type", body = OAuthError),
        (status = 401, description = "Wrong or missing credentials", body = OAuthError),
        (status = 413, description = "The body is larger than the configured limit"),
    )
)]
pub async fn token(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body must be form-encoded",
            )
        }
    };
    let ttl = state.config.token_ttl_secs;
    let grant = form.get("grant_type").map(String::as_str);
    let result = match grant {
        Some("client_credentials") => {
            let creds = basic_credentials(&headers).or_else(|| {
                Some((
                    form.get("client_id")?.clone(),
                    form.get("client_secret")?.clone(),
                ))
            });
            let Some((id, secret)) = creds else {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client authentication failed",
                );
            };
            authenticate_client(&state, &id, &secret)
                .await
                .map(|found| {
                    found.map(|(t, c)| {
                        let scopes = c.scopes.clone();
                        (
                            issue_for_client(&state, &t, &c, ttl, scopes.clone()),
                            scopes,
                        )
                    })
                })
        }
        Some("password") => {
            let (Some(tenant), Some(user), Some(pass)) = (
                form.get("tenant"),
                form.get("username"),
                form.get("password"),
            ) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "password grants need tenant, username and password",
                );
            };
            authenticate_user(&state, tenant, user, pass)
                .await
                .map(|found| found.map(|(t, u)| (issue_for_user(&state, &t, &u, ttl), Vec::new())))
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "supported: client_credentials, password",
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            )
        }
    };
    match result {
        Ok(Some((access_token, scopes))) => {
            let mut res = Json(TokenResponse {
                access_token,
                token_type: "Bearer",
                expires_in: ttl,
                scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
            })
            .into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
            res
        }
        Ok(None) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        ),
        Err(e) => e.into_response(),
    }
}
