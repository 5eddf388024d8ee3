//! `GET /ui`: the tenant's last 90 days: engagements per day by channel as a chart, and
//! how they ended.

use crate::page::{self, Failure};
use crate::session::Session;
use crate::view::{channel_color, zone, Bar, ChartView, Label, OutcomeRow};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use interlog_http::ApiState;
use interlog_model::ChannelType;
use interlog_store::Activity;

/// Days the overview covers, today (in the tenant's zone) the last.
pub const DAYS: u32 = 90;

pub async fn page(State(state): State<ApiState>, session: Session) -> Response {
    render(&state, &session)
        .await
        .unwrap_or_else(|f| f.within(session.chrome("")).into_response())
}

async fn render(state: &ApiState, session: &Session) -> Result<Response, Failure> {
    let tz = zone(&session.tenant.time_zone);
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let first = today
        .checked_sub(jiff::Span::new().days(i64::from(DAYS) - 1))
        .map_err(Failure::internal)?;
    let turn = state
        .heavy
        .turn(&session.tenant)
        .await
        .map_err(Failure::busy)?;
    let activity = state.store.activity(&session.tenant, first, DAYS).await?;
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
        })
        .collect();
    Ok(page::html(&page::Overview {
        chrome: session.chrome("overview"),
        first: first.to_string(),
        last: today.to_string(),
        total,
        chart: chart(&activity),
        outcomes,
    }))
}

/// Stacked bars: one column a day, one band a channel type.
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
    let scale = plot_h / max as f64;
    let mut bars = Vec::new();
    let mut used: Vec<ChannelType> = Vec::new();
    for (i, day) in a.days.iter().enumerate() {
        let x = left + i as f64 * column;
        let mut y = bottom;
        for (kind, n) in &day.channels {
            let h = *n as f64 * scale;
            y -= h;
            bars.push(Bar {
                x,
                y,
                w: (column - 1.0).max(1.0),
                h,
                color: channel_color(*kind),
                title: format!(
                    "{}: {n} {} ({} engagements)",
                    day.date,
                    kind.as_str(),
                    day.total
                ),
            });
            if !used.contains(kind) {
                used.push(*kind);
            }
        }
    }
    used.sort();
    let mut labels = vec![
        Label {
            x: 0.0,
            y: top + 10.0,
            text: max.to_string(),
        },
        Label {
            x: 0.0,
            y: bottom,
            text: "0".into(),
        },
    ];
    for i in [0, a.days.len() / 2, a.days.len().saturating_sub(1)] {
        if let Some(d) = a.days.get(i) {
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
        legend: used
            .into_iter()
            .map(|c| (c.as_str(), channel_color(c)))
            .collect(),
        summary: format!(
            "Engagements per day by channel, {} to {}",
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
