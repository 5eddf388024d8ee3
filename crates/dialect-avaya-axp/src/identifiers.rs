//! Identifier configuration (`/accounts/{accountId}/identifiers`, Account Administrator):
//! which identifier types the account collects on writes.
//!
//! A tenant starts with `phoneNumbers`, `emailAddresses` and `accountIds` (the types
//! Avaya's schema names), under ids derived from the tenant and the name so that every
//! instance shows the same ones. The configuration is a durable per-tenant setting; each
//! edit is one atomic read-modify-write in the store, so concurrent edits through any
//! instances lose nothing. Engagement writes through this dialect accept only
//! configured types ("Unless configured to, Customer Journey will not collect identifiers
//! for names it does not recognise"); searches, links and bulk ingest take any type.
//! `identifiers:delete` takes identifier ids or names (Avaya's description says names, its
//! examples send ids).

use crate::access::Admin;
use crate::http::{self, ok};
use crate::identity::{IdentifierList, IdentifierName};
use crate::json::Json;
use crate::problem::{Api, AxpResult, Problem, Violation};
use crate::validate::{is_uuid, uuid_field, Check};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use interlog_http::ApiState;
use interlog_store::{EditRejected, Store, StoreError, Tenant};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

const NAMESPACE: &str = "avaya_axp.identifiers";
/// "A maximum of 1000 identifiers can be configured for an Account."
const MAX_TYPES: usize = 1000;
const STRENGTHS: [&str; 3] = ["STRONG", "VERY_STRONG", "WEAK"];

/// One configured identifier type, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifierType {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub strength: String,
}

/// Avaya's `IdentifierType`, in the key order of its examples.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentifierOut<'a> {
    identifier_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    name: &'a str,
    identifier_strength: &'a str,
    url: String,
}

fn out<'a>(account: &str, t: &'a IdentifierType) -> IdentifierOut<'a> {
    IdentifierOut {
        identifier_id: &t.id,
        display_name: t.display_name.as_deref(),
        name: &t.name,
        identifier_strength: &t.strength,
        url: format!("/api/journey/v1/accounts/{account}/identifiers/{}", t.id),
    }
}

fn derived_id(tenant: &Tenant, name: &str) -> String {
    let d = Sha256::digest(format!("{}\0{name}", tenant.id).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn defaults(tenant: &Tenant) -> Vec<IdentifierType> {
    [
        (IdentifierName::Phone, "Phone Numbers"),
        (IdentifierName::Email, "Email Addresses"),
        (IdentifierName::Account, "Account Ids"),
    ]
    .into_iter()
    .map(|(n, display)| IdentifierType {
        id: derived_id(tenant, n.as_str()),
        name: n.as_str().to_owned(),
        display_name: Some(display.to_owned()),
        strength: "STRONG".to_owned(),
    })
    .collect()
}

fn decode(text: &str) -> Result<Vec<IdentifierType>, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::backend("stored identifier configuration", e))
}

/// The tenant's configured identifier types.
pub async fn load(store: &dyn Store, tenant: &Tenant) -> Result<Vec<IdentifierType>, StoreError> {
    match store.setting(tenant, NAMESPACE, "").await? {
        Some(text) => decode(&text),
        None => Ok(defaults(tenant)),
    }
}

/// Applies `change` to the tenant's identifier types in one atomic store edit; when it
/// refuses, its problem is the answer and nothing is written.
async fn edit<T: Send + 'static>(
    store: &dyn Store,
    tenant: &Tenant,
    change: impl FnOnce(&mut Vec<IdentifierType>) -> AxpResult<T> + Send + 'static,
) -> AxpResult<T> {
    let defaults = defaults(tenant);
    let answer: Arc<Mutex<Option<AxpResult<T>>>> = Arc::default();
    let slot = answer.clone();
    let stored = store
        .update_setting(
            tenant,
            NAMESPACE,
            "",
            Box::new(move |current| {
                let mut types = match current {
                    Some(text) => decode(text).map_err(|e| EditRejected(e.to_string()))?,
                    None => defaults,
                };
                let result = change(&mut types);
                let refused = result.is_err();
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                if refused {
                    return Err(EditRejected("refused".into()));
                }
                Ok(Some(
                    serde_json::to_string(&types).expect("identifier types serialize"),
                ))
            }),
        )
        .await;
    let result = answer.lock().unwrap_or_else(|e| e.into_inner()).take();
    match (stored, result) {
        (Ok(_), Some(r)) | (Err(StoreError::Rejected(_)), Some(r @ Err(_))) => r,
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(Problem::store(StoreError::backend(
            "identifier configuration",
            "the edit did not run",
        ))),
    }
}

/// Refuses identifier types the tenant does not collect.
pub async fn require_configured(
    store: &dyn Store,
    tenant: &Tenant,
    list: &IdentifierList,
    check: &mut Check,
) -> AxpResult<()> {
    let types = load(store, tenant).await?;
    if types.is_empty() && !list.is_empty() {
        check.push(Violation::invalid(
            "identifiers",
            "No valid identifiers configured for account",
        ));
        return Ok(());
    }
    for (name, _) in list {
        if !types.iter().any(|t| &t.name == name) {
            check.push(Violation::invalid(
                format!("identifiers.{name}"),
                format!("Invalid customerIds type in the request [{name}]"),
            ));
        }
    }
    Ok(())
}

