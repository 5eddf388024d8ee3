//! Bayeux 1.0 messages: reading a request's batch and writing replies.

use interlog_model::unique_keys::UniqueKeys;
use serde::Deserialize;
use serde_json::{json, Value};

/// Most messages in one request.
pub const MAX_BATCH: usize = 64;
/// Longest channel name.
pub const MAX_CHANNEL: usize = 256;

/// A subscription: one channel, or several (later Bayeux clients send arrays).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Subscription {
    One(String),
    Many(Vec<String>),
}

impl Subscription {
    pub fn channels(&self) -> Vec<&str> {
        match self {
            Subscription::One(s) => vec![s.as_str()],
            Subscription::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct IncomingAdvice {
    /// Milliseconds the client asks a connect to be held (0 on the first connect).
    #[serde(default)]
    pub timeout: Option<f64>,
}

/// One message a client sent. Members a message type does not use are ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Incoming {
    pub channel: String,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default, rename = "clientId")]
    pub client_id: Option<String>,
    #[serde(default)]
    pub subscription: Option<Subscription>,
    #[serde(default, rename = "connectionType")]
    pub connection_type: Option<String>,
    #[serde(default, rename = "supportedConnectionTypes")]
    pub supported_connection_types: Option<Vec<String>>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub advice: Option<IncomingAdvice>,
    #[serde(default)]
    pub data: Option<Value>,
}

impl Incoming {
    /// The id to echo: strings and numbers only (anything else is not a Bayeux id).
    pub fn reply_id(&self) -> Option<Value> {
        self.id.clone().filter(|v| v.is_string() || v.is_number())
    }
}

/// Why a request's body is not a Bayeux batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

/// Reads a request body: an array of messages, or one message. Every message needs a
/// `channel`.
pub fn parse_batch(body: &[u8]) -> Result<Vec<Incoming>, ProtocolError> {
    let value: Value = serde_json::from_slice::<UniqueKeys>(body)
        .map_err(|e| ProtocolError(format!("the body is not JSON without repeated keys: {e}")))?
        .0;
    let items = match value {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            return Err(ProtocolError(
                "the body must be a message or an array of them".into(),
            ))
        }
    };
    if items.is_empty() {
        return Err(ProtocolError("the batch is empty".into()));
    }
    if items.len() > MAX_BATCH {
        return Err(ProtocolError(format!(
            "a batch holds at most {MAX_BATCH} messages"
        )));
    }
    items
        .into_iter()
        .map(|item| {
            serde_json::from_value::<Incoming>(item)
                .map_err(|_| ProtocolError("a message lacks a channel or is malformed".into()))
        })
        .collect()
}

/// Whether `name` is a channel name (`/a/b`, segments of safe characters) and, with
/// `wildcards`, possibly a pattern ending in `/*` or `/**`.
pub fn is_channel(name: &str, wildcards: bool) -> bool {
    if name.len() < 2 || name.len() > MAX_CHANNEL || !name.starts_with('/') {
        return false;
    }
    let segments: Vec<&str> = name[1..].split('/').collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, s)| {
        if *s == "*" || *s == "**" {
            return wildcards && i == last;
        }
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.!~()$@".contains(&b))
    })
}

/// Whether a subscription (a channel or a `/*`, `/**` pattern) covers `channel`.
pub fn matches(subscription: &str, channel: &str) -> bool {
    if let Some(prefix) = subscription.strip_suffix("/**") {
        return channel.len() > prefix.len() + 1
            && channel.starts_with(prefix)
            && channel.as_bytes()[prefix.len()] == b'/';
    }
    if let Some(prefix) = subscription.strip_suffix("/*") {
        return channel.len() > prefix.len() + 1
            && channel.starts_with(prefix)
            && channel.as_bytes()[prefix.len()] == b'/'
            && !channel[prefix.len() + 1..].contains('/');
    }
    subscription == channel
}

