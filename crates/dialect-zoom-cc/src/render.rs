//! Canonical engagements in Zoom's shapes. Every field comes from the canonical model;
//! what the model does not hold is left out (lists are always present, possibly empty).

use crate::channels::{legacy_type, note_channel, zoom_channel, EMAIL_SOURCE};
use crate::time::{render_utc, TimeText};
use crate::view::{NoteView, ParticipantView, View};
use interlog_model::{ChannelType, Direction, Media, Recording, Role};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// Which of Zoom's two engagement shapes to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An item of the list endpoint (has `transfer_count`).
    ListItem,
    /// The get endpoint (has `queue_wait_type` and the deprecated `queues[].queue_id`).
    Get,
}

/// How times are written: in which zone, and whether that zone is UTC (`Z`).
#[derive(Clone)]
pub struct Clock {
    pub tz: TimeZone,
    pub utc: bool,
}

impl Clock {
    pub fn utc() -> Clock {
        Clock {
            tz: TimeZone::UTC,
            utc: true,
        }
    }
}

/// A time rendered by a clock, written straight into the output.
pub struct Time<'c>(Timestamp, &'c Clock);

impl Serialize for Time<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(TimeText::new(self.0, &self.1.tz, self.1.utc).as_str())
    }
}

/// Milliseconds as Zoom's whole seconds, rounded to the nearest.
pub fn secs(ms: u64) -> u64 {
    ms.saturating_add(500) / 1000
}

type Str<'a> = Option<&'a str>;

#[derive(Serialize)]
pub struct ZChannel {
    pub channel: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_source: Option<&'static str>,
}

#[derive(Serialize)]
pub struct ZConsumer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_id: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_display_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_number: Str<'a>,
}

#[derive(Serialize)]
struct ZFlow<'a> {
    flow_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_name: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_version: Str<'a>,
}

#[derive(Serialize)]
struct ZQueue<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_id: Str<'a>,
    cc_queue_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_name: Str<'a>,
}

#[derive(Serialize)]
pub struct ZAgent<'a> {
    pub user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct ZDisposition<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    disposition_id: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disposition_name: Str<'a>,
}

#[derive(Serialize)]
struct ZItemNote<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note_id: Str<'a>,
    note: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified_time: Option<Time<'a>>,
}

/// A Zoom engagement (list item or get), borrowing from the view.
#[derive(Serialize)]
pub struct ZEngagement<'a> {
    start_time: Time<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<Time<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
    engagement_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    direction: Option<&'static str>,
    channel_types: Vec<&'static str>,
    channels: Vec<ZChannel>,
    consumers: Vec<ZConsumer<'a>>,
    flows: Vec<ZFlow<'a>>,
    queues: Vec<ZQueue<'a>>,
    agents: Vec<ZAgent<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_wait_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    talk_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handling_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wrap_up_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer_count: Option<u64>,
    dispositions: Vec<ZDisposition<'a>>,
    notes: Vec<ZItemNote<'a>>,
}

/// Zoom's engagement directions; the canonical model's others have no Zoom word.
pub fn direction(d: Option<Direction>) -> Option<&'static str> {
    match d? {
        Direction::Inbound => Some("inbound"),
        Direction::Outbound => Some("outbound"),
        _ => None,
    }
}

/// A participant's name: the display name, or first and last names.
pub fn name_of<'a>(p: &'a ParticipantView<'_>) -> Option<Cow<'a, str>> {
    if let Some(n) = &p.display_name {
        return Some(Cow::Borrowed(n));
    }
    match (p.first_name.as_deref(), p.last_name.as_deref()) {
        (Some(f), Some(l)) => Some(Cow::Owned(format!("{f} {l}"))),
        (Some(one), None) | (None, Some(one)) => Some(Cow::Borrowed(one)),
        (None, None) => None,
    }
}

/// The customer's own number on a customer participant: the calling number of an inbound
/// engagement, the dialled number of an outbound one.
fn consumer_number<'a>(p: &'a ParticipantView<'_>, outbound: bool) -> Str<'a> {
    let (mine, other) = if outbound {
        (&p.dialled_number, &p.calling_number)
    } else {
        (&p.calling_number, &p.dialled_number)
    };
    mine.as_deref().or(other.as_deref())
}

/// The consumers: customer participants, or else the customer's identifiers.
pub fn consumers<'a>(e: &'a View<'_>) -> Vec<ZConsumer<'a>> {
    let outbound = e.direction == Some(Direction::Outbound);
    let first_phone = e.customer.phones.first().map(|p| p.as_ref());
    let out: Vec<ZConsumer<'a>> = e
        .participants
        .iter()
        .filter(|p| p.role == Role::Customer)
        .map(|p| ZConsumer {
            consumer_id: p.id.as_deref(),
            consumer_display_name: name_of(p),
            consumer_number: consumer_number(p, outbound).or(first_phone),
        })
        .collect();
    if !out.is_empty() || (e.customer.contact_id.is_none() && first_phone.is_none()) {
        return out;
    }
    vec![ZConsumer {
        consumer_id: e.customer.contact_id.as_deref(),
        consumer_display_name: None,
        consumer_number: first_phone,
    }]
}

