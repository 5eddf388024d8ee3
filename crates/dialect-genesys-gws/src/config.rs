//! The dialect's configuration. Every key has a default that matches Genesys Web Services; the
//! server reads overrides from `INTERLOG_GWS_*` environment variables (see the README).

use std::collections::HashMap;
use std::time::Duration;

/// The Genesys Web Services dialect's configuration.
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

/// The keys of `[dialects.genesys_gws]`.
pub const CONFIG_KEYS: &[interlog_http::ConfigKey] = &[
    interlog_http::ConfigKey {
        key: "csrf",
        env: Some("INTERLOG_GWS_CSRF"),
        default: "true",
        doc: "GWS's enableCsrfProtection: POST, PUT and DELETE need the session cookie and\nthe X-CSRF-TOKEN header the session's GET responses carry.",
    },
    interlog_http::ConfigKey {
        key: "default_tenant",
        env: Some("INTERLOG_GWS_DEFAULT_TENANT"),
        default: "\"\"",
        doc: "The tenant of a Basic login that names none (\"username\" rather than\n\"tenant/username\"). Empty: such logins fail.",
    },
    interlog_http::ConfigKey {
        key: "session_ttl_secs",
        env: Some("INTERLOG_GWS_SESSION_TTL_SECS"),
        default: "1800",
        doc: "How long a session lives without being used, in seconds.",
    },
    interlog_http::ConfigKey {
        key: "secure_cookie",
        env: Some("INTERLOG_GWS_SECURE_COOKIE"),
        default: "false",
        doc: "Adds Secure to the JSESSIONID cookie (set it when Interlog is served over HTTPS).",
    },
    interlog_http::ConfigKey {
        key: "base_url",
        env: Some("INTERLOG_GWS_BASE_URL"),
        default: "\"\"",
        doc: "Scheme, host and context path of `uri` values, e.g. \"https://gws.example.com\".\nEmpty: http:// and the request's Host.",
    },
    interlog_http::ConfigKey {
        key: "hot_window_days",
        env: Some("INTERLOG_GWS_HOT_WINDOW_DAYS"),
        default: "365",
        doc: "Engagements that started longer ago than this many days are in source=archive.",
    },
    interlog_http::ConfigKey {
        key: "tenant_hot_window_days",
        env: Some("INTERLOG_GWS_TENANT_HOT_WINDOW_DAYS"),
        default: "{}",
        doc: "Per-tenant hot windows in days, e.g. { acme = 90 } (environment: acme=90,other=30).",
    },
    interlog_http::ConfigKey {
        key: "max_size_limit",
        env: Some("INTERLOG_GWS_MAX_SIZE_LIMIT"),
        default: "1000",
        doc: "The largest maxSize accepted (and what RetrieveContactHistory returns at most).",
    },
    interlog_http::ConfigKey {
        key: "connect_timeout_ms",
        env: Some("INTERLOG_GWS_CONNECT_TIMEOUT_MS"),
        default: "30000",
        doc: "How long a CometD /meta/connect is held when there is nothing to deliver, in\nmilliseconds (CometD's `timeout`).",
    },
    interlog_http::ConfigKey {
        key: "max_interval_ms",
        env: Some("INTERLOG_GWS_MAX_INTERVAL_MS"),
        default: "10000",
        doc: "How long a CometD client may go without a /meta/connect before it is dropped, in\nmilliseconds (CometD's `maxInterval`).",
    },
    interlog_http::ConfigKey {
        key: "max_clients",
        env: Some("INTERLOG_GWS_MAX_CLIENTS"),
        default: "100000",
        doc: "CometD clients in this process, across every session.",
    },
    interlog_http::ConfigKey {
        key: "max_clients_per_session",
        env: Some("INTERLOG_GWS_MAX_CLIENTS_PER_SESSION"),
        default: "16",
        doc: "CometD clients of one session (browser tabs of one login).",
    },
    interlog_http::ConfigKey {
        key: "max_concurrent_operations",
        env: Some("INTERLOG_GWS_MAX_CONCURRENT_OPERATIONS"),
        default: "32",
        doc: "History operations running at once; further POSTs wait for a slot.",
    },
];

