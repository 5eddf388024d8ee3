//! `POST /api/auth/v1/{accountId}/protocol/openid-connect/token`: Avaya's A&A token
//! endpoint (`client_credentials`, `password` and `refresh_token` grants), and
//! `…/protocol/openid-connect/revoke` (RFC 7009) to revoke a refresh token.
//!
//! Every grant authenticates the client (form fields or HTTP Basic) and its application key
//! (`appkey` header), as Avaya requires. Access tokens live 900 seconds (Avaya's
//! `expires_in`); refresh tokens are opaque, live 30 minutes, are stored only as a SHA-256
//! digest, and are single-use: each refresh answers a new one and the old one is gone
//! (taken atomically, so two concurrent refreshes cannot both succeed).

use crate::access::{Axp, AxpClaims};
use crate::http;
use crate::problem::{Api, AxpResult, Problem, Violation};
use crate::validate;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bytes::Bytes;
use interlog_http::auth::basic_credentials;
use interlog_http::auth::credentials::{authenticate_client, authenticate_user};
use interlog_http::auth::now_secs;
use interlog_http::auth::{generate_secret, SubjectKind};
use interlog_http::ApiState;
use interlog_store::{Client, Record, Tenant};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Lifetime of access tokens (Avaya's example: 900).
pub const ACCESS_TTL_SECS: i64 = 900;
/// Lifetime of refresh tokens.
pub const REFRESH_TTL_SECS: i64 = 1800;
const REFRESH_NAMESPACE: &str = "avaya_axp.refresh";

/// Avaya's `GenerateTokenResponse`.
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
    refresh_token: String,
}

