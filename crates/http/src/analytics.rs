//! Analytics as every peer reads and answers it (the native route, the explorer's
//! dashboard): the request's parameters — range, interval, time zone, grouping, thresholds
//! and every filter of the native listing, by the same names — and the answer, whose ratios
//! and averages are made here from the store's integer sums, so every backend answers alike.

use crate::error::{ApiError, ApiResult};
use crate::listing::{filter, FILTER_PARAMETERS};
use crate::params::Params;
use crate::state::ApiState;
use interlog_model::time::{parse_instant, zone};
use interlog_model::Timestamp;
use interlog_store::analytics::{
    bucket_bounds, BoundsError, Dimension, Figures, FiguresQuery, Interval, Rules,
    ServiceLevelFormula, Tally, MAX_GROUP_BY,
};
use interlog_store::Tenant;
use jiff::tz::TimeZone;
use serde::Serialize;

/// The parameters of analytics besides the listing's filters.
pub const PARAMETERS: &[&str] = &[
    "from",
    "to",
    "interval",
    "time_zone",
    "group_by",
    "sl_threshold_secs",
    "short_abandon_secs",
    "sl_formula",
];

/// The range asked for when `from` is not given: this many days before `to`.
pub const DEFAULT_DAYS: i64 = 7;

/// Most buckets one answer holds: 15-minute buckets over a year and a half, days over 136
/// years. A longer range needs a longer interval (the range itself has no cap).
pub const MAX_BUCKETS: usize = 50_000;

/// Most cells (groups × buckets) one answer holds: about 30 MB of JSON. The store stops
/// counting past it too, so the memory a request takes is bounded.
pub const MAX_CELLS: usize = interlog_store::analytics::MAX_CELLS;

/// The longest threshold: a duration's limit in the model (30 days).
const MAX_THRESHOLD_SECS: u64 = 30 * 24 * 3600;

/// A request for figures, read and checked.
#[derive(Debug, Clone)]
pub struct Request {
    pub from: Timestamp,
    pub to: Timestamp,
    pub interval: Interval,
    /// The zone's name, as given or the tenant's.
    pub time_zone: String,
    pub tz: TimeZone,
    /// Where each bucket begins, and where the last ends.
    pub bounds: Vec<Timestamp>,
    pub query: FiguresQuery,
}

fn instant(p: &Params, name: &str) -> ApiResult<Option<Timestamp>> {
    p.one(name)?
        .map(|v| parse_instant(v).map_err(|e| ApiError::parameter(name, e.to_string())))
        .transpose()
}

fn threshold(p: &Params, name: &str, default: u64) -> ApiResult<u64> {
    Ok(p.number(name, 0, MAX_THRESHOLD_SECS)?.unwrap_or(default) * 1_000)
}

