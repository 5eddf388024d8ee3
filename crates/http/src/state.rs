//! What every handler shares: the store, the signer, the tenant cache, and the
//! configuration.

use crate::aliases::TenantIdShape;
use crate::auth::guard::{CredentialGuard, GuardLimits};
use crate::auth::revocation::Revocations;
use crate::auth::schemes::bearer_token;
use crate::auth::signer::Signer;
use crate::auth::throttle::FailureThrottle;
use crate::auth::token::{now_secs, Claims};
use crate::bulk_streams::BulkStreams;
use crate::connector::ConnectorKind;
use crate::error::{ApiError, ApiResult};
use crate::formats::Formats;
use crate::heavy::{HeavyLimits, HeavyWork};
use crate::metrics::Exposition;
use crate::record_link::RecordLinkFn;
use axum::http::HeaderMap;
use interlog_store::{ClientRole, Store, Tenant};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The API layer's configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Lifetime of access tokens from the native token endpoint, in seconds.
    pub token_ttl_secs: i64,
    /// Largest request body, except the bulk ingest stream (413 above it).
    pub max_body_bytes: usize,
    /// Largest bulk ingest stream.
    pub max_bulk_bytes: usize,
    /// Largest line of a bulk ingest stream.
    pub max_line_bytes: usize,
    /// Bulk ingest streams taken at once (see [`crate::bulk_streams`]).
    pub bulk_streams: usize,
    /// Whether and where Prometheus metrics are served.
    pub metrics: MetricsServing,
    /// Lifetime of an explorer session without use, in seconds.
    pub ui_session_ttl_secs: i64,
    /// Whether explorer cookies are always `Secure` (else only for requests that arrived
    /// over TLS at a proxy, which says so with `X-Forwarded-Proto: https`).
    pub ui_secure_cookies: bool,
    /// The bounds on credential checks (see [`crate::auth::guard`]).
    pub credential_limits: GuardLimits,
    /// How webhooks are delivered.
    pub webhooks: WebhookConfig,
    /// The turns of heavy work (see [`crate::heavy`]).
    pub heavy: HeavyLimits,
    /// Where export files go, how long they are kept, how much a tenant may hold.
    pub exports: ExportConfig,
    /// How long the native listing's `count=exact` counts before it answers with a lower
    /// bound (`total_at_least`) instead of `total`.
    pub count_budget: std::time::Duration,
}

/// Whether and where `/metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsServing {
    /// No metrics layer and no endpoint.
    Off,
    /// `GET /metrics` beside the APIs.
    WithApi,
    /// `GET /metrics` on a listener of its own (`metrics_listen`).
    OwnListener,
}

/// How webhooks are delivered (`[webhooks]` in the config file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Allow targets on loopback, private and link-local addresses.
    pub allow_private_targets: bool,
    /// Time a receiver has to answer.
    pub timeout: std::time::Duration,
    /// The first retry's delay; each further one doubles, up to `retry_cap`.
    pub retry_base: std::time::Duration,
    pub retry_cap: std::time::Duration,
    /// A webhook failing for this long is disabled.
    pub give_up_after: std::time::Duration,
    pub max_per_tenant: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            allow_private_targets: false,
            timeout: std::time::Duration::from_secs(10),
            retry_base: std::time::Duration::from_secs(1),
            retry_cap: std::time::Duration::from_secs(60),
            give_up_after: std::time::Duration::from_secs(24 * 3600),
            max_per_tenant: 20,
        }
    }
}

/// Export files (`export_dir`, `export_ttl_secs`, `export_quota_bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportConfig {
    /// The directory of export files (a directory of each tenant's inside it); by default
    /// `exports` in the data directory. With several instances, one directory they share.
    pub dir: std::path::PathBuf,
    /// How long a finished export's file is kept.
    pub ttl: std::time::Duration,
    /// Most bytes of export files one tenant may hold at once.
    pub quota_bytes: u64,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            dir: std::path::PathBuf::from("interlog-data/exports"),
            ttl: std::time::Duration::from_secs(24 * 3600),
            quota_bytes: 10 << 30,
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            token_ttl_secs: 3600,
            max_body_bytes: 4 * 1024 * 1024,
            max_bulk_bytes: 4 * 1024 * 1024 * 1024,
            max_line_bytes: 1024 * 1024,
            bulk_streams: 2,
            metrics: MetricsServing::WithApi,
            ui_session_ttl_secs: 8 * 3600,
            ui_secure_cookies: false,
            credential_limits: Default::default(),
            webhooks: Default::default(),
            heavy: Default::default(),
            exports: Default::default(),
            count_budget: std::time::Duration::from_millis(75),
        }
    }
}

