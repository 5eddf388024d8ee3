//! Checking the credentials a client presents (client secrets, user passwords) and
//! issuing tokens: what every API's token endpoint and login uses.

use super::secret::{generate_secret, hash_secret, verify_secret};
use super::token::{now_secs, Claims, SubjectKind};
use crate::error::ApiResult;
use crate::state::ApiState;
use interlog_store::{Client, ClientRole, Tenant, User};
use std::sync::{Arc, LazyLock};

/// Issues a token for a client, with the lifetime given.
pub fn issue_for_client(
    state: &ApiState,
    tenant: &Tenant,
    client: &Client,
    ttl: i64,
    scopes: Vec<String>,
) -> String {
    issue(
        state,
        tenant,
        &client.client_id,
        SubjectKind::Client,
        client.role,
        scopes,
        ttl,
    )
}

/// Issues a token for a user.
pub fn issue_for_user(state: &ApiState, tenant: &Tenant, user: &User, ttl: i64) -> String {
    issue(
        state,
        tenant,
        &user.id,
        SubjectKind::User,
        user.role,
        Vec::new(),
        ttl,
    )
}

fn issue(
    state: &ApiState,
    tenant: &Tenant,
    sub: &str,
    kind: SubjectKind,
    role: ClientRole,
    scopes: Vec<String>,
    ttl: i64,
) -> String {
    let now = now_secs();
    state.signer.jwt(&Claims {
        tenant: tenant.key.clone(),
        sub: sub.to_owned(),
        kind,
        role,
        scopes,
        iat: now,
        exp: now + ttl,
    })
}

/// Verifies a secret against a PHC hash on a blocking thread, within the limits of the
/// state's [`super::CredentialGuard`] (at most one hash per core, a bounded queue,
/// a budget per source address): each holds a 19 MiB argon2 block, and more at once would
/// only queue for the CPU while holding memory.
pub async fn verify_blocking(
    state: &ApiState,
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
    state: &ApiState,
    id: &str,
    secret: &str,
) -> ApiResult<Option<(Tenant, Client)>> {
    // A disabled client is checked like an unknown one: same time, same answer.
    let found = state
        .store
        .client(id)
        .await?
        .filter(|c| c.disabled_at.is_none());
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
    state: &ApiState,
    tenant_key: &str,
    username: &str,
    password: &str,
) -> ApiResult<Option<(Arc<Tenant>, User)>> {
    let subject = format!("{tenant_key}/{username}");
    let tenant = state.tenant(tenant_key).await?;
    let user = match &tenant {
        Some(t) => state
            .store
            .user(t, username)
            .await?
            .filter(|u| u.disabled_at.is_none()),
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
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_secret(&generate_secret()));
