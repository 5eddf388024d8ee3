//! Who is calling: the bearer token, its account (tenant), its scopes, and the account's
//! rate limits. A handler takes a [`ZoomCaller`] of the operation it performs, so it names
//! that operation in its signature and cannot run without the checks; a refusal is Zoom's
//! error body.
//!
//! Order of the checks: a token (401, 124), unexpired (401, 124), of an account that exists
//! (401, 124), with a scope that allows the operation and the role it needs (401, 4700),
//! within the account's rate limit (429).

use crate::error::ZoomError;
use crate::scopes::{Op, Operation};
use crate::shared::Zoom;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use interlog_http::auth::bearer_token;
use interlog_http::auth::Claims;
use interlog_http::ApiState;
use interlog_store::Tenant;
use std::marker::PhantomData;
use std::sync::Arc;

/// A caller admitted to the operation `O`.
pub struct ZoomCaller<O: Operation> {
    pub tenant: Arc<Tenant>,
    pub claims: Claims,
    /// Rate-limit headers for the response.
    headers: Vec<(&'static str, String)>,
    op: PhantomData<O>,
}

impl<O: Operation> ZoomCaller<O> {
    /// The response with the caller's rate-limit headers.
    pub fn respond(&self, res: impl IntoResponse) -> Response {
        let mut res = res.into_response();
        let h = res.headers_mut();
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        res
    }
}

impl<O: Operation> FromRequestParts<ApiState> for ZoomCaller<O> {
    type Rejection = ZoomError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ZoomError> {
        let zoom = parts
            .extensions
            .get::<Arc<Zoom>>()
            .cloned()
            .ok_or_else(|| ZoomError::internal(&"the zoom_cc routes lost their state"))?;
        enter(state, &zoom, &parts.headers, O::OP).await
    }
}

/// Checks the token, its scopes for `op`, and the account's rate limit.
async fn enter<O: Operation>(
    state: &ApiState,
    zoom: &Zoom,
    headers: &HeaderMap,
    op: Op,
) -> Result<ZoomCaller<O>, ZoomError> {
    let token = bearer_token(headers).ok_or_else(ZoomError::invalid_token)?;
    let claims: Claims = state
        .signer
        .verify_jwt(token)
        .map_err(|_| ZoomError::invalid_token())?;
    if claims.is_expired(jiff::Timestamp::now().as_second()) {
        return Err(ZoomError::expired_token());
    }
    if state.check_not_revoked(&claims).await.is_err() {
        return Err(ZoomError::invalid_token());
    }
    let tenant = state
        .tenant(&claims.tenant)
        .await?
        .ok_or_else(ZoomError::invalid_token)?;
    let allowed = op.scopes();
    if !claims.role.allows(op.role()) || !allowed.iter().any(|s| claims.has_scope(s)) {
        return Err(ZoomError::missing_scope(allowed));
    }
    let mut out = Vec::new();
    if let Some(limiter) = &zoom.limiter {
        let h = limiter.admit(tenant.id, op.label(), jiff::Timestamp::now())?;
        out.extend(h.pairs());
    }
    Ok(ZoomCaller {
        tenant,
        claims,
        headers: out,
        op: PhantomData,
    })
}
