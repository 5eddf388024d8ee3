//! Settings, from lowest to highest precedence: built-in defaults, the config file, the
//! environment (`INTERLOG_…`), and command-line flags. Unknown keys in the file are
//! warned about; a value that cannot be used is an error naming it, the same way for the
//! server's own settings and for every dialect's section (`[dialects.NAME]`).

use crate::store_url::StoreUrl;
use interlog_http::{ApiConfig, ConfigSection, ConfigValueError, MetricsServing};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The top of the default config file.
const HEADER: &str = "\
# Interlog configuration.
#
# Precedence, lowest first: these defaults, this file, environment variables
# (INTERLOG_LISTEN, INTERLOG_DATA, …), then command-line flags. Unknown keys are warned
# about at start-up. `interlog serve --config FILE` reads a file; without it,
# `<data>/interlog.toml` is read when present.
";

/// One of the server's own settings: its key in the config file, the environment variable
/// that overrides it, the value `interlog config` shows, and what it does. The keys a file
/// may hold, the variables read and the printed default file all come from
/// [`CORE_SETTINGS`] and [`WEBHOOK_SETTINGS`].
struct CoreSetting {
    key: &'static str,
    env: &'static str,
    /// The command-line flag of `serve` that overrides both, if any.
    flag: Option<&'static str>,
    shown: Shown,
    /// What it does, in a few lines; empty for a setting documented by the one before it.
    doc: &'static str,
}