/// Shared state of the running API.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    pub signer: Signer,
    pub config: Arc<ApiConfig>,
    pub throttle: Arc<FailureThrottle>,
    /// Bounds the credential checks clients can cause.
    pub guard: Arc<CredentialGuard>,
    /// The turns of heavy work.
    pub heavy: Arc<HeavyWork>,
    /// The bulk ingest streams running.
    pub bulk_streams: Arc<BulkStreams>,
    /// The ingest formats this server accepts.
    pub formats: Arc<Formats>,
    /// The connector kinds this server runs, by name.
    pub connectors: Arc<[&'static ConnectorKind]>,
    /// What `/metrics` renders.
    pub exposition: Arc<Exposition>,
    /// How each API served reads one engagement, by API, in the order they are served.
    pub record_links: Arc<[(&'static str, RecordLinkFn)]>,
    /// The tenant id shape of each dialect served, by name.
    tenant_ids: Arc<HashMap<&'static str, TenantIdShape>>,
    tenants: Arc<RwLock<HashMap<String, Arc<Tenant>>>>,
    /// This instance's copy of the revoked clients and users.
    revocations: Arc<Revocations>,
}

/// What the state knows of the APIs served.
pub(crate) struct Served {
    pub formats: Formats,
    pub connectors: Vec<&'static ConnectorKind>,
    /// Each dialect's tenant id shape, by name.
    pub tenant_ids: HashMap<&'static str, TenantIdShape>,
    pub record_links: Vec<(&'static str, RecordLinkFn)>,
}

/// A caller allowed into a tenant.
#[derive(Debug, Clone)]
pub struct Admission {
    pub tenant: Arc<Tenant>,
    pub claims: Claims,
}

impl ApiState {
    /// The state of an app serving what `served` says (see [`crate::builder::ApisBuilder`]).
    pub(crate) fn new(
        store: Arc<dyn Store>,
        signer: Signer,
        config: ApiConfig,
        served: Served,
    ) -> Self {
        ApiState {
            store,
            signer,
            guard: Arc::new(CredentialGuard::new(config.credential_limits)),
            heavy: Arc::new(HeavyWork::new(config.heavy)),
            bulk_streams: Arc::new(BulkStreams::new(config.bulk_streams)),
            config: Arc::new(config),
            throttle: Arc::default(),
            formats: Arc::new(served.formats),
            connectors: served.connectors.into(),
            exposition: Arc::default(),
            record_links: served.record_links.into(),
            tenant_ids: Arc::new(served.tenant_ids),
            tenants: Arc::default(),
            revocations: Arc::default(),
        }
    }

    /// The connector kind named `name`, if this server runs it.
    pub fn connector_kind(&self, name: &str) -> Option<&'static ConnectorKind> {
        self.connectors.iter().copied().find(|k| k.name == name)
    }

    /// The tenant a dialect's client names `name`: the tenant with that alias in the
    /// dialect, else the tenant whose key it is (ignoring case) when it has the vendor's
    /// shape of a tenant id.
    pub async fn tenant_in(&self, dialect: &str, name: &str) -> ApiResult<Option<Arc<Tenant>>> {
        if let Some(t) = self.store.tenant_by_alias(dialect, name).await? {
            return Ok(Some(self.cached(t)));
        }
        let shaped = self
            .tenant_ids
            .get(dialect)
            .is_some_and(|shape| (shape.accepts)(name));
        if !shaped {
            return Ok(None);
        }
        let key = name.to_ascii_lowercase();
        if !interlog_store::is_valid_tenant_key(&key) {
            return Ok(None);
        }
        self.tenant(&key).await
    }

    fn cached(&self, t: Tenant) -> Arc<Tenant> {
        let t = Arc::new(t);
        self.tenants
            .write()
            .expect("tenant cache")
            .insert(t.key.clone(), t.clone());
        t
    }

    /// The tenant with this key. Found ones are cached until a revocation is seen (deleting
    /// a tenant revokes its clients and users); misses are not, so a tenant created
    /// meanwhile (e.g. by the CLI) is found.
    pub async fn tenant(&self, key: &str) -> ApiResult<Option<Arc<Tenant>>> {
        if let Some(t) = self.tenants.read().expect("tenant cache").get(key) {
            return Ok(Some(t.clone()));
        }
        let Some(t) = self.store.tenant(key).await? else {
            return Ok(None);
        };
        Ok(Some(self.cached(t)))
    }

    /// The claims of a valid, unexpired bearer token in `headers`.
    pub fn bearer(&self, headers: &HeaderMap) -> ApiResult<Claims> {
        let token = bearer_token(headers).ok_or_else(ApiError::unauthorized)?;
        let claims: Claims = self
            .signer
            .verify_jwt(token)
            .map_err(|_| ApiError::unauthorized())?;
        if claims.is_expired(now_secs()) {
            return Err(ApiError::unauthorized());
        }
        Ok(claims)
    }

    /// Whether what was issued to `subject` (a client or user id) at `issued_at_ms` was
    /// revoked since (see [`crate::auth::revocation`]): every API refuses such a token or
    /// session as it refuses a wrong one.
    pub async fn is_revoked(&self, subject: &str, issued_at_ms: i64) -> ApiResult<bool> {
        let checked = self
            .revocations
            .check(self.store.as_ref(), subject, issued_at_ms)
            .await?;
        if checked.changed {
            self.tenants.write().expect("tenant cache").clear();
        }
        Ok(checked.revoked)
    }

    /// Refuses (401) a token whose subject was revoked after it was issued.
    pub async fn check_not_revoked(&self, claims: &Claims) -> ApiResult<()> {
        if self
            .is_revoked(&claims.sub, claims.iat.saturating_mul(1000))
            .await?
        {
            return Err(ApiError::unauthorized());
        }
        Ok(())
    }

    /// Lets `claims` act in `tenant_key` with at least `role`. A token of another tenant
    /// gets 404, as if the tenant were not there; a revoked one 401.
    pub async fn admit(
        &self,
        claims: Claims,
        tenant_key: &str,
        role: ClientRole,
    ) -> ApiResult<Admission> {
        self.check_not_revoked(&claims).await?;
        if claims.tenant != tenant_key {
            return Err(ApiError::not_found(format!("no tenant {tenant_key}")));
        }
        let tenant = self
            .tenant(tenant_key)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no tenant {tenant_key}")))?;
        if !claims.role.allows(role) {
            return Err(ApiError::forbidden(format!("this needs the {role} role")));
        }
        Ok(Admission { tenant, claims })
    }
}
