//! Settings, from lowest to highest precedence: built-in defaults, the config file, the
//! environment (`INTERLOG_…`), and command-line flags. Unknown keys in the file are
//! warned about; a value that cannot be used is an error naming it, the same way for the
//! server's own settings and for every dialect's section (`[dialects.NAME]`).

use crate::registry::DIALECTS;
use crate::store_url::StoreUrl;
use interlog_api::{ApiConfig, SettingError, SettingValues};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    for d in DIALECTS {
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
    Setting(#[from] SettingError),
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
    sweep_interval_secs: Option<u64>,
    dialects: BTreeMap<String, toml::Table>,
}

/// Every setting the server runs with, after every layer is applied.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub store: StoreUrl,
    pub log_format: LogFormat,
    pub log_level: String,
    pub api: ApiConfig,
    pub signing_key_file: Option<PathBuf>,
    /// How often expired records (sessions, refresh tokens) are removed.
    pub sweep_interval: std::time::Duration,
    /// Each registered dialect's section, with the environment applied.
    dialects: BTreeMap<&'static str, SettingValues>,
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
        let defaults = ApiConfig::default();
        let api = ApiConfig {
            token_ttl_secs: env_parse("INTERLOG_TOKEN_TTL_SECS")?
                .or(file.token_ttl_secs)
                .unwrap_or(defaults.token_ttl_secs),
            max_body_bytes: env_size("INTERLOG_MAX_BODY_BYTES")?
                .or(file.max_body_bytes)
                .unwrap_or(defaults.max_body_bytes),
            max_bulk_bytes: env_size("INTERLOG_MAX_BULK_BYTES")?
                .or(file.max_bulk_bytes)
                .unwrap_or(defaults.max_bulk_bytes),
            ..defaults
        };
        if api.token_ttl_secs <= 0 {
            return Err(invalid("token_ttl_secs", "must be positive"));
        }
        let sweep_interval_secs = match env_parse("INTERLOG_SWEEP_INTERVAL_SECS")? {
            Some(n) => u64::try_from(n).unwrap_or(0),
            None => file.sweep_interval_secs.unwrap_or(60),
        };
        if !(1..=86_400).contains(&sweep_interval_secs) {
            return Err(invalid("sweep_interval_secs", "must be 1 to 86400"));
        }
        let mut warnings = warnings;
        let mut sections = file.dialects;
        let mut dialects = BTreeMap::new();
        for d in DIALECTS {
            let section = format!("dialects.{}", d.name);
            let mut values = SettingValues::new(section.clone());
            let table = sections.remove(d.name).unwrap_or_default();
            for (key, value) in table {
                if d.settings.iter().any(|s| s.key == key) {
                    let json = serde_json::to_value(&value)
                        .map_err(|e| ConfigError::Invalid(format!("[{section}] {key}: {e}")))?;
                    values.set_file(&key, json);
                } else {
                    warnings.push(format!("[{section}] {key}"));
                }
            }
            for s in d.settings {
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
            sweep_interval: std::time::Duration::from_secs(sweep_interval_secs),
            dialects,
            warnings,
            file: file_path,
        })
    }

    /// Gives a dialect setting a value when neither the file nor the environment did
    /// (e.g. what `serve --demo` needs).
    pub fn default_dialect_setting(&mut self, dialect: &str, key: &str, value: serde_json::Value) {
        if let Some(values) = self.dialects.get_mut(dialect) {
            if !values.contains(key) {
                values.set_file(key, value);
            }
        }
    }

    /// The settings of a dialect's section (empty for one not registered).
    pub fn dialect_settings(&self, name: &str) -> SettingValues {
        self.dialects
            .get(name)
            .cloned()
            .unwrap_or_else(|| SettingValues::new(format!("dialects.{name}")))
    }
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
        "sweep_interval_secs",
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
