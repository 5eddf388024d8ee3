//! `GET /ui/dashboard`: the contact-center figures of a range, as charts drawn by the
//! server (offered, answered and abandoned per bucket; ASA against the service level
//! threshold and service level per bucket; AHT by a chosen grouping), each with its table,
//! and links from every bucket and group to the engagements it counts (the search, with
//! the native filters). The request is the analytics API's (`interlog_http::analytics`),
//! with the range also given as dates of the tenant's zone, and every native filter in the
//! URL by its own name.

use crate::page::{self, Chrome, Failure};
use crate::session::Session;
use crate::view::{span, zone};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use interlog_http::analytics::{report, Bucket, Report, Request};
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_model::time::{parse_instant, LocalBound};
use interlog_model::Timestamp;
use interlog_store::analytics::Dimension;
use jiff::tz::TimeZone;

/// Days the dashboard shows when no range is given, today (in the tenant's zone) the last.
pub const DEFAULT_DAYS: i64 = 7;

/// Groups drawn in the AHT chart (the table lists them all).
const CHART_GROUPS: usize = 15;

/// The dashboard's own fields (and `group_by`, which its charts choose); every other
/// parameter is a native filter, or one of the analytics request's thresholds, passed on as
/// it is.
const OWN: &[&str] = &["from", "to", "interval", "group", "group_by"];

const INTERVALS: &[&str] = &["15m", "30m", "hour", "day", "week", "month", "total"];

const OFFERED: &str = "#1f77b4";
const ANSWERED: &str = "#2ca02c";
const ABANDONED: &str = "#d62728";
const THRESHOLD: &str = "#ff7f0e";

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    pub chrome: Chrome,
    pub form: Form,
    pub error: Option<String>,
    pub view: Option<View>,
}

/// The form as the request filled it in.
pub struct Form {
    pub from: String,
    pub to: String,
    pub interval: String,
    pub group: String,
    pub sl_threshold_secs: String,
    pub short_abandon_secs: String,
    pub sl_formula: String,
    /// The other parameters given, kept as hidden fields.
    pub kept: Vec<(String, String)>,
    pub intervals: Vec<&'static str>,
    pub groups: Vec<&'static str>,
}

/// What the page shows of the figures.
pub struct View {
    pub from: String,
    pub to: String,
    pub time_zone: String,
    pub definitions: Vec<(&'static str, String)>,
    pub totals: Row,
    pub volume: Chart,
    pub waits: Chart,
    pub handling: Chart,
    pub rows: Vec<Row>,
    pub group: &'static str,
    pub groups: Vec<GroupRow>,
    pub threshold: String,
}

/// A chart: its shapes, text and legend, and what it shows in words.
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub rects: Vec<Rect>,
    pub lines: Vec<Line>,
    pub dots: Vec<Dot>,
    pub texts: Vec<Text>,
    pub legend: Vec<(&'static str, &'static str)>,
    pub summary: String,
}

pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub color: &'static str,
    pub class: &'static str,
    pub title: String,
}

/// A polyline (`points` as SVG writes them); `dashed` for a threshold.
pub struct Line {
    pub points: String,
    pub color: &'static str,
    pub dashed: bool,
}

pub struct Dot {
    pub cx: f64,
    pub cy: f64,
    pub color: &'static str,
    pub title: String,
}

pub struct Text {
    pub x: f64,
    pub y: f64,
    pub anchor: &'static str,
    pub text: String,
}

/// One bucket in the tables.
pub struct Row {
    pub label: String,
    pub href: String,
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub abandon_rate: String,
    pub asa: String,
    pub max_wait: String,
    pub service_level: String,
    pub sl: String,
    pub handled: u64,
    pub aht: String,
    pub transferred: u64,
}

/// One group in the AHT table.
pub struct GroupRow {
    pub label: String,
    /// The search for its engagements, when the native filters can say the group.
    pub href: Option<String>,
    pub offered: u64,
    pub answered: u64,
    pub handled: u64,
    pub aht: String,
    pub talk: String,
    pub hold: String,
    pub wrap_up: String,
    pub service_level: String,
    pub transferred: u64,
}

