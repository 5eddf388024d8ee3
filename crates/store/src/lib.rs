//! The storage contract of Interlog.
//!
//! [`Store`] is what every backend implements and every API layer uses. Each engagement
//! method takes the tenant first, so no query can be written without a tenant. Nothing here
//! names a vendor or a database.

mod directory;
mod error;
mod query;
mod stored;
pub mod terms;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use directory::*;
pub use error::StoreError;
pub use query::*;
pub use stored::*;

use async_trait::async_trait;
use interlog_model::Engagement;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A change applied to a stored engagement atomically, inside the backend's write
/// transaction: it must be quick and must not block.
pub type EngagementEdit =
    Box<dyn FnOnce(&mut Engagement) -> std::result::Result<(), EditRejected> + Send>;

/// Why an [`EngagementEdit`] refused to change an engagement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditRejected(pub String);

/// Persistent storage for tenants, their credentials and their engagements.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- tenants and credentials -------------------------------------------------------

    /// Creates a tenant; [`StoreError::Conflict`] when the key is taken.
    async fn create_tenant(&self, tenant: NewTenant) -> Result<Tenant>;
    async fn tenant(&self, key: &str) -> Result<Option<Tenant>>;
    async fn tenant_by_id(&self, id: i64) -> Result<Option<Tenant>>;
    /// The tenant that answers to `alias` in the namespace `dialect`.
    async fn tenant_by_alias(&self, dialect: &str, alias: &str) -> Result<Option<Tenant>>;
    async fn tenants(&self) -> Result<Vec<Tenant>>;

    /// Stores an API client; the secret arrives already hashed.
    async fn create_client(&self, tenant: &Tenant, client: NewClient) -> Result<Client>;
    /// Looks a client up by its id, which is unique across tenants.
    async fn client(&self, client_id: &str) -> Result<Option<Client>>;

    /// Stores a user; the password arrives already hashed. [`StoreError::Conflict`] when
    /// the tenant already has that username.
    async fn create_user(&self, tenant: &Tenant, user: NewUser) -> Result<User>;
    async fn user(&self, tenant: &Tenant, username: &str) -> Result<Option<User>>;

    // --- engagements -------------------------------------------------------------------

    /// Inserts or replaces an engagement keyed by its id. An engagement whose `updated_at`
    /// is older than the stored one's is not written ([`UpsertOutcome::Stale`]); one
    /// without `updated_at` is stamped with the time of the write. Returns once durable.
    async fn upsert(&self, tenant: &Tenant, engagement: Engagement) -> Result<UpsertOutcome> {
        let mut out = self.upsert_many(tenant, vec![engagement]).await?;
        Ok(out.pop().expect("one outcome per engagement"))
    }

    /// [`Store::upsert`] for many engagements in one durable transaction; one outcome each,
    /// in order.
    async fn upsert_many(
        &self,
        tenant: &Tenant,
        engagements: Vec<Engagement>,
    ) -> Result<Vec<UpsertOutcome>>;

    /// Inserts a new engagement; [`StoreError::Conflict`] when the id exists.
    async fn create(&self, tenant: &Tenant, engagement: Engagement) -> Result<StoredEngagement>;

    /// Applies `edit` to the stored engagement atomically and returns the result;
    /// [`StoreError::NotFound`] when there is none.
    async fn update(
        &self,
        tenant: &Tenant,
        id: &str,
        edit: EngagementEdit,
    ) -> Result<StoredEngagement>;

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredEngagement>>;

    /// The engagements with these ids, in the order of `ids`, missing ones skipped.
    async fn get_many(&self, tenant: &Tenant, ids: &[String]) -> Result<Vec<StoredEngagement>>;

    /// Deletes one engagement; false when there was none.
    async fn delete(&self, tenant: &Tenant, id: &str) -> Result<bool>;

    async fn list(&self, tenant: &Tenant, query: &Query) -> Result<Page>;

    /// How many engagements match the query's filter (its sort and paging are ignored).
    async fn count(&self, tenant: &Tenant, filter: &Filter) -> Result<u64>;

    // --- customer identity links -------------------------------------------------------

    /// Links customer identifiers (phones, emails, account ids… in any spelling) as one
    /// customer: a search by any of them also finds engagements that carry only another.
    /// Linking identifiers that already belong to different customers merges them.
    async fn link_identifiers(&self, tenant: &Tenant, identifiers: &[String]) -> Result<()>;

    /// Removes one identifier from its customer; false when it was not linked.
    async fn unlink_identifier(&self, tenant: &Tenant, identifier: &str) -> Result<bool>;

    /// Every identifier linked with `identifier` (in stored, normalized form), itself
    /// included; just itself when it is not linked.
    async fn linked_identifiers(&self, tenant: &Tenant, identifier: &str) -> Result<Vec<String>>;

    // --- expiring records ------------------------------------------------------------------

    /// Stores `value` under (`namespace`, `key`) until `expires_at`, replacing any record.
    /// For state that must outlive one process and be shared by every instance: sessions,
    /// refresh tokens.
    async fn put_record(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
        expires_at: interlog_model::Timestamp,
    ) -> Result<()>;

    /// The unexpired record under (`namespace`, `key`).
    async fn get_record(&self, namespace: &str, key: &str) -> Result<Option<String>>;

    /// Removes and returns the unexpired record, atomically: of two concurrent takes only
    /// one gets it (single-use tokens).
    async fn take_record(&self, namespace: &str, key: &str) -> Result<Option<String>>;

    /// Removes a record; false when there was none.
    async fn delete_record(&self, namespace: &str, key: &str) -> Result<bool>;

    /// Whether the backend can serve requests (for `/readyz`).
    async fn ping(&self) -> Result<()>;
}
