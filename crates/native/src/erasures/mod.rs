//! Erasure of a customer's data (GDPR Art. 17): every engagement of the customer — found
//! through every identifier linked with the one given or appearing with it in an
//! engagement, in any spelling ([`reach`]) — is deleted with an `erased` tombstone, with
//! everything derived from it (search terms and their values), and the identity links go
//! too. An erasure is durable work ([`job`]): recorded before it starts, resumed after a
//! crash by any instance, ended by one receipt. The receipt and the log say who asked and
//! when, never the erased data: the receipt lists the identifiers only as keyed digests
//! (`hmac-sha256:` + hex, keyed with the signing key), so a later question "was this
//! identifier erased?" can be answered without keeping it.

pub mod job;
pub mod reach;
pub mod worker;

use crate::responses::{AdminRefusals, JsonBodyRefusals};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use interlog_http::auth::Admin;
use interlog_http::background::lease::LeasedWork;
use interlog_http::body::JsonBody;
use interlog_http::error::{ApiError, ApiResult};
use interlog_http::ApiState;
use interlog_store::{Filter, Store, StoreError, Tenant};
use job::{Job, JobError, JOBS, LEASE, WORKER};
use reach::{reach, ReachError};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

/// Settings namespace of receipts (key: the erasure's id).
pub const RECEIPTS: &str = "erasures";
/// A receipt's state once the erasure ended, and while it runs.
pub const COMPLETED: &str = "completed";
pub const RUNNING: &str = "running";
/// How long a request waits for its erasure to end before answering 202 (it goes on).
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// What a client asks to erase.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// A customer identifier: a phone number in any formatting, an email, an account id, a
    /// custom identifier or contact id.
    pub identifier: String,
    /// Only say what would be erased (identifiers reached and their engagements), erasing
    /// nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an erasure did (`completed`), or how far it got (`running`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Receipt {
    pub id: String,
    /// `running` or `completed`.
    #[serde(default = "completed")]
    pub state: String,
    /// The identifiers erased (the one given and every one it reaches), as keyed digests;
    /// empty while running.
    pub identifiers: Vec<String>,
    /// Engagements erased (so far, while running).
    pub engagements_erased: u64,
    /// Who asked (a client id or user id).
    pub requested_by: String,
    pub requested_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
}

fn completed() -> String {
    COMPLETED.into()
}

/// One identifier a dry run reaches, with the engagements that carry it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ReachedIdentifier {
    /// As it was linked (type and spelling), or its comparison form.
    pub identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub engagements: u64,
}

/// What an erasure of the identifier would erase.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DryRun {
    pub dry_run: bool,
    /// Every identifier it reaches, with its engagements.
    pub identifiers: Vec<ReachedIdentifier>,
    /// Engagements it would erase (each once).
    pub engagements: u64,
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

/// Checks an identifier a client asks to erase; the trimmed identifier.
pub fn check_identifier(identifier: &str) -> Result<&str, String> {
    let identifier = identifier.trim();
    if identifier.is_empty() || identifier.chars().count() > 1024 {
        return Err("must be 1 to 1024 characters".into());
    }
    Ok(identifier)
}

/// What an erasure of `identifier` would erase, erasing nothing.
pub async fn dry_run(
    store: &dyn Store,
    tenant: &Tenant,
    identifier: &str,
) -> Result<DryRun, ReachError> {
    let reached = reach(store, tenant, identifier).await?;
    let mut identifiers = Vec::with_capacity(reached.len());
    for r in &reached {
        let n = store
            .count(
                tenant,
                &Filter {
                    customer: vec![r.key.clone()],
                    ..Filter::default()
                },
                None,
            )
            .await?
            .value();
        identifiers.push(ReachedIdentifier {
            identifier: r.spelling.clone().unwrap_or_else(|| r.key.clone()),
            kind: r.kind.clone(),
            engagements: n,
        });
    }
    let mut engagements = 0;
    for keys in reached.chunks(interlog_store::MAX_FILTER_VALUES) {
        engagements += store
            .count(
                tenant,
                &Filter {
                    customer: keys.iter().map(|r| r.key.clone()).collect(),
                    ..Filter::default()
                },
                None,
            )
            .await?
            .value();
    }
    Ok(DryRun {
        dry_run: true,
        identifiers,
        engagements,
    })
}

/// Erases the customer `identifier` names, start to end, in this process (the CLI), and
/// returns the receipt. Running it again is harmless (it erases what has appeared since,
/// usually nothing).
pub async fn erase(
    store: &dyn Store,
    digest_key: &[u8],
    tenant: &Tenant,
    identifier: &str,
    requested_by: &str,
) -> Result<Receipt, JobError> {
    let holder = job::process_holder();
    let id = job::start(store, tenant, identifier, requested_by, holder).await?;
    let work = LeasedWork::held_by(store, holder, WORKER, tenant, JOBS, &id, LEASE);
    job::run(store, &work, digest_key, tenant, &id).await
}

