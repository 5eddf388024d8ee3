//! Tenants and the credentials that act for them.

use crate::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A tenant: one contact center's history, isolated from every other's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// The store's internal number for the tenant.
    pub id: i64,
    /// The key clients use in paths, e.g. `acme`.
    pub key: String,
    pub name: String,
    /// IANA zone for zone-less times in requests and local times in responses.
    pub time_zone: String,
    /// Country calling code for reading national phone numbers (e.g. `353`), if known.
    pub country_code: Option<String>,
    /// Other names the tenant answers to, per dialect, e.g. `("avaya_axp", "ACMEEU")`.
    pub aliases: Vec<(String, String)>,
    pub created_at: interlog_model::Timestamp,
}

/// What it takes to create a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    pub key: String,
    pub name: String,
    pub time_zone: String,
    pub country_code: Option<String>,
    pub aliases: Vec<(String, String)>,
}

impl NewTenant {
    /// The tenant this is once the store has given it `id`, created at `created_at`.
    pub fn stored(self, id: i64, created_at: interlog_model::Timestamp) -> Tenant {
        Tenant {
            id,
            key: self.key,
            name: self.name,
            time_zone: self.time_zone,
            country_code: self.country_code,
            aliases: self.aliases,
            created_at,
        }
    }
}

/// Whether `key` can name a tenant: 1–63 characters of `a-z 0-9 -`, starting with a letter
/// or digit.
pub fn is_valid_tenant_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 63
        && !key.starts_with('-')
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What a credential may do within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientRole {
    /// Read engagements.
    Reader,
    /// Read and write engagements.
    Agent,
    /// Everything, including deletes and tenant configuration.
    Admin,
}

impl ClientRole {
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientRole::Reader => "reader",
            ClientRole::Agent => "agent",
            ClientRole::Admin => "admin",
        }
    }

    /// Whether this role includes everything `needed` allows.
    pub fn allows(self, needed: ClientRole) -> bool {
        self >= needed
    }
}

impl fmt::Display for ClientRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClientRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reader" => Ok(ClientRole::Reader),
            "agent" => Ok(ClientRole::Agent),
            "admin" => Ok(ClientRole::Admin),
            _ => Err(format!(
                "unknown role {s:?}; accepted: admin, agent, reader"
            )),
        }
    }
}

/// An API client of a tenant (OAuth client credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
    pub tenant_id: i64,
    /// PHC string (argon2id) of the secret.
    pub secret_hash: String,
    pub role: ClientRole,
    pub scopes: Vec<String>,
    /// The client's further credentials by name, as PHC strings: e.g. an application key
    /// that a dialect asks for beside the token.
    pub credentials: BTreeMap<String, String>,
    pub created_at: interlog_model::Timestamp,
    /// Since when the client is disabled (refused until enabled again), if it is.
    pub disabled_at: Option<interlog_model::Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    pub client_id: String,
    pub secret_hash: String,
    pub role: ClientRole,
    pub scopes: Vec<String>,
    pub credentials: BTreeMap<String, String>,
}

impl NewClient {
    /// The client this is once stored for the tenant `tenant_id` at `created_at`.
    pub fn stored(self, tenant_id: i64, created_at: interlog_model::Timestamp) -> Client {
        Client {
            client_id: self.client_id,
            tenant_id,
            secret_hash: self.secret_hash,
            role: self.role,
            scopes: self.scopes,
            credentials: self.credentials,
            created_at,
            disabled_at: None,
        }
    }
}

/// A person who logs in to a tenant with a username and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub tenant_id: i64,
    pub username: String,
    /// PHC string (argon2id) of the password.
    pub password_hash: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: ClientRole,
    pub created_at: interlog_model::Timestamp,
    /// Since when the user is disabled (refused until enabled again), if they are.
    pub disabled_at: Option<interlog_model::Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: ClientRole,
}

impl NewUser {
    /// The user this is once stored with `id` for the tenant `tenant_id` at `created_at`.
    pub fn stored(self, id: String, tenant_id: i64, created_at: interlog_model::Timestamp) -> User {
        User {
            id,
            tenant_id,
            username: self.username,
            password_hash: self.password_hash,
            email: self.email,
            display_name: self.display_name,
            role: self.role,
            created_at,
            disabled_at: None,
        }
    }
}

/// How a client or user is revoked. Either way every token and session issued to it
/// before is refused from then on, on every instance (see [`Directory::revocations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoke {
    /// Refused until enabled again.
    Disable,
    /// Gone.
    Delete,
}

/// One revocation: a subject (client id or user id) of a tenant, and when it was last
/// revoked (epoch milliseconds). Credentials it was issued before then are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub subject: String,
    pub tenant_id: i64,
    pub revoked_at: i64,
}

/// Tenants and the credentials that act for them.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Creates a tenant; [`crate::StoreError::Conflict`] when the key or an alias is taken.
    async fn create_tenant(&self, tenant: NewTenant) -> Result<Tenant>;
    async fn tenant(&self, key: &str) -> Result<Option<Tenant>>;
    async fn tenant_by_id(&self, id: i64) -> Result<Option<Tenant>>;
    /// The tenant that answers to `alias` in the namespace `dialect`.
    async fn tenant_by_alias(&self, dialect: &str, alias: &str) -> Result<Option<Tenant>>;
    async fn tenants(&self) -> Result<Vec<Tenant>>;

    /// Stores an API client; the secrets arrive already hashed.
    async fn create_client(&self, tenant: &Tenant, client: NewClient) -> Result<Client>;
    /// Looks a client up by its id, which is unique across tenants.
    async fn client(&self, client_id: &str) -> Result<Option<Client>>;

    /// Stores a user; the password arrives already hashed. [`crate::StoreError::Conflict`]
    /// when the tenant already has that username.
    async fn create_user(&self, tenant: &Tenant, user: NewUser) -> Result<User>;
    async fn user(&self, tenant: &Tenant, username: &str) -> Result<Option<User>>;

    /// The tenant's API clients, by id.
    async fn clients(&self, tenant: &Tenant) -> Result<Vec<Client>>;
    /// The tenant's users, by username.
    async fn users(&self, tenant: &Tenant) -> Result<Vec<User>>;

    /// Disables or deletes a client of the tenant and, in the same transaction, records
    /// the revocation (moving the epoch) and removes the expiring records it owns
    /// (sessions, refresh tokens); false when the tenant has no such client.
    async fn revoke_client(&self, tenant: &Tenant, client_id: &str, how: Revoke) -> Result<bool>;
    /// The same for a user, by username.
    async fn revoke_user(&self, tenant: &Tenant, username: &str, how: Revoke) -> Result<bool>;
    /// Enables a disabled client again (what it was issued before stays revoked); false
    /// when the tenant has no such client.
    async fn enable_client(&self, tenant: &Tenant, client_id: &str) -> Result<bool>;
    async fn enable_user(&self, tenant: &Tenant, username: &str) -> Result<bool>;

    /// A number that changes whenever a revocation is recorded: cheap to read often.
    async fn revocation_epoch(&self) -> Result<i64>;
    /// Every revocation recorded, with the epoch they are as of.
    async fn revocations(&self) -> Result<(i64, Vec<Revocation>)>;

    /// Deletes the tenant and everything it holds, in every table, in one transaction,
    /// revoking its clients and users first (their revocations outlive the tenant). Delete
    /// a large tenant's engagements in batches before: this transaction takes the rest.
    async fn delete_tenant(&self, tenant: &Tenant) -> Result<()>;
}