impl GwsConfig {
    /// The defaults with the section's values applied.
    pub fn from_section(
        v: &interlog_http::ConfigSection,
    ) -> Result<GwsConfig, interlog_http::ConfigValueError> {
        const DAY: u64 = 24 * 3600;
        let mut c = GwsConfig::default();
        if let Some(b) = v.flag("csrf")? {
            c.csrf = b;
        }
        if let Some(t) = v.text("default_tenant")? {
            c.default_tenant = Some(t).filter(|t| !t.is_empty());
        }
        if let Some(d) = v.seconds("session_ttl_secs", 1..=30 * DAY)? {
            c.session_ttl = d;
        }
        if let Some(b) = v.flag("secure_cookie")? {
            c.secure_cookie = b;
        }
        if let Some(url) = v.text("base_url")? {
            let url = url.trim_end_matches('/').to_owned();
            if url.is_empty() {
                c.base_url = None;
            } else if url.starts_with("http://") || url.starts_with("https://") {
                c.base_url = Some(url);
            } else {
                return Err(v.invalid("base_url", "must start with http:// or https://"));
            }
        }
        if let Some(days) = v.number("hot_window_days", 1..=99_999)? {
            c.hot_window = Duration::from_secs(days * DAY);
        }
        if let Some(table) = v.table("tenant_hot_window_days")? {
            for (tenant, days) in table {
                let days = days
                    .parse::<u64>()
                    .ok()
                    .filter(|d| (1..=99_999).contains(d))
                    .ok_or_else(|| {
                        v.invalid(
                            "tenant_hot_window_days",
                            format!("{tenant}: must be a whole number of days"),
                        )
                    })?;
                c.tenant_hot_windows
                    .insert(tenant, Duration::from_secs(days * DAY));
            }
        }
        if let Some(n) = v.number("max_size_limit", 1..=100_000)? {
            c.max_size_limit = n as u32;
        }
        if let Some(ms) = v.number("connect_timeout_ms", 100..=600_000)? {
            c.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = v.number("max_interval_ms", 100..=3_600_000)? {
            c.max_interval = Duration::from_millis(ms);
        }
        if let Some(n) = v.number("max_clients", 1..=10_000_000)? {
            c.max_clients = n as usize;
        }
        if let Some(n) = v.number("max_clients_per_session", 1..=1000)? {
            c.max_clients_per_session = n as usize;
        }
        if let Some(n) = v.number("max_concurrent_operations", 1..=10_000)? {
            c.max_concurrent_operations = n as usize;
        }
        Ok(c)
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
    use interlog_http::ConfigSection;
    use serde_json::json;

    #[test]
    fn the_section_and_the_environment_override_defaults_and_bad_values_are_errors() {
        let mut v = ConfigSection::new("dialects.genesys_gws");
        v.set_env("csrf", "INTERLOG_GWS_CSRF", "false".into());
        v.set_file("default_tenant", json!("acme"));
        v.set_file("hot_window_days", json!(90));
        v.set_env(
            "tenant_hot_window_days",
            "INTERLOG_GWS_TENANT_HOT_WINDOW_DAYS",
            "acme=7, other=30".into(),
        );
        v.set_file("base_url", json!("https://gws.example.com/"));
        let c = GwsConfig::from_section(&v).unwrap();
        assert!(!c.csrf);
        assert_eq!(c.default_tenant.as_deref(), Some("acme"));
        assert_eq!(c.hot_window_of("x"), Duration::from_secs(90 * 86400));
        assert_eq!(c.hot_window_of("acme"), Duration::from_secs(7 * 86400));
        assert_eq!(c.hot_window_of("other"), Duration::from_secs(30 * 86400));
        assert_eq!(c.base_url.as_deref(), Some("https://gws.example.com"));

        let bad = |key: &str, value: serde_json::Value| {
            let mut v = ConfigSection::new("dialects.genesys_gws");
            v.set_file(key, value);
            GwsConfig::from_section(&v).unwrap_err().to_string()
        };
        assert!(bad("csrf", json!("maybe")).starts_with("[dialects.genesys_gws] csrf"));
        assert!(bad("hot_window_days", json!(0)).contains("hot_window_days"));
        assert!(bad("base_url", json!("ftp://x")).contains("base_url"));
        assert!(
            GwsConfig::from_section(&ConfigSection::new("x"))
                .unwrap()
                .csrf
        );
    }
}
