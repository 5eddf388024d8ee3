//! `GET /api/v2/me`: the logged-in user, and the request clients use to open a session and
//! learn the CSRF token.

use crate::csrf;
use crate::envelope::{ok_json, GwsError, GwsResult};
use crate::render::base_url;
use crate::session::{GwsCaller, InSession};
use crate::shared::Gws;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Extension;
use interlog_http::ApiState;
use interlog_store::ClientRole;
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct User<'a> {
    id: &'a str,
    user_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_address: Option<&'a str>,
    roles: &'static [&'static str],
    enabled: bool,
    change_password_on_first_login: bool,
    uri: String,
    path: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MeBody<'a> {
    status_code: u8,
    user: User<'a>,
}

/// GWS role strings of an Interlog role: administrators are `ROLE_ADMIN`, everyone else
/// an agent.
fn roles(role: ClientRole) -> &'static [&'static str] {
    match role {
        ClientRole::Admin => &["ROLE_ADMIN"],
        ClientRole::Agent | ClientRole::Reader => &["ROLE_AGENT"],
    }
}

/// `GET /api/v2/me`; a Basic request without a session opens one (its cookie and CSRF
/// token are on the answer).
pub async fn get(
    InSession(caller): InSession,
    State(state): State<ApiState>,
    Extension(gws): Extension<Arc<Gws>>,
    headers: HeaderMap,
) -> Response {
    match me(&state, &gws, &caller, &headers).await {
        Ok(r) => r,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

async fn me(
    state: &ApiState,
    gws: &Gws,
    caller: &GwsCaller,
    headers: &HeaderMap,
) -> GwsResult<Response> {
    let user = state
        .store
        .user(&caller.tenant, &caller.username)
        .await?
        .ok_or_else(GwsError::access_denied)?;
    // The user record has one display name; its first word is the first name.
    let (first, last) = match user.display_name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => match n.split_once(' ') {
            Some((f, l)) => (Some(f), Some(l.trim())),
            None => (Some(n), None),
        },
        _ => (None, None),
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let base = base_url(gws.config.base_url.as_deref(), host);
    let body = MeBody {
        status_code: 0,
        user: User {
            id: &user.id,
            user_name: &user.username,
            first_name: first,
            last_name: last,
            email_address: user.email.as_deref(),
            roles: roles(user.role),
            enabled: true,
            change_password_on_first_login: false,
            uri: format!("{base}/api/v2/users/{}", user.id),
            path: format!("/users/{}", user.id),
        },
    };
    let mut res = ok_json(serde_json::to_string(&body).map_err(GwsError::internal)?);
    csrf::decorate(gws, caller, &mut res);
    Ok(res)
}
