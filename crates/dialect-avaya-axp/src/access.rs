//! Who may call the Customer Journey API: the bearer token, the `appkey` header, the
//! account in the path, and the role.
//!
//! Every journey handler takes an [`Account`] (an extractor: checks 1–3 below, before the
//! body is read), and every operation takes a [`AxpCaller`] of the role it needs, which only
//! [`Account::allow`] makes (check 4). So an operation states its role in its signature and
//! cannot run unchecked.
//!
//! Order of the checks (each failure stops there):
//! 1. a valid, unexpired bearer token and an `appkey` that verifies against the application
//!    key of the token's client: otherwise 401;
//! 2. `accountId` shaped as Avaya's (six letters): otherwise 400;
//! 3. the account is an `avaya_axp` alias of the token's tenant: otherwise 404, as if it did
//!    not exist;
//! 4. the token's role allows the operation: otherwise 403.
//!
//! Role map (Interlog roles are ordered reader < agent < admin):
//!
//! | AXP operation | Avaya's role | Interlog role needed |
//! |---|---|---|
//! | get, list, search journeys, list agents, list agent notes | Agent | reader |
//! | create/update engagements, identifiers, participants, journeys, agent notes | none stated | agent |
//! | identifier configuration | Account Administrator | admin |

use crate::problem::{Api, AxpResult, Problem};
use crate::validate;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use interlog_http::auth::caller::{AdminRole, AgentRole, ReaderRole, RequiredRole};
use interlog_http::auth::SubjectKind;
use interlog_http::auth::{bearer_token, now_secs};
use interlog_http::ApiState;
use interlog_store::{ClientRole, Tenant};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The alias namespace of AXP account ids.
pub const NAME: &str = "avaya_axp";
pub use interlog_http::auth::APP_KEY;
/// How long a found account alias and a verified application key are trusted without
/// asking the store again.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Bound on each cache, so a flood of distinct keys cannot exhaust memory.
const CACHE_MAX: usize = 10_000;

/// What an AXP access token says. The field names are those of Interlog's own tokens, so an
/// AXP token is also accepted by the native API; `azp` (the client the token was issued
/// to) and `name` are extra.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxpClaims {
    pub tenant: String,
    pub sub: String,
    pub kind: SubjectKind,
    pub role: ClientRole,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl AxpClaims {
    /// The API client whose application key must come with the token: the one it was
    /// issued to, or the subject of a native client token.
    pub fn client_id(&self) -> Option<&str> {
        match (&self.azp, self.kind) {
            (Some(c), _) => Some(c),
            (None, SubjectKind::Client) => Some(&self.sub),
            (None, SubjectKind::User) => None,
        }
    }

    /// The name shown as a note's author.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.sub)
    }
}

/// A bearer let into the account its path names (checks 1–3); what it may do there is
/// asked with [`Account::allow`].
#[derive(Debug)]
pub struct Account {
    claims: AxpClaims,
    tenant: Arc<Tenant>,
    account: String,
}

/// A caller let into an account with at least the role `R`. Only [`Account::allow`] makes
/// one.
#[derive(Debug)]
pub struct AxpCaller<R: RequiredRole> {
    pub claims: AxpClaims,
    pub tenant: Arc<Tenant>,
    /// The account id as the path wrote it (Avaya's answers name it).
    pub account: String,
    role: PhantomData<R>,
}

/// Reads: Avaya's Agent role.
pub type Reader = AxpCaller<ReaderRole>;
/// Writes.
pub type Agent = AxpCaller<AgentRole>;
/// Identifier configuration: Avaya's Account Administrator.
pub type Admin = AxpCaller<AdminRole>;

impl Account {
    /// The caller, when the token's role is at least `R`; else 403.
    pub fn allow<R: RequiredRole>(self) -> AxpResult<AxpCaller<R>> {
        if !self.claims.role.allows(R::ROLE) {
            return Err(Problem::forbidden(Api::Journey));
        }
        Ok(AxpCaller {
            claims: self.claims,
            tenant: self.tenant,
            account: self.account,
            role: PhantomData,
        })
    }
}

impl FromRequestParts<ApiState> for Account {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> AxpResult<Self> {
        let axp = parts.extensions.get::<Axp>().cloned().ok_or_else(|| {
            Problem::server_error(Api::Journey, "the AXP routes lost their state")
        })?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::not_found(Api::Journey))?;
        let account = params
            .iter()
            .find(|(name, _)| *name == "accountId")
            .map(|(_, value)| value.to_owned())
            .ok_or(Problem::not_found(Api::Journey))?;
        axp.admit(state, &parts.headers, account).await
    }
}

/// The dialect's own state: caches that keep the hot path off the store and off argon2.
#[derive(Clone, Default)]
pub struct Axp {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    accounts: RwLock<HashMap<String, (Arc<Tenant>, Instant)>>,
    /// Verified (client, appkey) pairs by digest, with the client's tenant id.
    app_keys: RwLock<HashMap<[u8; 32], (i64, Instant)>>,
}

