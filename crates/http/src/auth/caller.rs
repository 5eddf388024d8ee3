//! The native API's caller, as an extractor: a handler that takes `Caller<AgentRole>` (or
//! the aliases [`Reader`], [`Agent`], [`Admin`]) only runs for a valid bearer token of the
//! path's `{tenant}` with at least that role. Rejections are the native problem shapes:
//! 401 without valid credentials, 404 for another tenant (as if it did not exist), 403 for
//! too small a role.

use crate::auth::Claims;
use crate::error::ApiError;
use crate::state::ApiState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use interlog_store::{ClientRole, Tenant};
use std::marker::PhantomData;
use std::sync::Arc;

/// A role a handler needs, as a type.
pub trait RequiredRole: Send + Sync + 'static {
    const ROLE: ClientRole;
}

/// Reading engagements.
pub struct ReaderRole;
/// Writing engagements.
pub struct AgentRole;
/// Deleting, and the tenant's configuration.
pub struct AdminRole;

impl RequiredRole for ReaderRole {
    const ROLE: ClientRole = ClientRole::Reader;
}
impl RequiredRole for AgentRole {
    const ROLE: ClientRole = ClientRole::Agent;
}
impl RequiredRole for AdminRole {
    const ROLE: ClientRole = ClientRole::Admin;
}

/// A caller let into the path's tenant with at least the role `R`.
pub struct Caller<R: RequiredRole> {
    pub tenant: Arc<Tenant>,
    pub claims: Claims,
    role: PhantomData<R>,
}

pub type Reader = Caller<ReaderRole>;
pub type Agent = Caller<AgentRole>;
pub type Admin = Caller<AdminRole>;

impl<R: RequiredRole> Caller<R> {
    /// Lets the bearer of the request in when the path's `{tenant}` names its tenant (by
    /// key, or by an alias in `dialect`) and its role is at least `R`.
    pub async fn for_path(
        parts: &mut Parts,
        state: &ApiState,
        dialect: Option<&str>,
    ) -> Result<Self, ApiError> {
        let claims = state.bearer(&parts.headers)?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("no such resource"))?;
        let name = params
            .iter()
            .find(|(name, _)| *name == "tenant")
            .map(|(_, value)| value.to_owned())
            .ok_or_else(|| ApiError::not_found("no such resource"))?;
        let tenant = match dialect {
            Some(d) if name != claims.tenant => state.tenant_in(d, &name).await?,
            _ => state.tenant(&name).await?,
        }
        .filter(|t| t.key == claims.tenant)
        .ok_or_else(|| ApiError::not_found(format!("no tenant {name}")))?;
        let access = state.admit(claims, &tenant.key, R::ROLE).await?;
        Ok(Caller {
            tenant: access.tenant,
            claims: access.claims,
            role: PhantomData,
        })
    }
}

impl<R: RequiredRole> FromRequestParts<ApiState> for Caller<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        Self::for_path(parts, state, None).await
    }
}
