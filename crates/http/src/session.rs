//! Cookie sessions, as the explorer and the Genesys dialect keep them.
//!
//! A session lives in the store's expiring records of its tenant (a namespace per API), so
//! every instance on the same store honours it. Its cookie is `TENANT.SECRET`; the record
//! is keyed by the SHA-256 of the secret, so the store never holds a usable cookie. A
//! session used in the second half of its lifetime is extended to a full one. What an API
//! keeps in a session (`T`) is stored as JSON beside the expiry. A session of a client or
//! user revoked since it was opened is refused (and revoking removes the subject's
//! sessions from the store as well).

use crate::error::{ApiError, ApiResult};
use crate::state::ApiState;
use axum::http::{header, HeaderMap, HeaderValue};
use interlog_store::{Record, Tenant};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// The sessions of one API: where their records live and how long one lasts unused.
pub struct CookieSessions {
    pub namespace: &'static str,
    pub ttl: Duration,
}

/// A session's name everywhere but its cookie: the tenant's key and the SHA-256 (hex) of
/// the cookie's secret, written `TENANT.DIGEST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub tenant: String,
    pub id: String,
}

impl SessionKey {
    /// The key of a cookie value (`TENANT.SECRET`); `None` when it names no tenant key.
    pub fn of_cookie(cookie: &str) -> Option<SessionKey> {
        let (tenant, secret) = cookie.split_once('.')?;
        interlog_store::is_valid_tenant_key(tenant).then(|| SessionKey {
            tenant: tenant.to_owned(),
            id: digest(secret),
        })
    }

    /// A key as [`SessionKey::to_string`] wrote it.
    pub fn parse(text: &str) -> Option<SessionKey> {
        let (tenant, id) = text.split_once('.')?;
        interlog_store::is_valid_tenant_key(tenant).then(|| SessionKey {
            tenant: tenant.to_owned(),
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.tenant, self.id)
    }
}

/// A live session.
pub struct Found<T> {
    pub tenant: Arc<Tenant>,
    pub key: SessionKey,
    pub data: T,
}

/// What a session record holds.
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    /// Expiry, epoch milliseconds.
    expires: i64,
    /// When the session was opened, epoch milliseconds (0 for sessions of earlier versions:
    /// any revocation of their owner ends them).
    #[serde(default)]
    opened: i64,
    #[serde(flatten)]
    data: T,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl CookieSessions {
    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 4)
    }

    async fn save<T: Serialize>(
        &self,
        state: &ApiState,
        tenant: &Tenant,
        id: &str,
        owner: &str,
        stored: &Stored<T>,
    ) -> ApiResult<()> {
        let expires_at =
            jiff::Timestamp::from_millisecond(stored.expires).map_err(ApiError::internal)?;
        let record = Record {
            owner: owner.to_owned(),
            value: serde_json::to_string(stored).expect("sessions serialize"),
            expires_at,
        };
        state
            .store
            .put_record(tenant, self.namespace, id, record)
            .await?;
        Ok(())
    }

    /// Opens a session of `tenant` for `owner` (a user or client id) holding `data`;
    /// returns the cookie's value and the session's key.
    pub async fn open<T: Serialize>(
        &self,
        state: &ApiState,
        tenant: &Tenant,
        owner: &str,
        data: T,
    ) -> ApiResult<(String, SessionKey)> {
        let cookie = format!("{}.{}", tenant.key, crate::auth::generate_secret());
        let key = SessionKey::of_cookie(&cookie).expect("a tenant's key is a tenant key");
        let now = now_ms();
        let stored = Stored {
            expires: now.saturating_add(self.ttl_ms()),
            opened: now,
            data,
        };
        self.save(state, tenant, &key.id, owner, &stored).await?;
        Ok((cookie, key))
    }

    /// The live session a cookie value names, extended when past half its lifetime.
    pub async fn find<T: Serialize + DeserializeOwned>(
        &self,
        state: &ApiState,
        cookie: &str,
    ) -> ApiResult<Option<Found<T>>> {
        match SessionKey::of_cookie(cookie) {
            Some(key) => self.find_key(state, key).await,
            None => Ok(None),
        }
    }

    /// The live session with this key, extended when past half its lifetime.
    pub async fn find_key<T: Serialize + DeserializeOwned>(
        &self,
        state: &ApiState,
        key: SessionKey,
    ) -> ApiResult<Option<Found<T>>> {
        let Some(tenant) = state.tenant(&key.tenant).await? else {
            return Ok(None);
        };
        let Some(record) = state
            .store
            .get_record(&tenant, self.namespace, &key.id)
            .await?
        else {
            return Ok(None);
        };
        let Ok(mut stored) = serde_json::from_str::<Stored<T>>(&record.value) else {
            return Ok(None);
        };
        let now = now_ms();
        if stored.expires <= now {
            return Ok(None);
        }
        if state.is_revoked(&record.owner, stored.opened).await? {
            return Ok(None);
        }
        let ttl = self.ttl_ms();
        if stored.expires - now < ttl / 2 {
            stored.expires = now.saturating_add(ttl);
            self.save(state, &tenant, &key.id, &record.owner, &stored)
                .await?;
        }
        Ok(Some(Found {
            tenant,
            key,
            data: stored.data,
        }))
    }

    /// Ends a session everywhere.
    pub async fn end(&self, state: &ApiState, tenant: &Tenant, key: &SessionKey) -> ApiResult<()> {
        state
            .store
            .delete_record(tenant, self.namespace, &key.id)
            .await?;
        Ok(())
    }
}

/// The value of cookie `name` in the request (quotes around it dropped), if it has one of a
/// sensible length.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

/// A `Set-Cookie` value: `HttpOnly`, for `path`, with `SameSite=same_site`, `Max-Age` when
/// given and `Secure` when asked.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: Option<i64>,
    secure: bool,
) -> Option<HeaderValue> {
    let max_age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}{max_age}; HttpOnly; SameSite={same_site}{secure}"
    ))
    .ok()
}

/// Whether `a` and `b` are equal, in a time that depends on their length only, so a token
/// cannot be guessed byte by byte from timings.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others_and_keys_do_not_reveal_them() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; interlog_ui=acme.xyz; b=\"2\""),
        );
        assert_eq!(cookie(&h, "interlog_ui"), Some("acme.xyz"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "JSESSIONID"), None);
        h.insert(header::COOKIE, HeaderValue::from_static("JSESSIONID="));
        assert_eq!(cookie(&h, "JSESSIONID"), None);
        let key = SessionKey::of_cookie("acme.abc").unwrap();
        assert_eq!(key.tenant, "acme");
        assert_eq!(key.id.len(), 64);
        assert!(!key.to_string().contains("abc"));
        assert_eq!(SessionKey::parse(&key.to_string()), Some(key));
        assert_eq!(
            SessionKey::of_cookie("abc"),
            None,
            "a cookie names its tenant"
        );
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd") && !same_secret(b"abc", b"ab"));
    }

    #[test]
    fn set_cookie_says_what_it_is_given() {
        let v = set_cookie("s", "t.x", "/ui", "Strict", Some(60), true).unwrap();
        assert_eq!(
            v,
            "s=t.x; Path=/ui; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        let v = set_cookie("JSESSIONID", "t.x", "/", "Lax", None, false).unwrap();
        assert_eq!(v, "JSESSIONID=t.x; Path=/; HttpOnly; SameSite=Lax");
    }
}
