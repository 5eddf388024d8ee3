//! What a client can ask for: a filter, a sort, and a place to start.

use crate::StoredEngagement;
use interlog_model::{ChannelType, Direction, Outcome, State, Timestamp};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A half-open range of instants `[from, to)`; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl TimeRange {
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether the range can hold no instant at all.
    pub fn is_empty(&self) -> bool {
        matches!((self.from, self.to), (Some(a), Some(b)) if b <= a)
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|a| t >= a) && self.to.is_none_or(|b| t < b)
    }

    /// The range both `self` and `other` allow.
    pub fn intersect(self, other: TimeRange) -> TimeRange {
        TimeRange {
            from: match (self.from, other.from) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            to: match (self.to, other.to) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// Which engagements a query matches. Every part that is set must match (AND); within a
/// list, any value may match (OR), except `data`, whose pairs must all match. Empty lists
/// and open ranges match everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub started: TimeRange,
    pub ended: TimeRange,
    pub updated: TimeRange,
    pub states: Vec<State>,
    pub outcomes: Vec<Outcome>,
    pub directions: Vec<Direction>,
    pub channel_types: Vec<ChannelType>,
    pub channel_sources: Vec<String>,
    pub queue_ids: Vec<String>,
    pub teams: Vec<String>,
    /// Agent participants by id or email (case-insensitive for emails).
    pub agents: Vec<String>,
    /// Any participant by email (case-insensitive).
    pub participant_emails: Vec<String>,
    /// Customer identifiers: phone numbers (compared regardless of formatting), emails,
    /// account ids, custom identifier values, contact ids.
    pub customer: Vec<String>,
    /// Dispositions by id or name.
    pub dispositions: Vec<String>,
    /// Duration bounds in milliseconds, both inclusive.
    pub min_duration_ms: Option<u64>,
    pub max_duration_ms: Option<u64>,
    /// `data` entries that must equal the value (string values, or the JSON text of
    /// numbers and booleans).
    pub data: Vec<(String, String)>,
    /// A boolean expression that must match as well (the native `filter=`).
    pub expr: Option<crate::Expr>,
    /// Words that must be found in the engagement's text (the native `q`).
    pub text: Option<crate::search::TextQuery>,
}

/// Most values one list of a [`Filter`] may hold, and most `data` pairs. A backend refuses
/// a larger filter with [`crate::StoreError::Invalid`] rather than building a query past
/// what it can plan; the APIs cap each parameter lower, naming it.
pub const MAX_FILTER_VALUES: usize = 100;

impl Filter {
    /// Whether a time range of the filter is empty, so it matches nothing and no statement
    /// is needed.
    pub fn matches_nothing(&self) -> bool {
        self.started.is_empty() || self.ended.is_empty() || self.updated.is_empty()
    }

    /// The part of the filter holding more than [`MAX_FILTER_VALUES`] values, if any.
    pub fn oversized(&self) -> Option<&'static str> {
        if self.expr.as_ref().is_some_and(|x| x.oversized()) {
            return Some("expression");
        }
        if self.text.as_ref().is_some_and(|t| t.oversized()) {
            return Some("text");
        }
        let lists: [(&'static str, usize); 12] = [
            ("states", self.states.len()),
            ("outcomes", self.outcomes.len()),
            ("directions", self.directions.len()),
            ("channel_types", self.channel_types.len()),
            ("channel_sources", self.channel_sources.len()),
            ("queue_ids", self.queue_ids.len()),
            ("teams", self.teams.len()),
            ("agents", self.agents.len()),
            ("participant_emails", self.participant_emails.len()),
            ("customer", self.customer.len()),
            ("dispositions", self.dispositions.len()),
            ("data", self.data.len()),
        ];
        lists
            .into_iter()
            .find(|(_, n)| *n > MAX_FILTER_VALUES)
            .map(|(name, _)| name)
    }

    /// [`crate::StoreError::Invalid`] when the filter is [`Filter::oversized`].
    pub fn check_size(&self) -> crate::Result<()> {
        match self.oversized() {
            Some("expression") => Err(crate::StoreError::Invalid(format!(
                "the filter's expression holds more than {} leaves, nests deeper than {}, \
                 or has a leaf past the limits",
                crate::MAX_EXPR_LEAVES,
                crate::MAX_EXPR_DEPTH
            ))),
            Some("text") => Err(crate::StoreError::Invalid(format!(
                "the filter's text query is empty or holds more than {} terms or {} words",
                crate::search::MAX_TEXT_TERMS,
                crate::search::MAX_TEXT_WORDS
            ))),
            Some(part) => Err(crate::StoreError::Invalid(format!(
                "the filter's {part} hold more than {MAX_FILTER_VALUES} values"
            ))),
            None => Ok(()),
        }
    }
}

/// The order of a listing. Ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    StartedAt,
    /// Engagements that have not ended sort after all ended ones (ascending).
    EndedAt,
    /// Engagements without a duration sort before all others (ascending).
    Duration,
    UpdatedAt,
}

