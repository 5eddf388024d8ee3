//! Who is calling: HTTP Basic with an Interlog user, or the `JSESSIONID` cookie of a session
//! an earlier Basic login opened. Handlers take the caller as an extractor ([`GwsCaller`] for
//! reads, [`InSession`] for the requests that open a session, [`crate::csrf::Modifying`]
//! for the ones that change something), so none can run without it; a refusal is GWS's
//! `statusCode` 20 (or the CSRF 403).
//!
//! Only `GET /api/v2/me` (the request GWS clients make to get their cookie and CSRF token)
//! and the CometD handshake open a session for Basic credentials. Any other request with
//! Basic credentials and no live session cookie is served without a session: nothing is
//! stored and no cookie is set, so a client that sends Basic on every request does not
//! leave a session behind each time.
//!
//! A session is a cookie session of the framework ([`interlog_http::session`], namespace
//! `gws.session`): kept in the store, so every Interlog instance on the same store honours
//! it, `TENANT.SECRET` in the cookie, extended while used.
//!
//! The Basic user name names the tenant as `tenant/username` (or `tenant\username`); the
//! tenant part is a tenant key or a `genesys_gws` alias of one. A name without it belongs
//! to the configured default tenant.

use crate::envelope::{GwsError, GwsResult};
use crate::shared::Gws;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use interlog_http::auth::basic_credentials;
use interlog_http::auth::credentials::authenticate_user;
use interlog_http::session::{CookieSessions, Found, SessionKey};
use interlog_http::ApiState;
use interlog_store::{ClientRole, Tenant};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const COOKIE: &str = "JSESSIONID";
const NAMESPACE: &str = "gws.session";

/// What a session record holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    tenant: String,
    user_id: String,
    username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    role: ClientRole,
    csrf: String,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct GwsCaller {
    pub tenant: Arc<Tenant>,
    pub user_id: String,
    pub username: String,
    pub email: Option<String>,
    pub role: ClientRole,
    /// The session the request belongs to: none for Basic credentials without a live
    /// session cookie, unless the request opened one.
    pub session: Option<Session>,
}

