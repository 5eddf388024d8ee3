//! Counting without walking every match. A backend keeps, as it writes, how many of each
//! tenant's engagements started on each UTC day with each combination of state, outcome,
//! direction and channel types. A filter that names nothing else is counted from those
//! rows for the whole days of its start-time range, and row by row only in the partial
//! days at its two ends: a total over a million engagements reads a few thousand rows.
//! A `filter=` expression over those same fields is counted from them too: the backend
//! reads the combinations ([`Cell`]s) of the whole days, and [`sum_cells`] adds those the
//! expression matches, so AND, OR and NOT cost no more than a plain filter.
//!
//! Any other filter is counted row by row, in slices of the start-time range (newest
//! first) whose sizes the per-day counts give; when the count has a time budget and the
//! budget runs out, what was counted so far is a lower bound ([`crate::Total::AtLeast`]).

use crate::codes::{channel_mask, code};
use crate::{Expr, Filter, TimeRange};
use interlog_model::{Direction, Outcome, State};

/// A UTC day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The start of the UTC day `ms` falls in.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// The value per-day counts store for an absent outcome or direction.
pub const NONE_CODE: i64 = -1;

/// Whether per-day counts can answer this filter: it names only start times, states,
/// outcomes, directions and channel types, and so does every term of its expression (a
/// term without a start-time range of its own: the counts hold whole days).
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
        && expr.as_ref().is_none_or(expr_by_days)
        && text.is_none()
}

/// Whether `f` names nothing but a full-text query: a backend may count its matches in the
/// full-text index alone, without reading each match's row.
pub fn text_only(f: &Filter) -> bool {
    f.text.is_some()
        && *f
            == Filter {
                text: f.text.clone(),
                ..Filter::default()
            }
}

fn expr_by_days(x: &Expr) -> bool {
    x.leaves().all(|f| f.started.is_open() && by_days(f))
}

/// Engagements of one combination of the per-day counts' codes, summed over some days: the
/// state, outcome and direction codes ([`crate::codes::code`]; [`NONE_CODE`] when absent)
/// and the mask of channel types ([`crate::codes::channel_mask`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub state: i64,
    pub outcome: i64,
    pub direction: i64,
    pub channels: i64,
    pub n: u64,
}

/// How many engagements of `cells` the expression matches (one that [`by_days`] accepts).
pub fn sum_cells(cells: &[Cell], x: &Expr) -> u64 {
    cells
        .iter()
        .filter(|c| cell_matches(x, c))
        .map(|c| c.n)
        .sum()
}

fn cell_matches(x: &Expr, c: &Cell) -> bool {
    x.eval(&mut |f| term_matches(f, c))
}

fn term_matches(f: &Filter, c: &Cell) -> bool {
    fn one_of<T: PartialEq + Copy>(all: &[T], wanted: &[T], have: i64) -> bool {
        wanted.is_empty() || wanted.iter().any(|w| code(all, *w) == have)
    }
    !f.matches_nothing()
        && one_of(State::ALL, &f.states, c.state)
        && one_of(Outcome::ALL, &f.outcomes, c.outcome)
        && one_of(Direction::ALL, &f.directions, c.direction)
        && (f.channel_types.is_empty()
            || channel_mask(f.channel_types.iter().copied()) & c.channels != 0)
        && f.expr.as_ref().is_none_or(|x| cell_matches(x, c))
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

    #[test]
    fn expressions_over_counted_fields_are_decided_on_the_cells() {
        use interlog_model::ChannelType;
        let state = |s| {
            Expr::leaf(Filter {
                states: vec![s],
                ..Filter::default()
            })
        };
        let chat = Expr::leaf(Filter {
            channel_types: vec![ChannelType::Chat],
            ..Filter::default()
        });
        let x = Expr::Or(vec![state(State::Held), Expr::Not(Box::new(chat.clone()))]);
        let with = |expr: Expr| Filter {
            expr: Some(expr),
            ..Filter::default()
        };
        assert!(by_days(&with(x.clone())));
        let queue = Expr::leaf(Filter {
            queue_ids: vec!["q1".into()],
            ..Filter::default()
        });
        assert!(!by_days(&with(Expr::And(vec![x.clone(), queue]))));
        let within = Expr::leaf(Filter {
            started: TimeRange {
                from: Some(t("2026-03-01T10:00:00Z")),
                to: None,
            },
            ..Filter::default()
        });
        assert!(
            !by_days(&with(within)),
            "a term's own time range cuts days the cells hold whole"
        );

        let cell = |s, channels, n| Cell {
            state: code(State::ALL, s),
            outcome: NONE_CODE,
            direction: NONE_CODE,
            channels,
            n,
        };
        let chat_bit = channel_mask([ChannelType::Chat]);
        let voice_bit = channel_mask([ChannelType::Voice]);
        let cells = [
            cell(State::Held, chat_bit, 1),
            cell(State::Completed, chat_bit, 10),
            cell(State::Completed, voice_bit, 100),
            cell(State::Completed, chat_bit | voice_bit, 1000),
        ];
        assert_eq!(sum_cells(&cells, &x), 101);
        assert_eq!(sum_cells(&cells, &chat), 1011);
        assert_eq!(sum_cells(&cells, &Expr::nothing()), 0);
        assert_eq!(sum_cells(&cells, &Expr::And(Vec::new())), 1111);
    }
}
