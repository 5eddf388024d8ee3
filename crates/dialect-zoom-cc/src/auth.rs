//! Who is calling: the bearer token, its account (tenant), its scopes, and the account's
//! rate limits. Every operation goes through [`enter`] first.

use crate::error::ZoomError;
use crate::scopes::Op;
use crate::Zoom;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use interlog_api::auth::Claims;
use interlog_api::AppState;
use interlog_store::Tenant;
use std::sync::Arc;

/// An admitted caller.
pub struct Caller {
    pub tenant: Arc<Tenant>,
    pub claims: Claims,
    /// Rate-limit headers for the response.
    headers: Vec<(&'static str, String)>,
}

impl Caller {
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

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Checks the token, its scopes for `op`, and the account's rate limit.
pub async fn enter(
    state: &AppState,
    zoom: &Zoom,
    headers: &HeaderMap,
    op: Op,
) -> Result<Caller, ZoomError> {
    let token = bearer(headers).ok_or_else(ZoomError::invalid_token)?;
    let claims: Claims = state
        .signer
        .verify_jwt(token)
        .map_err(|_| ZoomError::invalid_token())?;
    if claims.is_expired(jiff::Timestamp::now().as_second()) {
        return Err(ZoomError::expired_token());
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
    Ok(Caller {
        tenant,
        claims,
        headers: out,
    })
}