fn job_error(e: JobError) -> ApiError {
    match e {
        JobError::Reach(ReachError::TooMany) => ApiError::field(
            "identifier",
            format!(
                "reaches more than {} identifiers through the engagements that carry them \
                 together (an identifier many customers share?); erase narrower identifiers",
                reach::MAX_IDENTIFIERS
            ),
        ),
        JobError::Reach(ReachError::Store(e)) | JobError::Store(e) => e.into(),
        JobError::Held | JobError::Gone => ApiError::internal(e),
    }
}

/// How a running erasure looks (its record, without the identifier).
fn running(id: &str, job: &Job) -> Receipt {
    Receipt {
        id: id.to_owned(),
        state: RUNNING.into(),
        identifiers: Vec::new(),
        engagements_erased: job.erased,
        requested_by: job.requested_by.clone(),
        requested_at: job.requested_at.clone(),
        completed_at: None,
    }
}

#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant}/erasures", tag = "erasures",
    request_body = ErasureRequest,
    responses(
        AdminRefusals,
        JsonBodyRefusals,
        (status = 200, description = "A dry run: what would be erased, nothing erased", body = DryRun),
        (status = 201, description = "Erased: every engagement of the customer and its identity links", body = Receipt),
        (status = 202, description = "Recorded and under way (a large customer): GET the Location for the receipt", body = Receipt),
        (status = 422, description = "An empty or too long identifier, or one that reaches too many identifiers"),
    ),
)]
pub async fn create(
    caller: Admin,
    State(state): State<ApiState>,
    JsonBody(req): JsonBody<ErasureRequest>,
) -> ApiResult<Response> {
    let identifier =
        check_identifier(&req.identifier).map_err(|e| ApiError::field("identifier", e))?;
    if req.dry_run {
        let answer = dry_run(state.store.as_ref(), &caller.tenant, identifier)
            .await
            .map_err(|e| job_error(e.into()))?;
        return Ok((StatusCode::OK, Json(answer)).into_response());
    }
    let store = state.store.clone();
    let tenant = caller.tenant.clone();
    let holder = job::process_holder();
    let id = job::start(
        store.as_ref(),
        &tenant,
        identifier,
        &caller.claims.sub,
        holder,
    )
    .await?;
    // The erasure goes on if the client goes away; the request waits a while for it.
    let key = digest_key(&state.signer);
    let task_id = id.clone();
    let task = tokio::spawn(async move {
        let work = LeasedWork::held_by(
            store.as_ref(),
            holder,
            WORKER,
            &tenant,
            JOBS,
            &task_id,
            LEASE,
        );
        job::run(store.as_ref(), &work, &key, &tenant, &task_id).await
    });
    let location = format!("/api/v1/tenants/{}/erasures/{id}", caller.tenant.key);
    match tokio::time::timeout(ANSWER_WITHIN, task).await {
        Ok(Ok(Ok(receipt))) => Ok((
            StatusCode::CREATED,
            [(header::LOCATION, location)],
            Json(receipt),
        )
            .into_response()),
        Ok(Ok(Err(e))) => Err(job_error(e)),
        Ok(Err(e)) => Err(ApiError::internal(e)),
        Err(_) => {
            let so_far = state
                .store
                .setting(&caller.tenant, JOBS, &id)
                .await?
                .and_then(|t| serde_json::from_str::<Job>(&t).ok());
            let view = so_far.map(|j| running(&id, &j)).ok_or_else(|| {
                ApiError::internal(StoreError::backend("erasure", "its record vanished"))
            })?;
            Ok((
                StatusCode::ACCEPTED,
                [(header::LOCATION, location)],
                Json(view),
            )
                .into_response())
        }
    }
}

#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant}/erasures/{id}", tag = "erasures",
    params(("id" = String, Path, description = "Erasure id")),
    responses(
        AdminRefusals,
        (status = 200, description = "The receipt, or how far a running erasure got", body = Receipt),
        (status = 404, description = "No such erasure"),
    ),
)]
pub async fn get(
    caller: Admin,
    State(state): State<ApiState>,
    Path((_tenant, id)): Path<(String, String)>,
) -> ApiResult<Json<Receipt>> {
    if let Some(r) = job::receipt(state.store.as_ref(), &caller.tenant, &id).await? {
        return Ok(Json(r));
    }
    let job = state
        .store
        .setting(&caller.tenant, JOBS, &id)
        .await?
        .and_then(|t| serde_json::from_str::<Job>(&t).ok())
        .ok_or_else(|| ApiError::not_found("no such erasure"))?;
    Ok(Json(running(&id, &job)))
}
