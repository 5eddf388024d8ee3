//! `GET /ui?from=DATE&to=DATE`: the tenant's engagements per day by channel as a chart
//! (each bar a link to the search of what it counts), and how they ended. The last 90 days
//! unless a range is chosen.

use crate::page::{self, Failure};
use crate::session::Session;
use crate::view::{
    channel_color, channel_hatched, search_href, zone, Bar, ChartView, KeyEntry, Label, LinkedBar,
    OutcomeRow,
};
use axum::extract::{Query as QueryString, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use interlog_http::ApiState;
use interlog_model::time::parse_date;
use interlog_model::ChannelType;
use interlog_store::{Activity, MAX_ACTIVITY_DAYS};
use jiff::civil::Date;
use serde::Deserialize;

/// Days the overview covers unless asked otherwise, today (in the tenant's zone) the last.
pub const DAYS: u32 = 90;

#[derive(Deserialize, Default)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
}

/// The range form as given, and why it was refused.
pub struct RangeForm {
    pub from: String,
    pub to: String,
    pub error_field: String,
    pub error: String,
}

pub async fn page(
    State(state): State<ApiState>,
    session: Session,
    QueryString(p): QueryString<Params>,
) -> Response {
    let form = RangeForm {
        from: p.from.clone().unwrap_or_default(),
        to: p.to.clone().unwrap_or_default(),
        error_field: String::new(),
        error: String::new(),
    };
    match render(&state, &session, &p).await {
        Ok(res) => res,
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

async fn render(state: &ApiState, session: &Session, p: &Params) -> Result<Response, Failure> {
    let tz = zone(&session.tenant.time_zone);
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let (first, days) = range(p, today)?;
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
    Ok(page::html(&page::Overview {
        chrome: session.chrome("overview"),
        form: RangeForm {
            from: first.to_string(),
            to: last.to_string(),
            error_field: String::new(),
            error: String::new(),
        },
        view: Some(page::OverviewView {
            first: first.to_string(),
            last: last.to_string(),
            total,
            chart: chart(&activity),
            outcomes,
        }),
    }))
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

fn fill(c: ChannelType) -> String {
    if channel_hatched(c) {
        format!("url(#hatch-{})", c.as_str())
    } else {
        channel_color(c).to_owned()
    }
}

/// Stacked bars: one column a day, one band a channel type, each band a link to that day's
/// engagements of that channel.
fn chart(a: &Activity) -> ChartView {
    let (width, height) = (960u32, 260u32);
    let (left, top, bottom) = (48.0, 10.0, 230.0);
    let plot_h = bottom - top;
    let column = (f64::from(width) - left - 8.0) / a.days.len().max(1) as f64;
    let max = a
        .days
        .iter()
        .map(|d| d.channels.values().sum::<u64>().max(d.total))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = tick_step(max);
    // The axis runs to the first tick at or above the highest bar.
    let top_value = max.div_ceil(step) * step;
    let scale = plot_h / top_value as f64;
    let mut bars = Vec::new();
    let mut counts: Vec<(ChannelType, u64)> = Vec::new();
    for (i, day) in a.days.iter().enumerate() {
        let x = left + i as f64 * column;
        let mut y = bottom;
        for (kind, n) in &day.channels {
            let h = *n as f64 * scale;
            y -= h;
            let title = format!(
                "{}: {n} {} ({} engagements)",
                day.date,
                kind.as_str(),
                day.total
            );
            let mut href = search_href("channel_type", kind.as_str());
            href.push_str(&format!("&started_from={d}&started_to={d}", d = day.date));
            bars.push(LinkedBar {
                bar: Bar {
                    x,
                    y,
                    w: (column - 1.0).max(1.0),
                    h,
                    title,
                },
                fill: fill(*kind),
                href,
            });
            match counts.iter_mut().find(|(k, _)| k == kind) {
                Some((_, c)) => *c += n,
                None => counts.push((*kind, *n)),
            }
        }
    }
    counts.sort();
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
    for i in [0, a.days.len() / 2, a.days.len().saturating_sub(1)] {
        if let Some(d) = a.days.get(i) {
            if labels.iter().any(|l: &Label| l.text == d.date.to_string()) {
                continue;
            }
            labels.push(Label {
                x: (left + i as f64 * column - 30.0).clamp(left, f64::from(width) - 80.0),
                y: bottom + 22.0,
                text: d.date.to_string(),
            });
        }
    }
    ChartView {
        width,
        height,
        bars,
        labels,
        ticks,
        hatches: counts
            .iter()
            .filter(|(c, _)| channel_hatched(*c))
            .map(|(c, _)| (c.as_str(), channel_color(*c)))
            .collect(),
        legend: counts
            .into_iter()
            .map(|(c, n)| KeyEntry {
                name: c.as_str(),
                color: channel_color(c),
                fill: fill(c),
                count: n,
            })
            .collect(),
        summary: format!(
            "Engagements per day by channel, {} to {}; each bar opens that day's engagements of its channel",
            a.days
                .first()
                .map(|d| d.date.to_string())
                .unwrap_or_default(),
            a.days
                .last()
                .map(|d| d.date.to_string())
                .unwrap_or_default()
        ),
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
        };
        assert_eq!(range(&p, today).unwrap().1, 7);
        let p = Params {
            from: Some("2026-03-08".into()),
            to: Some("2026-03-07".into()),
        };
        assert_eq!(range(&p, today).unwrap_err().field.as_deref(), Some("to"));
        let p = Params {
            from: Some("2020-01-01".into()),
            to: None,
        };
        assert!(range(&p, today).unwrap_err().message.contains("400"));
        let p = Params {
            from: Some("soon".into()),
            to: None,
        };
        assert_eq!(range(&p, today).unwrap_err().field.as_deref(), Some("from"));
    }
}
