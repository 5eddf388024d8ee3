//! Counting without walking every match. A backend keeps, as it writes, how many of each
//! tenant's engagements started on each UTC day with each combination of state, outcome,
//! direction and channel types. A filter that names nothing else is counted from those
//! rows for the whole days of its start-time range, and row by row only in the partial
//! days at its two ends: a total over a million engagements reads a few thousand rows.
//!
//! Any other filter is counted row by row, in slices of the start-time range (newest
//! first) whose sizes the per-day counts give; when the count has a time budget and the
//! budget runs out, what was counted so far is a lower bound ([`crate::Total::AtLeast`]).

use crate::{Filter, TimeRange};

/// A UTC day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The start of the UTC day `ms` falls in.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// The value per-day counts store for an absent outcome or direction.
pub const NONE_CODE: i64 = -1;

/// Whether per-day counts can answer this filter: it names only start times, states,
/// outcomes, directions and channel types.
pub fn by_days(f: &Filter) -> bool {
    // Destructured whole, so that a field added to the filter must be decided on here.
    let Filter {
        started: _,
        ended,
        updated,
        states: _,
        outcomes: _,
        directions: _,
        channel_types: _,
        channel_sources,
        queue_ids,
        teams,
        agents,
        participant_emails,
        customer,
        dispositions,
        min_duration_ms,
        max_duration_ms,
        data,
        expr,
        text,
    } = f;
    ended.is_open()
        && updated.is_open()
        && channel_sources.is_empty()
        && queue_ids.is_empty()
        && teams.is_empty()
        && agents.is_empty()
        && participant_emails.is_empty()
        && customer.is_empty()
        && dispositions.is_empty()
        && min_duration_ms.is_none()
        && max_duration_ms.is_none()
        && data.is_empty()
        && expr.is_none()
        && text.is_none()
}

/// A start-time range cut for counting: the whole days inside it (`[first, end)`, as day
/// starts; `None` when there is none) and the partial days at its ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySplit {
    pub days: Option<(i64, i64)>,
    pub edges: Vec<TimeRange>,
}

/// Cuts `r` into whole days and partial ones (an open end takes every day on its side).
pub fn split_days(r: TimeRange) -> DaySplit {
    let from = r.from.map(|t| t.as_millisecond());
    let to = r.to.map(|t| t.as_millisecond());
    let first = from.map_or(i64::MIN, |a| {
        let d = day_of(a);
        if d == a {
            a
        } else {
            d.saturating_add(DAY_MS)
        }
    });
    let end = to.map_or(i64::MAX, day_of);
    if first >= end {
        return DaySplit {
            days: None,
            edges: vec![r],
        };
    }
    let mut edges = Vec::new();
    if let Some(a) = from.filter(|a| *a < first) {
        edges.push(range_ms(a, first));
    }
    if let Some(b) = to.filter(|b| end < *b) {
        edges.push(range_ms(end, b));
    }
    DaySplit {
        days: Some((first, end)),
        edges,
    }
}

fn range_ms(from: i64, to: i64) -> TimeRange {
    let t = |ms| interlog_model::Timestamp::from_millisecond(ms).ok();
    TimeRange {
        from: t(from),
        to: t(to),
    }
}

/// Start-time ranges covering `r`, newest first, each holding about `per_slice` engagements
/// by the per-day totals `days` (day start, engagements; in ascending order).
pub fn slices(days: &[(i64, u64)], r: TimeRange, per_slice: u64) -> Vec<TimeRange> {
    let mut bounds = Vec::new();
    let mut held = 0;
    for &(day, n) in days.iter().rev() {
        held += n;
        if held >= per_slice.max(1) {
            bounds.push(day);
            held = 0;
        }
    }
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut to = r.to;
    for b in bounds {
        let cut = range_ms(b, b).from;
        let slice = TimeRange { from: cut, to }.intersect(r);
        if !slice.is_empty() {
            out.push(slice);
            to = cut;
        }
    }
    let last = TimeRange { from: r.from, to };
    if !last.is_empty() {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> interlog_model::Timestamp {
        s.parse().unwrap()
    }

    fn ms(s: &str) -> i64 {
        t(s).as_millisecond()
    }

    #[test]
    fn a_range_is_cut_into_whole_days_and_its_partial_ends() {
        let s = split_days(TimeRange {
            from: Some(t("2026-03-01T10:00:00Z")),
            to: Some(t("2026-03-04T06:00:00Z")),
        });
        assert_eq!(
            s.days,
            Some((ms("2026-03-02T00:00:00Z"), ms("2026-03-04T00:00:00Z")))
        );
        assert_eq!(
            s.edges,
            [
                TimeRange {
                    from: Some(t("2026-03-01T10:00:00Z")),
                    to: Some(t("2026-03-02T00:00:00Z"))
                },
                TimeRange {
                    from: Some(t("2026-03-04T00:00:00Z")),
                    to: Some(t("2026-03-04T06:00:00Z"))
                }
            ]
        );
        let aligned = split_days(TimeRange {
            from: Some(t("2026-03-01T00:00:00Z")),
            to: Some(t("2026-03-02T00:00:00Z")),
        });
        assert_eq!(aligned.edges, []);
        let within = TimeRange {
            from: Some(t("2026-03-01T10:00:00Z")),
            to: Some(t("2026-03-02T06:00:00Z")),
        };
        assert_eq!(
            split_days(within),
            DaySplit {
                days: None,
                edges: vec![within]
            }
        );
        let open = split_days(TimeRange::default());
        assert_eq!(open.days, Some((i64::MIN, i64::MAX)));
        assert!(open.edges.is_empty());
        assert_eq!(
            day_of(-1),
            -DAY_MS,
            "days before 1970 start where they should"
        );
    }

    #[test]
    fn slices_cover_the_range_newest_first() {
        let d = |s: &str| ms(s);
        let days = [
            (d("2026-03-01T00:00:00Z"), 5),
            (d("2026-03-02T00:00:00Z"), 5),
            (d("2026-03-03T00:00:00Z"), 20),
        ];
        let r = TimeRange {
            from: None,
            to: Some(t("2026-03-03T12:00:00Z")),
        };
        let s = slices(&days, r, 10);
        assert_eq!(
            s,
            [
                TimeRange {
                    from: Some(t("2026-03-03T00:00:00Z")),
                    to: r.to
                },
                TimeRange {
                    from: Some(t("2026-03-01T00:00:00Z")),
                    to: Some(t("2026-03-03T00:00:00Z"))
                },
                TimeRange {
                    from: None,
                    to: Some(t("2026-03-01T00:00:00Z"))
                },
            ]
        );
        assert_eq!(slices(&[], r, 10), [r]);
    }
}