/// The value shown (commented out) for a setting, as TOML.
enum Shown {
    /// The value it has when nothing sets it.
    Default(&'static str),
    /// An example: its default is none, or derived (as its doc says).
    Example(&'static str),
}

impl CoreSetting {
    const fn new(key: &'static str, env: &'static str, shown: Shown, doc: &'static str) -> Self {
        CoreSetting {
            key,
            env,
            flag: None,
            shown,
            doc,
        }
    }

    const fn flag(self, flag: &'static str) -> Self {
        CoreSetting {
            flag: Some(flag),
            ..self
        }
    }

    fn shown(&self) -> &'static str {
        match self.shown {
            Shown::Default(v) | Shown::Example(v) => v,
        }
    }
}

/// The server's own settings, at the top level of the file, in the order they are shown.
const CORE_SETTINGS: &[CoreSetting] = &[
    CoreSetting::new(
        "listen",
        "INTERLOG_LISTEN",
        Shown::Default("\"127.0.0.1:8080\""),
        "Address to listen on.",
    )
    .flag("--listen"),
    CoreSetting::new(
        "data",
        "INTERLOG_DATA",
        Shown::Default("\"./interlog-data\""),
        "Data directory: the token signing key (signing.key) and, by default, the SQLite\n\
         database (interlog.db) live here.",
    )
    .flag("--data"),
    CoreSetting::new(
        "store",
        "INTERLOG_STORE",
        Shown::Example("\"sqlite://./interlog-data/interlog.db\""),
        "The store, by URL: \"sqlite://PATH\" for the embedded database (the default is\n\
         sqlite://<data>/interlog.db).",
    )
    .flag("--store"),
    CoreSetting::new(
        "log_format",
        "INTERLOG_LOG_FORMAT",
        Shown::Default("\"text\""),
        "Log output: \"text\" for people, \"json\" for log collectors.",
    )
    .flag("--log-format"),
    CoreSetting::new(
        "log_level",
        "INTERLOG_LOG",
        Shown::Default("\"info\""),
        "Log filter, in tracing's EnvFilter syntax.",
    ),
    CoreSetting::new(
        "token_ttl_secs",
        "INTERLOG_TOKEN_TTL_SECS",
        Shown::Default("3600"),
        "Lifetime of access tokens from POST /api/v1/oauth/token, in seconds.",
    ),
    CoreSetting::new(
        "max_body_bytes",
        "INTERLOG_MAX_BODY_BYTES",
        Shown::Default("4194304"),
        "Largest request body in bytes (413 above it). The bulk ingest stream has its own limit.",
    ),
    CoreSetting::new(
        "max_bulk_bytes",
        "INTERLOG_MAX_BULK_BYTES",
        Shown::Default("4294967296"),
        "Largest bulk ingest stream (POST /api/v1/tenants/{tenant}/ingest), in bytes.",
    ),
    CoreSetting::new(
        "bulk_streams",
        "INTERLOG_BULK_STREAMS",
        Shown::Default("2"),
        "Bulk ingest streams taken at once (each holds up to two batches of 2,000 engagements\n\
         in memory); one tenant sends at most bulk_streams - 1 of them (at least 1). A stream\n\
         beyond that is refused before its body is read: 503 (the server's streams are taken)\n\
         or 429 (the tenant's share is), with Retry-After.",
    ),
    CoreSetting::new(
        "signing_key_file",
        "INTERLOG_SIGNING_KEY_FILE",
        Shown::Example("\"/run/secrets/interlog-signing-key\""),
        "A file holding the token signing key (hex, at least 32 bytes). By default a key is\n\
         generated at first start and kept in <data>/signing.key; give every instance that\n\
         serves the same store the same key.",
    ),
    CoreSetting::new(
        "metrics",
        "INTERLOG_METRICS",
        Shown::Default("true"),
        "Prometheus metrics at GET /metrics (true), or none at all (false).",
    ),
    CoreSetting::new(
        "metrics_listen",
        "INTERLOG_METRICS_LISTEN",
        Shown::Example("\"127.0.0.1:9090\""),
        "A separate address for /metrics, e.g. one only the monitoring network reaches. When\n\
         set, /metrics is served there and not on `listen`.",
    ),
    CoreSetting::new(
        "tls_cert",
        "INTERLOG_TLS_CERT",
        Shown::Example("\"/etc/interlog/tls/fullchain.pem\""),
        "Serve HTTPS: the certificate chain (PEM, leaf first) and its private key (PEM), read\n\
         again on SIGHUP so that a renewed certificate needs no restart. Explorer cookies are\n\
         then always Secure. Without them the server speaks plain HTTP: terminate TLS in front\n\
         of it (a reverse proxy) on any network but localhost.",
    ),
    CoreSetting::new(
        "tls_key",
        "INTERLOG_TLS_KEY",
        Shown::Example("\"/etc/interlog/tls/privkey.pem\""),
        "",
    ),
    CoreSetting::new(
        "ui_session_ttl_secs",
        "INTERLOG_UI_SESSION_TTL_SECS",
        Shown::Default("28800"),
        "How long an explorer (/ui) session lasts without use, in seconds; a session used in\n\
         the second half of its life is extended.",
    ),
    CoreSetting::new(
        "ui_secure_cookies",
        "INTERLOG_UI_SECURE_COOKIES",
        Shown::Default("false"),
        "Whether explorer cookies are always marked Secure (they are with tls_cert). Behind a\n\
         proxy that terminates TLS, cookies are Secure for requests the proxy marks with\n\
         `X-Forwarded-Proto: https` even when this is false.",
    ),
    CoreSetting::new(
        "max_connections",
        "INTERLOG_MAX_CONNECTIONS",
        Shown::Example("10000"),
        "Connections served at once; further clients wait in the listen backlog until one closes\n\
         (logged when it happens). Default: 10000, or fewer when the open-file limit is lower.",
    ),
    CoreSetting::new(
        "header_read_timeout_secs",
        "INTERLOG_HEADER_READ_TIMEOUT_SECS",
        Shown::Default("10"),
        "Seconds from a request's first byte to the end of its head; a slower client is closed.",
    ),
    CoreSetting::new(
        "idle_timeout_secs",
        "INTERLOG_IDLE_TIMEOUT_SECS",
        Shown::Default("60"),
        "Seconds a connection with no request in flight may stay silent (idle keep-alive) before\n\
         it is closed. Requests in flight, such as long polls, are not cut.",
    ),
    CoreSetting::new(
        "body_read_timeout_secs",
        "INTERLOG_BODY_READ_TIMEOUT_SECS",
        Shown::Default("30"),
        "Seconds a request body may go without sending anything.",
    ),
    CoreSetting::new(
        "shutdown_grace_secs",
        "INTERLOG_SHUTDOWN_GRACE_SECS",
        Shown::Default("30"),
        "Seconds in-flight requests get to finish on shutdown (SIGTERM) before connections are\n\
         closed.",
    ),
    CoreSetting::new(
        "credential_burst",
        "INTERLOG_CREDENTIAL_BURST",
        Shown::Default("20"),
        "Checking a secret (a token request, a Basic login, an application key) costs an argon2\n\
         hash. Each client address may cause credential_burst failed checks at once, refilled at\n\
         credential_per_minute (a right secret costs nothing from this budget); beyond that it gets\n\
         429 with Retry-After, in the envelope of the API it called. At most one check runs per\n\
         core and credential_queue more wait; beyond that the answer is 503 with Retry-After at\n\
         once. Behind a reverse proxy every client has the proxy's address: raise these\n\
         accordingly.",
    ),
    CoreSetting::new(
        "credential_per_minute",
        "INTERLOG_CREDENTIAL_PER_MINUTE",
        Shown::Default("60"),
        "",
    ),
    CoreSetting::new(
        "credential_queue",
        "INTERLOG_CREDENTIAL_QUEUE",
        Shown::Default("32"),
        "",
    ),
    CoreSetting::new(
        "heavy_slots",
        "INTERLOG_HEAVY_SLOTS",
        Shown::Example("2"),
        "Heavy requests (count=exact, pages of more than 100, change feed reads, exports,\n\
         analytics, the explorer's totals) take turns: heavy_slots run at once (default: one per\n\
         core, at least 2), one tenant holds at most heavy_slots - 1 of them (at least 1), and\n\
         each tenant may have heavy_queue more waiting, served round-robin between tenants; a\n\
         request beyond the queue, or waiting longer than heavy_wait_secs, gets 429 with\n\
         Retry-After. Cheap requests never wait for a turn.",
    ),
    CoreSetting::new(
        "heavy_queue",
        "INTERLOG_HEAVY_QUEUE",
        Shown::Default("8"),
        "",
    ),
    CoreSetting::new(
        "heavy_wait_secs",
        "INTERLOG_HEAVY_WAIT_SECS",
        Shown::Default("10"),
        "",
    ),
    CoreSetting::new(
        "statement_budget_ms",
        "INTERLOG_STATEMENT_BUDGET_MS",
        Shown::Default("5000"),
        "Longest a read may take in the store, in milliseconds; a longer one is stopped and\n\
         answered 503 (naming the cause) in the envelope of the API asked.",
    ),
    CoreSetting::new(
        "count_budget_ms",
        "INTERLOG_COUNT_BUDGET_MS",
        Shown::Default("75"),
        "How long the native list's count=exact and the explorer's totals count, in\n\
         milliseconds, before answering with what they counted so far as a lower bound\n\
         (total_at_least). Totals of start times, states, outcomes, directions and channel\n\
         types come from per-day counts and are exact well within it.",
    ),
    CoreSetting::new(
        "max_page_bytes",
        "INTERLOG_MAX_PAGE_BYTES",
        Shown::Default("16777216"),
        "Most bytes of engagements one page (or change feed read) holds; a page of very large\n\
         engagements ends early, its cursor continuing after the last one it holds.",
    ),
    CoreSetting::new(
        "sqlite_cache_mb",
        "INTERLOG_SQLITE_CACHE_MB",
        Shown::Default("32"),
        "Memory for SQLite's page caches, all connections together, in MiB: the writer takes\n\
         half, the readers share the rest. Past this plus 32 MiB SQLite shrinks its caches\n\
         rather than grow; its own memory is capped at this plus 128 MiB.",
    ),
    CoreSetting::new(
        "change_horizon_days",
        "INTERLOG_CHANGE_HORIZON_DAYS",
        Shown::Default("30"),
        "The change feed keeps tombstones (deletions) this many days; a consumer that fell\n\
         further behind gets 410 and starts again.",
    ),
    CoreSetting::new(
        "maintenance_interval_secs",
        "INTERLOG_MAINTENANCE_INTERVAL_SECS",
        Shown::Default("60"),
        "How often retention sweeps, tombstone trimming and the removal of expired sessions run.",
    ),
    CoreSetting::new(
        "export_dir",
        "INTERLOG_EXPORT_DIR",
        Shown::Example("\"./interlog-data/exports\""),
        "Where export files go (POST /api/v1/tenants/{tenant}/exports), by default exports in\n\
         the data directory. With several instances, a directory they all share.",
    ),
    CoreSetting::new(
        "export_ttl_secs",
        "INTERLOG_EXPORT_TTL_SECS",
        Shown::Default("86400"),
        "How long a finished export's file is kept before it is deleted, in seconds.",
    ),
    CoreSetting::new(
        "export_quota_bytes",
        "INTERLOG_EXPORT_QUOTA_BYTES",
        Shown::Default("10737418240"),
        "Most bytes of export files one tenant may hold at once.",
    ),
];

/// The `[webhooks]` section: webhook deliveries.
const WEBHOOK_SETTINGS: &[CoreSetting] = &[
    CoreSetting::new(
        "allow_private_targets",
        "INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
        Shown::Default("false"),
        "Allow targets on loopback, private and link-local addresses (refused by default).",
    ),
    CoreSetting::new(
        "timeout_secs",
        "INTERLOG_WEBHOOKS_TIMEOUT_SECS",
        Shown::Default("10"),
        "Seconds a receiver has to answer.",
    ),
    CoreSetting::new(
        "retry_base_secs",
        "INTERLOG_WEBHOOKS_RETRY_BASE_SECS",
        Shown::Default("1"),
        "A failed delivery is retried after retry_base_secs, doubling (with jitter) up to\n\
         retry_cap_secs; a webhook still failing after give_up_after_secs is disabled.",
    ),
    CoreSetting::new(
        "retry_cap_secs",
        "INTERLOG_WEBHOOKS_RETRY_CAP_SECS",
        Shown::Default("60"),
        "",
    ),
    CoreSetting::new(
        "give_up_after_secs",
        "INTERLOG_WEBHOOKS_GIVE_UP_AFTER_SECS",
        Shown::Default("86400"),
        "",
    ),
    CoreSetting::new(
        "max_per_tenant",
        "INTERLOG_WEBHOOKS_MAX_PER_TENANT",
        Shown::Default("20"),
        "Webhooks a tenant may register.",
    ),
];

/// The environment variable that overrides the server setting `key` (of [`CORE_SETTINGS`]).
fn env_var(key: &str) -> &'static str {
    CORE_SETTINGS
        .iter()
        .find(|s| s.key == key)
        .map(|s| s.env)
        .unwrap_or_else(|| panic!("{key} is not in CORE_SETTINGS"))
}

