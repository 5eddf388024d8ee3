//! `GET /ui?from=DATE&to=DATE&queue=NAME`: the tenant's engagements per day by channel as
//! a chart (each bar a link to the search of what it counts), and how they ended; with a
//! queue chosen (by name or id, as the search takes it), that queue's visits per day —
//! answered, abandoned, still waiting — as the native analytics grouped by queue counts
//! them, from the store's index of visits by queue. The last 90 days unless a range is
//! chosen.

use crate::page::{self, Failure};
use crate::pickers::{self, Pickers};
use crate::session::Session;
use crate::view::{
    channel_color, channel_hatched, search_href, zone, Bar, ChartView, KeyEntry, Label, LinkedBar,
    OutcomeRow,
};
use axum::extract::{Query as QueryString, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use interlog_http::analytics::Request;
use interlog_http::params::Params as NativeParams;
use interlog_http::ApiState;
use interlog_model::time::parse_date;
use interlog_store::MAX_ACTIVITY_DAYS;
use jiff::civil::Date;
use serde::Deserialize;

/// Days the overview covers unless asked otherwise, today (in the tenant's zone) the last.
pub const DAYS: u32 = 90;

#[derive(Deserialize, Default)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    queue: Option<String>,
}

impl Params {
    /// The queue chosen, if any.
    fn queue(&self) -> Option<&str> {
        self.queue
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
    }
}

/// The range form as given, and why it was refused.
pub struct RangeForm {
    pub from: String,
    pub to: String,
    pub queue: String,
    pub error_field: String,
    pub error: String,
    /// The queue field's suggestions.
    pub pickers: Pickers,
    /// The last 90 days of the same choice (the queue kept).
    pub last_days: String,
}

pub async fn page(
    State(state): State<ApiState>,
    session: Session,
    QueryString(p): QueryString<Params>,
) -> Response {
    let (rendered, pickers) = tokio::join!(
        render(&state, &session, &p),
        pickers::load(&state, &session.tenant)
    );
    let form = RangeForm {
        from: p.from.clone().unwrap_or_default(),
        to: p.to.clone().unwrap_or_default(),
        queue: p.queue().unwrap_or_default().to_owned(),
        error_field: String::new(),
        error: String::new(),
        pickers,
        last_days: last_days_href(p.queue()),
    };
    match rendered {
        Ok((from, to, view)) => page::html(&page::Overview {
            chrome: session.chrome("overview"),
            form: RangeForm { from, to, ..form },
            view: Some(view),
        }),
        Err(f) if f.status == StatusCode::BAD_REQUEST => {
            let mut res = page::html(&page::Overview {
                chrome: session.chrome("overview"),
                form: RangeForm {
                    error_field: f.field.clone().unwrap_or_default(),
                    error: f.message,
                    ..form
                },
                view: None,
            });
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        }
        Err(f) => f.within(session.chrome("")).into_response(),
    }
}

/// The overview of the last 90 days, of `queue` when one is chosen.
fn last_days_href(queue: Option<&str>) -> String {
    match queue {
        None => "/ui".to_owned(),
        Some(q) => format!(
            "/ui?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("queue", q)
                .finish()
        ),
    }
}

/// The days asked for: `from` to `to`, both included, the last 90 days by default.
fn range(p: &Params, today: Date) -> Result<(Date, u32), Failure> {
    let read = |name: &str, v: &Option<String>| -> Result<Option<Date>, Failure> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => parse_date(v)
                .map(Some)
                .map_err(|_| Failure::field(name, format!("give a date (2026-03-01), not {v:?}"))),
        }
    };
    let to = read("to", &p.to)?.unwrap_or(today);
    let back = jiff::Span::new().days(i64::from(DAYS) - 1);
    let from = match read("from", &p.from)? {
        Some(d) => d,
        None => to
            .checked_sub(back)
            .map_err(|_| Failure::field("to", "is too early to show the 90 days before it"))?,
    };
    if from > to {
        return Err(Failure::field("to", "must not be before From"));
    }
    let days = from.until(to).map_err(Failure::internal)?.get_days() + 1;
    let days = u32::try_from(days).unwrap_or(u32::MAX);
    if days > MAX_ACTIVITY_DAYS {
        return Err(Failure::field(
            "to",
            format!("at most {MAX_ACTIVITY_DAYS} days at once, not {days}"),
        ));
    }
    Ok((from, days))
}

