//! What the templates show: engagements and activity turned into text and shapes, times in
//! the tenant's time zone.

use interlog_model::{ChannelType, Engagement, Role, Timestamp};
use jiff::tz::TimeZone;

/// The tenant's zone (UTC when its name is not known, which creation prevents).
pub fn zone(name: &str) -> TimeZone {
    interlog_model::time::zone(name).unwrap_or(TimeZone::UTC)
}

/// An instant as the tenant reads it: `2026-03-01 10:00:05`.
pub fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn local_opt(t: Option<Timestamp>, tz: &TimeZone) -> String {
    t.map(|t| local(t, tz)).unwrap_or_default()
}

/// A length of time in words: `45s`, `4m 05s`, `1h 02m`, `3d 4h`.
pub fn span(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// The colour a channel type is drawn in.
pub fn channel_color(c: ChannelType) -> &'static str {
    match c {
        ChannelType::Voice => "#1f77b4",
        ChannelType::Video => "#9467bd",
        ChannelType::Chat => "#2ca02c",
        ChannelType::Sms => "#ff7f0e",
        ChannelType::Email => "#d62728",
        ChannelType::Social => "#17becf",
        ChannelType::Messaging => "#bcbd22",
        ChannelType::Kiosk => "#8c564b",
        ChannelType::Workitem => "#e377c2",
        ChannelType::Other => "#7f7f7f",
    }
}

/// The main channel of an engagement (its first), for colouring it.
fn main_channel(e: &Engagement) -> Option<ChannelType> {
    e.channels.first().map(|c| c.kind)
}

fn channels_text(e: &Engagement) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for c in &e.channels {
        if !kinds.contains(&c.kind.as_str()) {
            kinds.push(c.kind.as_str());
        }
    }
    kinds.join(", ")
}

fn person_name(p: &interlog_model::Participant) -> String {
    p.name()
        .or_else(|| p.email.clone())
        .or_else(|| p.id.clone())
        .unwrap_or_else(|| "—".into())
}

/// The customer's identifiers, each with the kind it is.
fn customer_identifiers(e: &Engagement) -> Vec<(String, String)> {
    let c = &e.customer;
    let mut out = Vec::new();
    out.extend(c.phones.iter().map(|v| ("phone".to_owned(), v.clone())));
    out.extend(c.emails.iter().map(|v| ("email".to_owned(), v.clone())));
    out.extend(
        c.account_ids
            .iter()
            .map(|v| ("account".to_owned(), v.clone())),
    );
    for (kind, values) in &c.custom {
        out.extend(values.iter().map(|v| (kind.clone(), v.clone())));
    }
    if let Some(id) = &c.contact_id {
        out.push(("contact".to_owned(), id.clone()));
    }
    out
}

/// A link to the journey of a customer identifier.
pub fn journey_href(identifier: &str) -> String {
    let v: String = form_urlencoded::byte_serialize(identifier.as_bytes()).collect();
    format!("/ui/journey?customer={v}")
}

pub fn engagement_href(id: &str) -> String {
    let v: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/ui/engagements/{v}")
}

// --- lists -------------------------------------------------------------------------------

/// One engagement in a list.
pub struct Row {
    pub id: String,
    pub href: String,
    pub started: String,
    pub channels: String,
    pub color: &'static str,
    pub direction: String,
    pub state: String,
    pub outcome: String,
    pub agents: String,
    pub customer: String,
    pub queue: String,
    pub duration: String,
    pub source: String,
}

impl Row {
    pub fn of(e: &Engagement, tz: &TimeZone) -> Row {
        Row {
            id: e.id.clone(),
            href: engagement_href(&e.id),
            started: local(e.started_at, tz),
            channels: channels_text(e),
            color: main_channel(e).map_or("#7f7f7f", channel_color),
            direction: e
                .direction
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
            state: e.effective_state().as_str().to_owned(),
            outcome: e.outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
            agents: e.agents().map(person_name).collect::<Vec<_>>().join(", "),
            customer: customer_identifiers(e)
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or_default(),
            queue: e
                .queues
                .iter()
                .map(|q| q.name.clone().unwrap_or_else(|| q.id.clone()))
                .collect::<Vec<_>>()
                .join(" → "),
            duration: e.effective_duration_ms().map(span).unwrap_or_default(),
            source: e.source.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        }
    }
}

