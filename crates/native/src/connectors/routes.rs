//! `/api/v1/tenants/{tenant}/connectors`: create, list, read, change, delete connectors
//! and ask for a run (admin).

use super::manage;
use crate::responses::{AdminRefusals, JsonBodyRefusals};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use interlog_http::auth::Admin;
use interlog_http::body::JsonBody;
use interlog_http::connector::stored::ConnectorView;
use interlog_http::error::{ApiError, ApiResult};
use interlog_http::ApiState;
use serde::Serialize;
use serde_json::{Map, Value};

/// A connector's configuration (its schema is written by hand: the kind's own settings
/// are further properties).
pub struct ConnectorConfig;

impl utoipa::PartialSchema for ConnectorConfig {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AdditionalProperties, KnownFormat, ObjectBuilder, SchemaFormat, Type,
        };
        let text = |doc: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(doc))
        };
        let number = |doc: &str, min: f64, max: f64| {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(min))
                .maximum(Some(max))
                .description(Some(doc))
        };
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A connector's configuration: the common fields below, and the kind's own settings by the vendor's names (Zoom: account_id, client_id, client_secret; Oracle LX: tenant, client_id, client_secret, domain_name?, time_zone?; Genesys GWS: username, password, max_size?, archive?, notifications_path?; Avaya AXP: account_id, client_id, client_secret, app_key, customers). Secrets are never shown back.",
            ))
            .property(
                "kind",
                text("The platform: zoom_cc, oracle_lx, genesys_gws or avaya_axp").enum_values(Some([
                    "zoom_cc",
                    "oracle_lx",
                    "genesys_gws",
                    "avaya_axp",
                ])),
            )
            .property("base_url", text("The API root as the vendor documents it (a default per kind where the vendor has one)"))
            .property("token_url", text("Where the vendor's tokens come from (a default per kind)"))
            .property(
                "start_from",
                text("History is read from this RFC 3339 date-time").format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .property("poll_interval_secs", number("Seconds between runs (default 60)", 1.0, 86_400.0))
            .property("lookback_secs", number("Seconds re-read before the cursor each run, for late records (default 900)", 0.0, 2_592_000.0))
            .property("enabled", ObjectBuilder::new().schema_type(Type::Boolean).description(Some("Run it (default true)")))
            .required("kind")
            .required("start_from")
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .examples([serde_json::json!({
                "kind": "zoom_cc",
                "account_id": "x7Bd0aQwR2m",
                "client_id": "tY3kL9pQ",
                "client_secret": "…",
                "start_from": "2025-01-01T00:00:00Z"
            })])
            .into()
    }
}

impl utoipa::ToSchema for ConnectorConfig {}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConnectorList {
    pub connectors: Vec<ConnectorView>,
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/connectors", tag = "connectors",
    request_body = ConnectorConfig,
    responses(
        AdminRefusals,
        JsonBodyRefusals,
        (status = 201, description = "Created; its first run starts at once. Secrets are never shown back", body = ConnectorView),
        (status = 400, description = "A bad configuration: an unknown kind or field, a missing credential, a bad URL or date (code bad_parameter, naming it)"),
    ),
)]
pub async fn create(
    caller: Admin,
    State(state): State<ApiState>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<Response> {
    let view = manage::create(&state, &caller.tenant, &body).await?;
    tracing::info!(tenant = %caller.tenant.key, connector = %view.id, kind = %view.kind, by = %caller.claims.sub, "connector created");
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/connectors", tag = "connectors",
    responses(
        AdminRefusals,
        (status = 200, description = "The tenant's connectors with their status", body = ConnectorList),
    ),
)]
pub async fn list(caller: Admin, State(state): State<ApiState>) -> ApiResult<Json<ConnectorList>> {
    Ok(Json(ConnectorList {
        connectors: manage::list(&state, &caller.tenant).await?,
    }))
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/connectors/{id}", tag = "connectors",
    params(("id" = String, Path, description = "Connector id")),
    responses(
        AdminRefusals,
        (status = 200, description = "The connector and its status", body = ConnectorView),
        (status = 404, description = "No such connector"),
    ),
)]
pub async fn get(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Json<ConnectorView>> {
    Ok(Json(manage::show(&state, &caller.tenant, &id).await?))
}

#[utoipa::path(
    patch, path = "/api/v1/tenants/{tenant}/connectors/{id}", tag = "connectors",
    params(("id" = String, Path, description = "Connector id")),
    request_body = ConnectorConfig,
    responses(
        AdminRefusals,
        JsonBodyRefusals,
        (status = 200, description = "Changed (a merge patch: fields given replace, null removes an optional one, secrets left out are kept). A new start_from begins the backfill again", body = ConnectorView),
        (status = 400, description = "The changed configuration is bad (naming the field), or the kind changes"),
        (status = 404, description = "No such connector"),
    ),
)]
pub async fn patch(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<Json<ConnectorView>> {
    let view = manage::update(&state, &caller.tenant, &id, &body).await?;
    tracing::info!(tenant = %caller.tenant.key, connector = %id, by = %caller.claims.sub, "connector changed");
    Ok(Json(view))
}

#[utoipa::path(
    delete, path = "/api/v1/tenants/{tenant}/connectors/{id}", tag = "connectors",
    params(("id" = String, Path, description = "Connector id")),
    responses(
        AdminRefusals,
        (status = 204, description = "Deleted; what it stored stays"),
        (status = 404, description = "No such connector"),
    ),
)]
pub async fn delete(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    if !manage::remove(&state, &caller.tenant, &id).await? {
        return Err(ApiError::not_found("no such connector"));
    }
    tracing::info!(tenant = %caller.tenant.key, connector = %id, by = %caller.claims.sub, "connector deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/connectors/{id}/run", tag = "connectors",
    params(("id" = String, Path, description = "Connector id")),
    responses(
        AdminRefusals,
        (status = 202, description = "A run starts now (or right after the one in progress)", body = ConnectorView),
        (status = 404, description = "No such connector"),
    ),
)]
pub async fn run(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let view = manage::request_run(&state, &caller.tenant, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)).into_response())
}