/// The commented default config file (`interlog config`): the server's settings and every
/// dialect's section.
pub fn default_file() -> String {
    let mut out = HEADER.to_owned();
    write_settings(&mut out, CORE_SETTINGS, true);
    out.push_str("\n# Webhook deliveries.\n[webhooks]\n");
    write_settings(&mut out, WEBHOOK_SETTINGS, false);
    out.push_str(
        "\n# Each dialect's settings, in its own section. Every one is optional; the values\n\
         # shown are the defaults.\n",
    );
    for d in crate::registry::dialects() {
        out.push('\n');
        out.push_str(&d.config_section());
    }
    out
}

/// Writes `settings` commented out, as the dialects' sections are: what each does (once for
/// a group), the variable (and flag) that overrides it, and its value; `spaced` puts a blank
/// line before each documented one.
fn write_settings(out: &mut String, settings: &[CoreSetting], spaced: bool) {
    for s in settings {
        if !s.doc.is_empty() {
            if spaced {
                out.push('\n');
            }
            for line in s.doc.lines() {
                out.push_str("# ");
                out.push_str(line.trim());
                out.push('\n');
            }
        }
        match s.flag {
            Some(flag) => out.push_str(&format!("# (environment: {}; flag: {flag})\n", s.env)),
            None => out.push_str(&format!("# (environment: {})\n", s.env)),
        }
        out.push_str(&format!("# {} = {}\n", s.key, s.shown()));
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("{s:?}; accepted: text, json")),
        }
    }
}

/// What the command line sets (the highest layer).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    pub store: Option<String>,
    pub config: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is invalid: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Value(#[from] ConfigValueError),
    #[error("{0}")]
    Key(String),
}

