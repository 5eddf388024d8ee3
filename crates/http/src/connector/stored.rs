//! What the store keeps of a tenant's connectors, and the status every reader shows (the
//! API, the CLI, the explorer): two durable settings per connector, like a webhook's.
//!
//! - The **definition** (namespace [`DEFINITIONS`]): kind, API root, token endpoint, the
//!   schedule, the kind's plain settings, and its secret ones encrypted as one value with
//!   the server's key ([`crate::auth::Signer::encrypt`]).
//! - The **run state** (namespace [`STATES`]): the committed cursor, the run in progress and
//!   the last one with their counts, totals, the last error, the schedule of the next run,
//!   and the lease of the instance running it ([`crate::background::lease`]), so that one
//!   instance at a time runs a connector and a kill -9 resumes from the committed cursor.

use crate::auth::Signer;
use crate::background::lease::{Lease, Leased};
use interlog_store::{Result as StoreResult, Store, StoreError, Tenant};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Settings namespace of definitions (key: the connector's id).
pub const DEFINITIONS: &str = "connectors";
/// Settings namespace of run states (key: the connector's id).
pub const STATES: &str = "connector-state";
/// The purpose secrets are encrypted for.
pub const SECRETS: &str = "connector-secrets";
/// Notification topic that wakes a tenant's connectors (payload: the connector's id).
pub const TOPIC: &str = "connectors";
/// Rejected records kept in a state, newest last.
pub const KEPT_REJECTIONS: usize = 20;
/// The longest error message kept.
pub const MAX_ERROR: usize = 1000;

/// A connector as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub kind: String,
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// The kind's settings that are not secret, by name.
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
    /// The secret ones, as one JSON object encrypted ([`SECRETS`]).
    #[serde(default)]
    pub sealed: String,
    /// The names of the secret settings given (the values stay sealed).
    #[serde(default)]
    pub secret_names: Vec<String>,
    /// RFC 3339.
    pub start_from: String,
    pub poll_interval_secs: u64,
    pub lookback_secs: u64,
    pub enabled: bool,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

impl Definition {
    /// The secret settings, in clear.
    pub fn secrets(
        &self,
        signer: &Signer,
        tenant: &Tenant,
    ) -> Result<BTreeMap<String, Value>, StoreError> {
        if self.sealed.is_empty() {
            return Ok(BTreeMap::new());
        }
        signer
            .decrypt(&tenant.key, SECRETS, &self.sealed)
            .map_err(|e| StoreError::backend("a connector's sealed secrets", e))
    }

    /// Seals `secrets` into the definition.
    pub fn seal(&mut self, signer: &Signer, tenant: &Tenant, secrets: &BTreeMap<String, Value>) {
        self.secret_names = secrets.keys().cloned().collect();
        self.sealed = if secrets.is_empty() {
            String::new()
        } else {
            signer.encrypt(&tenant.key, SECRETS, secrets)
        };
    }
}

/// Records counted by result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    /// Records the vendor answered.
    pub fetched: u64,
    /// New engagements.
    pub created: u64,
    /// Engagements that changed.
    pub updated: u64,
    /// Records identical to what was stored (or older than it): nothing written.
    pub unchanged: u64,
    /// Records that did not map to a valid engagement (see `recent_rejections`).
    pub rejected: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.fetched += o.fetched;
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.rejected += o.rejected;
    }
}

/// One run: when, what it counted, how it ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub started_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<i64>,
    /// `ok`, `failed`, or `stopped` (the server stopped); none while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default)]
    pub counts: Counts,
    /// Requests sent to the vendor, and how many it refused for its rate limit (429).
    #[serde(default)]
    pub requests: u64,
    #[serde(default)]
    pub throttled: u64,
}

/// A record the vendor answered that could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rejection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
    /// RFC 3339.
    pub at: String,
}

/// Where a connector stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Every record that started before this (epoch ms) has been read and committed, as of
    /// the run that moved it; later runs re-read `lookback_secs` before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_ms: Option<i64>,
    /// Whether a run has reached the present once (the backfill is over).
    #[serde(default)]
    pub live: bool,
    /// The window length the next read starts with (seconds): halved when a window is too
    /// large for the vendor's paging, doubled after small ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_secs: Option<u64>,
    /// The window being read (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<(i64, i64)>,
    /// The run in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Run>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<Run>,
    #[serde(default)]
    pub totals: Counts,
    /// When (epoch ms) and why the last run failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<(i64, String)>,
    /// Runs that failed in a row.
    #[serde(default)]
    pub failures: u32,
    /// The last failure was the vendor refusing the credentials.
    #[serde(default)]
    pub credentials_refused: bool,
    /// The vendor's rate limit was exhausted until then (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_until_ms: Option<i64>,
    /// When the next run is due (epoch ms).
    #[serde(default)]
    pub next_run_ms: i64,
    /// A run was asked for (`POST …/run`, a changed configuration).
    #[serde(default)]
    pub run_requested: bool,
    #[serde(default)]
    pub recent_rejections: Vec<Rejection>,
    /// Mirrors the definition's `enabled`: a disabled connector is not run.
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