/// What a refresh token stands for.
#[derive(Serialize, Deserialize)]
struct RefreshGrant {
    tenant: i64,
    client: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<String>,
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The form of a token request; a parameter given twice is refused, as RFC 6749 requires.
fn form(headers: &HeaderMap, body: &[u8]) -> AxpResult<HashMap<String, String>> {
    if let Some(essence) = http::declared_media_type(headers) {
        if essence != "application/x-www-form-urlencoded" {
            return Err(Problem::unsupported_media_type(Api::Auth));
        }
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| Problem::malformed(Api::Auth, e))?;
    let mut out = HashMap::new();
    for (k, v) in pairs {
        if out.insert(k.clone(), v).is_some() {
            return Err(Problem::field(
                Api::Auth,
                Violation::invalid(k, "must be given only once"),
            ));
        }
    }
    Ok(out)
}

/// The client, authenticated by its secret and its application key, in `tenant`.
async fn client(
    state: &ApiState,
    axp: &Axp,
    tenant: &Tenant,
    id: &str,
    secret: &str,
    app_key: &str,
) -> AxpResult<Client> {
    let found = authenticate_client(state, id, secret)
        .await
        .map_err(|e| Problem::api(Api::Auth, e))?;
    let Some((t, c)) = found.filter(|(t, _)| t.id == tenant.id) else {
        return Err(Problem::unauthorized(Api::Auth));
    };
    match axp.verify_app_key(state, &c.client_id, app_key).await {
        Ok(Some(tid)) if tid == t.id => Ok(c),
        Ok(_) => Err(Problem::unauthorized(Api::Auth)),
        Err(e) => Err(Problem::api_from(e)),
    }
}

impl Problem {
    /// The same problem on the A&A API.
    fn api_from(p: Problem) -> Problem {
        if p.status == StatusCode::INTERNAL_SERVER_ERROR {
            Problem::server_error(Api::Auth, p.detail)
        } else {
            p
        }
    }
}

/// Reads the parts every grant needs: the account's tenant, the form, the application key
/// and the client credentials.
struct Request {
    tenant: Arc<Tenant>,
    form: HashMap<String, String>,
    app_key: String,
    client_id: String,
    client_secret: String,
}

async fn read(
    state: &ApiState,
    axp: &Axp,
    account: &str,
    headers: &HeaderMap,
    body: &[u8],
    required: &[&str],
) -> AxpResult<Request> {
    validate::account_id(account).map_err(|v| Problem::field(Api::Auth, v))?;
    let form = form(headers, body)?;
    let app_key = headers
        .get("appkey")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or(Problem::unauthorized(Api::Auth))?
        .to_owned();
    let basic = basic_credentials(headers);
    let mut missing = Vec::new();
    for field in required {
        let from_basic = matches!(*field, "client_id" | "client_secret") && basic.is_some();
        if !from_basic && form.get(*field).is_none_or(|v| v.is_empty()) {
            missing.push(Violation::missing(*field));
        }
    }
    if !missing.is_empty() {
        return Err(Problem::constraint(Api::Auth, missing));
    }
    let (client_id, client_secret) = match basic {
        Some(pair) => pair,
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    let tenant = axp
        .account(state, account)
        .await
        .map_err(Problem::api_from)?
        .ok_or(Problem::unauthorized(Api::Auth))?;
    Ok(Request {
        tenant,
        form,
        app_key,
        client_id,
        client_secret,
    })
}

async fn issue(
    state: &ApiState,
    tenant: &Tenant,
    claims: AxpClaims,
    grant: RefreshGrant,
) -> AxpResult<Response> {
    let access_token = state.signer.jwt(&claims);
    let refresh_token = generate_secret();
    let expires = jiff::Timestamp::from_second(now_secs() + REFRESH_TTL_SECS)
        .map_err(|e| Problem::server_error(Api::Auth, e))?;
    let value = serde_json::to_string(&grant).map_err(|e| Problem::server_error(Api::Auth, e))?;
    let record = Record {
        owner: grant.client.clone(),
        value,
        expires_at: expires,
    };
    state
        .store
        .put_record(tenant, REFRESH_NAMESPACE, &digest(&refresh_token), record)
        .await
        .map_err(|e| Problem::store_on(Api::Auth, e))?;
    tracing::debug!(tenant = %tenant.key, sub = %claims.sub, "AXP token issued");
    let mut res = Json(TokenResponse {
        access_token,
        expires_in: ACCESS_TTL_SECS,
        refresh_token,
    })
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

fn client_claims(tenant: &Tenant, c: &Client) -> AxpClaims {
    let now = now_secs();
    AxpClaims {
        tenant: tenant.key.clone(),
        sub: c.client_id.clone(),
        kind: SubjectKind::Client,
        role: c.role,
        scopes: c.scopes.clone(),
        iat: now,
        exp: now + ACCESS_TTL_SECS,
        azp: Some(c.client_id.clone()),
        name: Some(c.client_id.clone()),
    }
}

fn user_claims(tenant: &Tenant, c: &Client, u: &interlog_store::User) -> AxpClaims {
    let now = now_secs();
    AxpClaims {
        tenant: tenant.key.clone(),
        sub: u.id.clone(),
        kind: SubjectKind::User,
        role: u.role,
        scopes: Vec::new(),
        iat: now,
        exp: now + ACCESS_TTL_SECS,
        azp: Some(c.client_id.clone()),
        name: Some(u.display_name.clone().unwrap_or_else(|| u.username.clone())),
    }
}

pub async fn token(
    State(state): State<ApiState>,
    Extension(axp): Extension<Axp>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    grant(&state, &axp, &account, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn grant(
    state: &ApiState,
    axp: &Axp,
    account: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let grant_type = read_grant_type(headers, body, account)?;
    let required: &[&str] = match grant_type.as_str() {
        "client_credentials" => &["client_id", "client_secret"],
        "password" => &["client_id", "client_secret", "username", "password"],
        "refresh_token" => &["client_id", "client_secret", "refresh_token"],
        _ => {
            return Err(Problem::field(
                Api::Auth,
                Violation::invalid(
                    "grant_type",
                    "must be one of client_credentials, password, refresh_token",
                ),
            ))
        }
    };
    let r = read(state, axp, account, headers, body, required).await?;
    let c = client(
        state,
        axp,
        &r.tenant,
        &r.client_id,
        &r.client_secret,
        &r.app_key,
    )
    .await?;
    let field = |k: &str| r.form.get(k).cloned().unwrap_or_default();
    match grant_type.as_str() {
        "client_credentials" => {
            let claims = client_claims(&r.tenant, &c);
            let g = RefreshGrant {
                tenant: r.tenant.id,
                client: c.client_id.clone(),
                user: None,
            };
            issue(state, &r.tenant, claims, g).await
        }
        "password" => {
            let found =
                authenticate_user(state, &r.tenant.key, &field("username"), &field("password"))
                    .await
                    .map_err(|e| Problem::api(Api::Auth, e))?;
            let Some((_, u)) = found else {
                return Err(Problem::unauthorized(Api::Auth));
            };
            let claims = user_claims(&r.tenant, &c, &u);
            let g = RefreshGrant {
                tenant: r.tenant.id,
                client: c.client_id.clone(),
                user: Some(u.username.clone()),
            };
            issue(state, &r.tenant, claims, g).await
        }
        _ => {
            let invalid = || {
                Problem::field(
                    Api::Auth,
                    Violation::invalid(
                        "refresh_token",
                        "is not a valid, unexpired refresh token of this client",
                    ),
                )
            };
            // Taken only when it is this client's token in this tenant: a refresh by anyone
            // else leaves it in place.
            let taken = state
                .store
                .take_record(
                    &r.tenant,
                    REFRESH_NAMESPACE,
                    &digest(&field("refresh_token")),
                    &c.client_id,
                )
                .await
                .map_err(|e| Problem::store_on(Api::Auth, e))?;
            let g: RefreshGrant = taken
                .and_then(|r| serde_json::from_str(&r.value).ok())
                .filter(|g: &RefreshGrant| g.tenant == r.tenant.id && g.client == c.client_id)
                .ok_or_else(invalid)?;
            let claims = match &g.user {
                None => client_claims(&r.tenant, &c),
                Some(username) => {
                    let u = state
                        .store
                        .user(&r.tenant, username)
                        .await
                        .map_err(|e| Problem::store_on(Api::Auth, e))?
                        .filter(|u| u.disabled_at.is_none())
                        .ok_or_else(invalid)?;
                    user_claims(&r.tenant, &c, &u)
                }
            };
            issue(state, &r.tenant, claims, g).await
        }
    }
}

/// `grant_type`, checked before anything else needs the form.
fn read_grant_type(headers: &HeaderMap, body: &[u8], account: &str) -> AxpResult<String> {
    validate::account_id(account).map_err(|v| Problem::field(Api::Auth, v))?;
    let f = form(headers, body)?;
    f.get("grant_type")
        .filter(|g| !g.is_empty())
        .cloned()
        .ok_or_else(|| Problem::field(Api::Auth, Violation::missing("grant_type")))
}

/// RFC 7009: revokes a refresh token of the authenticated client. Unknown tokens are
/// answered 200 as well, so the answer tells nothing about other clients' tokens.
pub async fn revoke(
    State(state): State<ApiState>,
    Extension(axp): Extension<Axp>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = async {
        let r = read(
            &state,
            &axp,
            &account,
            &headers,
            &body,
            &["client_id", "client_secret", "token"],
        )
        .await?;
        let c = client(
            &state,
            &axp,
            &r.tenant,
            &r.client_id,
            &r.client_secret,
            &r.app_key,
        )
        .await?;
        let key = digest(r.form.get("token").map_or("", String::as_str));
        // Only the client's own token goes; anyone else's stays.
        state
            .store
            .take_record(&r.tenant, REFRESH_NAMESPACE, &key, &c.client_id)
            .await
            .map_err(|e| Problem::store_on(Api::Auth, e))?;
        Ok::<_, Problem>(StatusCode::OK.into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
