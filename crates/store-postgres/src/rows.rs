//! Engagements in their stored form: the one place bodies are encoded and decoded, and the
//! columns and search terms computed from an engagement before it reaches the database.

use interlog_model::{Direction, Engagement, Outcome, State, Timestamp};
use interlog_store::codes::{channel_mask, code};
use interlog_store::terms::terms;
use interlog_store::{sort_value, Result, SortKey, StoreError, StoredEngagement};

/// What the writer needs to know of a tenant.
#[derive(Clone)]
pub(crate) struct TenantCtx {
    pub id: i64,
    pub country_code: Option<String>,
}

/// An engagement ready to be written.
pub(crate) struct Row {
    pub id: String,
    pub body: String,
    pub started: i64,
    pub ended: i64,
    pub updated: i64,
    pub duration: i64,
    pub state: i16,
    pub outcome: Option<i16>,
    pub direction: Option<i16>,
    pub channels: i32,
    pub terms: Vec<(i16, String)>,
    /// Its words for the full-text index (a `tsvector` literal; empty: none).
    pub words: String,
    /// What it adds to the figures.
    pub figures: Vec<crate::figures::FigureRow>,
    /// The (kind, id, name)s it mentions, for the names table.
    pub names: std::collections::BTreeSet<interlog_store::names::NameRef>,
}

fn small(v: i64) -> i16 {
    i16::try_from(v).expect("enum codes are small")
}

/// The stored body of an engagement.
pub(crate) fn encode(e: &Engagement) -> String {
    serde_json::to_string(e).expect("engagements always serialize")
}

/// An engagement from its stored body; fails only on a corrupted store.
pub(crate) fn decode(body: &str) -> Result<Engagement> {
    serde_json::from_str(body).map_err(|err| StoreError::backend("stored body", err))
}

/// The search terms of a stored engagement, as the terms table keys them.
pub(crate) fn term_keys(e: &Engagement, country: Option<&str>) -> Vec<(i16, String)> {
    terms(e, country)
        .into_iter()
        .map(|(k, v)| (small(k.code()), v))
        .collect()
}

impl Row {
    /// Prepares `e`, stamping `updated_at` with `now` when it has none.
    pub(crate) fn new(mut e: Engagement, now: Timestamp, country: Option<&str>) -> Row {
        e.updated_at.get_or_insert(now);
        Row {
            body: encode(&e),
            started: sort_value(&e, SortKey::StartedAt),
            ended: sort_value(&e, SortKey::EndedAt),
            updated: sort_value(&e, SortKey::UpdatedAt),
            duration: sort_value(&e, SortKey::Duration),
            state: small(code(State::ALL, e.effective_state())),
            outcome: e.outcome.map(|o| small(code(Outcome::ALL, o))),
            direction: e.direction.map(|d| small(code(Direction::ALL, d))),
            channels: i32::try_from(channel_mask(e.channels.iter().map(|c| c.kind)))
                .expect("fewer than 32 channel types"),
            terms: term_keys(&e, country),
            figures: crate::figures::FigureRow::of(&e),
            words: crate::words::literal(&e),
            names: interlog_store::names::names_of(&e, country),
            id: e.id,
        }
    }

    pub(crate) fn stored(&self) -> StoredEngagement {
        StoredEngagement {
            id: self.id.clone(),
            json: self.body.clone(),
        }
    }
}