impl RunState {
    /// Keeps a rejected record (the last [`KEPT_REJECTIONS`]).
    pub fn reject(&mut self, r: Rejection) {
        self.recent_rejections.push(r);
        let excess = self.recent_rejections.len().saturating_sub(KEPT_REJECTIONS);
        self.recent_rejections.drain(..excess);
    }
}

/// Running a connector is leased work; a disabled one is paused, a deleted one (no state)
/// is gone.
impl Leased for RunState {
    fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn lease_mut(&mut self) -> &mut Option<Lease> {
        &mut self.lease
    }

    fn is_paused(&self) -> bool {
        self.disabled
    }
}

/// The tenant's connectors, by id.
pub async fn definitions(
    store: &dyn Store,
    tenant: &Tenant,
) -> StoreResult<Vec<(String, Definition)>> {
    crate::settings::read_all(store, tenant, DEFINITIONS).await
}

pub async fn definition(
    store: &dyn Store,
    tenant: &Tenant,
    id: &str,
) -> StoreResult<Option<Definition>> {
    crate::settings::read(store, tenant, DEFINITIONS, id).await
}

pub async fn state(store: &dyn Store, tenant: &Tenant, id: &str) -> StoreResult<Option<RunState>> {
    crate::settings::read(store, tenant, STATES, id).await
}

// --- the status every reader shows ------------------------------------------------------

/// What a connector is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading history up to the present for the first time.
    Backfilling,
    /// Caught up: each run reads what arrived since the last, with the lookback.
    Live,
    /// The last run failed (or the vendor's limit is exhausted); the next waits.
    BackingOff,
    /// Failing for a while, or the vendor refuses the credentials: see `last_error`.
    Failing,
    /// Not run (`enabled: false`).
    Disabled,
}

/// Runs that failed in a row before a connector shows `failing`.
pub const FAILING_AFTER: u32 = 3;

/// The counts and times of one run, as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// `ok`, `failed`, `stopped`; absent while it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    pub counts: Counts,
    /// Requests sent to the vendor (every try).
    pub requests: u64,
    /// Of them, refused for the vendor's rate limit (429) and waited out.
    pub throttled: u64,
}

/// The last failure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorView {
    pub at: String,
    pub message: String,
}

/// A connector's status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Status {
    pub state: Phase,
    /// The committed watermark: every record that started before it has been read and
    /// stored (RFC 3339); absent before the first window commits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Seconds between the cursor and now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_secs: Option<i64>,
    /// Whether a run is in progress.
    pub running: bool,
    /// The window being read, `[from, to)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<[String; 2]>,
    /// The run in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_run: Option<RunView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run: Option<RunView>,
    /// Every run's counts added up.
    pub totals: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorView>,
    /// When the next run is due (RFC 3339); soon after now when one was asked for.
    pub next_run_at: String,
    /// The last records that could not be stored, newest last.
    pub recent_rejections: Vec<Rejection>,
}

/// `ms` as RFC 3339 (empty when out of range, which stored values never are).
pub fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn run_view(r: &Run) -> RunView {
    RunView {
        started_at: rfc3339(r.started_ms),
        ended_at: r.ended_ms.map(rfc3339),
        outcome: r.outcome.clone(),
        counts: r.counts,
        requests: r.requests,
        throttled: r.throttled,
    }
}

