//! A connector's configuration as a client sends it, checked into a [`Definition`] and its
//! secrets: one flat JSON object of the common fields and the kind's own (the vendor's
//! credential names). The same check serves creation and changes (a change is merged
//! into the configuration as it stands, then checked whole), for the API and the CLI.
//! Anything wrong is a 400 naming the field.

use interlog_http::connector::stored::Definition;
use interlog_http::connector::{ConnectorKind, Settings, Shape, MAX_JSON, MAX_TEXT};
use interlog_http::{outbound, ApiError, ApiResult, ApiState};
use interlog_model::time::parse_instant;
use interlog_store::Tenant;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The fields every kind takes.
pub const COMMON: [&str; 7] = [
    "kind",
    "base_url",
    "token_url",
    "start_from",
    "poll_interval_secs",
    "lookback_secs",
    "enabled",
];

pub const DEFAULT_POLL_INTERVAL_SECS: u64 = 60;
pub const DEFAULT_LOOKBACK_SECS: u64 = 900;
/// At most a day between runs.
pub const MAX_POLL_INTERVAL_SECS: u64 = 86_400;
/// At most 30 days re-read each run.
pub const MAX_LOOKBACK_SECS: u64 = 30 * 86_400;

/// A 400 naming `field`.
pub fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::parameter(field, message)
}

fn kind_names(state: &ApiState) -> String {
    state
        .connectors
        .iter()
        .map(|k| k.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kind a configuration names.
pub fn kind_of(state: &ApiState, body: &Map<String, Value>) -> ApiResult<&'static ConnectorKind> {
    let name = match body.get("kind") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => {
            return Err(bad(
                "kind",
                format!("is required; accepted: {}", kind_names(state)),
            ))
        }
        Some(_) => return Err(bad("kind", "must be a string")),
    };
    state.connector_kind(name).ok_or_else(|| {
        bad(
            "kind",
            format!(
                "{:?} is not a connector kind; accepted: {}",
                name.chars().take(64).collect::<String>(),
                kind_names(state)
            ),
        )
    })
}

fn text<'a>(body: &'a Map<String, Value>, field: &str) -> ApiResult<Option<&'a str>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(field, "must be a string")),
    }
}

fn number(
    body: &Map<String, Value>,
    field: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> ApiResult<u64> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().filter(|n| range.contains(n)).ok_or_else(|| {
            bad(
                field,
                format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        }),
    }
}

async fn url(state: &ApiState, field: &str, value: &str) -> ApiResult<String> {
    outbound::check_url(value, state.config.webhooks.allow_private_targets)
        .await
        .map(|_| value.to_owned())
        .map_err(|e| bad(field, e))
}

/// A kind setting's value, checked for its shape and size.
fn setting(field: &str, shape: Shape, value: &Value) -> ApiResult<Value> {
    match shape {
        Shape::Text => {
            let s = value
                .as_str()
                .ok_or_else(|| bad(field, "must be a string"))?;
            if s.trim().is_empty() {
                return Err(bad(field, "must not be empty"));
            }
            if s.len() > MAX_TEXT {
                return Err(bad(field, format!("must be at most {MAX_TEXT} bytes")));
            }
            if s.chars().any(char::is_control) {
                return Err(bad(field, "must not hold control characters"));
            }
            Ok(value.clone())
        }
        Shape::Json => {
            let size = serde_json::to_string(value).map_or(usize::MAX, |t| t.len());
            if size > MAX_JSON {
                return Err(bad(
                    field,
                    format!("must be at most {MAX_JSON} bytes of JSON"),
                ));
            }
            Ok(value.clone())
        }
    }
}

/// A checked configuration: the definition (secrets not sealed yet), the secrets, and the
/// settings a source would be opened with.
pub struct Checked {
    pub definition: Definition,
    pub secrets: BTreeMap<String, Value>,
    pub kind: &'static ConnectorKind,
}