/// The range's first and last day as the form shows them, and what the page draws.
async fn render(
    state: &ApiState,
    session: &Session,
    p: &Params,
) -> Result<(String, String, page::OverviewView), Failure> {
    let tz = zone(&session.tenant.time_zone);
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let (first, days) = range(p, today)?;
    if let Some(queue) = p.queue() {
        let view = queue_view(state, session, &tz, first, days, queue).await?;
        return Ok((first.to_string(), view.last.clone(), view));
    }
    let turn = state
        .heavy
        .turn(&session.tenant)
        .await
        .map_err(Failure::busy)?;
    let activity = state.store.activity(&session.tenant, first, days).await?;
    drop(turn);
    let total: u64 = activity.days.iter().map(|d| d.total).sum();
    let outcomes = activity
        .outcomes
        .iter()
        .map(|(o, n)| OutcomeRow {
            outcome: o.map_or("none recorded", |o| o.as_str()).to_owned(),
            count: *n,
            share: if total > 0 {
                format!("{:.1}%", *n as f64 * 100.0 / total as f64)
            } else {
                String::new()
            },
            href: o.map(|o| {
                let mut h = search_href("outcome", o.as_str());
                h.push_str(&format!("&started_from={first}"));
                if let Some(last) = activity.days.last() {
                    h.push_str(&format!("&started_to={}", last.date));
                }
                h
            }),
        })
        .collect();
    let last = activity.days.last().map_or(first, |d| d.date);
    let days: Vec<(Date, Vec<Band>)> = activity
        .days
        .iter()
        .map(|day| {
            let bands = day
                .channels
                .iter()
                .map(|(kind, n)| {
                    let mut href = search_href("channel_type", kind.as_str());
                    href.push_str(&format!("&started_from={d}&started_to={d}", d = day.date));
                    Band {
                        series: kind.as_str(),
                        color: channel_color(*kind),
                        hatched: channel_hatched(*kind),
                        count: *n,
                        title: format!(
                            "{}: {n} {} ({} engagements)",
                            day.date,
                            kind.as_str(),
                            day.total
                        ),
                        href,
                    }
                })
                .collect();
            (day.date, bands)
        })
        .collect();
    let summary = format!(
        "Engagements per day by channel, {first} to {last}; each bar opens that day's engagements of its channel"
    );
    Ok((
        first.to_string(),
        last.to_string(),
        page::OverviewView {
            last: last.to_string(),
            total,
            counted: format!(
                "engagements started from {first} to {last} ({})",
                session.tenant.time_zone
            ),
            queue: None,
            dashboard: format!("/ui/dashboard?from={first}&to={last}"),
            chart: chart(&days, summary),
            outcomes,
        },
    ))
}

/// What a queue's chart draws of a day: the visits answered, abandoned and still waiting
/// (together, the visits offered to it). Colours from the same colour-blind-safe palette as
/// the channels, abandoned hatched.
const ANSWERED: (&str, &str, bool) = ("answered", "#0072b2", false);
const ABANDONED: (&str, &str, bool) = ("abandoned", "#d55e00", true);
const WAITING: (&str, &str, bool) = ("still waiting", "#7f7f7f", false);

fn visits(n: u64) -> &'static str {
    if n == 1 {
        "visit"
    } else {
        "visits"
    }
}

/// The analytics request of `queue`'s visits per day from `first` to `last` (both
/// included) in `tz`, grouped by queue, as a native query string.
fn figures_query(
    tz: &jiff::tz::TimeZone,
    first: Date,
    last: Date,
    queue: &str,
) -> Result<String, Failure> {
    let instant = |d: Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp().to_string())
            .map_err(Failure::internal)
    };
    let end = last.tomorrow().map_err(Failure::internal)?;
    Ok(form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &instant(first)?)
        .append_pair("to", &instant(end)?)
        .append_pair("interval", "day")
        .append_pair("group_by", "queue")
        .append_pair("queue_id", queue)
        .finish())
}