/// The search form as the request filled it in, to show it again.
#[derive(Default)]
pub struct SearchForm {
    /// The full-text `q`.
    pub q: String,
    pub started_from: String,
    pub started_to: String,
    pub channel_types: Vec<(&'static str, bool)>,
    pub direction: String,
    pub state: String,
    pub outcome: String,
    pub agent: String,
    pub queue_id: String,
    pub customer: String,
    pub disposition: String,
    pub data_key: String,
    pub data_value: String,
    pub sort: String,
    pub limit: String,
    pub directions: Vec<&'static str>,
    pub states: Vec<&'static str>,
    pub outcomes: Vec<&'static str>,
    pub sorts: Vec<(&'static str, &'static str)>,
}

// --- one engagement ----------------------------------------------------------------------

pub struct ParticipantView {
    pub role: String,
    pub name: String,
    pub contact: String,
    pub joined: String,
    pub left: String,
    pub numbers: String,
    pub owner: bool,
}

pub struct QueueView {
    pub name: String,
    pub queued: String,
    pub accepted: String,
    pub waited: String,
    pub agent: String,
}

pub struct TransferView {
    pub kind: String,
    pub at: String,
    pub from: String,
    pub to: String,
}

pub struct RecordingView {
    pub uri: String,
    pub user: String,
    pub created: String,
    pub duration: String,
    pub media: String,
}

pub struct NoteView {
    pub author: String,
    pub at: String,
    pub text: String,
}

pub struct MessageView {
    pub at: String,
    pub who: String,
    pub text: String,
    /// `customer`, `agent`, `system`: which side of the conversation it is drawn on.
    pub side: &'static str,
}

pub struct LinkView {
    pub api: String,
    pub method: &'static str,
    pub path: String,
    pub is_get: bool,
}

pub struct EngagementView {
    pub id: String,
    pub source: String,
    pub started: String,
    pub ended: String,
    pub updated: String,
    pub duration: String,
    pub state: String,
    pub outcome: String,
    pub release: String,
    pub reason: String,
    pub direction: String,
    pub channels: String,
    pub team: String,
    pub subject: String,
    pub topics: String,
    pub attributes: String,
    pub parent: Option<(String, String)>,
    pub timings: Vec<(&'static str, String)>,
    pub customer: Vec<(String, String, String)>,
    pub participants: Vec<ParticipantView>,
    pub queues: Vec<QueueView>,
    pub transfers: Vec<TransferView>,
    pub recordings: Vec<RecordingView>,
    pub dispositions: Vec<String>,
    pub notes: Vec<NoteView>,
    pub messages: Vec<MessageView>,
    pub data: Vec<(String, String)>,
    pub flows: Vec<String>,
    pub links: Vec<LinkView>,
}

impl EngagementView {
    pub fn of(e: &Engagement, tz: &TimeZone, links: Vec<LinkView>) -> EngagementView {
        let t = &e.timings;
        let timings = [
            ("wait", t.wait_ms),
            ("talk", t.talk_ms),
            ("flow", t.flow_ms),
            ("handling", t.handling_ms),
            ("wrap-up", t.wrap_up_ms),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, span(v?))))
        .collect();
        let participants = e
            .participants
            .iter()
            .map(|p| ParticipantView {
                role: p.role.as_str().to_owned(),
                name: person_name(p),
                contact: [p.email.as_deref(), p.id.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                joined: local_opt(p.joined_at, tz),
                left: local_opt(p.left_at, tz),
                numbers: [
                    p.calling_number.as_deref(),
                    p.dialled_number.as_deref().map(|_| "→"),
                    p.dialled_number.as_deref(),
                    p.extension.as_deref().map(|_| "ext."),
                    p.extension.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
                owner: p.owner,
            })
            .collect();
        let queues = e
            .queues
            .iter()
            .map(|q| QueueView {
                name: match &q.name {
                    Some(n) => format!("{n} ({})", q.id),
                    None => q.id.clone(),
                },
                queued: local_opt(q.queued_at, tz),
                accepted: local_opt(q.accepted_at, tz),
                waited: match (q.queued_at, q.accepted_at) {
                    (Some(a), Some(b)) => {
                        span(u64::try_from(b.as_millisecond() - a.as_millisecond()).unwrap_or(0))
                    }
                    _ => String::new(),
                },
                agent: q.agent_id.clone().unwrap_or_default(),
            })
            .collect();
        let transfers = e
            .transfers
            .iter()
            .map(|x| TransferView {
                kind: match x.mode {
                    Some(m) => format!("{} ({})", x.kind.as_str(), m.as_str()),
                    None => x.kind.as_str().to_owned(),
                },
                at: local_opt(x.at, tz),
                from: x.from_agent_id.clone().unwrap_or_default(),
                to: [
                    x.to_agent_name.as_deref(),
                    x.to_agent_id.as_deref(),
                    x.queue_name.as_deref(),
                    x.queue_id.as_deref(),
                    x.to_flow_name.as_deref(),
                    x.to_number.as_deref(),
                ]
                .into_iter()
                .flatten()
                .next()
                .unwrap_or("")
                .to_owned(),
            })
            .collect();
        let recordings = e
            .recordings
            .iter()
            .map(|r| RecordingView {
                uri: r.uri.clone().or_else(|| r.id.clone()).unwrap_or_default(),
                user: r.user.clone().unwrap_or_default(),
                created: local_opt(r.created_at, tz),
                duration: r.duration_ms.map(span).unwrap_or_default(),
                media: r.media.map(|m| m.as_str().to_owned()).unwrap_or_default(),
            })
            .collect();
        let notes = e
            .notes
            .iter()
            .map(|n| NoteView {
                author: n
                    .author_name
                    .clone()
                    .or_else(|| n.author_id.clone())
                    .unwrap_or_default(),
                at: local_opt(n.created_at, tz),
                text: n.text.clone(),
            })
            .collect();
        let messages = e
            .messages
            .iter()
            .map(|m| {
                let role = m.sender.as_ref().and_then(|s| s.role);
                MessageView {
                    at: local(m.at, tz),
                    who: m
                        .sender
                        .as_ref()
                        .and_then(|s| s.nickname.clone().or_else(|| s.participant_id.clone()))
                        .unwrap_or_else(|| m.kind.clone()),
                    text: m.text.clone().unwrap_or_else(|| format!("({})", m.kind)),
                    side: match role {
                        Some(Role::Customer) => "customer",
                        Some(_) => "agent",
                        None => "system",
                    },
                }
            })
            .collect();
        EngagementView {
            id: e.id.clone(),
            source: e.source.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            started: local(e.started_at, tz),
            ended: local_opt(e.ended_at, tz),
            updated: local_opt(e.updated_at, tz),
            duration: e.effective_duration_ms().map(span).unwrap_or_default(),
            state: e.effective_state().as_str().to_owned(),
            outcome: e.outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
            release: e.release.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
            direction: e
                .direction
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
            channels: e
                .channels
                .iter()
                .map(|c| match &c.source {
                    Some(s) => format!("{} ({s})", c.kind.as_str()),
                    None => c.kind.as_str().to_owned(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            team: e.team.clone().unwrap_or_default(),
            subject: e.subject.clone().unwrap_or_default(),
            topics: e.topics.join(", "),
            attributes: e.attributes.join(", "),
            parent: e
                .parent_id
                .as_ref()
                .map(|p| (p.clone(), engagement_href(p))),
            timings,
            customer: customer_identifiers(e)
                .into_iter()
                .map(|(k, v)| {
                    let href = journey_href(&v);
                    (k, v, href)
                })
                .collect(),
            participants,
            queues,
            transfers,
            recordings,
            dispositions: e
                .dispositions
                .iter()
                .map(|d| match (&d.name, &d.id) {
                    (Some(n), Some(i)) => format!("{n} ({i})"),
                    (Some(x), None) | (None, Some(x)) => x.clone(),
                    (None, None) => String::new(),
                })
                .collect(),
            notes,
            messages,
            data: e
                .data
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect(),
            flows: e
                .flows
                .iter()
                .map(|f| f.name.clone().unwrap_or_else(|| f.id.clone()))
                .collect(),
            links,
        }
    }
}

// --- charts ------------------------------------------------------------------------------

/// A rectangle of a chart, with its tooltip.
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub color: &'static str,
    pub title: String,
}

/// A text label at a place.
pub struct Label {
    pub x: f64,
    pub y: f64,
    pub text: String,
}

/// The overview's chart: per day, one bar per channel type stacked.
pub struct ChartView {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    pub legend: Vec<(&'static str, &'static str)>,
    pub summary: String,
}

pub struct OutcomeRow {
    pub outcome: String,
    pub count: u64,
    pub share: String,
}

// --- journeys ----------------------------------------------------------------------------

/// A dot on the journey's timeline.
pub struct Dot {
    pub cx: f64,
    pub cy: f64,
    pub color: &'static str,
    pub href: String,
    pub title: String,
    pub repeat: bool,
}

/// One engagement of a journey, with how it relates to the one before it in time.
pub struct JourneyRow {
    pub row: Row,
    /// Time since the customer's previous engagement (older), if any.
    pub gap: String,
    /// Whether the customer came back on another channel than last time.
    pub switched: bool,
    /// Whether it came within [`REPEAT_WITHIN_MS`] of the previous one.
    pub repeat: bool,
}

/// A contact this soon after the previous one is a repeat contact.
pub const REPEAT_WITHIN_MS: i64 = 72 * 3600 * 1000;

pub struct JourneyView {
    pub identifiers: Vec<(String, String)>,
    pub rows: Vec<JourneyRow>,
    pub width: u32,
    pub height: u32,
    pub dots: Vec<Dot>,
    pub gaps: Vec<Bar>,
    pub labels: Vec<Label>,
    pub legend: Vec<(&'static str, &'static str)>,
    pub repeats: usize,
    pub switches: usize,
    pub next: Option<String>,
}

/// The journey of engagements given newest first: rows that say the gap, channel switch
/// and repeat against the previous (older) engagement, and a timeline with the newest on
/// the left, long gaps shaded.
pub fn journey(
    identifiers: Vec<(String, String)>,
    engagements: &[Engagement],
    tz: &TimeZone,
    next: Option<String>,
) -> JourneyView {
    let mut rows = Vec::with_capacity(engagements.len());
    for (i, e) in engagements.iter().enumerate() {
        let older = engagements.get(i + 1);
        let gap_ms = older.map(|o| e.started_at.as_millisecond() - o.started_at.as_millisecond());
        rows.push(JourneyRow {
            row: Row::of(e, tz),
            gap: gap_ms
                .map(|g| span(u64::try_from(g).unwrap_or(0)))
                .unwrap_or_default(),
            switched: older.is_some_and(|o| main_channel(o) != main_channel(e)),
            repeat: gap_ms.is_some_and(|g| g <= REPEAT_WITHIN_MS),
        });
    }
    let (width, height) = (960u32, 120u32);
    let (left, right) = (20.0, f64::from(width) - 20.0);
    let newest = engagements.first().map(|e| e.started_at.as_millisecond());
    let oldest = engagements.last().map(|e| e.started_at.as_millisecond());
    let mut dots = Vec::new();
    let mut gaps = Vec::new();
    let mut labels = Vec::new();
    if let (Some(newest), Some(oldest)) = (newest, oldest) {
        let range = (newest - oldest).max(1) as f64;
        let x = |ms: i64| left + (newest - ms) as f64 / range * (right - left);
        // Gaps of more than a tenth of the shown time, or more than 30 days, are shaded.
        for pair in engagements.windows(2) {
            let (a, b) = (
                pair[0].started_at.as_millisecond(),
                pair[1].started_at.as_millisecond(),
            );
            let g = a - b;
            if g as f64 > range / 10.0 || g > 30 * 86_400_000 {
                gaps.push(Bar {
                    x: x(a) + 6.0,
                    y: 20.0,
                    w: (x(b) - x(a) - 12.0).max(0.0),
                    h: 60.0,
                    color: "#f2f2f2",
                    title: format!("{} without contact", span(u64::try_from(g).unwrap_or(0))),
                });
            }
        }
        for (row, e) in rows.iter().zip(engagements) {
            dots.push(Dot {
                cx: x(e.started_at.as_millisecond()),
                cy: 50.0,
                color: row.row.color,
                href: row.row.href.clone(),
                title: format!(
                    "{} · {} · {}",
                    row.row.started, row.row.channels, row.row.id
                ),
                repeat: row.repeat,
            });
        }
        labels.push(Label {
            x: left,
            y: 105.0,
            text: format!(
                "newest: {}",
                local(Timestamp::from_millisecond(newest).unwrap_or_default(), tz)
            ),
        });
        labels.push(Label {
            x: right - 260.0,
            y: 105.0,
            text: format!(
                "oldest: {}",
                local(Timestamp::from_millisecond(oldest).unwrap_or_default(), tz)
            ),
        });
    }
    let mut legend: Vec<(&'static str, &'static str)> = Vec::new();
    for e in engagements {
        if let Some(c) = main_channel(e) {
            if !legend.iter().any(|(n, _)| *n == c.as_str()) {
                legend.push((c.as_str(), channel_color(c)));
            }
        }
    }
    JourneyView {
        identifiers,
        repeats: rows.iter().filter(|r| r.repeat).count(),
        switches: rows.iter().filter(|r| r.switched).count(),
        rows,
        width,
        height,
        dots,
        gaps,
        labels,
        legend,
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(45_000), "45s");
        assert_eq!(span(245_000), "4m 05s");
        assert_eq!(span(3_720_000), "1h 02m");
        assert_eq!(span(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
    }

    #[test]
    fn journeys_mark_switches_repeats_and_long_gaps() {
        let e = |id: &str, at: &str, ch: &str| -> Engagement {
            serde_json::from_value(serde_json::json!({
                "id": id, "started_at": at, "channels": [{"type": ch}]
            }))
            .unwrap()
        };
        let list = [
            e("c", "2024-03-20T10:00:00Z", "chat"),
            e("b", "2024-03-19T10:00:00Z", "voice"),
            e("a", "2024-01-01T10:00:00Z", "voice"),
        ];
        let j = journey(vec![], &list, &TimeZone::UTC, None);
        assert_eq!(j.rows.len(), 3);
        assert!(j.rows[0].switched && j.rows[0].repeat);
        assert!(!j.rows[1].switched && !j.rows[1].repeat);
        assert_eq!(j.rows[1].gap, "78d 0h");
        assert_eq!(j.gaps.len(), 1, "the 78 days are shaded");
        assert!(j.dots[0].cx < j.dots[2].cx, "newest on the left");
        assert_eq!((j.repeats, j.switches), (1, 1));
    }
}