/// The status of a connector defined as `d` whose state is `s`, at `now`.
pub fn status(d: &Definition, s: &RunState, now: Timestamp) -> Status {
    let now_ms = now.as_millisecond();
    let state = if !d.enabled {
        Phase::Disabled
    } else if s.credentials_refused || s.failures >= FAILING_AFTER {
        Phase::Failing
    } else if s.failures > 0 || s.limited_until_ms.is_some_and(|u| u > now_ms) {
        Phase::BackingOff
    } else if s.live {
        Phase::Live
    } else {
        Phase::Backfilling
    };
    let running = s.current.is_some() && s.lease.as_ref().is_some_and(|l| l.1 > now_ms);
    Status {
        state,
        cursor: s.cursor_ms.map(rfc3339),
        lag_secs: s.cursor_ms.map(|c| ((now_ms - c) / 1000).max(0)),
        running,
        window: s
            .window
            .filter(|_| running)
            .map(|(a, b)| [rfc3339(a), rfc3339(b)]),
        current_run: s.current.as_ref().filter(|_| running).map(run_view),
        last_run: s.last_run.as_ref().map(run_view),
        totals: s.totals,
        last_error: s.last_error.as_ref().map(|(at, m)| ErrorView {
            at: rfc3339(*at),
            message: m.clone(),
        }),
        next_run_at: rfc3339(if s.run_requested {
            now_ms.min(s.next_run_ms)
        } else {
            s.next_run_ms
        }),
        recent_rejections: s.recent_rejections.clone(),
    }
}

/// A connector as shown: its settings (secrets by name only) and its status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectorView {
    pub id: String,
    pub kind: String,
    pub base_url: String,
    /// The token endpoint used: the one given, or the kind's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// The kind's settings that are not secret (`account_id`, `client_id`, …).
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    /// The secret settings that are set; their values are never shown.
    pub secrets: Vec<String>,
    pub start_from: String,
    pub poll_interval_secs: u64,
    pub lookback_secs: u64,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
    pub status: Status,
}

/// The view of connector `id`.
pub fn view(
    id: &str,
    d: &Definition,
    s: &RunState,
    token_url: Option<String>,
    now: Timestamp,
) -> ConnectorView {
    ConnectorView {
        id: id.to_owned(),
        kind: d.kind.clone(),
        base_url: d.base_url.clone(),
        token_url,
        settings: d.settings.clone().into_iter().collect(),
        secrets: d.secret_names.clone(),
        start_from: d.start_from.clone(),
        poll_interval_secs: d.poll_interval_secs,
        lookback_secs: d.lookback_secs,
        enabled: d.enabled,
        created_at: d.created_at.clone(),
        updated_at: d.updated_at.clone(),
        status: status(d, s, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> Definition {
        Definition {
            kind: "zoom_cc".into(),
            base_url: "https://api.zoom.us/v2".into(),
            token_url: None,
            settings: BTreeMap::new(),
            sealed: String::new(),
            secret_names: vec![],
            start_from: "2026-01-01T00:00:00Z".into(),
            poll_interval_secs: 60,
            lookback_secs: 900,
            enabled: true,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn the_state_shown_follows_failures_limits_and_the_backfill() {
        let now: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
        let d = definition();
        let mut s = RunState::default();
        assert_eq!(status(&d, &s, now).state, Phase::Backfilling);
        s.live = true;
        s.cursor_ms = Some(now.as_millisecond() - 90_000);
        let st = status(&d, &s, now);
        assert_eq!((st.state, st.lag_secs), (Phase::Live, Some(90)));
        s.limited_until_ms = Some(now.as_millisecond() + 1);
        assert_eq!(status(&d, &s, now).state, Phase::BackingOff);
        s.limited_until_ms = None;
        s.failures = 1;
        assert_eq!(status(&d, &s, now).state, Phase::BackingOff);
        s.failures = FAILING_AFTER;
        assert_eq!(status(&d, &s, now).state, Phase::Failing);
        s.failures = 1;
        s.credentials_refused = true;
        assert_eq!(status(&d, &s, now).state, Phase::Failing);
        let off = Definition {
            enabled: false,
            ..d.clone()
        };
        assert_eq!(status(&off, &s, now).state, Phase::Disabled);
    }

    #[test]
    fn a_run_shows_only_while_its_lease_holds() {
        let now: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
        let mut s = RunState {
            current: Some(Run::default()),
            window: Some((0, 1000)),
            ..RunState::default()
        };
        assert!(!status(&definition(), &s, now).running);
        s.lease = Some(Lease("i".into(), now.as_millisecond() + 10_000));
        let st = status(&definition(), &s, now);
        assert!(st.running && st.window.is_some() && st.current_run.is_some());
    }

    #[test]
    fn rejections_keep_the_newest() {
        let mut s = RunState::default();
        for i in 0..KEPT_REJECTIONS + 5 {
            s.reject(Rejection {
                id: Some(i.to_string()),
                reason: "r".into(),
                at: String::new(),
            });
        }
        assert_eq!(s.recent_rejections.len(), KEPT_REJECTIONS);
        assert_eq!(s.recent_rejections[0].id.as_deref(), Some("5"));
    }
}