/// The settings as a config file may hold them (the keys of [`CORE_SETTINGS`], and the
/// sections).
#[derive(Debug, Clone, Deserialize, Default)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data: Option<PathBuf>,
    store: Option<String>,
    log_format: Option<LogFormat>,
    log_level: Option<String>,
    token_ttl_secs: Option<i64>,
    max_body_bytes: Option<usize>,
    max_bulk_bytes: Option<usize>,
    bulk_streams: Option<usize>,
    signing_key_file: Option<PathBuf>,
    metrics: Option<bool>,
    metrics_listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    ui_session_ttl_secs: Option<i64>,
    ui_secure_cookies: Option<bool>,
    max_connections: Option<usize>,
    header_read_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    body_read_timeout_secs: Option<u64>,
    shutdown_grace_secs: Option<u64>,
    credential_burst: Option<u32>,
    credential_per_minute: Option<u32>,
    credential_queue: Option<usize>,
    heavy_slots: Option<usize>,
    heavy_queue: Option<usize>,
    heavy_wait_secs: Option<u64>,
    statement_budget_ms: Option<u64>,
    count_budget_ms: Option<u64>,
    max_page_bytes: Option<usize>,
    sqlite_cache_mb: Option<u64>,
    change_horizon_days: Option<u64>,
    maintenance_interval_secs: Option<u64>,
    export_dir: Option<PathBuf>,
    export_ttl_secs: Option<u64>,
    export_quota_bytes: Option<u64>,
    webhooks: toml::Table,
    dialects: BTreeMap<String, toml::Table>,
}

/// How the server treats connections (see [`crate::connection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time from a request's first byte to the end of its head.
    pub header_read_timeout: Duration,
    /// Time a connection with no request in flight may stay silent.
    pub idle_timeout: Duration,
    /// Time a request body may go without sending anything.
    pub body_read_timeout: Duration,
    /// Time in-flight requests get to finish on shutdown.
    pub shutdown_grace: Duration,
}

impl ServerConfig {
    /// The defaults: 10 s to send a request head, 60 s idle, 30 s between body chunks,
    /// 30 s to finish on shutdown, and 10,000 connections (fewer when the process may not
    /// open that many files).
    pub fn defaults() -> Self {
        ServerConfig {
            max_connections: default_max_connections(),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// 10,000, or what the open-file limit leaves after room for the store and logs.
fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given.
    let files = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur as usize
    } else {
        1024
    };
    files.saturating_sub(256).clamp(64, 10_000)
}

/// Every setting the server runs with, after every layer is applied.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// A listener of its own for `/metrics`, if any.
    pub metrics_listen: Option<SocketAddr>,
    pub data: PathBuf,
    pub store: StoreUrl,
    pub log_format: LogFormat,
    pub log_level: String,
    pub api: ApiConfig,
    pub signing_key_file: Option<PathBuf>,
    /// The certificate and key to serve HTTPS with; plain HTTP without.
    pub tls: Option<crate::tls::TlsFiles>,
    pub server: ServerConfig,
    /// The bounds on the store's reads.
    pub read_limits: interlog_store::ReadLimits,
    /// How long the change feed keeps tombstones.
    pub change_horizon: Duration,
    /// How often retention, tombstone trimming and record sweeping run.
    pub maintenance_interval: Duration,
    /// Each registered dialect's section, with the environment applied.
    dialects: BTreeMap<&'static str, ConfigSection>,
    /// What deserves a warning once logging is up (unknown keys).
    pub warnings: Vec<String>,
    /// The config file read, if any.
    pub file: Option<PathBuf>,
}

