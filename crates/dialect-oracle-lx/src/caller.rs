//! Who may call the engagement API: a Live Experience (or Interlog) bearer token of the
//! tenant the path names (by key or `oracle_lx` alias), with at least the role the
//! handler's signature asks for. Refusals are LX error documents in the representation the
//! client accepts.

use crate::error::LxError;
use crate::negotiate::{self, Media};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use interlog_http::auth::caller::{Caller, RequiredRole};
use interlog_http::auth::Claims;
use interlog_http::ApiState;
use interlog_store::Tenant;
use std::sync::Arc;

/// A caller let into the path's tenant with at least the role `R`, and the representation
/// it accepts.
pub struct LxCaller<R: RequiredRole> {
    pub tenant: Arc<Tenant>,
    pub claims: Claims,
    pub media: Media,
    role: std::marker::PhantomData<R>,
}

impl<R: RequiredRole> FromRequestParts<ApiState> for LxCaller<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Response> {
        let Some(media) = negotiate::from_headers(&parts.headers) else {
            return Err(LxError::not_acceptable().into_response());
        };
        match Caller::<R>::for_path(parts, state, Some(crate::NAME)).await {
            Ok(c) => Ok(LxCaller {
                tenant: c.tenant,
                claims: c.claims,
                media,
                role: std::marker::PhantomData,
            }),
            Err(e) => Err(LxError::new(e, media).into_response()),
        }
    }
}