/// The chosen queue's visits per day: the request is read and its queue resolved as the
/// native analytics does it (`group_by=queue&queue_id=…`), and the store counts the visits to
/// those queues per day from its index of visits by queue (the same offered, answered and
/// abandoned the analytics' groups of those queues hold; an engagement that also visited
/// another queue adds nothing to this one's figures).
async fn queue_view(
    state: &ApiState,
    session: &Session,
    tz: &jiff::tz::TimeZone,
    first: Date,
    days: u32,
    queue: &str,
) -> Result<page::OverviewView, Failure> {
    let tenant = &session.tenant;
    let last = first
        .checked_add(jiff::Span::new().days(i64::from(days) - 1))
        .map_err(Failure::internal)?;
    let asked = figures_query(tz, first, last, queue)?;
    // What is refused here is the queue (too long, or a name of too many queues).
    let of_queue = |e: interlog_http::ApiError| {
        if e.kind.status() == StatusCode::BAD_REQUEST {
            Failure::field("queue", e.detail)
        } else {
            Failure::from(e)
        }
    };
    let native = NativeParams::parse(Some(&asked));
    let mut request = Request::parse(&native, tenant, jiff::Timestamp::now()).map_err(of_queue)?;
    request.query.filter =
        interlog_http::names::resolve(&*state.store, tenant, &request.query.filter)
            .await
            .map_err(of_queue)?;
    // The visits to the queues the choice stands for (its own value and the ids of that
    // name), per day, counted from the store's index of visits by queue.
    let turn = state.heavy.turn(tenant).await.map_err(Failure::busy)?;
    let per_day = state
        .store
        .queue_visits(
            tenant,
            &request.query.filter.queue_ids,
            &request.query.bounds,
        )
        .await
        .map_err(|e| of_queue(e.into()))?;
    drop(turn);
    let mut offered = 0;
    let chart_days: Vec<(Date, Vec<Band>)> = (0..days)
        .filter_map(|i| first.checked_add(jiff::Span::new().days(i64::from(i))).ok())
        .enumerate()
        .map(|(i, day)| {
            let c = per_day.get(i).copied().unwrap_or_default();
            let (o, a, x) = (c.offered, c.answered, c.abandoned);
            offered += o;
            let mut href = search_href("queue_id", queue);
            href.push_str(&format!("&started_from={day}&started_to={day}"));
            let band =
                |(series, color, hatched): (&'static str, &'static str, bool), n: u64| Band {
                    series,
                    color,
                    hatched,
                    count: n,
                    title: format!(
                        "{day}: {n} {series} of {o} {} offered to {queue}",
                        visits(o)
                    ),
                    href: href.clone(),
                };
            let bands = [
                band(ANSWERED, a),
                band(ABANDONED, x),
                band(WAITING, o.saturating_sub(a + x)),
            ]
            .into_iter()
            .filter(|b| b.count > 0)
            .collect();
            (day, bands)
        })
        .collect();
    let summary = format!(
        "Visits to the queue {queue} per day, {first} to {last}, answered, abandoned and still waiting; each bar opens that day's engagements of the queue"
    );
    Ok(page::OverviewView {
        last: last.to_string(),
        total: offered,
        counted: format!(
            "{} offered to the queue {queue} by engagements started from {first} to {last} ({}): each time an engagement waited in it counts once",
            visits(offered),
            tenant.time_zone
        ),
        queue: Some(queue.to_owned()),
        dashboard: {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("from", &first.to_string())
                .append_pair("to", &last.to_string())
                .append_pair("queue_id", queue);
            format!("/ui/dashboard?{}", q.finish())
        },
        chart: chart(&chart_days, summary),
        outcomes: Vec::new(),
    })
}

/// A step for the y-axis near a fifth of `max`, of the form 1, 2 or 5 × 10ⁿ.
fn tick_step(max: u64) -> u64 {
    let rough = (max as f64 / 5.0).max(1.0);
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    step.max(1.0) as u64
}

/// One band of a day's stacked bar: what it counts, drawn how, and the search it opens.
struct Band {
    series: &'static str,
    color: &'static str,
    hatched: bool,
    count: u64,
    title: String,
    href: String,
}

