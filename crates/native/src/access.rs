//! `/api/v1/tenants/{tenant}/clients` and `/users`: an admin lists the tenant's API clients
//! and users, disables, enables or deletes them. Disabling or deleting revokes: every token
//! and session issued before is refused on every instance within a second or so (see
//! [`interlog_http::auth::revocation`]), and the subject's sessions and refresh tokens are
//! removed. Secrets never appear here.

use crate::responses::AdminRefusals;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use interlog_http::auth::{Admin, SubjectKind};
use interlog_http::error::{ApiError, ApiResult, ErrorKind};
use interlog_http::ApiState;
use interlog_store::{Client, Revoke, User};
use serde::Serialize;

/// An API client as an admin sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub client_id: String,
    /// `admin`, `agent` or `reader`.
    pub role: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    /// When it was disabled; absent while it is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientList {
    pub clients: Vec<ClientView>,
}

/// A user as an admin sees them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

fn client_view(c: &Client) -> ClientView {
    ClientView {
        client_id: c.client_id.clone(),
        role: c.role.as_str().into(),
        scopes: c.scopes.clone(),
        created_at: c.created_at.to_string(),
        disabled_at: c.disabled_at.map(|t| t.to_string()),
    }
}

fn user_view(u: &User) -> UserView {
    UserView {
        id: u.id.clone(),
        username: u.username.clone(),
        role: u.role.as_str().into(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        created_at: u.created_at.to_string(),
        disabled_at: u.disabled_at.map(|t| t.to_string()),
    }
}

/// Refuses a caller's revoking itself, which would lock it out in the middle of what it
/// does (another admin, or the command line, can).
fn not_oneself(caller: &Admin, kind: SubjectKind, id: &str) -> ApiResult<()> {
    if caller.claims.kind == kind && caller.claims.sub == id {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "a caller cannot disable or delete itself; another admin or `interlog client|user disable` can",
        ));
    }
    Ok(())
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/clients", tag = "access",
    responses(AdminRefusals, (status = 200, description = "The tenant's API clients", body = ClientList)),
)]
pub async fn clients(caller: Admin, State(state): State<ApiState>) -> ApiResult<Json<ClientList>> {
    let clients = state.store.clients(&caller.tenant).await?;
    Ok(Json(ClientList {
        clients: clients.iter().map(client_view).collect(),
    }))
}

async fn one_client(state: &ApiState, caller: &Admin, id: &str) -> ApiResult<ClientView> {
    state
        .store
        .client(id)
        .await?
        .filter(|c| c.tenant_id == caller.tenant.id)
        .map(|c| client_view(&c))
        .ok_or_else(|| ApiError::not_found("no such client"))
}