/// Reads an `IdentifierType` body.
fn read_type(body: &Json) -> AxpResult<(String, Option<String>, String)> {
    let mut c = Check::default();
    let name = c.string(body, "name", "name", 3, 50);
    if let Some(n) = &name {
        if !n
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            c.push(Violation::invalid(
                "name",
                "must match \"^[a-zA-Z0-9_\\.]+$\"",
            ));
        }
    }
    let display = c.optional_string(body, "displayName", "displayName", 3, 50);
    let strength = c.string(body, "identifierStrength", "identifierStrength", 0, 20);
    if let Some(s) = &strength {
        if !STRENGTHS.contains(&s.as_str()) {
            c.push(Violation::invalid(
                "identifierStrength",
                "identifierStrength must be WEAK, STRONG, or VERY_STRONG",
            ));
        }
    }
    http::check(c.violations)?;
    match (name, strength) {
        (Some(n), Some(s)) => Ok((n, display, s)),
        _ => Err(Problem::server_error(
            Api::Journey,
            "checked fields missing",
        )),
    }
}

fn duplicate(name: &str, account: &str) -> Problem {
    Problem::field(
        Api::Journey,
        Violation::invalid(
            "name",
            format!("identifier '{name}' already exists for account '{account}'"),
        ),
    )
}

pub async fn list(state: &ApiState, caller: &Admin) -> AxpResult<Response> {
    let types = load(state.store.as_ref(), &caller.tenant).await?;
    let body: Vec<_> = types.iter().map(|t| out(&caller.account, t)).collect();
    Ok(ok(&body))
}

pub async fn create(
    state: &ApiState,
    caller: &Admin,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let (name, display_name, strength) = read_type(&http::object_body(headers, body)?)?;
    let acct = caller.account.clone();
    let t = edit(state.store.as_ref(), &caller.tenant, move |types| {
        if types.iter().any(|t| t.name == name) {
            return Err(duplicate(&name, &acct));
        }
        if types.len() >= MAX_TYPES {
            return Err(Problem::field(
                Api::Journey,
                Violation::invalid(
                    "name",
                    format!("at most {MAX_TYPES} identifiers can be configured for an account"),
                ),
            ));
        }
        let t = IdentifierType {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            display_name,
            strength,
        };
        types.push(t.clone());
        Ok(t)
    })
    .await?;
    Ok(ok(&out(&caller.account, &t)))
}

fn check_id(id: &str) -> AxpResult<()> {
    uuid_field("identifierId", id).map_err(|v| Problem::field(Api::Journey, v))
}

pub async fn get_one(state: &ApiState, caller: &Admin, id: &str) -> AxpResult<Response> {
    check_id(id)?;
    let types = load(state.store.as_ref(), &caller.tenant).await?;
    let t = types
        .iter()
        .find(|t| t.id.eq_ignore_ascii_case(id))
        .ok_or(Problem::not_found(Api::Journey))?;
    Ok(ok(&out(&caller.account, t)))
}

pub async fn update(
    state: &ApiState,
    caller: &Admin,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    check_id(id)?;
    let (name, display_name, strength) = read_type(&http::object_body(headers, body)?)?;
    let (acct, id) = (caller.account.clone(), id.to_owned());
    let updated = edit(state.store.as_ref(), &caller.tenant, move |types| {
        if types
            .iter()
            .any(|t| t.name == name && !t.id.eq_ignore_ascii_case(&id))
        {
            return Err(duplicate(&name, &acct));
        }
        let t = types
            .iter_mut()
            .find(|t| t.id.eq_ignore_ascii_case(&id))
            .ok_or(Problem::not_found(Api::Journey))?;
        t.name = name;
        t.display_name = display_name;
        t.strength = strength;
        Ok(t.clone())
    })
    .await?;
    Ok(ok(&out(&caller.account, &updated)))
}

/// `identifiers:delete`: a JSON array of 1–50 identifier ids or names.
pub async fn delete(
    state: &ApiState,
    caller: &Admin,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let j = http::json_body(headers, body)?;
    let Some(items) = j.as_array() else {
        return Err(Problem::field(
            Api::Journey,
            Violation::invalid("body", "must be an array of identifier ids or names"),
        ));
    };
    let mut c = Check::default();
    if items.is_empty() || items.len() > 50 {
        c.push(Violation::invalid("body", "size must be between 1 and 50"));
    }
    let wanted: Vec<String> = items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| c.string_value(v, &format!("body[{i}]"), 3, 50))
        .collect();
    http::check(c.violations)?;
    edit(state.store.as_ref(), &caller.tenant, move |types| {
        let before = types.len();
        types.retain(|t| {
            !wanted
                .iter()
                .any(|w| w == &t.name || (is_uuid(w) && w.eq_ignore_ascii_case(&t.id)))
        });
        if types.len() == before {
            return Err(Problem::not_found(Api::Journey));
        }
        Ok(())
    })
    .await?;
    Ok(axum::http::StatusCode::OK.into_response())
}
