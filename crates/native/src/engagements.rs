//! Single-engagement endpoints of the native API.

use crate::responses::{AdminRefusals, AgentRefusals, JsonBodyRefusals, ReaderRefusals};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_http::auth::{Admin, Agent, Reader};
use interlog_http::body::JsonBody;
use interlog_http::error::{ApiError, ApiResult, ErrorKind};
use interlog_http::formats::accept;
use interlog_http::ApiState;
use interlog_model::unique_keys::UniqueKeys;
use interlog_model::{is_valid_id, Engagement};
use interlog_store::{EditRejected, StoredEngagement, UpsertOutcome};

fn json_response(status: StatusCode, stored: &StoredEngagement) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        stored.json.clone(),
    )
        .into_response()
}

fn check_id(id: &str) -> ApiResult<()> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found("no such engagement"))
    }
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/engagements", tag = "engagements",
    request_body = Engagement,
    responses(
        AgentRefusals,
        JsonBodyRefusals,
        (status = 201, description = "Created; id assigned (UUIDv7) when absent", body = Engagement),
        (status = 409, description = "An engagement with that id exists"),
        (status = 422, description = "The engagement breaks the model's rules"),
    ),
)]
pub async fn create(
    caller: Agent,
    State(state): State<ApiState>,
    JsonBody(e): JsonBody<Engagement>,
) -> ApiResult<Response> {
    let e = accept(e)?;
    let stored = state.store.create(&caller.tenant, e).await?;
    let mut res = json_response(StatusCode::CREATED, &stored);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "/api/v1/tenants/{}/engagements/{}",
        caller.tenant.key, stored.id
    )) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/engagements/{id}", tag = "engagements",
    params(("id" = String, Path, description = "Engagement id")),
    responses(
        ReaderRefusals,
        (status = 200, body = Engagement),
        (status = 404, description = "No such tenant for this token, or no such engagement"),
    ),
)]
pub async fn get(
    caller: Reader,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let stored = state
        .store
        .get(&caller.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such engagement"))?;
    Ok(json_response(StatusCode::OK, &stored))
}

#[utoipa::path(
    put, path = "/api/v1/tenants/{tenant}/engagements/{id}", tag = "engagements",
    params(("id" = String, Path, description = "Engagement id")),
    request_body = Engagement,
    responses(
        AgentRefusals,
        JsonBodyRefusals,
        (status = 200, description = "Replaced", body = Engagement),
        (status = 201, description = "Created", body = Engagement),
        (status = 404, description = "No such tenant for this token, or not an engagement id"),
        (status = 409, description = "The stored engagement has a newer updated_at (code stale_write)"),
        (status = 422, description = "The engagement breaks the model's rules"),
    ),
)]
pub async fn put(
    caller: Agent,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
    JsonBody(mut e): JsonBody<Engagement>,
) -> ApiResult<Response> {
    check_id(&id)?;
    if e.id.is_empty() {
        e.id = id.clone();
    } else if e.id != id {
        return Err(ApiError::field(
            "id",
            format!("is {:?} but the path names {id:?}", e.id),
        ));
    }
    let mut e = accept(e)?;
    // Stamped here rather than by the store, so the answer is what was written without
    // reading it back.
    e.updated_at.get_or_insert_with(|| {
        jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond())
            .expect("now is representable")
    });
    let stored = StoredEngagement::new(&e);
    let status = match state.store.upsert(&caller.tenant, e).await? {
        UpsertOutcome::Created => StatusCode::CREATED,
        UpsertOutcome::Updated => StatusCode::OK,
        UpsertOutcome::Stale => return Err(interlog_store::StoreError::Stale.into()),
    };
    Ok(json_response(status, &stored))
}

/// Applies a JSON merge patch (RFC 7396) to an engagement and re-derives what depends on
/// the fields it changed.
fn merge(e: &mut Engagement, patch: &serde_json::Value) -> Result<(), EditRejected> {
    let mut doc = serde_json::to_value(&*e).expect("engagements serialize");
    json_patch::merge(&mut doc, patch);
    let touches = |k: &str| patch.get(k).is_some();
    if (touches("started_at") || touches("ended_at")) && !touches("duration_ms") {
        if let Some(o) = doc.as_object_mut() {
            o.remove("duration_ms");
        }
    }
    if touches("ended_at") && !touches("state") {
        if let Some(o) = doc.as_object_mut() {
            o.remove("state");
        }
    }
    let mut next: Engagement = serde_json::from_value(doc)
        .map_err(|err| EditRejected(format!("the patched engagement is invalid: {err}")))?;
    if !touches("updated_at") {
        next.updated_at = Some(jiff::Timestamp::now());
    }
    next.normalize();
    next.validate().map_err(|v| EditRejected(v.to_string()))?;
    *e = next;
    Ok(())
}

#[utoipa::path(
    patch, path = "/api/v1/tenants/{tenant}/engagements/{id}", tag = "engagements",
    params(("id" = String, Path, description = "Engagement id")),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396)"),
    responses(
        AgentRefusals,
        JsonBodyRefusals,
        (status = 200, description = "The patched engagement", body = Engagement),
        (status = 400, description = "The body is not a JSON object"),
        (status = 404, description = "No such tenant for this token, or no such engagement"),
        (status = 422, description = "The patched engagement breaks the model's rules"),
    ),
)]
pub async fn patch(
    caller: Agent,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
    JsonBody(UniqueKeys(patch)): JsonBody<UniqueKeys>,
) -> ApiResult<Response> {
    check_id(&id)?;
    if !patch.is_object() {
        return Err(ApiError::new(
            ErrorKind::MalformedBody,
            "a merge patch must be a JSON object",
        ));
    }
    if patch
        .get("id")
        .is_some_and(|v| v.as_str() != Some(id.as_str()))
    {
        return Err(ApiError::field("id", "cannot be changed"));
    }
    let stored = state
        .store
        .update(&caller.tenant, &id, Box::new(move |e| merge(e, &patch)))
        .await?;
    Ok(json_response(StatusCode::OK, &stored))
}

#[utoipa::path(
    delete, path = "/api/v1/tenants/{tenant}/engagements/{id}", tag = "engagements",
    params(("id" = String, Path, description = "Engagement id")),
    responses(
        AdminRefusals,
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such tenant for this token, or no such engagement"),
    ),
)]
pub async fn delete(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    check_id(&id)?;
    if state.store.delete(&caller.tenant, &id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("no such engagement"))
    }
}
