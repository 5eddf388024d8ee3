//! What an access token says about its bearer.

use interlog_store::ClientRole;
use serde::{Deserialize, Serialize};

/// Now, in seconds since the epoch (the unit of token times).
pub fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Whether a token was issued to an API client or to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Client,
    User,
}

/// The claims of an Interlog access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Tenant key.
    pub tenant: String,
    /// Client id or user id.
    pub sub: String,
    pub kind: SubjectKind,
    pub role: ClientRole,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
}

impl Claims {
    pub fn is_expired(&self, now_secs: i64) -> bool {
        now_secs >= self.exp
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