#[utoipa::path(
    delete, path = "/api/v1/tenants/{tenant}/clients/{id}", tag = "access",
    params(("id" = String, Path, description = "Client id")),
    responses(
        AdminRefusals,
        (status = 204, description = "Deleted; its tokens and sessions are refused from now on"),
        (status = 404, description = "No such client"),
        (status = 409, description = "The caller itself (code conflict)"),
    ),
)]
pub async fn delete_client(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    revoke_client(&state, &caller, &id, Revoke::Delete).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/clients/{id}/disable", tag = "access",
    params(("id" = String, Path, description = "Client id")),
    responses(
        AdminRefusals,
        (status = 200, description = "Disabled: refused (tokens, sessions, new tokens) until enabled", body = ClientView),
        (status = 404, description = "No such client"),
        (status = 409, description = "The caller itself (code conflict)"),
    ),
)]
pub async fn disable_client(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Json<ClientView>> {
    revoke_client(&state, &caller, &id, Revoke::Disable).await?;
    Ok(Json(one_client(&state, &caller, &id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/clients/{id}/enable", tag = "access",
    params(("id" = String, Path, description = "Client id")),
    responses(
        AdminRefusals,
        (status = 200, description = "Enabled: it may get tokens again (those issued before it was disabled stay refused)", body = ClientView),
        (status = 404, description = "No such client"),
    ),
)]
pub async fn enable_client(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Json<ClientView>> {
    if !state.store.enable_client(&caller.tenant, &id).await? {
        return Err(ApiError::not_found("no such client"));
    }
    Ok(Json(one_client(&state, &caller, &id).await?))
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/users", tag = "access",
    responses(AdminRefusals, (status = 200, description = "The tenant's users", body = UserList)),
)]
pub async fn users(caller: Admin, State(state): State<ApiState>) -> ApiResult<Json<UserList>> {
    let users = state.store.users(&caller.tenant).await?;
    Ok(Json(UserList {
        users: users.iter().map(user_view).collect(),
    }))
}

async fn one_user(state: &ApiState, caller: &Admin, username: &str) -> ApiResult<UserView> {
    state
        .store
        .user(&caller.tenant, username)
        .await?
        .map(|u| user_view(&u))
        .ok_or_else(|| ApiError::not_found("no such user"))
}

#[utoipa::path(
    delete, path = "/api/v1/tenants/{tenant}/users/{username}", tag = "access",
    params(("username" = String, Path, description = "User name")),
    responses(
        AdminRefusals,
        (status = 204, description = "Deleted; their tokens and sessions are refused from now on"),
        (status = 404, description = "No such user"),
        (status = 409, description = "The caller themselves (code conflict)"),
    ),
)]
pub async fn delete_user(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, username)): Path<(String, String)>,
) -> ApiResult<Response> {
    revoke_user(&state, &caller, &username, Revoke::Delete).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/users/{username}/disable", tag = "access",
    params(("username" = String, Path, description = "User name")),
    responses(
        AdminRefusals,
        (status = 200, description = "Disabled: refused (tokens, sessions, sign-in) until enabled", body = UserView),
        (status = 404, description = "No such user"),
        (status = 409, description = "The caller themselves (code conflict)"),
    ),
)]
pub async fn disable_user(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, username)): Path<(String, String)>,
) -> ApiResult<Json<UserView>> {
    revoke_user(&state, &caller, &username, Revoke::Disable).await?;
    Ok(Json(one_user(&state, &caller, &username).await?))
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/users/{username}/enable", tag = "access",
    params(("username" = String, Path, description = "User name")),
    responses(
        AdminRefusals,
        (status = 200, description = "Enabled: they may sign in again (what they held before stays refused)", body = UserView),
        (status = 404, description = "No such user"),
    ),
)]
pub async fn enable_user(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, username)): Path<(String, String)>,
) -> ApiResult<Json<UserView>> {
    if !state.store.enable_user(&caller.tenant, &username).await? {
        return Err(ApiError::not_found("no such user"));
    }
    Ok(Json(one_user(&state, &caller, &username).await?))
}

/// What a revocation did, for the log.
fn revoked(how: Revoke) -> &'static str {
    match how {
        Revoke::Disable => "disabled",
        Revoke::Delete => "deleted",
    }
}

/// Disables or deletes the tenant's client `id` on an admin's behalf: never the caller
/// itself; 404 when there is no such client.
async fn revoke_client(state: &ApiState, caller: &Admin, id: &str, how: Revoke) -> ApiResult<()> {
    not_oneself(caller, SubjectKind::Client, id)?;
    if !state.store.revoke_client(&caller.tenant, id, how).await? {
        return Err(ApiError::not_found("no such client"));
    }
    tracing::info!(tenant = %caller.tenant.key, client = %id, by = %caller.claims.sub, "client {}", revoked(how));
    Ok(())
}

/// Disables or deletes the tenant's user `username` on an admin's behalf: never the caller
/// themselves; 404 when there is no such user.
async fn revoke_user(
    state: &ApiState,
    caller: &Admin,
    username: &str,
    how: Revoke,
) -> ApiResult<()> {
    if let Some(user) = state.store.user(&caller.tenant, username).await? {
        not_oneself(caller, SubjectKind::User, &user.id)?;
    }
    if !state
        .store
        .revoke_user(&caller.tenant, username, how)
        .await?
    {
        return Err(ApiError::not_found("no such user"));
    }
    tracing::info!(tenant = %caller.tenant.key, by = %caller.claims.sub, "user {}", revoked(how));
    Ok(())
}