/// The advice the server gives with handshake and connect replies.
#[derive(Debug, Clone, Copy)]
pub struct Advice {
    pub timeout_ms: u64,
    pub max_interval_ms: u64,
}

impl Advice {
    pub fn retry(self) -> Value {
        json!({
            "reconnect": "retry",
            "interval": 0,
            "timeout": self.timeout_ms,
            "maxInterval": self.max_interval_ms,
        })
    }
}

/// `{"reconnect":"handshake"}`: the client id is not (or no longer) known.
pub fn advice_handshake() -> Value {
    json!({"reconnect": "handshake", "interval": 0})
}

/// `{"reconnect":"none"}`: stop trying.
pub fn advice_none() -> Value {
    json!({"reconnect": "none", "interval": 0})
}

/// A reply to `m`: its channel and id, `successful`, and `extra` members.
pub fn reply(m: &Incoming, successful: bool, extra: Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("channel".into(), Value::String(m.channel.clone()));
    if let Some(id) = m.reply_id() {
        out.insert("id".into(), id);
    }
    out.insert("successful".into(), Value::Bool(successful));
    if let Value::Object(extra) = extra {
        out.extend(extra);
    }
    Value::Object(out)
}

/// A failed reply with a Bayeux error string (`code::message`).
pub fn failure(m: &Incoming, error: &str, advice: Option<Value>) -> Value {
    let mut extra = json!({ "error": error });
    if let Some(c) = &m.client_id {
        extra["clientId"] = Value::String(c.clone());
    }
    if let Some(a) = advice {
        extra["advice"] = a;
    }
    reply(m, false, extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn batches_and_single_messages_read() {
        let b = parse_batch(br#"[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"id":"1"}]"#).unwrap();
        assert_eq!(b[0].channel, "/meta/handshake");
        assert_eq!(b[0].reply_id(), Some(json!("1")));
        let b = parse_batch(br#"{"channel":"/meta/subscribe","clientId":"c","subscription":["/a","/b"],"extra":{"x":1}}"#).unwrap();
        assert_eq!(b[0].subscription.as_ref().unwrap().channels(), ["/a", "/b"]);
        assert!(parse_batch(b"[]").is_err());
        assert!(parse_batch(b"[{}]").is_err());
        assert!(parse_batch(b"\"x\"").is_err());
        assert!(parse_batch(b"[{\"channel\":5}]").is_err());
        let many = format!("[{}]", vec![r#"{"channel":"/x"}"#; MAX_BATCH + 1].join(","));
        assert!(parse_batch(many.as_bytes()).is_err());
    }

    #[test]
    fn channel_names_and_patterns() {
        assert!(is_channel("/v2/ucs/interactions", false));
        assert!(!is_channel("/v2/ucs/*", false));
        assert!(is_channel("/v2/ucs/*", true));
        assert!(is_channel("/v2/**", true));
        assert!(!is_channel("/v2/*/x", true));
        assert!(!is_channel("v2", true));
        assert!(!is_channel("/", true));
        assert!(!is_channel("/a//b", true));
        assert!(!is_channel("/a b", true));
        assert!(matches("/v2/ucs/interactions", "/v2/ucs/interactions"));
        assert!(matches("/v2/ucs/*", "/v2/ucs/interactions"));
        assert!(!matches("/v2/*", "/v2/ucs/interactions"));
        assert!(matches("/v2/**", "/v2/ucs/interactions"));
        assert!(matches("/**", "/v2/ucs/interactions"));
        assert!(!matches("/v2/ucs/interactions", "/v2/ucs/interactionsX"));
        assert!(!matches("/v2/u/**", "/v2/ucs/interactions"));
    }

    proptest! {
        #[test]
        fn any_body_is_read_or_refused_without_panicking(s in "\\PC{0,200}") {
            let _ = parse_batch(s.as_bytes());
        }

        #[test]
        fn channel_checks_never_panic(a in "[/a-z*]{0,12}", b in "[/a-z*]{0,12}") {
            let _ = is_channel(&a, true);
            let _ = matches(&a, &b);
        }
    }
}
