//! Contact-center figures over a tenant's engagements: offers, answers and abandons of
//! queue visits, waits, service level, handle time and transfers, by bucket of time and by
//! group ([`Analytics::figures`]).
//!
//! A backend keeps each engagement's [`Facts`] in the engagement's own write transaction
//! (so a figure includes a write the moment it is acknowledged) and adds them up into
//! [`Tally`]s, the sums every figure is made of. Ratios and averages are made from the
//! sums by the caller, so every backend's answer is the same integers.

mod facts;
mod intervals;

pub use facts::*;
pub use intervals::*;

use crate::{Filter, Result, StoreError, Tenant};
use async_trait::async_trait;
use interlog_model::{ChannelType, Direction, SourcePlatform};

/// What figures can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// The queue of the visit (the handling: of the visit answered last).
    Queue,
    /// The agent of the visit (see [`VisitFact::agent`]; the engagement's own row: the
    /// engagement's agent).
    Agent,
    Team,
    /// The type of the engagement's first channel.
    ChannelType,
    Direction,
    /// The platform the engagement came from.
    Source,
    /// The engagement's first disposition (its id, else its name).
    Disposition,
}

impl Dimension {
    pub const ALL: &'static [Dimension] = &[
        Dimension::Queue,
        Dimension::Agent,
        Dimension::Team,
        Dimension::ChannelType,
        Dimension::Direction,
        Dimension::Source,
        Dimension::Disposition,
    ];

    /// Its name in a request and in a group's key.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dimension::Queue => "queue",
            Dimension::Agent => "agent",
            Dimension::Team => "team",
            Dimension::ChannelType => "channel_type",
            Dimension::Direction => "direction",
            Dimension::Source => "source",
            Dimension::Disposition => "disposition",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.iter().copied().find(|d| d.as_str() == s)
    }

    /// Whether its values have names besides their ids (a group's key then carries
    /// `queue_name`, `agent_name`, `disposition_name`).
    pub const fn named(self) -> bool {
        matches!(
            self,
            Dimension::Queue | Dimension::Agent | Dimension::Disposition
        )
    }

    /// Whether its values are words of the model (channel type, direction, source), which
    /// backends store as the enum's code (`interlog_store::codes`).
    pub const fn is_word(self) -> bool {
        matches!(
            self,
            Dimension::ChannelType | Dimension::Direction | Dimension::Source
        )
    }

    /// The word stored as `code`, for a dimension whose values are words.
    pub fn word(self, code: usize) -> Option<&'static str> {
        match self {
            Dimension::ChannelType => ChannelType::ALL.get(code).map(|c| c.as_str()),
            Dimension::Direction => Direction::ALL.get(code).map(|d| d.as_str()),
            Dimension::Source => SourcePlatform::ALL.get(code).map(|s| s.as_str()),
            _ => None,
        }
    }

    /// The value of a row of facts for this dimension, and its name.
    pub fn of<'a>(self, facts: &'a Facts, row: &FactRow<'a>) -> KeyRef<'a> {
        let named = |n: Option<&'a Named>| KeyRef {
            value: n.map(|n| n.key.as_str()),
            name: n.and_then(|n| n.name.as_deref()),
        };
        let word = |w: Option<&'static str>| KeyRef {
            value: w,
            name: None,
        };
        match self {
            Dimension::Queue => named(row.queue),
            Dimension::Agent => named(row.agent),
            Dimension::Team => KeyRef {
                value: facts.team.as_deref(),
                name: None,
            },
            Dimension::ChannelType => word(facts.channel_type.map(ChannelType::as_str)),
            Dimension::Direction => word(facts.direction.map(Direction::as_str)),
            Dimension::Source => word(facts.source.map(SourcePlatform::as_str)),
            Dimension::Disposition => named(facts.disposition.as_ref()),
        }
    }
}

/// A dimension's value in a row, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef<'a> {
    pub value: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Most dimensions one query groups by.
pub const MAX_GROUP_BY: usize = 3;

/// How service level is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServiceLevelFormula {
    /// Answered visits that waited at most the threshold ÷ (answered + abandoned − short
    /// abandoned). Genesys Cloud's calculation with short abandons left out.
    #[default]
    Interlog,
    /// Amazon Connect's "service level X": visits removed from the queue (answered or
    /// abandoned) less than the threshold after they queued ÷ (answered + abandoned).
    Amazon,
}