impl Request {
    /// Reads the request's parameters (any other is an error) for `tenant`, with `now` as
    /// the default end of the range.
    pub fn parse(p: &Params, tenant: &Tenant, now: Timestamp) -> ApiResult<Request> {
        p.reject_unknown(&[PARAMETERS, FILTER_PARAMETERS].concat(), &["data."])?;
        let filter = filter(p)?;
        // The store keeps milliseconds: so do the range's ends.
        let now = Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now);
        let days = jiff::SignedDuration::from_hours(24 * DEFAULT_DAYS);
        let to = instant(p, "to")?.unwrap_or(now);
        let from = match instant(p, "from")? {
            Some(f) => f,
            None => to
                .checked_sub(days)
                .map_err(|_| ApiError::parameter("to", "is too early for a default from"))?,
        };
        if to <= from {
            return Err(ApiError::parameter("to", "must be after from"));
        }
        let interval = match p.one("interval")? {
            None => Interval::Total,
            Some(v) => Interval::parse(v).ok_or_else(|| {
                let accepted: Vec<&str> = Interval::ALL.iter().map(|i| i.as_str()).collect();
                ApiError::parameter("interval", format!("accepted: {}", accepted.join(", ")))
            })?,
        };
        let time_zone = p.one("time_zone")?.unwrap_or(&tenant.time_zone).to_owned();
        let tz = zone(&time_zone).map_err(|e| ApiError::parameter("time_zone", e.to_string()))?;
        let mut group_by = Vec::new();
        for v in p.all("group_by") {
            let d = Dimension::parse(v).ok_or_else(|| {
                let accepted: Vec<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
                ApiError::parameter(
                    "group_by",
                    format!("unknown {v:?}; accepted: {}", accepted.join(", ")),
                )
            })?;
            if group_by.contains(&d) {
                return Err(ApiError::parameter(
                    "group_by",
                    format!("{v} is given twice"),
                ));
            }
            group_by.push(d);
        }
        if group_by.len() > MAX_GROUP_BY {
            return Err(ApiError::parameter(
                "group_by",
                format!("at most {MAX_GROUP_BY} dimensions"),
            ));
        }
        let sl_formula = match p.one("sl_formula")? {
            None => ServiceLevelFormula::default(),
            Some(v) => ServiceLevelFormula::parse(v)
                .ok_or_else(|| ApiError::parameter("sl_formula", "accepted: interlog, amazon"))?,
        };
        let rules = Rules {
            sl_threshold_ms: threshold(p, "sl_threshold_secs", 20)?,
            short_abandon_ms: threshold(p, "short_abandon_secs", 0)?,
            sl_formula,
        };
        let bounds = bucket_bounds(from, to, interval, &tz, MAX_BUCKETS).map_err(|e| match e {
            BoundsError::TooMany(n) => ApiError::parameter(
                "interval",
                format!("the range holds more than {n} buckets of {}: choose a longer interval or a shorter range", interval.as_str()),
            ),
            BoundsError::OutOfRange => {
                ApiError::parameter("from", "the range reaches past the dates that can be represented")
            }
        })?;
        let query = FiguresQuery {
            filter,
            bounds: bounds.iter().map(|b| b.as_millisecond()).collect(),
            group_by,
            rules,
            max_cells: MAX_CELLS,
        };
        Ok(Request {
            from,
            to,
            interval,
            time_zone,
            tz,
            bounds,
            query,
        })
    }

    /// The parameter to name when an answer would hold too many cells.
    fn cells_parameter(&self) -> &'static str {
        if self.query.group_by.is_empty() {
            "interval"
        } else {
            "group_by"
        }
    }

    /// An instant as the answer writes it: RFC 3339 with the zone's offset at that instant.
    pub fn local(&self, t: Timestamp) -> String {
        t.display_with_offset(self.tz.to_offset(t)).to_string()
    }
}

/// The figures asked for, as the answer gives them.
pub async fn report(state: &ApiState, tenant: &Tenant, req: &Request) -> ApiResult<Report> {
    let figures = match state.store.figures(tenant, &req.query).await {
        // Everything else the store could refuse was checked here first.
        Err(interlog_store::StoreError::Invalid(m)) => {
            Err(ApiError::parameter(req.cells_parameter(), m))
        }
        other => other.map_err(ApiError::from),
    }?;
    Report::of(req, figures)
}

/// The answer to an analytics request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The range (engagements that started in `[from, to)`), in the answer's time zone.
    pub from: String,
    pub to: String,
    pub interval: String,
    pub time_zone: String,
    pub definitions: Definitions,
    /// One group per combination of the `group_by` values that counted anything; without
    /// `group_by`, one group with an empty key.
    pub groups: Vec<Group>,
}

/// One group's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// Each dimension grouped by and its value (null: none, e.g. no queue), with
    /// `queue_name`, `agent_name` and `disposition_name` beside named ones.
    #[schema(value_type = Object)]
    pub key: serde_json::Map<String, serde_json::Value>,
    /// Every bucket of the range in order, empty ones with zeros.
    pub buckets: Vec<Bucket>,
}

/// The figures of one bucket of time. Ratios and averages are null when what they divide by
/// is 0; averages are whole milliseconds (rounded), ratios fractions of 1.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub start: String,
    pub end: String,
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub abandon_rate: Option<f64>,
    pub asa_ms: Option<u64>,
    pub max_wait_ms: Option<u64>,
    pub handled: u64,
    pub aht_ms: Option<u64>,
    pub talk_ms: Option<u64>,
    pub hold_ms: Option<u64>,
    pub wrap_up_ms: Option<u64>,
    pub service_level: Option<f64>,
    pub sl_met: u64,
    pub sl_denominator: u64,
    pub transferred: u64,
}

/// Every rule and threshold the figures were counted with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Definitions {
    pub range: &'static str,
    pub offered: &'static str,
    pub answered: &'static str,
    pub abandoned: &'static str,
    pub short_abandoned: &'static str,
    pub wait: &'static str,
    pub asa_ms: &'static str,
    pub max_wait_ms: &'static str,
    pub abandon_rate: &'static str,
    pub service_level: &'static str,
    pub sl_met: &'static str,
    pub handled: &'static str,
    pub aht_ms: &'static str,
    pub talk_hold_wrap_up_ms: &'static str,
    pub transferred: &'static str,
    pub handling_belongs_to: &'static str,
    pub buckets: &'static str,
    pub dimensions: &'static str,
    pub sl_threshold_secs: u64,
    pub short_abandon_secs: u64,
    /// `interlog` (the default) or `amazon`.
    pub sl_formula: &'static str,
}

