//! A tenant's durable settings that hold JSON values of one type (webhooks, connectors and
//! their states): read whole namespaces or one key, decoded, with one error for a value
//! that does not decode (a corrupted store).

use interlog_store::{Result as StoreResult, Store, StoreError, Tenant};
use serde::de::DeserializeOwned;

fn decode<T: DeserializeOwned>(namespace: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::backend(format!("stored {namespace}"), e))
}

/// Every setting of `namespace`, by key.
pub async fn read_all<T: DeserializeOwned>(
    store: &dyn Store,
    tenant: &Tenant,
    namespace: &str,
) -> StoreResult<Vec<(String, T)>> {
    store
        .settings_in(tenant, namespace)
        .await?
        .into_iter()
        .map(|(key, text)| Ok((key, decode(namespace, &text)?)))
        .collect()
}

/// The setting `key` of `namespace`.
pub async fn read<T: DeserializeOwned>(
    store: &dyn Store,
    tenant: &Tenant,
    namespace: &str,
    key: &str,
) -> StoreResult<Option<T>> {
    store
        .setting(tenant, namespace, key)
        .await?
        .map(|text| decode(namespace, &text))
        .transpose()
}