impl SortKey {
    pub const fn as_str(self) -> &'static str {
        match self {
            SortKey::StartedAt => "started_at",
            SortKey::EndedAt => "ended_at",
            SortKey::Duration => "duration",
            SortKey::UpdatedAt => "updated_at",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort {
    pub key: SortKey,
    pub dir: SortDir,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Self {
        Sort {
            key: SortKey::StartedAt,
            dir: SortDir::Desc,
        }
    }
}

/// A position in a sorted listing: the sort value and id of the last item seen.
/// The sort value is the backend-neutral integer the store sorts by (see [`sort_value`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    pub value: i64,
    pub id: String,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Start {
    #[default]
    First,
    /// Just after this position (keyset paging).
    After(Position),
    /// After skipping this many matches (offset paging, for dialects that need it).
    Offset(u64),
}

/// A listing request.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub filter: Filter,
    pub sort: Sort,
    pub start: Start,
    /// Items per page; 0 asks only for `total` / `has_more`.
    pub limit: u32,
    /// Also count every match (costs a count over the filter).
    pub with_total: bool,
    /// How long the count may take before it stops and says how many it found at least
    /// ([`Total::AtLeast`]); `None`: count them all (within the statement budget).
    pub count_within: Option<Duration>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            filter: Filter::default(),
            sort: Sort::default(),
            start: Start::First,
            limit: 50,
            with_total: false,
            count_within: None,
        }
    }
}

/// Most items of a page that is still cheap: a larger page, or a total, makes a listing
/// [`Lane::Heavy`].
pub const CHEAP_PAGE: u32 = 100;

/// Which of a backend's two kinds of read connections serves a read. Cheap reads (a page of
/// at most [`CHEAP_PAGE`], one engagement, a tenant, a credential) never wait behind heavy
/// ones (totals, large pages, change feed reads, the explorer's overview, exports,
/// analytics): a backend serves the two from separate connections, and runs heavy work at a
/// lower priority where it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Cheap,
    Heavy,
}

/// How long a cheap listing may run. A page of at most [`CHEAP_PAGE`] can still be costly (a
/// filter that few engagements match, walked in the order of a sort it does not help): one
/// that runs longer than this is stopped and read again on the heavy lane, so that it never
/// holds a cheap reader for longer.
pub const CHEAP_READ_BUDGET: Duration = Duration::from_millis(100);

/// Matches an offset page skips before it is heavy: skipping is a walk over the index.
pub const CHEAP_OFFSET: u64 = 10_000;

impl Query {
    /// The lane this listing is read on: heavy with a total, more than [`CHEAP_PAGE`]
    /// items, or an offset past [`CHEAP_OFFSET`].
    pub fn lane(&self) -> Lane {
        let deep = matches!(self.start, Start::Offset(n) if n > CHEAP_OFFSET);
        if self.with_total || self.limit > CHEAP_PAGE || deep {
            Lane::Heavy
        } else {
            Lane::Cheap
        }
    }
}

/// How many engagements match: counted to the end, or as far as a time budget allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(u64),
    /// The count stopped at its budget: at least this many match (maybe more).
    AtLeast(u64),
}

impl Total {
    /// The number counted (all, or as many as were counted).
    pub fn value(self) -> u64 {
        match self {
            Total::Exact(n) | Total::AtLeast(n) => n,
        }
    }

    pub fn is_exact(self) -> bool {
        matches!(self, Total::Exact(_))
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub items: Vec<StoredEngagement>,
    /// Whether more matches follow this page (with limit 0: whether any match is there).
    pub has_more: bool,
    /// The position of the last item, when items were returned and more matches follow.
    pub next: Option<Position>,
    /// Every match, when the query asked for it.
    pub total: Option<Total>,
}

impl Page {
    /// The page of a query that matches nothing.
    pub fn empty(q: &Query) -> Page {
        Page {
            total: q.with_total.then_some(Total::Exact(0)),
            ..Page::default()
        }
    }

    pub fn has_more(&self) -> bool {
        self.has_more
    }
}

/// Sentinel sort values for engagements without an end or a duration, chosen so they sort
/// last (no end) or first (no duration) in ascending order.
pub const NO_END: i64 = i64::MAX;
pub const NO_DURATION: i64 = -1;

/// The integer an engagement sorts by under `key`.
pub fn sort_value(e: &interlog_model::Engagement, key: SortKey) -> i64 {
    match key {
        SortKey::StartedAt => e.started_at.as_millisecond(),
        SortKey::EndedAt => e.ended_at.map_or(NO_END, |t| t.as_millisecond()),
        SortKey::Duration => e
            .effective_duration_ms()
            .and_then(|d| i64::try_from(d).ok())
            .unwrap_or(NO_DURATION),
        SortKey::UpdatedAt => e
            .updated_at
            .map_or(e.started_at.as_millisecond(), |t| t.as_millisecond()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_half_open() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let r = TimeRange {
            from: Some(t("2024-01-01T00:00:00Z")),
            to: Some(t("2024-01-02T00:00:00Z")),
        };
        assert!(r.contains(t("2024-01-01T00:00:00Z")));
        assert!(!r.contains(t("2024-01-02T00:00:00Z")));
        assert!(!r.is_empty());
        let narrowed = r.intersect(TimeRange {
            from: Some(t("2024-01-01T12:00:00Z")),
            to: None,
        });
        assert_eq!(narrowed.from, Some(t("2024-01-01T12:00:00Z")));
        assert_eq!(narrowed.to, r.to);
        assert!(TimeRange {
            from: r.to,
            to: r.from
        }
        .is_empty());
    }
}
