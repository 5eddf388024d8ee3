//! Expiring records: state that must outlive one process and be shared by every instance
//! on the same store (sessions, single-use refresh tokens).

use crate::{Result, Tenant};
use async_trait::async_trait;
use interlog_model::Timestamp;

/// One expiring record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Who the record belongs to (a client id, a user id): only its owner may take it.
    pub owner: String,
    pub value: String,
    pub expires_at: Timestamp,
}

/// A tenant's expiring records, keyed by (namespace, key) within the tenant. An expired
/// record is never read, taken or counted, and is eventually removed (unlike
/// [`crate::DurableSettings`], which are kept).
#[async_trait]
pub trait ExpiringRecords: Send + Sync {
    /// Stores `record` under (`namespace`, `key`), replacing any record there.
    async fn put_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        record: Record,
    ) -> Result<()>;

    /// The unexpired record under (`namespace`, `key`).
    async fn get_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
    ) -> Result<Option<Record>>;

    /// Removes and returns the unexpired record when it belongs to `owner`, atomically: of
    /// two concurrent takes only one gets it, and a take by anyone else leaves it in place
    /// (single-use tokens).
    async fn take_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        owner: &str,
    ) -> Result<Option<Record>>;

    /// Removes a record; false when there was none.
    async fn delete_record(&self, tenant: &Tenant, namespace: &str, key: &str) -> Result<bool>;

    /// Removes up to `limit` expired records of every tenant; how many went.
    async fn sweep_records(&self, limit: u32) -> Result<u64>;
}