/// `tls_cert` and `tls_key`: both or neither.
fn tls_files(
    vars: &EnvSettings<'_>,
    file: &FileConfig,
) -> Result<Option<crate::tls::TlsFiles>, ConfigError> {
    let path = |key: &str, from_file: &Option<PathBuf>| {
        vars.text(key)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or(from_file.clone())
    };
    match (
        path("tls_cert", &file.tls_cert),
        path("tls_key", &file.tls_key),
    ) {
        (Some(cert), Some(key)) => Ok(Some(crate::tls::TlsFiles { cert, key })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(invalid("tls_key", "must be set with tls_cert")),
        (None, Some(_)) => Err(invalid("tls_cert", "must be set with tls_key")),
    }
}

/// Reads the environment; tests pass a map instead of the process environment.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Config {
    /// The configuration from the flags, the environment and the config file (the flag's
    /// or `INTERLOG_CONFIG`'s, else `<data>/interlog.toml` when present).
    pub fn load(flags: &Overrides, env: Env<'_>) -> Result<Config, ConfigError> {
        let env_path = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let data_hint = flags
            .data
            .clone()
            .or_else(|| env_path("INTERLOG_DATA"))
            .unwrap_or_else(|| PathBuf::from("./interlog-data"));
        let file_path = flags
            .config
            .clone()
            .or_else(|| env_path("INTERLOG_CONFIG"))
            .or_else(|| {
                let p = data_hint.join("interlog.toml");
                p.exists().then_some(p)
            });
        let (file, warnings) = match &file_path {
            Some(p) => read_file(p)?,
            None => (FileConfig::default(), Vec::new()),
        };
        Self::layer(flags, env, file, warnings, file_path)
    }

    /// The defaults, `file`, the environment and `flags`, applied in that order.
    fn layer(
        flags: &Overrides,
        env: Env<'_>,
        file: FileConfig,
        warnings: Vec<String>,
        file_path: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        let vars = EnvSettings(env);
        let listen = listen(flags, &vars, &file)?;
        let data = flags
            .data
            .clone()
            .or_else(|| vars.text("data").map(PathBuf::from))
            .or(file.data.clone())
            .unwrap_or_else(|| PathBuf::from("./interlog-data"));
        let store = match flags
            .store
            .clone()
            .or_else(|| vars.text("store"))
            .or(file.store.clone())
        {
            Some(url) => StoreUrl::parse(&url).map_err(ConfigError::Invalid)?,
            None => StoreUrl::in_data_dir(&data),
        };
        let log_format = log_format(flags, &vars, &file)?;
        let (metrics, metrics_listen) = metrics(&vars, &file)?;
        let api = api_config(&vars, &file, metrics)?;
        let (heavy, count_budget, read_limits) = request_costs(&vars, &file)?;
        let api = ApiConfig {
            heavy,
            count_budget,
            ..api
        };
        let server = server_settings(&vars, &file)?;
        let mut warnings = warnings;
        let webhooks = webhook_settings(&file.webhooks, env, &mut warnings)?;
        let tls = tls_files(&vars, &file)?;
        let api = ApiConfig {
            webhooks,
            // Every request arrives over TLS: cookies are Secure.
            ui_secure_cookies: api.ui_secure_cookies || tls.is_some(),
            ..api
        };
        let defaults = interlog_http::ExportConfig::default();
        let exports = interlog_http::ExportConfig {
            dir: vars
                .text("export_dir")
                .map(PathBuf::from)
                .or(file.export_dir.clone())
                .unwrap_or_else(|| data.join("exports")),
            ttl: vars.seconds("export_ttl_secs", file.export_ttl_secs, defaults.ttl)?,
            quota_bytes: vars
                .positive("export_quota_bytes", file.export_quota_bytes)?
                .unwrap_or(defaults.quota_bytes),
        };
        let api = ApiConfig { exports, ..api };
        let (change_horizon, maintenance_interval) = maintenance(&vars, &file)?;
        let dialects = dialect_sections(file.dialects, env, &mut warnings)?;
        Ok(Config {
            listen,
            metrics_listen,
            data,
            store,
            log_format,
            log_level: vars
                .text("log_level")
                .or(file.log_level)
                .unwrap_or_else(|| "info".into()),
            api,
            signing_key_file: vars
                .text("signing_key_file")
                .map(PathBuf::from)
                .or(file.signing_key_file),
            tls,
            server,
            read_limits,
            change_horizon,
            maintenance_interval,
            dialects,
            warnings,
            file: file_path,
        })
    }

    /// Gives a dialect setting a value when neither the file nor the environment did
    /// (e.g. what `serve --demo` needs).
    pub fn default_section_value(&mut self, dialect: &str, key: &str, value: serde_json::Value) {
        if let Some(values) = self.dialects.get_mut(dialect) {
            if !values.contains(key) {
                values.set_file(key, value);
            }
        }
    }

    /// The settings of a dialect's section (empty for one not registered).
    pub fn dialect_section(&self, name: &str) -> ConfigSection {
        self.dialects
            .get(name)
            .cloned()
            .unwrap_or_else(|| ConfigSection::new(format!("dialects.{name}")))
    }
}

/// `name` (a key or an environment variable) cannot be used: `what` says why.
fn invalid(name: &str, what: &str) -> ConfigError {
    ConfigError::Invalid(format!("{name}: {what}"))
}

/// The server's own settings as the environment gives them, each from the variable
/// [`CORE_SETTINGS`] names for its key; a value that cannot be used names the variable.
struct EnvSettings<'a>(Env<'a>);

impl EnvSettings<'_> {
    /// The value, as given.
    fn text(&self, key: &str) -> Option<String> {
        (self.0)(env_var(key))
    }

    /// A whole number.
    fn whole(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        let var = env_var(key);
        (self.0)(var)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| invalid(var, "must be a whole number"))
            })
            .transpose()
    }

    /// A whole number, not negative.
    fn size(&self, key: &str) -> Result<Option<usize>, ConfigError> {
        self.whole(key)?
            .map(|n| usize::try_from(n).map_err(|_| invalid(env_var(key), "must not be negative")))
            .transpose()
    }

    /// `true`/`1`/`on` or `false`/`0`/`off`.
    fn flag(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        let var = env_var(key);
        (self.0)(var)
            .map(|v| match v.trim() {
                "true" | "1" | "on" => Ok(true),
                "false" | "0" | "off" => Ok(false),
                _ => Err(invalid(var, "must be true or false")),
            })
            .transpose()
    }

    /// A count of at least 1, from the environment or else `file`; a zero names the key.
    fn positive(&self, key: &str, file: Option<u64>) -> Result<Option<u64>, ConfigError> {
        let v = match self.whole(key)? {
            Some(n) => {
                Some(u64::try_from(n).map_err(|_| invalid(env_var(key), "must not be negative"))?)
            }
            None => file,
        };
        match v {
            Some(0) => Err(invalid(key, "must be at least 1")),
            v => Ok(v),
        }
    }

    /// A number of seconds of at least 1, from the environment or else `file`, or `default`.
    fn seconds(
        &self,
        key: &str,
        file: Option<u64>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        Ok(self
            .positive(key, file)?
            .map_or(default, Duration::from_secs))
    }
}

/// Where the API listens: the flag, the environment, the file, or 127.0.0.1:8080.
fn listen(
    flags: &Overrides,
    vars: &EnvSettings<'_>,
    file: &FileConfig,
) -> Result<SocketAddr, ConfigError> {
    Ok(match (flags.listen, vars.text("listen")) {
        (Some(l), _) => l,
        (None, Some(v)) => v
            .parse()
            .map_err(|_| invalid(env_var("listen"), "must be an address like 127.0.0.1:8080"))?,
        (None, None) => file
            .listen
            .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("static")),
    })
}

