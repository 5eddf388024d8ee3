//! The dialect's settings. Every one has a default that matches Genesys Web Services; the
//! server reads overrides from `INTERLOG_GWS_*` environment variables (see the README).

use std::collections::HashMap;
use std::time::Duration;

/// Settings of the Genesys Web Services dialect.
#[derive(Debug, Clone)]
pub struct GwsConfig {
    /// GWS's `enableCsrfProtection`: POST, PUT and DELETE need the session cookie and the
    /// `X-CSRF-TOKEN` header the session's GET responses carry.
    pub csrf: bool,
    /// The tenant of a Basic login that names no tenant (`username` rather than
    /// `tenant/username`). Without one such logins fail.
    pub default_tenant: Option<String>,
    /// How long a session lives without being used.
    pub session_ttl: Duration,
    /// Adds `Secure` to the `JSESSIONID` cookie (set it when Interlog is served over HTTPS).
    pub secure_cookie: bool,
    /// The scheme, host and context path of `uri` values, e.g. `https://gws.example.com`.
    /// Without it, `http://` and the request's `Host`.
    pub base_url: Option<String>,
    /// Engagements that started longer ago than this are in `source=archive`; newer ones in
    /// `main`. Per tenant in `tenant_hot_windows`.
    pub hot_window: Duration,
    /// Per-tenant hot windows (tenant key → window), overriding `hot_window`.
    pub tenant_hot_windows: HashMap<String, Duration>,
    /// The largest `maxSize` accepted (and what RetrieveContactHistory, which has no
    /// `maxSize` in GWS, returns at most).
    pub max_size_limit: u32,
    /// How long a CometD `/meta/connect` is held when there is nothing to deliver.
    pub connect_timeout: Duration,
    /// How long a CometD client may go without a `/meta/connect` before it is dropped.
    pub max_interval: Duration,
    /// CometD clients in this process, across every session.
    pub max_clients: usize,
    /// CometD clients of one session (browser tabs of one login).
    pub max_clients_per_session: usize,
    /// Notifications waiting for one client's next connect; the oldest go first.
    pub max_queue_messages: usize,
    /// Bytes of notifications waiting for one client.
    pub max_queue_bytes: usize,
    /// History operations running at once; further POSTs wait for a slot.
    pub max_concurrent_operations: usize,
}

impl Default for GwsConfig {
    fn default() -> Self {
        GwsConfig {
            csrf: true,
            default_tenant: None,
            session_ttl: Duration::from_secs(30 * 60),
            secure_cookie: false,
            base_url: None,
            hot_window: Duration::from_secs(365 * 24 * 3600),
            tenant_hot_windows: HashMap::new(),
            max_size_limit: 1000,
            connect_timeout: Duration::from_secs(30),
            max_interval: Duration::from_secs(10),
            max_clients: 100_000,
            max_clients_per_session: 16,
            max_queue_messages: 64,
            max_queue_bytes: 8 * 1024 * 1024,
            max_concurrent_operations: 32,
        }
    }
}

/// A setting in the environment that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError(pub String);

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EnvError {}