pub async fn page(
    State(state): State<ApiState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Response {
    let given: Vec<(String, String)> =
        form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
    let tz = zone(&session.tenant.time_zone);
    let form = form_of(&given);
    let chrome = session.chrome("dashboard");
    match figures(&state, &session, &given, &tz).await {
        Ok(view) => page::html(&Dashboard {
            chrome,
            form,
            error: None,
            view: Some(view),
        }),
        Err(f) if f.status == StatusCode::BAD_REQUEST => {
            let mut res = page::html(&Dashboard {
                chrome,
                form,
                error: Some(f.text()),
                view: None,
            });
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        }
        Err(f) => f.within(session.chrome("")).into_response(),
    }
}

fn one<'a>(given: &'a [(String, String)], name: &str) -> Option<&'a str> {
    given
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn bad(message: String) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, message)
}

/// A range bound as an instant: RFC 3339, or a date or local date-time of `tz` (`to` as a
/// date: the end of that day).
fn bound(name: &str, v: &str, tz: &TimeZone, end: bool) -> Result<Timestamp, Failure> {
    if let Ok(t) = parse_instant(v) {
        return Ok(t);
    }
    let v = if v.len() == 16 && v.as_bytes()[10] == b'T' {
        format!("{v}:00")
    } else {
        v.to_owned()
    };
    let b = LocalBound::parse(&v, tz).map_err(|_| {
        bad(format!(
            "{name}: give a date, a local date and time, or an RFC 3339 instant, not {v:?}"
        ))
    })?;
    Ok(if end { b.end_exclusive() } else { b.first() })
}

/// The analytics request's parameters for the page's: the range as instants (the last
/// [`DEFAULT_DAYS`] days by default), `interval` (day by default) and the rest as given
/// (local times of the listing's filters read in the zone, as the search reads them);
/// `grouped`: the whole range as one bucket, by that dimension.
fn native(
    given: &[(String, String)],
    tz: &TimeZone,
    grouped: Option<Dimension>,
) -> Result<String, Failure> {
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    let first = today
        .checked_sub(jiff::Span::new().days(DEFAULT_DAYS - 1))
        .map_err(Failure::internal)?;
    let from = match one(given, "from") {
        Some(v) => bound("from", v, tz, false)?,
        None => LocalBound::parse(&first.to_string(), tz)
            .map_err(Failure::internal)?
            .first(),
    };
    let to = match one(given, "to") {
        Some(v) => bound("to", v, tz, true)?,
        None => LocalBound::parse(&today.to_string(), tz)
            .map_err(Failure::internal)?
            .end_exclusive(),
    };
    let rest: Vec<(String, String)> = given
        .iter()
        .filter(|(k, _)| !OWN.contains(&k.as_str()))
        .cloned()
        .collect();
    let mut q = form_urlencoded::Serializer::new(crate::search::native_params(&rest, tz)?);
    q.append_pair("from", &from.to_string());
    q.append_pair("to", &to.to_string());
    match grouped {
        Some(d) => {
            q.append_pair("interval", "total");
            q.append_pair("group_by", d.as_str());
        }
        None => {
            q.append_pair("interval", one(given, "interval").unwrap_or("day"));
        }
    }
    Ok(q.finish())
}

fn dimension(given: &[(String, String)]) -> Result<Dimension, Failure> {
    let v = one(given, "group").unwrap_or("queue");
    Dimension::parse(v).ok_or_else(|| bad(format!("group: {v:?} is not a dimension")))
}

async fn figures(
    state: &ApiState,
    session: &Session,
    given: &[(String, String)],
    tz: &TimeZone,
) -> Result<View, Failure> {
    let tenant = &session.tenant;
    let group = dimension(given)?;
    let now = Timestamp::now();
    let parse = |grouped| -> Result<Request, Failure> {
        let native = native(given, tz, grouped)?;
        Ok(Request::parse(&Params::parse(Some(&native)), tenant, now)?)
    };
    let (overall, grouped) = (parse(None)?, parse(Some(group))?);
    // Figures read a range of engagements: heavy work, one turn for both reports.
    let turn = state.heavy.turn(tenant).await.map_err(Failure::busy)?;
    let (a, b) = tokio::join!(
        report(state, tenant, &overall),
        report(state, tenant, &grouped)
    );
    drop(turn);
    let (a, b) = (a?, b?);
    let links = Links::of(given);
    Ok(view(&overall, &a, &b, group, &links))
}