impl GwsCaller {
    /// The key of the caller's session, if it has one.
    pub fn session_key(&self) -> Option<String> {
        self.session.as_ref().map(|s| s.key.clone())
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The SHA-256 (hex) of the session cookie: the session's name everywhere but the
    /// cookie itself.
    pub key: String,
    pub csrf: String,
    /// The cookie value of a session this request opened (to be set on the response).
    pub new_cookie: Option<String>,
}

/// A caller with a session: the request's own, or one it opened.
pub struct InSession(pub GwsCaller);

/// The dialect's state, from the extensions its routes carry.
pub(crate) fn gws_of(parts: &Parts) -> GwsResult<Arc<Gws>> {
    parts
        .extensions
        .get::<Arc<Gws>>()
        .cloned()
        .ok_or_else(|| GwsError::internal("the genesys_gws routes lost their state"))
}

impl FromRequestParts<ApiState> for GwsCaller {
    type Rejection = GwsError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> GwsResult<Self> {
        let gws = gws_of(parts)?;
        authenticate(state, &gws, &parts.headers).await
    }
}

impl FromRequestParts<ApiState> for InSession {
    type Rejection = GwsError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> GwsResult<Self> {
        let gws = gws_of(parts)?;
        open(state, &gws, &parts.headers).await.map(InSession)
    }
}

/// The `JSESSIONID` value of the request, if any.
pub fn cookie(headers: &HeaderMap) -> Option<&str> {
    interlog_http::session::cookie(headers, COOKIE)
}

/// The session key (`TENANT.DIGEST`) of a cookie value.
pub fn key_of(cookie: &str) -> Option<String> {
    SessionKey::of_cookie(cookie).map(|k| k.to_string())
}

/// The tenant part and user part of a Basic user name.
pub fn split_login(login: &str) -> (Option<&str>, &str) {
    match login.split_once(['/', '\\']) {
        Some((tenant, user)) if !tenant.is_empty() && !user.is_empty() => (Some(tenant), user),
        _ => (None, login),
    }
}

/// The dialect's sessions, which last `session_ttl_secs` unused.
fn sessions(gws: &Gws) -> CookieSessions {
    CookieSessions {
        namespace: NAMESPACE,
        ttl: gws.config.session_ttl,
    }
}

/// The caller of a live session.
fn caller_of(found: Found<Record>) -> Option<GwsCaller> {
    let (tenant, key, record) = (found.tenant, found.key, found.data);
    (record.tenant == tenant.key).then(|| GwsCaller {
        tenant,
        user_id: record.user_id,
        username: record.username,
        email: record.email,
        role: record.role,
        session: Some(Session {
            key: key.to_string(),
            csrf: record.csrf,
            new_cookie: None,
        }),
    })
}

/// The live session with this key, extended when past half its lifetime.
async fn load(state: &ApiState, gws: &Gws, key: &str) -> GwsResult<Option<GwsCaller>> {
    let Some(key) = SessionKey::parse(key) else {
        return Ok(None);
    };
    let found = sessions(gws).find_key(state, key).await?;
    Ok(found.and_then(caller_of))
}

/// The session named by the request's cookie, if it is live.
pub async fn from_cookie(
    state: &ApiState,
    gws: &Gws,
    headers: &HeaderMap,
) -> GwsResult<Option<GwsCaller>> {
    match cookie(headers) {
        Some(c) => Ok(sessions(gws).find(state, c).await?.and_then(caller_of)),
        None => Ok(None),
    }
}

/// Whether the live session `key` still exists (extending it like any use).
pub async fn is_live(state: &ApiState, gws: &Gws, key: &str) -> GwsResult<bool> {
    Ok(load(state, gws, key).await?.is_some())
}

/// The tenant key a login's tenant part names: a key, or a `genesys_gws` alias.
async fn tenant_key(state: &ApiState, gws: &Gws, part: Option<&str>) -> GwsResult<String> {
    let Some(part) = part else {
        return Ok(gws.config.default_tenant.clone().unwrap_or_default());
    };
    if state.tenant(part).await?.is_some() {
        return Ok(part.to_owned());
    }
    Ok(state
        .store
        .tenant_by_alias("genesys_gws", part)
        .await?
        .map(|t| t.key)
        .unwrap_or_else(|| part.to_owned()))
}

/// Checks Basic credentials; the caller has no session.
async fn login(state: &ApiState, gws: &Gws, login: &str, password: &str) -> GwsResult<GwsCaller> {
    let (part, username) = split_login(login);
    let key = tenant_key(state, gws, part).await?;
    let Some((tenant, user)) = authenticate_user(state, &key, username, password).await? else {
        return Err(GwsError::access_denied());
    };
    Ok(GwsCaller {
        tenant,
        user_id: user.id,
        username: user.username,
        email: user.email,
        role: user.role,
        session: None,
    })
}

/// Opens a session for a caller that has none; its cookie goes on the response.
async fn open_session(state: &ApiState, gws: &Gws, caller: &GwsCaller) -> GwsResult<Session> {
    let record = Record {
        tenant: caller.tenant.key.clone(),
        user_id: caller.user_id.clone(),
        username: caller.username.clone(),
        email: caller.email.clone(),
        role: caller.role,
        csrf: uuid::Uuid::new_v4().to_string(),
    };
    let csrf = record.csrf.clone();
    let (cookie, key) = sessions(gws)
        .open(state, &caller.tenant, &caller.user_id, record)
        .await?;
    Ok(Session {
        key: key.to_string(),
        csrf,
        new_cookie: Some(cookie),
    })
}

/// The caller of a request with its session, opening one when the request has none.
pub async fn open(state: &ApiState, gws: &Gws, headers: &HeaderMap) -> GwsResult<GwsCaller> {
    let mut caller = authenticate(state, gws, headers).await?;
    if caller.session.is_none() {
        caller.session = Some(open_session(state, gws, &caller).await?);
    }
    Ok(caller)
}

/// The caller of a request: its live session, unless Basic credentials name someone else;
/// else its Basic credentials, without a session. Neither: status 20.
pub async fn authenticate(
    state: &ApiState,
    gws: &Gws,
    headers: &HeaderMap,
) -> GwsResult<GwsCaller> {
    let basic = basic_credentials(headers);
    if let Some(caller) = from_cookie(state, gws, headers).await? {
        let same = basic.as_ref().is_none_or(|(login, _)| {
            let (part, user) = split_login(login);
            user == caller.username
                && part.is_none_or(|p| {
                    p == caller.tenant.key
                        || caller
                            .tenant
                            .aliases
                            .iter()
                            .any(|(d, a)| d == "genesys_gws" && a == p)
                })
        });
        if same {
            return Ok(caller);
        }
    }
    match basic {
        Some((login_name, password)) => login(state, gws, &login_name, &password).await,
        None => Err(GwsError::access_denied()),
    }
}

/// The `Set-Cookie` value for a new session.
pub fn set_cookie(gws: &Gws, value: &str) -> Option<HeaderValue> {
    interlog_http::session::set_cookie(COOKIE, value, "/", "Lax", None, gws.config.secure_cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_name_their_tenant_with_a_slash_or_backslash() {
        assert_eq!(split_login("acme/ksippo"), (Some("acme"), "ksippo"));
        assert_eq!(split_login("acme\\ksippo"), (Some("acme"), "ksippo"));
        assert_eq!(
            split_login("ksippo@example.com"),
            (None, "ksippo@example.com")
        );
        assert_eq!(split_login("/ksippo"), (None, "/ksippo"));
        assert_eq!(split_login("acme/"), (None, "acme/"));
    }
}
