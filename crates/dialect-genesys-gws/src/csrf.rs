//! GWS's CSRF protection: each session has a token (a UUID) that its GET responses carry in
//! `X-CSRF-TOKEN`, named by `X-CSRF-HEADER`. With protection on, a request that modifies
//! (POST, PUT, DELETE) must come with the session's cookie and that token, or it gets 403
//! "Missing or invalid Csrf token", before its credentials are looked at (as GWS's filter
//! runs before authentication). Basic credentials alone do not make such a request valid.
//!
//! The CometD endpoint is exempt: its messages are bound to a client id only the session's
//! own pages can read, so a forged cross-site request cannot act on a client.

use crate::envelope::{GwsError, GwsResult};
use crate::session::{self, gws_of, GwsCaller};
use crate::shared::Gws;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use interlog_http::session::same_secret;
use interlog_http::ApiState;

pub const HEADER_NAME: &str = "X-CSRF-HEADER";
pub const TOKEN_HEADER: &str = "X-CSRF-TOKEN";

/// The caller of a request that modifies (an extractor): see [`modifying_caller`].
pub struct Modifying(pub GwsCaller);

impl FromRequestParts<ApiState> for Modifying {
    type Rejection = GwsError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> GwsResult<Self> {
        let gws = gws_of(parts)?;
        modifying_caller(state, &gws, &parts.headers)
            .await
            .map(Modifying)
    }
}

/// The caller of a modifying request: with protection on, its cookie's session when the
/// token matches; with it off, whoever [`session::authenticate`] finds.
async fn modifying_caller(
    state: &ApiState,
    gws: &Gws,
    headers: &HeaderMap,
) -> GwsResult<GwsCaller> {
    if !gws.config.csrf {
        return session::authenticate(state, gws, headers).await;
    }
    let sent = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let Some(sent) = sent.filter(|s| !s.is_empty()) else {
        return Err(GwsError::csrf());
    };
    match session::from_cookie(state, gws, headers).await? {
        Some(caller)
            if caller
                .session
                .as_ref()
                .is_some_and(|s| same_secret(s.csrf.as_bytes(), sent.as_bytes())) =>
        {
            Ok(caller)
        }
        _ => Err(GwsError::csrf()),
    }
}

/// Adds what a response to `caller` carries when it has a session: the CSRF headers
/// (protection on) and the cookie of a session the request opened.
pub fn decorate(gws: &Gws, caller: &GwsCaller, res: &mut Response) {
    let Some(session) = &caller.session else {
        return;
    };
    let headers = res.headers_mut();
    if gws.config.csrf {
        headers.insert(
            HeaderName::from_static("x-csrf-header"),
            HeaderValue::from_static(TOKEN_HEADER),
        );
        if let Ok(v) = HeaderValue::from_str(&session.csrf) {
            headers.insert(HeaderName::from_static("x-csrf-token"), v);
        }
    }
    if let Some(v) = session
        .new_cookie
        .as_deref()
        .and_then(|c| session::set_cookie(gws, c))
    {
        headers.append(axum::http::header::SET_COOKIE, v);
    }
}
