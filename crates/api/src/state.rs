//! What every handler shares: the store, the signer, the tenant cache, and the settings.

use crate::auth::{Claims, FailureThrottle, Signer};
use crate::error::{ApiError, ApiResult};
use axum::http::{header, HeaderMap};
use interlog_store::{ClientRole, Store, Tenant};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Settings of the API layer.
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
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            token_ttl_secs: 3600,
            max_body_bytes: 4 * 1024 * 1024,
            max_bulk_bytes: 4 * 1024 * 1024 * 1024,
            max_line_bytes: 1024 * 1024,
        }
    }
}

/// Shared state of the running API.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub signer: Signer,
    pub config: Arc<ApiConfig>,
    pub throttle: Arc<FailureThrottle>,
    /// The ingest formats this server accepts.
    pub formats: Arc<crate::formats::Formats>,
    tenants: Arc<RwLock<HashMap<String, Arc<Tenant>>>>,
}

/// A caller allowed into a tenant.
#[derive(Debug, Clone)]
pub struct Access {
    pub tenant: Arc<Tenant>,
    pub claims: Claims,
}

pub fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, signer: Signer, config: ApiConfig) -> Self {
        AppState {
            store,
            signer,
            config: Arc::new(config),
            throttle: Arc::default(),
            formats: Arc::default(),
            tenants: Arc::default(),
        }
    }

    /// The same state accepting these ingest formats.
    pub fn with_formats(mut self, formats: crate::formats::Formats) -> Self {
        self.formats = Arc::new(formats);
        self
    }

    /// The tenant with this key. Tenants are never deleted, so found ones are cached;
    /// misses are not, so a tenant created meanwhile (e.g. by the CLI) is found.
    pub async fn tenant(&self, key: &str) -> ApiResult<Option<Arc<Tenant>>> {
        if let Some(t) = self.tenants.read().expect("tenant cache").get(key) {
            return Ok(Some(t.clone()));
        }
        let Some(t) = self.store.tenant(key).await? else {
            return Ok(None);
        };
        let t = Arc::new(t);
        self.tenants
            .write()
            .expect("tenant cache")
            .insert(key.to_owned(), t.clone());
        Ok(Some(t))
    }

    /// The claims of a valid, unexpired bearer token in `headers`.
    pub fn bearer(&self, headers: &HeaderMap) -> ApiResult<Claims> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let claims: Claims = self
            .signer
            .verify_jwt(token.trim())
            .map_err(|_| ApiError::unauthorized())?;
        if claims.is_expired(now_secs()) {
            return Err(ApiError::unauthorized());
        }
        Ok(claims)
    }

    /// Checks that the bearer may act in `tenant_key` with at least `role`. A token of
    /// another tenant gets 404, as if the tenant were not there.
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        tenant_key: &str,
        role: ClientRole,
    ) -> ApiResult<Access> {
        let claims = self.bearer(headers)?;
        self.admit(claims, tenant_key, role).await
    }

    /// [`AppState::authorize`] for claims already read.
    pub async fn admit(
        &self,
        claims: Claims,
        tenant_key: &str,
        role: ClientRole,
    ) -> ApiResult<Access> {
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
        Ok(Access { tenant, claims })
    }
}
