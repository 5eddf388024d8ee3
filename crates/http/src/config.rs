//! Config-file sections: the keys an API's section declares, and the values one section
//! was given (the file with the environment applied), with typed accessors whose errors
//! name the key (or the environment variable) at fault.

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// One key of an API's config section, as `interlog config` documents it.
pub struct ConfigKey {
    /// Its key in `[dialects.NAME]`.
    pub key: &'static str,
    /// The environment variable that overrides it, if any.
    pub env: Option<&'static str>,
    /// Its default, as a TOML value (shown commented out by `interlog config`).
    pub default: &'static str,
    /// What it does, in one or two lines (shown by `interlog config`).
    pub doc: &'static str,
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The config file, under `[section] key`.
    File,
    /// An environment variable.
    Env(&'static str),
}

/// A config value that cannot be used; says which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct ConfigValueError {
    /// `[dialects.zoom_cc] rate_limits` or `INTERLOG_ZOOM_CC_RATE_LIMITS`.
    pub place: String,
    pub message: String,
}

/// The values given for one section; keys without a value take the dialect's defaults.
#[derive(Debug, Clone, Default)]
pub struct ConfigSection {
    section: String,
    values: BTreeMap<String, (Value, Origin)>,
}

impl ConfigSection {
    /// An empty section named `section` (e.g. `dialects.zoom_cc`).
    pub fn new(section: impl Into<String>) -> Self {
        ConfigSection {
            section: section.into(),
            values: BTreeMap::new(),
        }
    }

    /// Sets `key` from the config file (TOML values arrive as JSON values).
    pub fn set_file(&mut self, key: &str, value: Value) {
        self.values.insert(key.to_owned(), (value, Origin::File));
    }

    /// Sets `key` from the environment variable `var` (overriding the file).
    pub fn set_env(&mut self, key: &str, var: &'static str, value: String) {
        self.values
            .insert(key.to_owned(), (Value::String(value), Origin::Env(var)));
    }

    /// The error for `key`'s value.
    pub fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigValueError {
        let place = match self.values.get(key) {
            Some((_, Origin::Env(var))) => (*var).to_owned(),
            _ => format!("[{}] {key}", self.section),
        };
        ConfigValueError {
            place,
            message: message.into(),
        }
    }

    /// Whether `key` has a value (from the file or the environment).
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    fn raw(&self, key: &str) -> Option<&Value> {
        self.values.get(key).map(|(v, _)| v)
    }

    /// A text value.
    pub fn text(&self, key: &str) -> Result<Option<String>, ConfigValueError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.invalid(key, format!("must be text, not {other}"))),
        }
    }

    /// `true`/`false` (from the environment also `1`/`0`, `yes`/`no`, `on`/`off`).
    pub fn flag(&self, key: &str) -> Result<Option<bool>, ConfigValueError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Some(true)),
                "0" | "false" | "no" | "off" => Ok(Some(false)),
                _ => Err(self.invalid(key, format!("must be true or false, not {s:?}"))),
            },
            Some(other) => Err(self.invalid(key, format!("must be true or false, not {other}"))),
        }
    }

    /// A whole number within `range`.
    pub fn number(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, ConfigValueError> {
        let n = match self.raw(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match n {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(self.invalid(
                key,
                format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// A number of seconds within `range`.
    pub fn seconds(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<Duration>, ConfigValueError> {
        Ok(self.number(key, range)?.map(Duration::from_secs))
    }

    /// A table of names to text values; from the environment written `name=value,…`.
    pub fn table(&self, key: &str) -> Result<Option<Vec<(String, String)>>, ConfigValueError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    Value::Number(n) => Ok((k.clone(), n.to_string())),
                    other => Err(self.invalid(key, format!("{k}: not a plain value: {other}"))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::String(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    pair.split_once('=')
                        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                        .ok_or_else(|| self.invalid(key, "must be name=value,…"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.invalid(key, format!("must be a table, not {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_typed_and_errors_name_where_they_came_from() {
        let mut s = ConfigSection::new("dialects.x");
        s.set_file("on", json!(true));
        s.set_file("n", json!(30));
        s.set_file("bad", json!("x"));
        s.set_env("ttl", "INTERLOG_X_TTL", "5".into());
        s.set_file("t", json!({"acme": 7}));
        assert_eq!(s.flag("on").unwrap(), Some(true));
        assert_eq!(s.flag("missing").unwrap(), None);
        assert_eq!(s.number("n", 1..=60).unwrap(), Some(30));
        assert_eq!(
            s.number("n", 1..=10).unwrap_err().to_string(),
            "[dialects.x] n: must be a whole number from 1 to 10"
        );
        assert_eq!(
            s.seconds("ttl", 60..=100).unwrap_err().place,
            "INTERLOG_X_TTL"
        );
        assert!(s.flag("bad").is_err());
        assert_eq!(
            s.table("t").unwrap(),
            Some(vec![("acme".to_owned(), "7".to_owned())])
        );
        s.set_env("t", "INTERLOG_X_T", "a=1, b=2".into());
        assert_eq!(s.table("t").unwrap().unwrap().len(), 2);
    }
}