/// The agents, each once: id (or email when the platform gave none) and name.
pub fn agents<'a>(e: &'a View<'_>) -> Vec<ZAgent<'a>> {
    let mut out: Vec<ZAgent<'a>> = Vec::new();
    for p in e.agents() {
        let Some(id) = p.id.as_deref().or(p.email.as_deref()) else {
            continue;
        };
        if out.iter().any(|a| a.user_id == id) {
            continue;
        }
        out.push(ZAgent {
            user_id: id,
            display_name: name_of(p),
        });
    }
    out
}

pub fn engagement<'a>(e: &'a View<'_>, clock: &'a Clock, shape: Shape) -> ZEngagement<'a> {
    let mut channel_types: Vec<&'static str> = Vec::new();
    let mut channels: Vec<ZChannel> = Vec::new();
    for ch in &e.channels {
        let src = ch.source.as_deref();
        if let Some(t) = legacy_type(ch.kind, src) {
            if !channel_types.contains(&t) {
                channel_types.push(t);
            }
        }
        if let Some((channel, channel_source)) = zoom_channel(ch.kind, src) {
            if !channels
                .iter()
                .any(|c| c.channel == channel && c.channel_source == channel_source)
            {
                channels.push(ZChannel {
                    channel,
                    channel_source,
                });
            }
        }
    }
    let mut queues: Vec<ZQueue<'a>> = Vec::new();
    for q in &e.queues {
        if queues.iter().any(|z| z.cc_queue_id == q.id) {
            continue;
        }
        queues.push(ZQueue {
            queue_id: (shape == Shape::Get).then_some(q.id.as_ref()),
            cc_queue_id: &q.id,
            queue_name: q.name.as_deref(),
        });
    }
    let t = &e.timings;
    ZEngagement {
        start_time: Time(e.started_at, clock),
        end_time: e.ended_at.map(|t| Time(t, clock)),
        duration: e.duration_ms().map(secs),
        engagement_id: &e.id,
        direction: direction(e.direction),
        channel_types,
        channels,
        consumers: consumers(e),
        flows: e
            .flows
            .iter()
            .map(|f| ZFlow {
                flow_id: &f.id,
                flow_name: f.name.as_deref(),
                flow_version: f.version.as_deref(),
            })
            .collect(),
        queues,
        agents: agents(e),
        queue_wait_type: match shape {
            Shape::Get => e
                .queues
                .iter()
                .find_map(|q| q.wait_type)
                .map(|w| w.as_str()),
            Shape::ListItem => None,
        },
        talk_duration: t.talk_ms.map(secs),
        flow_duration: t.flow_ms.map(secs),
        waiting_duration: t.wait_ms.map(secs),
        handling_duration: t.handling_ms.map(secs),
        wrap_up_duration: t.wrap_up_ms.map(secs),
        transfer_count: (shape == Shape::ListItem).then_some(e.transfers.0 as u64),
        dispositions: e
            .dispositions
            .iter()
            .map(|d| ZDisposition {
                disposition_id: d.id.as_deref(),
                disposition_name: d.name.as_deref(),
            })
            .collect(),
        notes: e
            .notes
            .iter()
            .map(|n| {
                let (at, by) = n.modified();
                ZItemNote {
                    user_id: by,
                    note_id: n.id.as_deref(),
                    note: &n.text,
                    last_modified_time: at.map(|t| Time(t, clock)),
                }
            })
            .collect(),
    }
}

/// A note as the notes endpoints show it.
#[derive(Serialize)]
pub struct ZNote<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    note_id: Str<'a>,
    engagement_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_source: Option<&'static str>,
    note: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Str<'a>,
}

/// `single`: the get-note shape, whose `channel_source` may only be `email_address` and
/// whose deprecated `channel_type` has `email`; the lists' have no `email` type.
pub fn note<'a>(e: &'a View<'_>, n: &'a NoteView<'_>, single: bool) -> ZNote<'a> {
    let first = e.channels.first();
    let channel = first.and_then(|c| note_channel(c.kind));
    let source = first
        .and_then(|c| zoom_channel(c.kind, c.source.as_deref()))
        .and_then(|(_, s)| s);
    let (at, by) = n.modified();
    ZNote {
        note_id: n.id.as_deref(),
        engagement_id: &e.id,
        channel_type: channel.filter(|c| single || *c != "email"),
        channel,
        channel_source: if single {
            source.filter(|s| *s == EMAIL_SOURCE)
        } else {
            source
        },
        note: &n.text,
        last_modified_time: at.map(render_utc),
        user_id: by,
    }
}