/// How logs are written: the flag, the environment, the file, or text.
fn log_format(
    flags: &Overrides,
    vars: &EnvSettings<'_>,
    file: &FileConfig,
) -> Result<LogFormat, ConfigError> {
    Ok(match (flags.log_format, vars.text("log_format")) {
        (Some(f), _) => f,
        (None, Some(v)) => v
            .parse()
            .map_err(|e: String| invalid(env_var("log_format"), &e))?,
        (None, None) => file.log_format.unwrap_or(LogFormat::Text),
    })
}

/// Whether and where `/metrics` is served: with the API by default, on a listener of its
/// own when `metrics_listen` is set (and metrics are not off).
fn metrics(
    vars: &EnvSettings<'_>,
    file: &FileConfig,
) -> Result<(MetricsServing, Option<SocketAddr>), ConfigError> {
    let metrics_listen = match vars.text("metrics_listen") {
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().parse().map_err(|_| {
            invalid(
                env_var("metrics_listen"),
                "must be an address like 127.0.0.1:9090",
            )
        })?),
        None => file.metrics_listen,
    };
    let metrics = match vars.flag("metrics")?.or(file.metrics).unwrap_or(true) {
        false => MetricsServing::Off,
        true if metrics_listen.is_some() => MetricsServing::OwnListener,
        true => MetricsServing::WithApi,
    };
    Ok((
        metrics,
        metrics_listen.filter(|_| metrics != MetricsServing::Off),
    ))
}

/// What the APIs are configured with (all but the webhooks): the credential guard, token
/// and session lifetimes, body sizes, cookies.
fn api_config(
    vars: &EnvSettings<'_>,
    file: &FileConfig,
    metrics: MetricsServing,
) -> Result<ApiConfig, ConfigError> {
    let defaults = ApiConfig::default();
    let api = ApiConfig {
        credential_limits: credential_limits(vars, file)?,
        token_ttl_secs: vars
            .whole("token_ttl_secs")?
            .or(file.token_ttl_secs)
            .unwrap_or(defaults.token_ttl_secs),
        max_body_bytes: vars
            .size("max_body_bytes")?
            .or(file.max_body_bytes)
            .unwrap_or(defaults.max_body_bytes),
        max_bulk_bytes: vars
            .size("max_bulk_bytes")?
            .or(file.max_bulk_bytes)
            .unwrap_or(defaults.max_bulk_bytes),
        bulk_streams: vars
            .positive("bulk_streams", file.bulk_streams.map(|n| n as u64))?
            .map_or(defaults.bulk_streams, |n| n as usize),
        metrics,
        ui_session_ttl_secs: vars
            .whole("ui_session_ttl_secs")?
            .or(file.ui_session_ttl_secs)
            .unwrap_or(defaults.ui_session_ttl_secs),
        ui_secure_cookies: vars
            .flag("ui_secure_cookies")?
            .or(file.ui_secure_cookies)
            .unwrap_or(defaults.ui_secure_cookies),
        ..defaults
    };
    if api.token_ttl_secs <= 0 {
        return Err(invalid("token_ttl_secs", "must be positive"));
    }
    if api.ui_session_ttl_secs <= 0 {
        return Err(invalid("ui_session_ttl_secs", "must be positive"));
    }
    Ok(api)
}

/// The guard on secret checks: each client address's burst and refill, and the queue.
fn credential_limits(
    vars: &EnvSettings<'_>,
    file: &FileConfig,
) -> Result<interlog_http::auth::GuardLimits, ConfigError> {
    let guard_defaults = interlog_http::auth::GuardLimits::default();
    let per_address = |n: u64| n.min(u64::from(u32::MAX)) as u32;
    Ok(interlog_http::auth::GuardLimits {
        burst: vars
            .positive("credential_burst", file.credential_burst.map(u64::from))?
            .map_or(guard_defaults.burst, per_address),
        per_minute: vars
            .positive(
                "credential_per_minute",
                file.credential_per_minute.map(u64::from),
            )?
            .map_or(guard_defaults.per_minute, per_address),
        queue: vars
            .positive("credential_queue", file.credential_queue.map(|n| n as u64))?
            .map_or(guard_defaults.queue, |n| n as usize),
    })
}

/// What bounds each request's cost: the turns of heavy work, the count budget, and the
/// store's read limits.
fn request_costs(
    vars: &EnvSettings<'_>,
    file: &FileConfig,
) -> Result<
    (
        interlog_http::HeavyLimits,
        Duration,
        interlog_store::ReadLimits,
    ),
    ConfigError,
> {
    let heavy_defaults = interlog_http::HeavyLimits::default();
    let read_defaults = interlog_store::ReadLimits::default();
    let slots = vars
        .positive("heavy_slots", file.heavy_slots.map(|n| n as u64))?
        .map_or(heavy_defaults.slots, |n| n as usize);
    let heavy = interlog_http::HeavyLimits {
        slots,
        queue: vars
            .positive("heavy_queue", file.heavy_queue.map(|n| n as u64))?
            .map_or(heavy_defaults.queue, |n| n as usize),
        wait: vars.seconds("heavy_wait_secs", file.heavy_wait_secs, heavy_defaults.wait)?,
    };
    let millis =
        |key: &str, file: Option<u64>, default: Duration| -> Result<Duration, ConfigError> {
            Ok(vars
                .positive(key, file)?
                .map_or(default, Duration::from_millis))
        };
    let count_budget = millis(
        "count_budget_ms",
        file.count_budget_ms,
        ApiConfig::default().count_budget,
    )?;
    let statement_budget = millis(
        "statement_budget_ms",
        file.statement_budget_ms,
        read_defaults.statement_budget,
    )?;
    let max_page_bytes = vars
        .positive("max_page_bytes", file.max_page_bytes.map(|n| n as u64))?
        .map_or(read_defaults.max_page_bytes, |n| n as usize);
    let cache_bytes = vars
        .positive("sqlite_cache_mb", file.sqlite_cache_mb)?
        .map_or(read_defaults.cache_bytes, |mb| (mb as usize) << 20);
    Ok((
        heavy,
        count_budget,
        interlog_store::ReadLimits {
            statement_budget,
            // A heavy reader for every turn of heavy work, so that no turn waits for one.
            heavy_readers: slots,
            max_page_bytes,
            cache_bytes,
        },
    ))
}