impl ServiceLevelFormula {
    pub const ALL: &'static [ServiceLevelFormula] =
        &[ServiceLevelFormula::Interlog, ServiceLevelFormula::Amazon];

    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceLevelFormula::Interlog => "interlog",
            ServiceLevelFormula::Amazon => "amazon",
        }
    }

    pub fn parse(s: &str) -> Option<ServiceLevelFormula> {
        ServiceLevelFormula::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == s)
    }
}

/// The thresholds a query counts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// A visit answered after waiting at most this long meets the service level.
    pub sl_threshold_ms: u64,
    /// An abandoned visit that waited less than this is a short abandon.
    pub short_abandon_ms: u64,
    pub sl_formula: ServiceLevelFormula,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            sl_threshold_ms: 20_000,
            short_abandon_ms: 0,
            sl_formula: ServiceLevelFormula::Interlog,
        }
    }
}

/// A request for figures.
#[derive(Debug, Clone, PartialEq)]
pub struct FiguresQuery {
    /// Which engagements count (the native listing's filter). Its `started` range narrows
    /// the buckets' range.
    pub filter: Filter,
    /// Where the buckets begin and end, in milliseconds, ascending, at least two: bucket
    /// `i` holds the engagements that started in `[bounds[i], bounds[i + 1])`.
    pub bounds: Vec<i64>,
    /// Up to [`MAX_GROUP_BY`] distinct dimensions; none: one group.
    pub group_by: Vec<Dimension>,
    pub rules: Rules,
    /// Most (group, bucket) pairs that counted anything an answer may hold: past it the
    /// backend stops counting and fails with [`StoreError::Invalid`], so the memory a query
    /// takes is bounded whatever it groups by.
    pub max_cells: usize,
}

/// The default of [`FiguresQuery::max_cells`].
pub const MAX_CELLS: usize = 100_000;

/// The [`StoreError::Invalid`] of a query past its [`FiguresQuery::max_cells`].
pub fn too_many_cells(max: usize) -> StoreError {
    StoreError::Invalid(format!(
        "more than {max} groups x buckets: group by fewer dimensions, choose a longer interval or a shorter range"
    ))
}

impl FiguresQuery {
    /// [`StoreError::Invalid`] for a query no backend can answer.
    pub fn check(&self) -> Result<()> {
        self.filter.check_size()?;
        let invalid = |m: &str| Err(StoreError::Invalid(m.to_owned()));
        if self.bounds.len() < 2 || self.bounds.windows(2).any(|w| w[0] >= w[1]) {
            return invalid("bucket bounds must be at least two, ascending");
        }
        if self.group_by.len() > MAX_GROUP_BY {
            return invalid("figures are grouped by at most three dimensions");
        }
        let mut seen = self.group_by.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.group_by.len() {
            return invalid("a dimension is grouped by twice");
        }
        Ok(())
    }

    /// The range of start times that count: the buckets' range within the filter's.
    pub fn started(&self) -> (i64, i64) {
        let mut from = self.bounds[0];
        let mut to = *self.bounds.last().expect("checked: two bounds");
        if let Some(f) = self.filter.started.from {
            from = from.max(f.as_millisecond());
        }
        if let Some(t) = self.filter.started.to {
            to = to.min(t.as_millisecond());
        }
        (from, to)
    }

    /// The filter without its `started` range (which [`FiguresQuery::started`] applies),
    /// or `None` when nothing else is left: every engagement of the range counts.
    pub fn narrowing(&self) -> Option<Filter> {
        let rest = Filter {
            started: Default::default(),
            ..self.filter.clone()
        };
        (rest != Filter::default()).then_some(rest)
    }

    /// The bucket of a start time in the range, by binary search.
    pub fn bucket_of(&self, started: i64) -> Option<usize> {
        let i = self.bounds.partition_point(|b| *b <= started);
        (i > 0 && i < self.bounds.len()).then(|| i - 1)
    }
}

/// The sums every figure of one bucket of one group is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Queue visits.
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    /// The waits of the answered visits, added up.
    pub answered_wait_ms: u64,
    /// The longest wait of an answered or abandoned visit.
    pub max_wait_ms: Option<u64>,
    /// Visits that met the service level (see [`ServiceLevelFormula`]).
    pub sl_met: u64,
    /// Engagements with talk time, and their talk, hold and wrap-up added up.
    pub handled: u64,
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_up_ms: u64,
    /// Engagements with at least one transfer.
    pub transferred: u64,
}