fn fresh(at: Instant) -> bool {
    at.elapsed() < CACHE_TTL
}

fn bounded_insert<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, (V, Instant)>, k: K, v: V) {
    if map.len() >= CACHE_MAX {
        map.retain(|_, (_, at)| fresh(*at));
        if map.len() >= CACHE_MAX {
            map.clear();
        }
    }
    map.insert(k, (v, Instant::now()));
}

fn key_digest(client: &str, app_key: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(client.as_bytes());
    h.update([0]);
    h.update(app_key.as_bytes());
    h.finalize().into()
}

impl Axp {
    /// The tenant an account id names: its `avaya_axp` alias (exact, then upper case,
    /// since Avaya writes account ids in capitals), or the tenant whose key it is.
    pub async fn account(&self, state: &ApiState, account: &str) -> AxpResult<Option<Arc<Tenant>>> {
        if let Some((t, at)) = self
            .inner
            .accounts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(account)
        {
            if fresh(*at) {
                return Ok(Some(t.clone()));
            }
        }
        let lookup = |name: String| async move {
            state
                .tenant_in(NAME, &name)
                .await
                .map_err(|e| Problem::api(Api::Journey, e))
        };
        let mut found = lookup(account.to_owned()).await?;
        let upper = account.to_ascii_uppercase();
        if found.is_none() && upper != account {
            found = lookup(upper).await?;
        }
        let Some(t) = found else {
            return Ok(None);
        };
        bounded_insert(
            &mut self
                .inner
                .accounts
                .write()
                .unwrap_or_else(|e| e.into_inner()),
            account.to_owned(),
            t.clone(),
        );
        Ok(Some(t))
    }

    /// Whether `app_key` is the application key of `client_id`; the id of the client's
    /// tenant when it is. Failures are slowed down like wrong secrets.
    pub async fn verify_app_key(
        &self,
        state: &ApiState,
        client_id: &str,
        app_key: &str,
    ) -> AxpResult<Option<i64>> {
        let digest = key_digest(client_id, app_key);
        if let Some((tenant_id, at)) = self
            .inner
            .app_keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&digest)
        {
            if fresh(*at) {
                return Ok(Some(*tenant_id));
            }
        }
        let client = state
            .store
            .client(client_id)
            .await?
            .filter(|c| c.disabled_at.is_none());
        let hash = client
            .as_ref()
            .and_then(|c| c.credentials.get(APP_KEY).cloned());
        let ok = interlog_http::auth::credentials::verify_blocking(state, app_key.to_owned(), hash)
            .await
            .map_err(|e| Problem::server_error(Api::Journey, e.detail))?;
        let subject = format!("appkey:{client_id}");
        match client {
            Some(c) if ok => {
                state.throttle.succeed(&subject);
                bounded_insert(
                    &mut self
                        .inner
                        .app_keys
                        .write()
                        .unwrap_or_else(|e| e.into_inner()),
                    digest,
                    c.tenant_id,
                );
                Ok(Some(c.tenant_id))
            }
            _ => {
                tokio::time::sleep(state.throttle.fail(&subject)).await;
                Ok(None)
            }
        }
    }

    /// The claims of the bearer token, if valid and unexpired.
    pub fn claims(state: &ApiState, headers: &HeaderMap) -> Option<AxpClaims> {
        let claims: AxpClaims = state.signer.verify_jwt(bearer_token(headers)?).ok()?;
        (claims.exp > now_secs()).then_some(claims)
    }

    /// Lets the bearer of the request into `account` (checks 1–3 of the module docs).
    async fn admit(
        &self,
        state: &ApiState,
        headers: &HeaderMap,
        account: String,
    ) -> AxpResult<Account> {
        let claims = Self::claims(state, headers).ok_or(Problem::unauthorized(Api::Journey))?;
        let revoked = state
            .is_revoked(&claims.sub, claims.iat.saturating_mul(1000))
            .await
            .map_err(|e| Problem::api(Api::Journey, e))?;
        if revoked {
            return Err(Problem::unauthorized(Api::Journey));
        }
        let app_key = headers
            .get("appkey")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or(Problem::unauthorized(Api::Journey))?;
        let client = claims
            .client_id()
            .ok_or(Problem::unauthorized(Api::Journey))?;
        let client_tenant = self
            .verify_app_key(state, client, app_key)
            .await?
            .ok_or(Problem::unauthorized(Api::Journey))?;
        validate::account_id(&account).map_err(|v| Problem::field(Api::Journey, v))?;
        let tenant = self
            .account(state, &account)
            .await?
            .filter(|t| t.key == claims.tenant && t.id == client_tenant)
            .ok_or(Problem::not_found(Api::Journey))?;
        Ok(Account {
            claims,
            tenant,
            account,
        })
    }
}