impl Band {
    fn fill(&self) -> String {
        if self.hatched {
            format!("url(#hatch-{})", self.series.replace(' ', "-"))
        } else {
            self.color.to_owned()
        }
    }
}

/// Stacked bars: one column a day, one band a series (a channel type, or what became of a
/// queue's visits), each band a link to the search of what it counts.
fn chart(days: &[(Date, Vec<Band>)], summary: String) -> ChartView {
    let (width, height) = (960u32, 260u32);
    let (left, top, bottom) = (48.0, 10.0, 230.0);
    let plot_h = bottom - top;
    let column = (f64::from(width) - left - 8.0) / days.len().max(1) as f64;
    let max = days
        .iter()
        .map(|(_, bands)| bands.iter().map(|b| b.count).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let step = tick_step(max);
    // The axis runs to the first tick at or above the highest bar.
    let top_value = max.div_ceil(step) * step;
    let scale = plot_h / top_value as f64;
    let mut bars = Vec::new();
    // Each series drawn, in the order it first appears, with its count.
    let mut series: Vec<(&Band, u64)> = Vec::new();
    for (i, (_, bands)) in days.iter().enumerate() {
        let x = left + i as f64 * column;
        let mut y = bottom;
        for band in bands {
            let h = band.count as f64 * scale;
            y -= h;
            bars.push(LinkedBar {
                bar: Bar {
                    x,
                    y,
                    w: (column - 1.0).max(1.0),
                    h,
                    title: band.title.clone(),
                },
                fill: band.fill(),
                href: band.href.clone(),
            });
            match series.iter_mut().find(|(s, _)| s.series == band.series) {
                Some((_, c)) => *c += band.count,
                None => series.push((band, band.count)),
            }
        }
    }
    let ticks = (0..=top_value / step)
        .map(|i| {
            let v = i * step;
            Label {
                x: left - 6.0,
                y: bottom - v as f64 * scale,
                text: v.to_string(),
            }
        })
        .collect();
    let mut labels = Vec::new();
    for i in [0, days.len() / 2, days.len().saturating_sub(1)] {
        if let Some((d, _)) = days.get(i) {
            if labels.iter().any(|l: &Label| l.text == d.to_string()) {
                continue;
            }
            labels.push(Label {
                x: (left + i as f64 * column - 30.0).clamp(left, f64::from(width) - 80.0),
                y: bottom + 22.0,
                text: d.to_string(),
            });
        }
    }
    ChartView {
        width,
        height,
        bars,
        labels,
        ticks,
        hatches: series
            .iter()
            .filter(|(b, _)| b.hatched)
            .map(|(b, _)| (b.series.replace(' ', "-"), b.color))
            .collect(),
        legend: series
            .into_iter()
            .map(|(b, n)| KeyEntry {
                name: b.series,
                id: b.series.replace(' ', "-"),
                color: b.color,
                fill: b.fill(),
                count: n,
            })
            .collect(),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(7), 2);
        assert_eq!(tick_step(40), 10);
        assert_eq!(tick_step(260), 100);
        assert_eq!(tick_step(1234), 500);
    }

    #[test]
    fn ranges_default_to_ninety_days_and_are_checked() {
        let today: Date = "2026-03-31".parse().unwrap();
        let p = Params::default();
        let (from, days) = range(&p, today).unwrap();
        assert_eq!((from.to_string(), days), ("2026-01-01".into(), 90));
        let p = Params {
            from: Some("2026-03-01".into()),
            to: Some("2026-03-07".into()),
            queue: None,
        };
        assert_eq!(range(&p, today).unwrap().1, 7);
        let p = Params {
            from: Some("2026-03-08".into()),
            to: Some("2026-03-07".into()),
            queue: None,
        };
        assert_eq!(range(&p, today).unwrap_err().field.as_deref(), Some("to"));
        let p = Params {
            from: Some("2020-01-01".into()),
            to: None,
            queue: None,
        };
        assert!(range(&p, today).unwrap_err().message.contains("400"));
        let p = Params {
            from: Some("soon".into()),
            to: None,
            queue: None,
        };
        assert_eq!(range(&p, today).unwrap_err().field.as_deref(), Some("from"));
    }
}
