//! Durable per-tenant settings: small values a part of the API keeps for a tenant as long
//! as the tenant is kept (a webhook, its delivery state, an erasure receipt, the retention
//! period), keyed by (namespace, key). They never expire, unlike
//! [`crate::ExpiringRecords`].

use crate::{EditRejected, Result, Tenant};
use async_trait::async_trait;

/// A change to a setting applied atomically inside the backend's write transaction: given
/// the current value (if any), the new value (`None` removes it). Must be quick.
pub type SettingEdit =
    Box<dyn FnOnce(Option<&str>) -> std::result::Result<Option<String>, EditRejected> + Send>;

/// A tenant's durable settings.
#[async_trait]
pub trait DurableSettings: Send + Sync {
    async fn setting(&self, tenant: &Tenant, namespace: &str, key: &str) -> Result<Option<String>>;

    /// Every setting of `namespace`, by key.
    async fn settings_in(&self, tenant: &Tenant, namespace: &str) -> Result<Vec<(String, String)>>;

    /// Replaces the value.
    async fn put_setting(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Result<()>;

    /// Applies `edit` to the current value atomically (no other write to the setting
    /// comes between its read and its write, whichever instance makes it); returns the new
    /// value.
    async fn update_setting(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        edit: SettingEdit,
    ) -> Result<Option<String>>;
}