/// The search's parameters that carry over to links: the native filters given, without
/// the range (each link has its own).
struct Links {
    filters: Vec<(String, String)>,
}

impl Links {
    fn of(given: &[(String, String)]) -> Links {
        let keep = |k: &str| {
            interlog_http::listing::FILTER_PARAMETERS.contains(&k) && !k.starts_with("started_")
                || k.starts_with("data.")
        };
        Links {
            filters: given.iter().filter(|(k, _)| keep(k)).cloned().collect(),
        }
    }

    /// The search for the engagements that started from `start` to `end`, with `extra`.
    fn search(&self, start: &str, end: &str, extra: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("started_from", start);
        q.append_pair("started_to", end);
        for (k, v) in &self.filters {
            if !extra.iter().any(|(e, _)| e == k) {
                q.append_pair(k, v);
            }
        }
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        format!("/ui/engagements?{}", q.finish())
    }
}

fn percent(x: Option<f64>) -> String {
    x.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn duration(ms: Option<u64>) -> String {
    ms.map(span).unwrap_or_else(|| "—".into())
}

/// How a bucket is named: its local start, to the minute when buckets are shorter than a
/// day.
fn label(b: &Bucket, req: &Request) -> String {
    let Ok(t) = b.start.parse::<Timestamp>() else {
        return b.start.clone();
    };
    let local = t.to_zoned(req.tz.clone());
    match req.interval.as_str() {
        "15m" | "30m" | "hour" => local.strftime("%Y-%m-%d %H:%M").to_string(),
        "total" => {
            let end = b
                .end
                .parse::<Timestamp>()
                .map(|e| {
                    e.to_zoned(req.tz.clone())
                        .strftime("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            format!("{} – {end}", local.strftime("%Y-%m-%d %H:%M"))
        }
        _ => local.strftime("%Y-%m-%d").to_string(),
    }
}

fn row(b: &Bucket, label: String, href: String) -> Row {
    Row {
        label,
        href,
        offered: b.offered,
        answered: b.answered,
        abandoned: b.abandoned,
        short_abandoned: b.short_abandoned,
        abandon_rate: percent(b.abandon_rate),
        asa: duration(b.asa_ms),
        max_wait: duration(b.max_wait_ms),
        service_level: percent(b.service_level),
        sl: format!("{} / {}", b.sl_met, b.sl_denominator),
        handled: b.handled,
        aht: duration(b.aht_ms),
        transferred: b.transferred,
    }
}

/// Adds up buckets' counts (the range's totals from its buckets).
fn total(buckets: &[Bucket], req: &Request) -> Bucket {
    let sum = |f: fn(&Bucket) -> u64| buckets.iter().map(f).sum::<u64>();
    let weighted = |avg: fn(&Bucket) -> Option<u64>, n: fn(&Bucket) -> u64| {
        let (s, c) = buckets.iter().fold((0u128, 0u64), |(s, c), b| {
            (
                s + u128::from(avg(b).unwrap_or(0)) * u128::from(n(b)),
                c + n(b),
            )
        });
        (c > 0).then(|| (s / u128::from(c)) as u64)
    };
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    let (sl_met, sl_denominator) = (sum(|b| b.sl_met), sum(|b| b.sl_denominator));
    Bucket {
        start: req.local(req.from),
        end: req.local(req.to),
        offered: sum(|b| b.offered),
        answered: sum(|b| b.answered),
        abandoned: sum(|b| b.abandoned),
        short_abandoned: sum(|b| b.short_abandoned),
        abandon_rate: ratio(sum(|b| b.abandoned), sum(|b| b.offered)),
        asa_ms: weighted(|b| b.asa_ms, |b| b.answered),
        max_wait_ms: buckets.iter().filter_map(|b| b.max_wait_ms).max(),
        handled: sum(|b| b.handled),
        aht_ms: weighted(|b| b.aht_ms, |b| b.handled),
        talk_ms: weighted(|b| b.talk_ms, |b| b.handled),
        hold_ms: weighted(|b| b.hold_ms, |b| b.handled),
        wrap_up_ms: weighted(|b| b.wrap_up_ms, |b| b.handled),
        service_level: ratio(sl_met, sl_denominator),
        sl_met,
        sl_denominator,
        transferred: sum(|b| b.transferred),
    }
}

fn view(
    req: &Request,
    overall: &Report,
    grouped: &Report,
    group: Dimension,
    links: &Links,
) -> View {
    let buckets: &[Bucket] = overall
        .groups
        .first()
        .map(|g| g.buckets.as_slice())
        .unwrap_or(&[]);
    let labels: Vec<String> = buckets.iter().map(|b| label(b, req)).collect();
    let rows: Vec<Row> = buckets
        .iter()
        .zip(&labels)
        .map(|(b, l)| row(b, l.clone(), links.search(&b.start, &b.end, &[])))
        .collect();
    let sum = total(buckets, req);
    let totals = row(&sum, "all".into(), links.search(&sum.start, &sum.end, &[]));
    let threshold_ms = overall.definitions.sl_threshold_secs * 1_000;
    let mut groups: Vec<GroupRow> = grouped
        .groups
        .iter()
        .map(|g| {
            let b = g
                .buckets
                .first()
                .cloned()
                .unwrap_or_else(|| total(&[], req));
            let value = g.key.get(group.as_str()).and_then(|v| v.as_str());
            let name = g
                .key
                .get(&format!("{}_name", group.as_str()))
                .and_then(|v| v.as_str());
            let label = match (value, name) {
                (Some(v), Some(n)) if n != v => format!("{n} ({v})"),
                (Some(v), _) => v.to_owned(),
                (None, _) => format!("no {}", group.as_str().replace('_', " ")),
            };
            let filter = match group {
                Dimension::Queue => Some("queue_id"),
                Dimension::Agent => Some("agent"),
                Dimension::Team => Some("team"),
                Dimension::ChannelType => Some("channel_type"),
                Dimension::Direction => Some("direction"),
                Dimension::Disposition => Some("disposition"),
                Dimension::Source => None,
            };
            let href = match (filter, value) {
                (Some(f), Some(v)) => Some(links.search(&sum.start, &sum.end, &[(f, v)])),
                _ => None,
            };
            GroupRow {
                label,
                href,
                offered: b.offered,
                answered: b.answered,
                handled: b.handled,
                aht: duration(b.aht_ms),
                talk: duration(b.talk_ms),
                hold: duration(b.hold_ms),
                wrap_up: duration(b.wrap_up_ms),
                service_level: percent(b.service_level),
                transferred: b.transferred,
            }
        })
        .collect();
    let aht: Vec<(String, Option<u64>, u64)> = grouped
        .groups
        .iter()
        .zip(&groups)
        .map(|(g, r)| {
            let b = g.buckets.first();
            (
                r.label.clone(),
                b.and_then(|b| b.aht_ms),
                b.map_or(0, |b| b.handled),
            )
        })
        .collect();
    groups.sort_by(|a, b| b.handled.cmp(&a.handled).then(a.label.cmp(&b.label)));
    let d = &overall.definitions;
    View {
        from: label_of(&overall.from, req),
        to: label_of(&overall.to, req),
        time_zone: overall.time_zone.clone(),
        definitions: vec![
            ("offered", d.offered.to_owned()),
            ("answered", d.answered.to_owned()),
            ("abandoned", d.abandoned.to_owned()),
            ("short abandoned", d.short_abandoned.to_owned()),
            ("wait", d.wait.to_owned()),
            ("ASA", d.asa_ms.to_owned()),
            (
                "service level",
                format!("{}; sl_met: {}", d.service_level, d.sl_met),
            ),
            ("AHT", d.aht_ms.to_owned()),
            ("handling", d.handling_belongs_to.to_owned()),
            (
                "thresholds",
                format!(
                    "service level {} s, short abandon {} s, formula {}",
                    d.sl_threshold_secs, d.short_abandon_secs, d.sl_formula
                ),
            ),
        ],
        totals,
        volume: volume_chart(buckets, &labels),
        waits: waits_chart(buckets, &labels, threshold_ms),
        handling: aht_chart(&aht, group),
        rows,
        group: group.as_str(),
        groups,
        threshold: span(threshold_ms),
    }
}

fn label_of(instant: &str, req: &Request) -> String {
    instant
        .parse::<Timestamp>()
        .map(|t| {
            t.to_zoned(req.tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| instant.to_owned())
}

const WIDTH: u32 = 960;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;

/// Axis labels at the first, middle and last bucket.
fn x_labels(labels: &[String], column: f64, y: f64) -> Vec<Text> {
    let mut out = Vec::new();
    let n = labels.len();
    for i in [0, n / 2, n.saturating_sub(1)] {
        if let Some(l) = labels.get(i) {
            if out.iter().any(|t: &Text| t.text == *l) {
                continue;
            }
            out.push(Text {
                x: LEFT + (i as f64 + 0.5) * column,
                y,
                anchor: "middle",
                text: l.clone(),
            });
        }
    }
    out
}

/// Offered, answered and abandoned side by side in each bucket.
fn volume_chart(buckets: &[Bucket], labels: &[String]) -> Chart {
    let (height, bottom) = (260u32, 224.0);
    let plot_w = f64::from(WIDTH) - LEFT - RIGHT;
    let column = plot_w / buckets.len().max(1) as f64;
    let max = buckets.iter().map(|b| b.offered).max().unwrap_or(0).max(1);
    let scale = (bottom - TOP) / max as f64;
    let bar = ((column - 2.0) / 3.0).max(0.5);
    let mut rects = Vec::new();
    for (i, (b, l)) in buckets.iter().zip(labels).enumerate() {
        let x0 = LEFT + i as f64 * column + 1.0;
        for (k, (n, color, what)) in [
            (b.offered, OFFERED, "offered"),
            (b.answered, ANSWERED, "answered"),
            (b.abandoned, ABANDONED, "abandoned"),
        ]
        .into_iter()
        .enumerate()
        {
            let h = n as f64 * scale;
            rects.push(Rect {
                x: x0 + k as f64 * bar,
                y: bottom - h,
                w: bar,
                h,
                color,
                class: what,
                title: format!("{l}: {n} {what}"),
            });
        }
    }
    let mut texts = vec![
        Text {
            x: LEFT - 6.0,
            y: TOP + 10.0,
            anchor: "end",
            text: max.to_string(),
        },
        Text {
            x: LEFT - 6.0,
            y: bottom,
            anchor: "end",
            text: "0".into(),
        },
    ];
    texts.extend(x_labels(labels, column, bottom + 20.0));
    Chart {
        width: WIDTH,
        height,
        rects,
        lines: vec![axis(bottom)],
        dots: Vec::new(),
        texts,
        legend: vec![
            ("offered", OFFERED),
            ("answered", ANSWERED),
            ("abandoned", ABANDONED),
        ],
        summary: format!(
            "Queue visits offered, answered and abandoned in each of {} buckets",
            buckets.len()
        ),
    }
}

fn axis(y: f64) -> Line {
    Line {
        points: format!("{LEFT},{y:.1} {},{y:.1}", f64::from(WIDTH) - RIGHT),
        color: "#d9dee6",
        dashed: false,
    }
}

/// The polylines through the buckets that have a value (a gap where one has none).
fn series(values: &[Option<f64>], column: f64, y: impl Fn(f64) -> f64) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let x = LEFT + (i as f64 + 0.5) * column;
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(&format!("{x:.1},{:.1}", y(*v)));
            }
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Two panels: ASA per bucket against the service level threshold (dashed), and service
/// level per bucket from 0 to 100%.
fn waits_chart(buckets: &[Bucket], labels: &[String], threshold_ms: u64) -> Chart {
    let height = 380u32;
    let (asa_bottom, sl_top, sl_bottom) = (170.0, 210.0, 344.0);
    let plot_w = f64::from(WIDTH) - LEFT - RIGHT;
    let column = plot_w / buckets.len().max(1) as f64;
    let max = buckets
        .iter()
        .filter_map(|b| b.asa_ms)
        .max()
        .unwrap_or(0)
        .max(threshold_ms)
        .max(1) as f64
        * 1.1;
    let asa_y = |ms: f64| asa_bottom - ms / max * (asa_bottom - TOP);
    let sl_y = |x: f64| sl_bottom - x * (sl_bottom - sl_top);
    let asa: Vec<Option<f64>> = buckets.iter().map(|b| b.asa_ms.map(|v| v as f64)).collect();
    let sl: Vec<Option<f64>> = buckets.iter().map(|b| b.service_level).collect();
    let mut lines = vec![axis(asa_bottom), axis(sl_bottom)];
    let t = asa_y(threshold_ms as f64);
    lines.push(Line {
        points: format!("{LEFT},{t:.1} {},{t:.1}", f64::from(WIDTH) - RIGHT),
        color: THRESHOLD,
        dashed: true,
    });
    for points in series(&asa, column, asa_y) {
        lines.push(Line {
            points,
            color: OFFERED,
            dashed: false,
        });
    }
    for points in series(&sl, column, sl_y) {
        lines.push(Line {
            points,
            color: ANSWERED,
            dashed: false,
        });
    }
    let mut dots = Vec::new();
    for (i, (b, l)) in buckets.iter().zip(labels).enumerate() {
        let x = LEFT + (i as f64 + 0.5) * column;
        if let Some(a) = b.asa_ms {
            dots.push(Dot {
                cx: x,
                cy: asa_y(a as f64),
                color: OFFERED,
                title: format!("{l}: ASA {}", span(a)),
            });
        }
        if let Some(s) = b.service_level {
            dots.push(Dot {
                cx: x,
                cy: sl_y(s),
                color: ANSWERED,
                title: format!("{l}: service level {}", percent(Some(s))),
            });
        }
    }
    let mut texts = vec![
        Text {
            x: LEFT - 6.0,
            y: TOP + 10.0,
            anchor: "end",
            text: span(max as u64),
        },
        Text {
            x: LEFT - 6.0,
            y: asa_bottom,
            anchor: "end",
            text: "0".into(),
        },
        Text {
            x: f64::from(WIDTH) - RIGHT,
            y: t - 4.0,
            anchor: "end",
            text: format!("threshold {}", span(threshold_ms)),
        },
        Text {
            x: LEFT - 6.0,
            y: sl_top + 10.0,
            anchor: "end",
            text: "100%".into(),
        },
        Text {
            x: LEFT - 6.0,
            y: sl_bottom,
            anchor: "end",
            text: "0%".into(),
        },
    ];
    texts.extend(x_labels(labels, column, sl_bottom + 20.0));
    Chart {
        width: WIDTH,
        height,
        rects: Vec::new(),
        lines,
        dots,
        texts,
        legend: vec![
            ("ASA", OFFERED),
            ("service level threshold", THRESHOLD),
            ("service level", ANSWERED),
        ],
        summary: format!(
            "Average speed of answer against the {} threshold, and service level, in each of {} buckets",
            span(threshold_ms),
            buckets.len()
        ),
    }
}

/// AHT of the groups that handled the most, one horizontal bar each.
fn aht_chart(groups: &[(String, Option<u64>, u64)], group: Dimension) -> Chart {
    let mut shown: Vec<&(String, Option<u64>, u64)> =
        groups.iter().filter(|(_, aht, _)| aht.is_some()).collect();
    shown.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    shown.truncate(CHART_GROUPS);
    let left = 240.0;
    let row = 22.0;
    let height = (TOP * 2.0 + row * shown.len().max(1) as f64) as u32;
    let max = shown
        .iter()
        .filter_map(|(_, a, _)| *a)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = f64::from(WIDTH) - left - 90.0;
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    for (i, (name, aht, handled)) in shown.iter().enumerate() {
        let y = TOP + i as f64 * row;
        let a = aht.unwrap_or(0);
        let w = (a as f64 / max * plot_w).max(1.0);
        let shown_name: String = if name.chars().count() > 36 {
            name.chars().take(35).collect::<String>() + "…"
        } else {
            name.clone()
        };
        texts.push(Text {
            x: left - 8.0,
            y: y + 15.0,
            anchor: "end",
            text: shown_name,
        });
        rects.push(Rect {
            x: left,
            y: y + 3.0,
            w,
            h: row - 6.0,
            color: OFFERED,
            class: "aht",
            title: format!("{name}: AHT {} over {handled} handled", span(a)),
        });
        texts.push(Text {
            x: left + w + 6.0,
            y: y + 15.0,
            anchor: "start",
            text: span(a),
        });
    }
    Chart {
        width: WIDTH,
        height,
        rects,
        lines: Vec::new(),
        dots: Vec::new(),
        texts,
        legend: vec![("AHT", OFFERED)],
        summary: format!(
            "Average handle time by {}, the {} that handled the most",
            group.as_str().replace('_', " "),
            shown.len()
        ),
    }
}

fn form_of(given: &[(String, String)]) -> Form {
    let get = |k: &str| one(given, k).unwrap_or("").to_owned();
    let shown = [
        "from",
        "to",
        "interval",
        "group",
        "sl_threshold_secs",
        "short_abandon_secs",
        "sl_formula",
    ];
    Form {
        from: get("from"),
        to: get("to"),
        interval: one(given, "interval").unwrap_or("day").to_owned(),
        group: one(given, "group").unwrap_or("queue").to_owned(),
        sl_threshold_secs: get("sl_threshold_secs"),
        short_abandon_secs: get("short_abandon_secs"),
        sl_formula: get("sl_formula"),
        kept: given
            .iter()
            .filter(|(k, _)| !shown.contains(&k.as_str()))
            .cloned()
            .collect(),
        intervals: INTERVALS.to_vec(),
        groups: Dimension::ALL.iter().map(|d| d.as_str()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn dates_of_the_zone_become_the_range_and_filters_pass_on() {
        let tz = zone("Europe/Dublin");
        let q = native(
            &pairs(
                "from=2024-10-27&to=2024-10-27&group=agent&channel_type=voice&sl_threshold_secs=30",
            ),
            &tz,
            None,
        )
        .unwrap();
        let p = pairs(&q);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("from"), Some("2024-10-26T23:00:00Z"));
        assert_eq!(
            get("to"),
            Some("2024-10-28T00:00:00Z"),
            "the whole 25-hour day"
        );
        assert_eq!(get("interval"), Some("day"));
        assert_eq!(get("channel_type"), Some("voice"));
        assert_eq!(get("sl_threshold_secs"), Some("30"));
        assert_eq!(get("group"), None);
        assert!(native(&pairs("from=tomorrow"), &tz, None).is_err());
        let by_agent = native(
            &pairs("interval=hour&group_by=x"),
            &tz,
            Some(Dimension::Agent),
        )
        .unwrap();
        assert!(
            by_agent.ends_with("&interval=total&group_by=agent"),
            "{by_agent}"
        );
    }

    #[test]
    fn links_keep_the_filters_and_take_the_buckets_range() {
        let links = Links::of(&pairs(
            "agent=ann&started_from=2024-01-01&interval=day&data.tier=gold",
        ));
        assert_eq!(
            links.search("2024-03-01T00:00:00+00:00", "2024-03-02T00:00:00+00:00", &[("queue_id", "q1")]),
            "/ui/engagements?started_from=2024-03-01T00%3A00%3A00%2B00%3A00&started_to=2024-03-02T00%3A00%3A00%2B00%3A00&agent=ann&data.tier=gold&queue_id=q1"
        );
    }

    #[test]
    fn a_series_breaks_where_a_bucket_has_no_value() {
        let lines = series(&[Some(1.0), None, Some(2.0), Some(3.0)], 10.0, |v| v);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].split(' ').count(), 2);
    }
}