impl Tally {
    /// Counts one row of facts.
    pub fn add(&mut self, row: &FactRow<'_>, rules: &Rules) {
        if let Some((status, wait)) = row.visit {
            self.add_visit(status, wait, rules);
        }
        if let Some(h) = row.handling {
            self.add_handling(h);
        }
    }

    /// Counts a queue visit.
    pub fn add_visit(&mut self, status: VisitStatus, wait_ms: u64, rules: &Rules) {
        self.offered += 1;
        let amazon = rules.sl_formula == ServiceLevelFormula::Amazon;
        match status {
            VisitStatus::Waiting => return,
            VisitStatus::Answered => {
                self.answered += 1;
                self.answered_wait_ms += wait_ms;
                let met = if amazon {
                    wait_ms < rules.sl_threshold_ms
                } else {
                    wait_ms <= rules.sl_threshold_ms
                };
                self.sl_met += u64::from(met);
            }
            VisitStatus::Abandoned => {
                self.abandoned += 1;
                self.short_abandoned += u64::from(wait_ms < rules.short_abandon_ms);
                self.sl_met += u64::from(amazon && wait_ms < rules.sl_threshold_ms);
            }
        }
        self.max_wait_ms = Some(self.max_wait_ms.map_or(wait_ms, |m| m.max(wait_ms)));
    }

    /// Counts an engagement's handling.
    pub fn add_handling(&mut self, h: &Handling) {
        if h.handled {
            self.handled += 1;
            self.talk_ms += h.talk_ms;
            self.hold_ms += h.hold_ms;
            self.wrap_up_ms += h.wrap_up_ms;
        }
        self.transferred += u64::from(h.transferred);
    }

    /// Adds another tally's sums to this one.
    pub fn merge(&mut self, o: &Tally) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.abandoned += o.abandoned;
        self.short_abandoned += o.short_abandoned;
        self.answered_wait_ms += o.answered_wait_ms;
        self.max_wait_ms = match (self.max_wait_ms, o.max_wait_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.sl_met += o.sl_met;
        self.handled += o.handled;
        self.talk_ms += o.talk_ms;
        self.hold_ms += o.hold_ms;
        self.wrap_up_ms += o.wrap_up_ms;
        self.transferred += o.transferred;
    }

    /// The visits service level is a share of, by `formula`.
    pub fn sl_denominator(&self, formula: ServiceLevelFormula) -> u64 {
        match formula {
            ServiceLevelFormula::Interlog => {
                (self.answered + self.abandoned).saturating_sub(self.short_abandoned)
            }
            ServiceLevelFormula::Amazon => self.answered + self.abandoned,
        }
    }
}

/// One value of a group's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyValue {
    /// `None`: the rows without a value (no queue, no agent…).
    pub value: Option<String>,
    /// The name the value was last written with, for named dimensions.
    pub name: Option<String>,
}

/// The figures of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFigures {
    /// One value per dimension grouped by, in the query's order.
    pub key: Vec<KeyValue>,
    /// The buckets that counted anything, by index, ascending.
    pub buckets: Vec<(usize, Tally)>,
}

/// The answer to a [`FiguresQuery`]: the groups that counted anything (without grouping:
/// one group with an empty key, also when nothing counted), ordered by key (values in
/// order, no value last).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Figures {
    pub groups: Vec<GroupFigures>,
}

impl Figures {
    /// Puts groups in the answer's order, and adds the one group of an ungrouped query
    /// that counted nothing. Backends call it last.
    pub fn finish(mut self, q: &FiguresQuery) -> Figures {
        if q.group_by.is_empty() && self.groups.is_empty() {
            self.groups.push(GroupFigures {
                key: Vec::new(),
                buckets: Vec::new(),
            });
        }
        self.groups.sort_by(|a, b| {
            let order = |k: &Vec<KeyValue>| {
                k.iter()
                    .map(|v| (v.value.is_none(), v.value.clone()))
                    .collect::<Vec<_>>()
            };
            order(&a.key).cmp(&order(&b.key))
        });
        for g in &mut self.groups {
            g.buckets.sort_by_key(|(i, _)| *i);
        }
        self
    }
}