impl GwsConfig {
    /// The defaults with the `INTERLOG_GWS_*` variables of `vars` applied.
    pub fn from_vars(vars: impl Fn(&str) -> Option<String>) -> Result<GwsConfig, EnvError> {
        let mut c = GwsConfig::default();
        let flag = |name: &str, v: &str| match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(EnvError(format!("{name} must be true or false, not {v:?}"))),
        };
        let secs = |name: &str, v: &str| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| EnvError(format!("{name} must be a positive whole number")))
        };
        let days = |name: &str, v: &str| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0 && *n < 100_000)
                .map(|d| Duration::from_secs(d * 24 * 3600))
                .ok_or_else(|| EnvError(format!("{name} must be a whole number of days")))
        };
        if let Some(v) = vars("INTERLOG_GWS_CSRF") {
            c.csrf = flag("INTERLOG_GWS_CSRF", &v)?;
        }
        if let Some(v) = vars("INTERLOG_GWS_DEFAULT_TENANT") {
            c.default_tenant = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = vars("INTERLOG_GWS_SESSION_TTL_SECS") {
            c.session_ttl = secs("INTERLOG_GWS_SESSION_TTL_SECS", &v)?;
        }
        if let Some(v) = vars("INTERLOG_GWS_SECURE_COOKIE") {
            c.secure_cookie = flag("INTERLOG_GWS_SECURE_COOKIE", &v)?;
        }
        if let Some(v) = vars("INTERLOG_GWS_BASE_URL") {
            let v = v.trim_end_matches('/').to_owned();
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                return Err(EnvError(
                    "INTERLOG_GWS_BASE_URL must start with http:// or https://".into(),
                ));
            }
            c.base_url = Some(v);
        }
        if let Some(v) = vars("INTERLOG_GWS_HOT_WINDOW_DAYS") {
            c.hot_window = days("INTERLOG_GWS_HOT_WINDOW_DAYS", &v)?;
        }
        if let Some(v) = vars("INTERLOG_GWS_TENANT_HOT_WINDOW_DAYS") {
            for pair in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (tenant, d) = pair.split_once('=').ok_or_else(|| {
                    EnvError("INTERLOG_GWS_TENANT_HOT_WINDOW_DAYS must be tenant=days,…".into())
                })?;
                let window = days("INTERLOG_GWS_TENANT_HOT_WINDOW_DAYS", d.trim())?;
                c.tenant_hot_windows
                    .insert(tenant.trim().to_owned(), window);
            }
        }
        if let Some(v) = vars("INTERLOG_GWS_CONNECT_TIMEOUT_SECS") {
            c.connect_timeout = secs("INTERLOG_GWS_CONNECT_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = vars("INTERLOG_GWS_MAX_INTERVAL_SECS") {
            c.max_interval = secs("INTERLOG_GWS_MAX_INTERVAL_SECS", &v)?;
        }
        Ok(c)
    }

    /// The defaults with the process environment applied.
    pub fn from_env() -> Result<GwsConfig, EnvError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The hot window of a tenant.
    pub fn hot_window_of(&self, tenant_key: &str) -> Duration {
        self.tenant_hot_windows
            .get(tenant_key)
            .copied()
            .unwrap_or(self.hot_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_errors() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = GwsConfig::from_vars(vars(&[
            ("INTERLOG_GWS_CSRF", "false"),
            ("INTERLOG_GWS_DEFAULT_TENANT", "acme"),
            ("INTERLOG_GWS_HOT_WINDOW_DAYS", "90"),
            ("INTERLOG_GWS_TENANT_HOT_WINDOW_DAYS", "acme=7, other=30"),
            ("INTERLOG_GWS_BASE_URL", "https://gws.example.com/"),
        ]))
        .unwrap();
        assert!(!c.csrf);
        assert_eq!(c.default_tenant.as_deref(), Some("acme"));
        assert_eq!(c.hot_window_of("x"), Duration::from_secs(90 * 86400));
        assert_eq!(c.hot_window_of("acme"), Duration::from_secs(7 * 86400));
        assert_eq!(c.hot_window_of("other"), Duration::from_secs(30 * 86400));
        assert_eq!(c.base_url.as_deref(), Some("https://gws.example.com"));
        assert!(GwsConfig::from_vars(vars(&[("INTERLOG_GWS_CSRF", "maybe")])).is_err());
        assert!(GwsConfig::from_vars(vars(&[("INTERLOG_GWS_HOT_WINDOW_DAYS", "0")])).is_err());
        assert!(GwsConfig::from_vars(vars(&[("INTERLOG_GWS_BASE_URL", "ftp://x")])).is_err());
        assert!(GwsConfig::from_vars(|_| None).unwrap().csrf);
    }
}