/// Checks a whole configuration; `created_at` is kept (now for a new one).
pub async fn check(
    state: &ApiState,
    body: &Map<String, Value>,
    created_at: &str,
) -> ApiResult<Checked> {
    let kind = kind_of(state, body)?;
    if let Some(unknown) = body
        .keys()
        .find(|k| !COMMON.contains(&k.as_str()) && kind.field(k).is_none())
    {
        let mut accepted: Vec<&str> = COMMON.to_vec();
        accepted.extend(kind.fields.iter().map(|f| f.name));
        return Err(bad(
            unknown,
            format!(
                "is not a setting of {} connectors; accepted: {}",
                kind.name,
                accepted.join(", ")
            ),
        ));
    }
    let base_url = match (text(body, "base_url")?, kind.default_base_url) {
        (Some(u), _) => url(state, "base_url", u).await?,
        (None, Some(default)) => default.to_owned(),
        (None, None) => {
            return Err(bad(
                "base_url",
                format!(
                    "is required for {} connectors: the API root of the {} deployment",
                    kind.name, kind.vendor
                ),
            ))
        }
    };
    let token_url = match text(body, "token_url")? {
        Some(u) if matches!(kind.token_url, interlog_http::connector::TokenUrl::None) => {
            let _ = u;
            return Err(bad(
                "token_url",
                format!("{} connectors have no token endpoint", kind.name),
            ));
        }
        Some(u) => Some(url(state, "token_url", u).await?),
        None => None,
    };
    let start_from = text(body, "start_from")?.ok_or_else(|| {
        bad(
            "start_from",
            "is required: the RFC 3339 date-time the history is read from, e.g. 2025-01-01T00:00:00Z",
        )
    })?;
    let start_from = parse_instant(start_from)
        .map_err(|_| {
            bad(
                "start_from",
                "must be an RFC 3339 date-time with a zone, e.g. 2025-01-01T00:00:00Z",
            )
        })?
        .to_string();
    let poll_interval_secs = number(
        body,
        "poll_interval_secs",
        1..=MAX_POLL_INTERVAL_SECS,
        DEFAULT_POLL_INTERVAL_SECS,
    )?;
    let lookback_secs = number(
        body,
        "lookback_secs",
        0..=MAX_LOOKBACK_SECS,
        DEFAULT_LOOKBACK_SECS,
    )?;
    let enabled = match body.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("enabled", "must be true or false")),
    };
    let mut settings = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for f in kind.fields {
        match body.get(f.name) {
            None | Some(Value::Null) if f.required => {
                return Err(bad(
                    f.name,
                    format!("is required for {} connectors: {}", kind.name, f.doc),
                ))
            }
            None | Some(Value::Null) => {}
            Some(v) => {
                let v = setting(f.name, f.shape, v)?;
                if f.secret {
                    secrets.insert(f.name.to_owned(), v);
                } else {
                    settings.insert(f.name.to_owned(), v);
                }
            }
        }
    }
    let all = Settings {
        base_url: base_url.clone(),
        token_url: token_url.clone(),
        values: settings
            .iter()
            .chain(secrets.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    // A default token endpoint is the vendor's own or sits on the base URL's host, both
    // already fine; the resolver refuses internal addresses at every connection anyway.
    (kind.check)(&all).map_err(|p| bad(&p.field, p.message))?;
    let now = jiff::Timestamp::now().to_string();
    Ok(Checked {
        definition: Definition {
            kind: kind.name.to_owned(),
            base_url,
            token_url,
            settings,
            sealed: String::new(),
            secret_names: Vec::new(),
            start_from,
            poll_interval_secs,
            lookback_secs,
            enabled,
            created_at: created_at.to_owned(),
            updated_at: now,
        },
        secrets,
        kind,
    })
}

/// The configuration a stored definition stands for (secrets in clear), as a client
/// would send it: what a change is merged into.
pub fn as_body(d: &Definition, secrets: &BTreeMap<String, Value>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("kind".into(), d.kind.clone().into());
    body.insert("base_url".into(), d.base_url.clone().into());
    if let Some(t) = &d.token_url {
        body.insert("token_url".into(), t.clone().into());
    }
    body.insert("start_from".into(), d.start_from.clone().into());
    body.insert("poll_interval_secs".into(), d.poll_interval_secs.into());
    body.insert("lookback_secs".into(), d.lookback_secs.into());
    body.insert("enabled".into(), d.enabled.into());
    for (k, v) in d.settings.iter().chain(secrets.iter()) {
        body.insert(k.clone(), v.clone());
    }
    body
}

/// The settings a source of `d` is opened with (secrets in clear).
pub fn settings_of(
    state: &ApiState,
    tenant: &Tenant,
    d: &Definition,
) -> Result<Settings, interlog_store::StoreError> {
    let secrets = d.secrets(&state.signer, tenant)?;
    Ok(Settings {
        base_url: d.base_url.clone(),
        token_url: d.token_url.clone(),
        values: d
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(secrets)
            .collect(),
    })
}

/// The token endpoint `d` uses, as shown (no secret is needed to know it).
pub fn token_url_shown(kind: Option<&ConnectorKind>, d: &Definition) -> Option<String> {
    let settings = Settings {
        base_url: d.base_url.clone(),
        token_url: d.token_url.clone(),
        values: d.settings.clone(),
    };
    match kind {
        Some(k) => k.token_url_of(&settings),
        None => d.token_url.clone(),
    }
}
