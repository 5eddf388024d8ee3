//! `POST /api/v1/oauth/token`: OAuth 2.0 token requests (client credentials and password).

use crate::auth::{verify_secret, Claims, SubjectKind};
use crate::error::ApiResult;
use crate::state::{now_secs, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use bytes::Bytes;
use interlog_store::{Client, Tenant, User};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

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

/// Client id and secret from an HTTP Basic `Authorization` header (the scheme in any
/// case, RFC 9110).
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = v.trim_start().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Issues a token for a client, with the lifetime given.
pub fn issue_for_client(
    state: &AppState,
    tenant: &Tenant,
    client: &Client,
    ttl: i64,
    scopes: Vec<String>,
) -> String {
    let now = now_secs();
    state.signer.jwt(&Claims {
        tenant: tenant.key.clone(),
        sub: client.client_id.clone(),
        kind: SubjectKind::Client,
        role: client.role,
        scopes,
        iat: now,
        exp: now + ttl,
    })
}

/// Issues a token for a user.
pub fn issue_for_user(state: &AppState, tenant: &Tenant, user: &User, ttl: i64) -> String {
    let now = now_secs();
    state.signer.jwt(&Claims {
        tenant: tenant.key.clone(),
        sub: user.id.clone(),
        kind: SubjectKind::User,
        role: user.role,
        scopes: Vec::new(),
        iat: now,
        exp: now + ttl,
    })
}

/// Verifies a secret against a PHC hash on a blocking thread, within the limits of the
/// state's [`crate::auth::CredentialGuard`] (at most one hash per core, a bounded queue,
/// a budget per source address): each holds a 19 MiB argon2 block, and more at once would
/// only queue for the CPU while holding memory.
pub async fn verify_blocking(
    state: &AppState,
    secret: String,
    hash: Option<String>,
) -> ApiResult<bool> {
    state
        .guard
        .verify(move || {
            let _running = crate::metrics::argon2_in_flight();
            match hash {
                Some(h) => verify_secret(&secret, &h),
                None => {
                    // Hash anyway, so an unknown subject costs the same time as a wrong secret.
                    let _ = verify_secret(&secret, &DUMMY_HASH);
                    false
                }
            }
        })
        .await
}

/// Checks a client's secret, slowing down repeated failures. `None` for any failure, with
/// no hint of which part was wrong.
pub async fn authenticate_client(
    state: &AppState,
    id: &str,
    secret: &str,
) -> ApiResult<Option<(Tenant, Client)>> {
    let found = state.store.client(id).await?;
    let hash = found.as_ref().map(|c| c.secret_hash.clone());
    let ok = verify_blocking(state, secret.to_owned(), hash).await?;
    let client = match (ok, found) {
        (true, Some(c)) => c,
        _ => {
            tokio::time::sleep(state.throttle.fail(id)).await;
            return Ok(None);
        }
    };
    state.throttle.succeed(id);
    let tenant = state.store.tenant_by_id(client.tenant_id).await?;
    Ok(tenant.map(|t| (t, client)))
}

/// Checks a user's password in a tenant, slowing down repeated failures.
pub async fn authenticate_user(
    state: &AppState,
    tenant_key: &str,
    username: &str,
    password: &str,
) -> ApiResult<Option<(std::sync::Arc<Tenant>, User)>> {
    let subject = format!("{tenant_key}/{username}");
    let tenant = state.tenant(tenant_key).await?;
    let user = match &tenant {
        Some(t) => state.store.user(t, username).await?,
        None => None,
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = verify_blocking(state, password.to_owned(), hash).await?;
    match (ok, tenant, user) {
        (true, Some(t), Some(u)) => {
            state.throttle.succeed(&subject);
            Ok(Some((t, u)))
        }
        _ => {
            tokio::time::sleep(state.throttle.fail(&subject)).await;
            Ok(None)
        }
    }
}

/// A hash verified against when the subject is unknown, so that costs the same time.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| crate::auth::hash_secret(&crate::auth::generate_secret()));

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
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
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
