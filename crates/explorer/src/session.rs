//! Explorer sessions: signing in with a user's password or a client's id and secret,
//! the session cookie, CSRF protection of forms, and signing out.
//!
//! A session is a cookie session of the framework ([`interlog_http::session`], namespace
//! `ui.session`): kept in the store, `TENANT.SECRET` in the cookie, extended while used.
//! The cookie is `HttpOnly`, `SameSite=Strict`, scoped to `/ui`, and `Secure` when the
//! configuration says so or the request reached a TLS-terminating proxy
//! (`X-Forwarded-Proto: https`).
//!
//! Forms that change something (sign-in, sign-out) carry a token the attacker's page
//! cannot read: the session's own CSRF token, or before sign-in a token sealed with the
//! signing key over a nonce that also sits in a `SameSite=Strict` cookie. A POST that a
//! browser marks as cross-site (`Sec-Fetch-Site: cross-site`) is refused outright.

use crate::page::{self, Chrome, Failure};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use interlog_http::auth::credentials::{authenticate_client, authenticate_user};
use interlog_http::auth::generate_secret;
use interlog_http::session::{cookie, same_secret, CookieSessions, SessionKey};
use interlog_http::ApiState;
use interlog_store::{ClientRole, Tenant};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

pub const COOKIE: &str = "interlog_ui";
const LOGIN_COOKIE: &str = "interlog_ui_login";
const NAMESPACE: &str = "ui.session";
const LOGIN_PURPOSE: &str = "ui-login";
/// The sign-in form's token is sealed before any tenant is chosen: it belongs to none.
const NO_TENANT: &str = "";
/// How long a sign-in form stays valid.
const LOGIN_FORM_SECS: i64 = 3600;

/// What a session record holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    subject: String,
    /// `user` or `client`.
    kind: String,
    /// What the page header shows: a user's display name or user name, or a client id.
    name: String,
    role: ClientRole,
    csrf: String,
}

/// A signed-in caller, as an extractor: pages that take it only run for a live session;
/// without one the browser is sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct Session {
    pub tenant: Arc<Tenant>,
    pub name: String,
    pub role: ClientRole,
    pub csrf: String,
    key: SessionKey,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The explorer's sessions, which last `ui_session_ttl_secs` unused.
fn sessions(state: &ApiState) -> CookieSessions {
    CookieSessions {
        namespace: NAMESPACE,
        ttl: Duration::from_secs(u64::try_from(state.config.ui_session_ttl_secs).unwrap_or(0)),
    }
}

/// Whether cookies set on this response should be `Secure`.
fn secure(state: &ApiState, headers: &HeaderMap) -> bool {
    state.config.ui_secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    interlog_http::session::set_cookie(name, value, "/ui", "Strict", Some(max_age), secure)
        .expect("cookie values are URL-safe")
}

impl Session {
    /// The live session the request's cookie names, extended when past half its life.
    pub(crate) async fn find(
        state: &ApiState,
        headers: &HeaderMap,
    ) -> Result<Option<Session>, Failure> {
        let Some(value) = cookie(headers, COOKIE) else {
            return Ok(None);
        };
        let found = sessions(state).find::<Stored>(state, value).await?;
        Ok(found.map(|f| Session {
            tenant: f.tenant,
            name: f.data.name,
            role: f.data.role,
            csrf: f.data.csrf,
            key: f.key,
        }))
    }

    /// What a page of this session shows in its header; `here` is the page's navigation
    /// entry.
    pub fn chrome(&self, here: &'static str) -> Chrome {
        Chrome {
            tenant: self.tenant.key.clone(),
            tenant_name: self.tenant.name.clone(),
            time_zone: self.tenant.time_zone.clone(),
            user: self.name.clone(),
            role: self.role.as_str(),
            csrf: self.csrf.clone(),
            here,
        }
    }

    /// Whether `token` is this session's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), Failure> {
        if same_secret(self.csrf.as_bytes(), token.as_bytes()) {
            Ok(())
        } else {
            Err(Failure::forbidden(
                "This form has expired. Go back, reload the page and try again.",
            ))
        }
    }
}

impl FromRequestParts<ApiState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Response> {
        match Session::find(state, &parts.headers).await {
            Ok(Some(s)) if s.role.allows(ClientRole::Reader) => Ok(s),
            Ok(_) => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/ui");
                let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
                Err(Redirect::to(&format!("/ui/login?next={next}")).into_response())
            }
            Err(f) => Err(f.into_response()),
        }
    }
}

/// Refuses a form a browser says came from another site.
fn same_site(headers: &HeaderMap) -> Result<(), Failure> {
    let cross = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    if cross {
        return Err(Failure::forbidden(
            "Forms are only accepted from this site.",
        ));
    }
    Ok(())
}