impl Definitions {
    fn of(rules: &Rules) -> Definitions {
        let amazon = rules.sl_formula == ServiceLevelFormula::Amazon;
        Definitions {
            range: "engagements that started in [from, to); every filter selects engagements as the native listing does, and their visits all count",
            offered: "queue visits: each visit is one offer to its queue",
            answered: "visits with accepted_at",
            abandoned: "visits without accepted_at of a completed engagement",
            short_abandoned: "abandoned visits that waited less than short_abandon_secs",
            wait: "answered: accepted_at - queued_at; abandoned: the engagement's end - queued_at; a visit without queued_at queued when the engagement started; never below 0",
            asa_ms: "mean wait of the answered visits",
            max_wait_ms: "longest wait of an answered or abandoned visit",
            abandon_rate: "abandoned / offered",
            service_level: if amazon {
                "sl_met / sl_denominator, sl_denominator = answered + abandoned (Amazon Connect's service level X)"
            } else {
                "sl_met / sl_denominator, sl_denominator = answered + abandoned - short_abandoned"
            },
            sl_met: if amazon {
                "answered or abandoned visits that waited less than sl_threshold_secs"
            } else {
                "answered visits that waited at most sl_threshold_secs"
            },
            handled: "engagements with talk_ms",
            aht_ms: "mean handle time of the handled engagements; handle time = talk + hold + wrap-up, absent parts 0",
            talk_hold_wrap_up_ms: "talk_ms, hold_ms, wrap_up_ms: means over the handled engagements (absent parts 0)",
            transferred: "engagements with at least one transfer",
            handling_belongs_to: "an engagement's handling and transfers count with the visit answered last (its queue and agent); with none answered, with no queue and the engagement's agent (the owning agent participant, else the first)",
            buckets: "calendar days, weeks from Monday and months of time_zone (a day across a daylight-saving change is 23 or 25 hours); 15m, 30m and hour buckets begin on the zone's wall-clock boundaries; the first and last bucket are cut at from and to",
            dimensions: "queue and agent: of each visit; channel_type: the first channel's; disposition: the first disposition's id, else its name; team, direction, source: the engagement's",
            sl_threshold_secs: rules.sl_threshold_ms / 1_000,
            short_abandon_secs: rules.short_abandon_ms / 1_000,
            sl_formula: rules.sl_formula.as_str(),
        }
    }
}

/// `part / whole`, or `None` when `whole` is 0.
fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The mean of `sum` over `n`, rounded to a whole millisecond (half up), or `None`.
fn mean(sum: u64, n: u64) -> Option<u64> {
    (n > 0).then(|| ((u128::from(sum) + u128::from(n) / 2) / u128::from(n)) as u64)
}

impl Bucket {
    /// The figures of a tally, for the bucket from `start` to `end`.
    pub fn of(t: &Tally, formula: ServiceLevelFormula, start: String, end: String) -> Bucket {
        let sl_denominator = t.sl_denominator(formula);
        Bucket {
            start,
            end,
            offered: t.offered,
            answered: t.answered,
            abandoned: t.abandoned,
            short_abandoned: t.short_abandoned,
            abandon_rate: ratio(t.abandoned, t.offered),
            asa_ms: mean(t.answered_wait_ms, t.answered),
            max_wait_ms: t.max_wait_ms,
            handled: t.handled,
            aht_ms: mean(t.talk_ms + t.hold_ms + t.wrap_up_ms, t.handled),
            talk_ms: mean(t.talk_ms, t.handled),
            hold_ms: mean(t.hold_ms, t.handled),
            wrap_up_ms: mean(t.wrap_up_ms, t.handled),
            service_level: ratio(t.sl_met, sl_denominator),
            sl_met: t.sl_met,
            sl_denominator,
            transferred: t.transferred,
        }
    }
}