/// How connections are served: how many at once, and the timeouts.
fn server_settings(vars: &EnvSettings<'_>, file: &FileConfig) -> Result<ServerConfig, ConfigError> {
    let defaults = ServerConfig::defaults();
    Ok(ServerConfig {
        max_connections: match vars.size("max_connections")?.or(file.max_connections) {
            Some(0) => return Err(invalid("max_connections", "must be at least 1")),
            Some(n) => n,
            None => defaults.max_connections,
        },
        header_read_timeout: vars.seconds(
            "header_read_timeout_secs",
            file.header_read_timeout_secs,
            defaults.header_read_timeout,
        )?,
        idle_timeout: vars.seconds(
            "idle_timeout_secs",
            file.idle_timeout_secs,
            defaults.idle_timeout,
        )?,
        body_read_timeout: vars.seconds(
            "body_read_timeout_secs",
            file.body_read_timeout_secs,
            defaults.body_read_timeout,
        )?,
        shutdown_grace: vars.seconds(
            "shutdown_grace_secs",
            file.shutdown_grace_secs,
            defaults.shutdown_grace,
        )?,
    })
}

/// How long the change feed keeps tombstones (30 days), and how often the maintenance runs
/// (every 60 s, at most daily).
fn maintenance(
    vars: &EnvSettings<'_>,
    file: &FileConfig,
) -> Result<(Duration, Duration), ConfigError> {
    let change_horizon = Duration::from_secs(
        86_400
            * vars
                .positive("change_horizon_days", file.change_horizon_days)?
                .unwrap_or(30),
    );
    let maintenance_interval =
        match vars.positive("maintenance_interval_secs", file.maintenance_interval_secs)? {
            Some(n) if n > 86_400 => {
                return Err(invalid(
                    "maintenance_interval_secs",
                    "must be at most 86400",
                ))
            }
            n => Duration::from_secs(n.unwrap_or(60)),
        };
    Ok((change_horizon, maintenance_interval))
}

/// Each registered dialect's section (`[dialects.NAME]`), with the environment applied;
/// keys and sections no dialect knows are added to `warnings`.
fn dialect_sections(
    mut sections: BTreeMap<String, toml::Table>,
    env: Env<'_>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<&'static str, ConfigSection>, ConfigError> {
    let mut dialects = BTreeMap::new();
    for d in crate::registry::dialects() {
        let section = format!("dialects.{}", d.name);
        let mut values = ConfigSection::new(section.clone());
        let table = sections.remove(d.name).unwrap_or_default();
        for (key, value) in table {
            if d.config_keys.iter().any(|s| s.key == key) {
                let json = serde_json::to_value(&value)
                    .map_err(|e| ConfigError::Invalid(format!("[{section}] {key}: {e}")))?;
                values.set_file(&key, json);
            } else {
                warnings.push(format!("[{section}] {key}"));
            }
        }
        for s in d.config_keys {
            if let Some(var) = s.env {
                if let Some(v) = env(var) {
                    values.set_env(s.key, var, v);
                }
            }
        }
        dialects.insert(d.name, values);
    }
    warnings.extend(sections.into_keys().map(|k| format!("[dialects.{k}]")));
    Ok(dialects)
}

/// The `[webhooks]` section, with the environment applied.
fn webhook_settings(
    table: &toml::Table,
    env: Env<'_>,
    warnings: &mut Vec<String>,
) -> Result<interlog_http::state::WebhookConfig, ConfigError> {
    let mut values = ConfigSection::new("webhooks");
    for (key, value) in table {
        if WEBHOOK_SETTINGS.iter().any(|s| s.key == key) {
            let json = serde_json::to_value(value)
                .map_err(|e| ConfigError::Invalid(format!("[webhooks] {key}: {e}")))?;
            values.set_file(key, json);
        } else {
            warnings.push(format!("[webhooks] {key}"));
        }
    }
    for s in WEBHOOK_SETTINGS {
        if let Some(v) = env(s.env) {
            values.set_env(s.key, s.env, v);
        }
    }
    let mut w = interlog_http::state::WebhookConfig::default();
    if let Some(b) = values.flag("allow_private_targets")? {
        w.allow_private_targets = b;
    }
    if let Some(d) = values.seconds("timeout_secs", 1..=300)? {
        w.timeout = d;
    }
    if let Some(d) = values.seconds("retry_base_secs", 1..=3600)? {
        w.retry_base = d;
    }
    if let Some(d) = values.seconds("retry_cap_secs", 1..=86_400)? {
        w.retry_cap = d;
    }
    if let Some(d) = values.seconds("give_up_after_secs", 1..=30 * 86_400)? {
        w.give_up_after = d;
    }
    if let Some(n) = values.number("max_per_tenant", 1..=1000)? {
        w.max_per_tenant = n as usize;
    }
    Ok(w)
}

/// Reads a config file: its settings, and the keys it holds that mean nothing.
fn read_file(path: &Path) -> Result<(FileConfig, Vec<String>), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    parse(&text).map_err(|source| ConfigError::Parse {
        path: path.into(),
        source,
    })
}

