//! Erasure of a customer's data (GDPR Art. 17): every engagement of the customer — found
//! through every identifier linked with the one given, in any spelling — is deleted with an
//! `erased` tombstone, and the identity links (with their spellings) go too. The receipt
//! and the log say who asked and when, never the erased data: the receipt lists the
//! identifiers only as keyed digests (`hmac-sha256:` + hex, keyed with the signing key), so
//! a later question "was this identifier erased?" can be answered without keeping it.

use crate::responses::{AdminRefusals, JsonBodyRefusals};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use interlog_http::auth::Admin;
use interlog_http::body::JsonBody;
use interlog_http::error::{ApiError, ApiResult};
use interlog_http::ApiState;
use interlog_store::{DeleteReason, Filter, Query, Store, StoreError, Tenant};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Settings namespace of receipts (key: the erasure's id).
pub const RECEIPTS: &str = "erasures";
/// Engagements deleted per store call.
const BATCH: u32 = 500;

/// What a client asks to erase.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// A customer identifier: a phone number in any formatting, an email, an account id, a
    /// custom identifier or contact id.
    pub identifier: String,
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Receipt {
    pub id: String,
    /// The identifiers erased (the one given and every one linked with it), as keyed
    /// digests.
    pub identifiers: Vec<String>,
    pub engagements_erased: u64,
    /// Who asked (a client id or user id).
    pub requested_by: String,
    pub requested_at: String,
    pub completed_at: String,
}

/// The key of the receipts' digests, derived from the signing key: the API and
/// `interlog erase` must derive the same one.
pub fn digest_key(signer: &interlog_http::auth::Signer) -> Vec<u8> {
    signer.derived_key("erasure receipts")
}

/// The digest of an identifier in a receipt.
pub fn digest(key: &[u8], tenant: &Tenant, identifier: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(tenant.key.as_bytes());
    mac.update(&[0]);
    mac.update(identifier.as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!(
        "hmac-sha256:{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Erases the customer `identifier` names and keeps a receipt. Running it again is
/// harmless (it erases what has appeared since, usually nothing).
pub async fn erase(
    store: &dyn Store,
    digest_key: &[u8],
    tenant: &Tenant,
    identifier: &str,
    requested_by: &str,
) -> Result<Receipt, StoreError> {
    let requested_at = jiff::Timestamp::now().to_string();
    let linked: Vec<String> = store
        .linked_identifiers(tenant, identifier)
        .await?
        .into_iter()
        .map(|l| l.key)
        .collect();
    let query = Query {
        filter: Filter {
            customer: linked.clone(),
            ..Filter::default()
        },
        limit: BATCH,
        ..Query::default()
    };
    let mut erased = 0;
    loop {
        let page = store.list(tenant, &query).await?;
        if page.items.is_empty() {
            break;
        }
        let ids: Vec<String> = page.items.into_iter().map(|s| s.id).collect();
        erased += store
            .delete_many(tenant, &ids, DeleteReason::Erased)
            .await?;
    }
    for key in &linked {
        store.unlink_identifier(tenant, key).await?;
    }
    let receipt = Receipt {
        id: interlog_http::auth::random_id("er_"),
        identifiers: linked
            .iter()
            .map(|k| digest(digest_key, tenant, k))
            .collect(),
        engagements_erased: erased,
        requested_by: requested_by.to_owned(),
        requested_at,
        completed_at: jiff::Timestamp::now().to_string(),
    };
    store
        .put_setting(
            tenant,
            RECEIPTS,
            &receipt.id,
            &serde_json::to_string(&receipt).expect("receipts serialize"),
        )
        .await?;
    tracing::info!(
        tenant = %tenant.key,
        erasure = %receipt.id,
        requested_by,
        engagements = erased,
        identifiers = linked.len(),
        "customer data erased"
    );
    Ok(receipt)
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/erasures", tag = "erasures",
    request_body = ErasureRequest,
    responses(
        AdminRefusals,
        JsonBodyRefusals,
        (status = 201, description = "Erased: every engagement of the customer and its identity links", body = Receipt),
        (status = 422, description = "An empty identifier"),
    ),
)]
pub async fn create(
    caller: Admin,
    State(state): State<ApiState>,
    JsonBody(req): JsonBody<ErasureRequest>,
) -> ApiResult<Response> {
    let identifier = req.identifier.trim();
    if identifier.is_empty() || identifier.chars().count() > 1024 {
        return Err(ApiError::field(
            "identifier",
            "must be 1 to 1024 characters",
        ));
    }
    let receipt = erase(
        state.store.as_ref(),
        &digest_key(&state.signer),
        &caller.tenant,
        identifier,
        &caller.claims.sub,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(receipt)).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/erasures/{id}", tag = "erasures",
    params(("id" = String, Path, description = "Erasure id")),
    responses(
        AdminRefusals,
        (status = 200, description = "The receipt", body = Receipt),
        (status = 404, description = "No such erasure"),
    ),
)]
pub async fn get(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Json<Receipt>> {
    let text = state
        .store
        .setting(&caller.tenant, RECEIPTS, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such erasure"))?;
    serde_json::from_str(&text)
        .map(Json)
        .map_err(ApiError::internal)
}