impl Report {
    /// The answer for `req` from the store's figures: every bucket of every group, in order.
    pub fn of(req: &Request, figures: Figures) -> ApiResult<Report> {
        let buckets = req.bounds.len() - 1;
        if figures.groups.len().saturating_mul(buckets) > MAX_CELLS {
            return Err(ApiError::parameter(
                req.cells_parameter(),
                format!(
                    "{} groups of {buckets} buckets are more than one answer holds ({MAX_CELLS}): group by fewer dimensions, choose a longer interval or a shorter range",
                    figures.groups.len()
                ),
            ));
        }
        let edges: Vec<String> = req.bounds.iter().map(|b| req.local(*b)).collect();
        let formula = req.query.rules.sl_formula;
        let groups = figures
            .groups
            .into_iter()
            .map(|g| {
                let mut key = serde_json::Map::new();
                for (d, v) in req.query.group_by.iter().zip(g.key) {
                    key.insert(d.as_str().to_owned(), v.value.into());
                    if d.named() {
                        key.insert(format!("{}_name", d.as_str()), v.name.into());
                    }
                }
                let mut tallies = vec![Tally::default(); buckets];
                for (i, t) in g.buckets {
                    if let Some(slot) = tallies.get_mut(i) {
                        *slot = t;
                    }
                }
                let buckets = tallies
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Bucket::of(t, formula, edges[i].clone(), edges[i + 1].clone()))
                    .collect();
                Group { key, buckets }
            })
            .collect();
        Ok(Report {
            from: req.local(req.from),
            to: req.local(req.to),
            interval: req.interval.as_str().to_owned(),
            time_zone: req.time_zone.clone(),
            definitions: Definitions::of(&req.query.rules),
            groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Tenant {
        Tenant {
            id: 1,
            key: "t".into(),
            name: "t".into(),
            time_zone: "Europe/Dublin".into(),
            country_code: None,
            aliases: Vec::new(),
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn parse(q: &str) -> ApiResult<Request> {
        let now: Timestamp = "2024-06-01T12:00:00Z".parse().unwrap();
        Request::parse(&Params::parse(Some(q)), &tenant(), now)
    }

    fn refused(q: &str) -> String {
        parse(q).unwrap_err().parameter.unwrap_or_default()
    }

    #[test]
    fn defaults_are_the_last_seven_days_in_the_tenants_zone_as_one_bucket() {
        let r = parse("").unwrap();
        assert_eq!(r.to.to_string(), "2024-06-01T12:00:00Z");
        assert_eq!(r.from.to_string(), "2024-05-25T12:00:00Z");
        assert_eq!(r.interval, Interval::Total);
        assert_eq!(r.time_zone, "Europe/Dublin");
        assert_eq!(r.bounds.len(), 2);
        assert_eq!(r.local(r.to), "2024-06-01T13:00:00+01:00");
        assert_eq!(r.query.rules, Rules::default());
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (q, name) in [
            ("from=yesterday", "from"),
            ("from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", "to"),
            ("interval=fortnight", "interval"),
            ("time_zone=Mars%2FOlympus", "time_zone"),
            ("group_by=queue&group_by=queue", "group_by"),
            ("group_by=queue,agent,team,source", "group_by"),
            ("group_by=weather", "group_by"),
            ("sl_threshold_secs=-1", "sl_threshold_secs"),
            ("short_abandon_secs=99999999", "short_abandon_secs"),
            ("sl_formula=nice", "sl_formula"),
            ("channel_type=fax", "channel_type"),
            ("limit=10", "limit"),
            (
                "from=2000-01-01T00:00:00Z&to=2024-01-01T00:00:00Z&interval=15m",
                "interval",
            ),
        ] {
            assert_eq!(refused(q), name, "{q}");
        }
    }

    #[test]
    fn averages_round_and_ratios_are_null_without_a_denominator() {
        let t = Tally {
            offered: 3,
            answered: 2,
            answered_wait_ms: 3,
            abandoned: 1,
            handled: 0,
            sl_met: 1,
            ..Tally::default()
        };
        let b = Bucket::of(&t, ServiceLevelFormula::Interlog, "a".into(), "b".into());
        assert_eq!(b.asa_ms, Some(2), "1.5 rounds up");
        assert_eq!(b.aht_ms, None);
        assert_eq!(b.abandon_rate, Some(1.0 / 3.0));
        assert_eq!(
            (b.sl_met, b.sl_denominator, b.service_level),
            (1, 3, Some(1.0 / 3.0))
        );
        let empty = Bucket::of(
            &Tally::default(),
            ServiceLevelFormula::Amazon,
            "a".into(),
            "b".into(),
        );
        assert_eq!((empty.abandon_rate, empty.service_level), (None, None));
    }
}