fn parse(text: &str) -> Result<(FileConfig, Vec<String>), toml::de::Error> {
    let mut table: toml::Table = toml::from_str(text)?;
    let known = |key: &str| {
        CORE_SETTINGS.iter().any(|s| s.key == key) || key == "webhooks" || key == "dialects"
    };
    let unknown: Vec<String> = table.keys().filter(|k| !known(k)).cloned().collect();
    for k in &unknown {
        table.remove(k);
    }
    let config = FileConfig::deserialize(toml::Value::Table(table))?;
    Ok((config, unknown))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn load_text(text: &str, env: Env<'_>) -> Result<Config, ConfigError> {
        let (file, warnings) = parse(text).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Config::layer(&Overrides::default(), env, file, warnings, None)
    }

    #[test]
    fn the_shipped_example_is_the_default_file_and_parses_clean() {
        let shipped = include_str!("../../../interlog.example.toml");
        assert_eq!(
            shipped,
            default_file(),
            "interlog.example.toml is out of date: run `interlog config > interlog.example.toml`"
        );
        let c = load_text(&default_file(), &no_env).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    /// The defaults the default file shows are the ones that apply: the file with each of
    /// them uncommented configures exactly what an empty file does.
    #[test]
    fn the_printed_defaults_are_the_defaults() {
        let shown_defaults: Vec<String> = CORE_SETTINGS
            .iter()
            .chain(WEBHOOK_SETTINGS)
            .filter_map(|s| match s.shown {
                Shown::Default(v) => Some(format!("# {} = {v}", s.key)),
                Shown::Example(_) => None,
            })
            .collect();
        let file = default_file();
        // The server's own part: a dialect may share a key and a value with it.
        let (own, _) = file.split_once("\n# Each dialect's settings").unwrap();
        let uncommented: String = own
            .lines()
            .map(|l| match shown_defaults.iter().any(|d| d == l) {
                true => &l[2..],
                false => l,
            })
            .flat_map(|l| [l, "\n"])
            .collect();
        assert_eq!(
            uncommented
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .count(),
            // The defaults and `[webhooks]`.
            shown_defaults.len() + 1,
            "every default is shown once: {uncommented}"
        );
        let explicit = load_text(&uncommented, &no_env).unwrap();
        let implicit = load_text("", &no_env).unwrap();
        assert!(explicit.warnings.is_empty(), "{:?}", explicit.warnings);
        assert_eq!(format!("{explicit:?}"), format!("{implicit:?}"));
    }

    /// The table and the file agree: every key of the table is a key of the file, and every
    /// key of the file has a row in the table.
    #[test]
    fn every_key_of_the_file_is_in_the_table() {
        let file = serde_json::to_value(FileConfig::default()).unwrap();
        let file_keys: Vec<&str> = file
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| !matches!(*k, "webhooks" | "dialects"))
            .collect();
        let mut table_keys: Vec<&str> = CORE_SETTINGS.iter().map(|s| s.key).collect();
        table_keys.sort_unstable();
        assert_eq!(file_keys, table_keys);
    }

    /// The environment variables read are the ones the tables name (and the dialects'),
    /// each of them.
    #[test]
    fn the_variables_read_are_the_tables() {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let env = |name: &str| {
            asked.borrow_mut().insert(name.to_owned());
            None
        };
        load_text("", &env).unwrap();
        let named: std::collections::BTreeSet<String> = CORE_SETTINGS
            .iter()
            .chain(WEBHOOK_SETTINGS)
            .map(|s| s.env)
            .chain(
                crate::registry::dialects()
                    .flat_map(|d| d.config_keys.iter().filter_map(|s| s.env)),
            )
            .map(str::to_owned)
            .collect();
        assert_eq!(asked.into_inner(), named);
    }

    #[test]
    fn unknown_keys_are_reported_and_bad_values_rejected() {
        let c = load_text(
            "listen = \"127.0.0.1:9\"\nlisten_port = 3\n[dialects.zoom_cc]\nrate_limit = 1\n[dialects.nope]\n",
            &no_env,
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:9".parse().unwrap());
        assert_eq!(
            c.warnings,
            [
                "listen_port",
                "[dialects.zoom_cc] rate_limit",
                "[dialects.nope]"
            ]
        );
        assert!(load_text("listen = 5", &no_env).is_err());
    }

    #[test]
    fn the_environment_overrides_the_file_and_flags_override_both() {
        let env = |k: &str| (k == "INTERLOG_LISTEN").then(|| "127.0.0.1:7".to_owned());
        let c = load_text("listen = \"127.0.0.1:9\"", &env).unwrap();
        assert_eq!(c.listen, "127.0.0.1:7".parse().unwrap());
        let bad = |k: &str| (k == "INTERLOG_TOKEN_TTL_SECS").then(|| "soon".to_owned());
        let e = load_text("", &bad).unwrap_err().to_string();
        assert!(e.contains("INTERLOG_TOKEN_TTL_SECS"), "{e}");
    }

    #[test]
    fn the_store_defaults_to_sqlite_in_the_data_directory() {
        let c = load_text("data = \"/srv/il\"", &no_env).unwrap();
        assert_eq!(c.store, StoreUrl::Sqlite("/srv/il/interlog.db".into()));
        let c = load_text("store = \"sqlite:///x/y.db\"", &no_env).unwrap();
        assert_eq!(c.store, StoreUrl::Sqlite("/x/y.db".into()));
    }
}
