//! Creating, changing, removing and reading a tenant's connectors: what the API's routes
//! and the CLI (`interlog connector …`) both do.

use super::config::{self, as_body, bad, check, token_url_shown};
use interlog_http::connector::stored::{
    self, definition, definitions, ConnectorView, Definition, RunState, DEFINITIONS, STATES, TOPIC,
};
use interlog_http::{ApiError, ApiResult, ApiState};
use interlog_store::Tenant;
use serde_json::{Map, Value};

/// Connectors one tenant may have.
pub const MAX_PER_TENANT: usize = 20;

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// The view of connector `id`.
pub async fn show(state: &ApiState, tenant: &Tenant, id: &str) -> ApiResult<ConnectorView> {
    let d = definition(state.store.as_ref(), tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such connector"))?;
    let s = stored::state(state.store.as_ref(), tenant, id)
        .await?
        .unwrap_or_default();
    Ok(view_of(state, id, &d, &s))
}

fn view_of(state: &ApiState, id: &str, d: &Definition, s: &RunState) -> ConnectorView {
    let kind = state.connector_kind(&d.kind);
    stored::view(id, d, s, token_url_shown(kind, d), now())
}

/// Every connector of the tenant, oldest first.
pub async fn list(state: &ApiState, tenant: &Tenant) -> ApiResult<Vec<ConnectorView>> {
    let mut out = Vec::new();
    for (id, d) in definitions(state.store.as_ref(), tenant).await? {
        let s = stored::state(state.store.as_ref(), tenant, &id)
            .await?
            .unwrap_or_default();
        out.push(view_of(state, &id, &d, &s));
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Wakes the tenant's connector tasks (on every instance) to look at `id` now.
async fn wake(state: &ApiState, tenant: &Tenant, id: &str) {
    if let Err(e) = state.store.publish(tenant, TOPIC, id).await {
        // The task looks again within its scan anyway.
        tracing::debug!(error = %e, "could not wake the connector tasks");
    }
}

/// Creates a connector from a client's configuration; its id and view.
pub async fn create(
    state: &ApiState,
    tenant: &Tenant,
    body: &Map<String, Value>,
) -> ApiResult<ConnectorView> {
    let checked = check(state, body, &now().to_string()).await?;
    let existing = definitions(state.store.as_ref(), tenant).await?;
    if existing.len() >= MAX_PER_TENANT {
        return Err(bad(
            "kind",
            format!("a tenant may have at most {MAX_PER_TENANT} connectors"),
        ));
    }
    let id = interlog_http::auth::random_id("cn_");
    let mut d = checked.definition;
    d.seal(&state.signer, tenant, &checked.secrets);
    let s = RunState {
        disabled: !d.enabled,
        next_run_ms: now().as_millisecond(),
        ..RunState::default()
    };
    let store = state.store.as_ref();
    // The state first: a definition without state would be taken for a deleted one.
    store
        .put_setting(
            tenant,
            STATES,
            &id,
            &serde_json::to_string(&s).expect("states serialize"),
        )
        .await?;
    store
        .put_setting(
            tenant,
            DEFINITIONS,
            &id,
            &serde_json::to_string(&d).expect("definitions serialize"),
        )
        .await?;
    wake(state, tenant, &id).await;
    Ok(view_of(state, &id, &d, &s))
}

/// Applies a change (a JSON merge patch of the configuration: a field given replaces,
/// `null` removes an optional one, secrets left out are kept) to connector `id`.
pub async fn update(
    state: &ApiState,
    tenant: &Tenant,
    id: &str,
    patch: &Map<String, Value>,
) -> ApiResult<ConnectorView> {
    let store = state.store.as_ref();
    let old = definition(store, tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such connector"))?;
    if let Some(k) = patch.get("kind") {
        if k.as_str() != Some(old.kind.as_str()) {
            return Err(bad(
                "kind",
                "a connector's kind cannot change; create another connector",
            ));
        }
    }
    let secrets = old.secrets(&state.signer, tenant)?;
    let mut body = as_body(&old, &secrets);
    for (k, v) in patch {
        if v.is_null() {
            body.remove(k);
        } else {
            body.insert(k.clone(), v.clone());
        }
    }
    let checked = check(state, &body, &old.created_at).await?;
    let mut d = checked.definition;
    d.seal(&state.signer, tenant, &checked.secrets);
    let restart = d.start_from != old.start_from;
    let reconnect = d.base_url != old.base_url
        || d.token_url != old.token_url
        || d.settings != old.settings
        || checked.secrets != secrets;
    let enabled = d.enabled;
    let s = edit_state(state, tenant, id, move |s| {
        s.disabled = !enabled;
        if restart {
            // Another start: the backfill begins again from it.
            s.cursor_ms = None;
            s.live = false;
            s.window_secs = None;
        }
        if restart || reconnect {
            s.failures = 0;
            s.credentials_refused = false;
            s.limited_until_ms = None;
            s.run_requested = true;
        }
    })
    .await?;
    store
        .put_setting(
            tenant,
            DEFINITIONS,
            id,
            &serde_json::to_string(&d).expect("definitions serialize"),
        )
        .await?;
    wake(state, tenant, id).await;
    Ok(view_of(state, id, &d, &s))
}

/// Applies `change` to the run state of connector `id` atomically; the state after it.
async fn edit_state(
    state: &ApiState,
    tenant: &Tenant,
    id: &str,
    change: impl FnOnce(&mut RunState) + Send + 'static,
) -> ApiResult<RunState> {
    let changed = state
        .store
        .update_setting(
            tenant,
            STATES,
            id,
            Box::new(move |current| {
                let mut s: RunState = match current {
                    Some(t) => serde_json::from_str(t)
                        .map_err(|e| interlog_store::EditRejected(e.to_string()))?,
                    None => return Err(interlog_store::EditRejected("gone".into())),
                };
                change(&mut s);
                Ok(Some(serde_json::to_string(&s).expect("states serialize")))
            }),
        )
        .await;
    match changed {
        Ok(Some(text)) => serde_json::from_str(&text).map_err(ApiError::internal),
        Ok(None) | Err(interlog_store::StoreError::Rejected(_)) => {
            Err(ApiError::not_found("no such connector"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes connector `id` (what it stored stays); false when there was none.
pub async fn remove(state: &ApiState, tenant: &Tenant, id: &str) -> ApiResult<bool> {
    let store = state.store.as_ref();
    if definition(store, tenant, id).await?.is_none() {
        return Ok(false);
    }
    for ns in [DEFINITIONS, STATES] {
        store
            .update_setting(tenant, ns, id, Box::new(|_| Ok(None)))
            .await?;
    }
    wake(state, tenant, id).await;
    Ok(true)
}

/// Asks for a run of connector `id` now.
pub async fn request_run(state: &ApiState, tenant: &Tenant, id: &str) -> ApiResult<ConnectorView> {
    let store = state.store.as_ref();
    let d = definition(store, tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such connector"))?;
    let s = edit_state(state, tenant, id, |s| s.run_requested = true).await?;
    wake(state, tenant, id).await;
    Ok(view_of(state, id, &d, &s))
}

pub use config::settings_of;