/// The figures of a tenant's engagements.
#[async_trait]
pub trait Analytics: Send + Sync {
    /// Adds up the facts of the engagements that match `query`'s filter and started in its
    /// buckets' range, by bucket and by group. [`StoreError::Invalid`] when
    /// [`FiguresQuery::check`] fails or the answer would hold more than
    /// [`FiguresQuery::max_cells`] (group, bucket) pairs. Includes every write acknowledged before the call.
    async fn figures(&self, tenant: &Tenant, query: &FiguresQuery) -> Result<Figures>;

    /// The visits to the queues `queues` (their ids) by the engagements that started in
    /// each bucket of `bounds` (milliseconds, ascending, at least two): one entry a bucket.
    /// The same counts as the offered, answered and abandoned of [`Analytics::figures`]
    /// with those `queue_ids`, grouped by queue and summed over the groups of those queues,
    /// but counted from an index of the visits by queue and start time, not from each
    /// engagement's facts: a queue's chart costs the visits it counts, not every engagement
    /// of the range. [`StoreError::Invalid`] for bounds that are not ascending or more
    /// than [`MAX_QUEUE_IDS`] queues.
    async fn queue_visits(
        &self,
        tenant: &Tenant,
        queues: &[String],
        bounds: &[i64],
    ) -> Result<Vec<VisitCounts>>;
}

/// Most queues one [`Analytics::queue_visits`] call counts (a name may stand for several):
/// as many as a filter's `queue_ids` hold.
pub const MAX_QUEUE_IDS: usize = crate::MAX_FILTER_VALUES;

/// A bucket's visits to some queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VisitCounts {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
}

impl VisitCounts {
    /// Counts `n` visits of one status.
    pub fn add(&mut self, status: VisitStatus, n: u64) {
        self.offered += n;
        match status {
            VisitStatus::Waiting => {}
            VisitStatus::Answered => self.answered += n,
            VisitStatus::Abandoned => self.abandoned += n,
        }
    }
}

/// [`StoreError::Invalid`] for arguments no backend's [`Analytics::queue_visits`] takes.
pub fn check_queue_visits(queues: &[String], bounds: &[i64]) -> Result<()> {
    if bounds.len() < 2 || bounds.windows(2).any(|w| w[0] >= w[1]) {
        return Err(StoreError::Invalid(
            "bucket bounds must be at least two, ascending".to_owned(),
        ));
    }
    if queues.len() > MAX_QUEUE_IDS {
        return Err(StoreError::Invalid(format!(
            "at most {MAX_QUEUE_IDS} queues at once, not {}",
            queues.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_level_counts_by_its_formula() {
        let mut rules = Rules {
            sl_threshold_ms: 20_000,
            short_abandon_ms: 5_000,
            sl_formula: ServiceLevelFormula::Interlog,
        };
        let visits = [
            (VisitStatus::Answered, 20_000),
            (VisitStatus::Answered, 20_001),
            (VisitStatus::Abandoned, 4_999),
            (VisitStatus::Abandoned, 10_000),
            (VisitStatus::Waiting, 0),
        ];
        let tally = |rules: &Rules| {
            let mut t = Tally::default();
            for (s, w) in visits {
                t.add_visit(s, w, rules);
            }
            t
        };
        let t = tally(&rules);
        assert_eq!(
            (t.offered, t.answered, t.abandoned, t.short_abandoned),
            (5, 2, 2, 1)
        );
        assert_eq!((t.sl_met, t.sl_denominator(rules.sl_formula)), (1, 3));
        assert_eq!(t.max_wait_ms, Some(20_001));
        rules.sl_formula = ServiceLevelFormula::Amazon;
        let t = tally(&rules);
        assert_eq!((t.sl_met, t.sl_denominator(rules.sl_formula)), (2, 4));
    }

    #[test]
    fn a_start_time_falls_in_one_bucket_of_the_range() {
        let q = FiguresQuery {
            filter: Filter::default(),
            bounds: vec![10, 20, 30],
            group_by: Vec::new(),
            rules: Rules::default(),
            max_cells: MAX_CELLS,
        };
        assert_eq!(q.bucket_of(9), None);
        assert_eq!(q.bucket_of(10), Some(0));
        assert_eq!(q.bucket_of(29), Some(1));
        assert_eq!(q.bucket_of(30), None);
    }
}