/// Where to go after signing in: a path of the explorer, nothing else.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if (n == "/ui" || n.starts_with("/ui/") || n.starts_with("/ui?"))
                && !n.contains('\\') =>
        {
            n
        }
        _ => "/ui",
    }
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /ui/login`: the sign-in form (or the overview, for a signed-in browser).
pub async fn login_page(
    State(state): State<ApiState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    if let Ok(Some(_)) = Session::find(&state, &headers).await {
        return Redirect::to(safe_next(q.next.as_deref())).into_response();
    }
    login_form(
        &state,
        &headers,
        StatusCode::OK,
        &LoginForm {
            next: q.next,
            ..LoginForm::default()
        },
        None,
    )
}

/// The sign-in form, with a fresh anti-forgery token.
fn login_form(
    state: &ApiState,
    headers: &HeaderMap,
    status: StatusCode,
    form: &LoginForm,
    error: Option<&str>,
) -> Response {
    let nonce = generate_secret();
    let token = state.signer.seal(
        NO_TENANT,
        LOGIN_PURPOSE,
        &(nonce.clone(), now_ms() / 1000 + LOGIN_FORM_SECS),
    );
    let page = page::Login {
        csrf: token,
        next: safe_next(form.next.as_deref()).to_owned(),
        tenant: form.tenant.clone().unwrap_or_default(),
        username: form.username.clone().unwrap_or_default(),
        client_id: form.client_id.clone().unwrap_or_default(),
        error: error.map(str::to_owned),
    };
    let mut res = (status, page::html(&page)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_COOKIE,
            &nonce,
            LOGIN_FORM_SECS,
            secure(state, headers),
        ),
    );
    res
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    next: Option<String>,
    tenant: Option<String>,
    username: Option<String>,
    #[serde(default)]
    password: String,
    client_id: Option<String>,
    #[serde(default)]
    client_secret: String,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `POST /ui/login`: a user's password (tenant, user name, password) or a client's id
/// and secret opens a session.
pub async fn login(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(f) = same_site(&headers) {
        return f.into_response();
    }
    let nonce: Option<(String, i64)> = state.signer.open(NO_TENANT, LOGIN_PURPOSE, &form.csrf).ok();
    let fresh = nonce.is_some_and(|(n, until)| {
        until >= now_ms() / 1000
            && cookie(&headers, LOGIN_COOKIE)
                .is_some_and(|c| same_secret(c.as_bytes(), n.as_bytes()))
    });
    if !fresh {
        return login_form(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            &form,
            Some("The sign-in form had expired. Please try again."),
        );
    }
    let signed_in = match (
        filled(&form.client_id),
        filled(&form.tenant),
        filled(&form.username),
    ) {
        (Some(id), _, _) => authenticate_client(&state, id, &form.client_secret)
            .await
            .map(|found| {
                found.map(|(t, c)| {
                    let name = c.client_id.clone();
                    (Arc::new(t), c.client_id, "client", name, c.role)
                })
            }),
        (None, Some(tenant), Some(user)) => authenticate_user(&state, tenant, user, &form.password)
            .await
            .map(|found| {
                found.map(|(t, u)| {
                    let name = u.display_name.clone().unwrap_or_else(|| u.username.clone());
                    (t, u.id, "user", name, u.role)
                })
            }),
        _ => Ok(None),
    };
    let (tenant, subject, kind, name, role) = match signed_in {
        Ok(Some(found)) => found,
        Ok(None) => {
            return login_form(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                &form,
                Some("Sign-in failed: the tenant, user name and password, or the client id and secret, are not right."),
            )
        }
        Err(e) => {
            // Too many checks from this address (429) or too many waiting (503): the form
            // again, saying so, with `Retry-After`.
            let f = Failure::from(e);
            let Some(retry) = f.retry_after else {
                return f.into_response();
            };
            let mut res = login_form(&state, &headers, f.status, &form, Some(&f.message));
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry));
            return res;
        }
    };
    let stored = Stored {
        subject: subject.clone(),
        kind: kind.to_owned(),
        name,
        role,
        csrf: generate_secret(),
    };
    let value = match sessions(&state)
        .open(&state, &tenant, &subject, stored)
        .await
    {
        Ok((value, _)) => value,
        Err(e) => return Failure::from(e).into_response(),
    };
    let secure = secure(&state, &headers);
    let mut res = Redirect::to(safe_next(form.next.as_deref())).into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(COOKIE, &value, state.config.ui_session_ttl_secs, secure),
    );
    h.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, secure));
    res
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /ui/logout`: ends the session everywhere and clears the cookie.
pub async fn logout(
    State(state): State<ApiState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let ended = async {
        same_site(&headers)?;
        session.check_csrf(&form.csrf)?;
        sessions(&state)
            .end(&state, &session.tenant, &session.key)
            .await?;
        Ok::<_, Failure>(())
    };
    if let Err(f) = ended.await {
        return f.into_response();
    }
    let mut res = Redirect::to("/ui/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(COOKIE, "", 0, secure(&state, &headers)),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_explorer_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/ui/engagements?channel_type=voice")),
            "/ui/engagements?channel_type=voice"
        );
        assert_eq!(safe_next(Some("/ui")), "/ui");
        for bad in [
            "//evil.example/ui",
            "https://evil.example",
            "/uix",
            "/api/v1",
            "/ui\\..\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/ui", "{bad}");
        }
        assert_eq!(safe_next(None), "/ui");
    }
}
