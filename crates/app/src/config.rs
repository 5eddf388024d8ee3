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

/// The commented defaults of the server's own settings.
const BASE_FILE: &str = include_str!("../config/base.toml");

/// The commented default config file (`interlog config`): the server's settings and every
/// dialect's section.
pub fn default_file() -> String {
    let mut out = BASE_FILE.to_owned();
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

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
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

/// The settings as a config file may hold them.
#[derive(Debug, Clone, Deserialize, Default)]
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
    signing_key_file: Option<PathBuf>,
    metrics: Option<bool>,
    metrics_listen: Option<SocketAddr>,
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
    change_horizon_days: Option<u64>,
    maintenance_interval_secs: Option<u64>,
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
    pub server: ServerConfig,
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

    fn layer(
        flags: &Overrides,
        env: Env<'_>,
        file: FileConfig,
        warnings: Vec<String>,
        file_path: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        let invalid = |name: &str, what: &str| ConfigError::Invalid(format!("{name}: {what}"));
        let env_parse = |name: &str| -> Result<Option<i64>, ConfigError> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| invalid(name, "must be a whole number"))
                })
                .transpose()
        };
        let env_size = |name: &str| -> Result<Option<usize>, ConfigError> {
            env_parse(name)?
                .map(|n| usize::try_from(n).map_err(|_| invalid(name, "must not be negative")))
                .transpose()
        };
        let listen = match (flags.listen, env("INTERLOG_LISTEN")) {
            (Some(l), _) => l,
            (None, Some(v)) => v.parse().map_err(|_| {
                invalid("INTERLOG_LISTEN", "must be an address like 127.0.0.1:8080")
            })?,
            (None, None) => file
                .listen
                .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("static")),
        };
        let data = flags
            .data
            .clone()
            .or_else(|| env("INTERLOG_DATA").map(PathBuf::from))
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("./interlog-data"));
        let store = match flags
            .store
            .clone()
            .or_else(|| env("INTERLOG_STORE"))
            .or(file.store)
        {
            Some(url) => StoreUrl::parse(&url).map_err(ConfigError::Invalid)?,
            None => StoreUrl::in_data_dir(&data),
        };
        let log_format = match (flags.log_format, env("INTERLOG_LOG_FORMAT")) {
            (Some(f), _) => f,
            (None, Some(v)) => v
                .parse()
                .map_err(|e: String| invalid("INTERLOG_LOG_FORMAT", &e))?,
            (None, None) => file.log_format.unwrap_or(LogFormat::Text),
        };
        let env_bool = |name: &str| -> Result<Option<bool>, ConfigError> {
            env(name)
                .map(|v| match v.trim() {
                    "true" | "1" | "on" => Ok(true),
                    "false" | "0" | "off" => Ok(false),
                    _ => Err(invalid(name, "must be true or false")),
                })
                .transpose()
        };
        let metrics_listen = match env("INTERLOG_METRICS_LISTEN") {
            Some(v) if v.trim().is_empty() => None,
            Some(v) => Some(v.trim().parse().map_err(|_| {
                invalid(
                    "INTERLOG_METRICS_LISTEN",
                    "must be an address like 127.0.0.1:9090",
                )
            })?),
            None => file.metrics_listen,
        };
        let metrics = match env_bool("INTERLOG_METRICS")?
            .or(file.metrics)
            .unwrap_or(true)
        {
            false => MetricsServing::Off,
            true if metrics_listen.is_some() => MetricsServing::OwnListener,
            true => MetricsServing::WithApi,
        };
        let defaults = ApiConfig::default();
        let positive =
            |name: &str, env_name: &str, file: Option<u64>| -> Result<Option<u64>, ConfigError> {
                let v = match env_parse(env_name)? {
                    Some(n) => Some(
                        u64::try_from(n).map_err(|_| invalid(env_name, "must not be negative"))?,
                    ),
                    None => file,
                };
                match v {
                    Some(0) => Err(invalid(name, "must be at least 1")),
                    v => Ok(v),
                }
            };
        let guard_defaults = interlog_http::auth::GuardLimits::default();
        let credential_limits = interlog_http::auth::GuardLimits {
            burst: positive(
                "credential_burst",
                "INTERLOG_CREDENTIAL_BURST",
                file.credential_burst.map(u64::from),
            )?
            .map_or(guard_defaults.burst, |n| n.min(u64::from(u32::MAX)) as u32),
            per_minute: positive(
                "credential_per_minute",
                "INTERLOG_CREDENTIAL_PER_MINUTE",
                file.credential_per_minute.map(u64::from),
            )?
            .map_or(guard_defaults.per_minute, |n| {
                n.min(u64::from(u32::MAX)) as u32
            }),
            queue: positive(
                "credential_queue",
                "INTERLOG_CREDENTIAL_QUEUE",
                file.credential_queue.map(|n| n as u64),
            )?
            .map_or(guard_defaults.queue, |n| n as usize),
        };
        let api = ApiConfig {
            credential_limits,
            token_ttl_secs: env_parse("INTERLOG_TOKEN_TTL_SECS")?
                .or(file.token_ttl_secs)
                .unwrap_or(defaults.token_ttl_secs),
            max_body_bytes: env_size("INTERLOG_MAX_BODY_BYTES")?
                .or(file.max_body_bytes)
                .unwrap_or(defaults.max_body_bytes),
            max_bulk_bytes: env_size("INTERLOG_MAX_BULK_BYTES")?
                .or(file.max_bulk_bytes)
                .unwrap_or(defaults.max_bulk_bytes),
            metrics,
            ui_session_ttl_secs: env_parse("INTERLOG_UI_SESSION_TTL_SECS")?
                .or(file.ui_session_ttl_secs)
                .unwrap_or(defaults.ui_session_ttl_secs),
            ui_secure_cookies: env_bool("INTERLOG_UI_SECURE_COOKIES")?
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
        let server_defaults = ServerConfig::defaults();
        let secs = |name: &str, env_name: &str, file: Option<u64>, default: Duration| {
            positive(name, env_name, file).map(|v| v.map_or(default, Duration::from_secs))
        };
        let server = ServerConfig {
            max_connections: match env_size("INTERLOG_MAX_CONNECTIONS")?.or(file.max_connections) {
                Some(0) => return Err(invalid("max_connections", "must be at least 1")),
                Some(n) => n,
                None => server_defaults.max_connections,
            },
            header_read_timeout: secs(
                "header_read_timeout_secs",
                "INTERLOG_HEADER_READ_TIMEOUT_SECS",
                file.header_read_timeout_secs,
                server_defaults.header_read_timeout,
            )?,
            idle_timeout: secs(
                "idle_timeout_secs",
                "INTERLOG_IDLE_TIMEOUT_SECS",
                file.idle_timeout_secs,
                server_defaults.idle_timeout,
            )?,
            body_read_timeout: secs(
                "body_read_timeout_secs",
                "INTERLOG_BODY_READ_TIMEOUT_SECS",
                file.body_read_timeout_secs,
                server_defaults.body_read_timeout,
            )?,
            shutdown_grace: secs(
                "shutdown_grace_secs",
                "INTERLOG_SHUTDOWN_GRACE_SECS",
                file.shutdown_grace_secs,
                server_defaults.shutdown_grace,
            )?,
        };
        let mut warnings = warnings;
        let webhooks = webhook_settings(&file.webhooks, env, &mut warnings)?;
        let api = ApiConfig { webhooks, ..api };
        let change_horizon = Duration::from_secs(
            86_400
                * positive(
                    "change_horizon_days",
                    "INTERLOG_CHANGE_HORIZON_DAYS",
                    file.change_horizon_days,
                )?
                .unwrap_or(30),
        );
        let maintenance_interval = match positive(
            "maintenance_interval_secs",
            "INTERLOG_MAINTENANCE_INTERVAL_SECS",
            file.maintenance_interval_secs,
        )? {
            Some(n) if n > 86_400 => {
                return Err(invalid(
                    "maintenance_interval_secs",
                    "must be at most 86400",
                ))
            }
            n => Duration::from_secs(n.unwrap_or(60)),
        };
        let mut sections = file.dialects;
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
        Ok(Config {
            listen,
            metrics_listen: metrics_listen.filter(|_| metrics != MetricsServing::Off),
            data,
            store,
            log_format,
            log_level: env("INTERLOG_LOG")
                .or(file.log_level)
                .unwrap_or_else(|| "info".into()),
            api,
            signing_key_file: env("INTERLOG_SIGNING_KEY_FILE")
                .map(PathBuf::from)
                .or(file.signing_key_file),
            server,
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

/// The `[webhooks]` section, with the environment applied.
fn webhook_settings(
    table: &toml::Table,
    env: Env<'_>,
    warnings: &mut Vec<String>,
) -> Result<interlog_http::state::WebhookConfig, ConfigError> {
    const KEYS: &[(&str, &str)] = &[
        (
            "allow_private_targets",
            "INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
        ),
        ("timeout_secs", "INTERLOG_WEBHOOKS_TIMEOUT_SECS"),
        ("retry_base_secs", "INTERLOG_WEBHOOKS_RETRY_BASE_SECS"),
        ("retry_cap_secs", "INTERLOG_WEBHOOKS_RETRY_CAP_SECS"),
        ("give_up_after_secs", "INTERLOG_WEBHOOKS_GIVE_UP_AFTER_SECS"),
        ("max_per_tenant", "INTERLOG_WEBHOOKS_MAX_PER_TENANT"),
    ];
    let mut values = ConfigSection::new("webhooks");
    for (key, value) in table {
        if KEYS.iter().any(|(k, _)| k == key) {
            let json = serde_json::to_value(value)
                .map_err(|e| ConfigError::Invalid(format!("[webhooks] {key}: {e}")))?;
            values.set_file(key, json);
        } else {
            warnings.push(format!("[webhooks] {key}"));
        }
    }
    for (key, var) in KEYS {
        if let Some(v) = env(var) {
            values.set_env(key, var, v);
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
    const KNOWN: &[&str] = &[
        "listen",
        "data",
        "store",
        "log_format",
        "log_level",
        "token_ttl_secs",
        "max_body_bytes",
        "max_bulk_bytes",
        "signing_key_file",
        "metrics",
        "metrics_listen",
        "ui_session_ttl_secs",
        "ui_secure_cookies",
        "max_connections",
        "header_read_timeout_secs",
        "idle_timeout_secs",
        "body_read_timeout_secs",
        "shutdown_grace_secs",
        "credential_burst",
        "credential_per_minute",
        "credential_queue",
        "change_horizon_days",
        "maintenance_interval_secs",
        "webhooks",
        "dialects",
    ];
    let unknown: Vec<String> = table
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .cloned()
        .collect();
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
