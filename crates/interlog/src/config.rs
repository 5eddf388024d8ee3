//! Settings, from lowest to highest precedence: built-in defaults, the config file, the
//! environment (`INTERLOG_…`), and command-line flags. Unknown keys in the file are warned
//! about, not ignored silently.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The commented default config file (`interlog config`).
pub const DEFAULT_FILE: &str = include_str!("../../../interlog.example.toml");

/// Every setting, as read from a config file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    pub token_ttl_secs: Option<i64>,
    pub max_body_bytes: Option<usize>,
    pub max_bulk_bytes: Option<usize>,
    pub signing_key_file: Option<PathBuf>,
}

const KNOWN_KEYS: &[&str] = &[
    "listen",
    "data",
    "log_format",
    "log_level",
    "token_ttl_secs",
    "max_body_bytes",
    "max_bulk_bytes",
    "signing_key_file",
];

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

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
}

/// Reads a config file, returning the settings and the unknown keys it holds.
pub fn read_file(path: &Path) -> Result<(FileConfig, Vec<String>), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    parse(&text).map_err(|source| ConfigError::Parse {
        path: path.into(),
        source,
    })
}

pub fn parse(text: &str) -> Result<(FileConfig, Vec<String>), toml::de::Error> {
    let table: toml::Table = toml::from_str(text)?;
    let unknown = table
        .keys()
        .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    let config = FileConfig::deserialize(toml::Value::Table(table))?;
    Ok((config, unknown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_file_parses_with_no_unknown_keys() {
        let (_, unknown) = parse(DEFAULT_FILE).unwrap();
        assert!(unknown.is_empty(), "{unknown:?}");
    }

    #[test]
    fn unknown_keys_are_reported_and_bad_values_rejected() {
        let (c, unknown) = parse("listen = \"127.0.0.1:9\"\nlisten_port = 3\n").unwrap();
        assert_eq!(c.listen, Some("127.0.0.1:9".parse().unwrap()));
        assert_eq!(unknown, ["listen_port"]);
        assert!(parse("listen = 5").is_err());
    }
}