/// Zoom's recording channel of a recording: by its media, else by the engagement's
/// channel.
pub fn recording_channel(e: &View<'_>, media: Option<Media>) -> Option<&'static str> {
    match media {
        Some(Media::Audio) => Some("voice"),
        Some(Media::Video | Media::AudioVideo) => Some("video"),
        _ => match e.channels.first().map(|c| c.kind) {
            Some(ChannelType::Voice) => Some("voice"),
            Some(ChannelType::Video | ChannelType::Kiosk) => Some("video"),
            _ => None,
        },
    }
}

#[derive(Serialize)]
pub struct ZRecordingConsumer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_number: Str<'a>,
}

#[derive(Serialize)]
pub struct ZRecording<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_id: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    download_url: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_email: Str<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    direction: Option<&'static str>,
    engagement_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_number: Str<'a>,
    consumers: Vec<ZRecordingConsumer<'a>>,
}

/// The start of a recording: its creation, or the engagement's start when unrecorded.
pub fn recording_start(e: &View<'_>, r: &Recording) -> Timestamp {
    r.created_at.unwrap_or(e.started_at)
}

pub fn recording<'a>(e: &'a View<'_>, r: &'a Recording) -> ZRecording<'a> {
    let start = recording_start(e, r);
    let end = r.duration_ms.and_then(|ms| {
        start
            .checked_add(SignedDuration::from_millis(i64::try_from(ms).ok()?))
            .ok()
    });
    let agent = r.user.as_deref().and_then(|email| {
        e.agents().find(|p| {
            p.email
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(email))
        })
    });
    let consumers: Vec<ZRecordingConsumer<'a>> = consumers(e)
        .into_iter()
        .map(|c| ZRecordingConsumer {
            consumer_name: c.consumer_display_name,
            consumer_number: c.consumer_number,
        })
        .collect();
    let channel = recording_channel(e, r.media);
    ZRecording {
        recording_id: r.id.as_deref(),
        recording_duration: r.duration_ms.map(secs),
        download_url: r.uri.as_deref(),
        recording_start_time: r.created_at.map(|_| render_utc(start)),
        recording_end_time: r.created_at.and(end).map(render_utc),
        user_id: agent.and_then(|p| p.id.as_deref()),
        display_name: agent.and_then(name_of),
        user_email: r.user.as_deref(),
        channel_type: channel,
        channel,
        direction: direction(e.direction),
        engagement_id: &e.id,
        consumer_name: consumers.first().and_then(|c| c.consumer_name.clone()),
        consumer_number: consumers.first().and_then(|c| c.consumer_number),
        consumers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> interlog_model::Engagement {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn outbound_consumers_are_the_dialled_number_and_agents_appear_once() {
        let e = parse(json!({
            "id": "e1", "started_at": "2024-01-01T10:00:00Z", "direction": "outbound",
            "participants": [
                {"role": "customer", "id": "c1", "first_name": "Jill", "last_name": "Chill",
                 "calling_number": "+35312345", "dialled_number": "+12058945728"},
                {"role": "agent", "id": "a1", "display_name": "Ann"},
                {"role": "agent", "id": "a1", "display_name": "Ann"},
                {"role": "agent", "email": "bob@acme.test"}
            ]
        }));
        let clock = Clock::utc();
        let z = serde_json::to_value(engagement(&View::of(&e), &clock, Shape::ListItem)).unwrap();
        assert_eq!(
            z["consumers"],
            json!([{"consumer_id": "c1", "consumer_display_name": "Jill Chill", "consumer_number": "+12058945728"}])
        );
        assert_eq!(
            z["agents"],
            json!([{"user_id": "a1", "display_name": "Ann"}, {"user_id": "bob@acme.test"}])
        );
        assert_eq!(z["transfer_count"], 0);
        assert!(z.get("queue_wait_type").is_none());
    }

    #[test]
    fn internal_directions_and_workitems_have_no_zoom_word() {
        let e = parse(json!({
            "id": "e1", "started_at": "2024-01-01T10:00:00Z", "direction": "internal",
            "channels": [{"type": "workitem"}, {"type": "voice", "source": "pstn"}]
        }));
        let clock = Clock::utc();
        let z = serde_json::to_value(engagement(&View::of(&e), &clock, Shape::Get)).unwrap();
        assert!(z.get("direction").is_none());
        assert_eq!(z["channels"], json!([{"channel": "voice"}]));
        assert_eq!(z["channel_types"], json!(["voice"]));
        assert!(z.get("transfer_count").is_none());
    }

    #[test]
    fn durations_round_to_the_nearest_second() {
        assert_eq!(secs(1499), 1);
        assert_eq!(secs(1500), 2);
        assert_eq!(secs(u64::MAX), u64::MAX / 1000);
    }
}
