//! The mapping from a stored canonical engagement to the fields of `engagementV1`.
//!
//! The stored JSON is read into a borrowed view holding only what this dialect shows;
//! everything else in the body (transcripts, notes, customer identifiers…) is skipped by the
//! parser without being built, which keeps a listing close to the native one in cost.

use interlog_model::{ChannelType, Direction, Media, Outcome, Release, Role, Timestamp};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct StoredChannel {
    #[serde(rename = "type")]
    kind: ChannelType,
    #[serde(default)]
    media: Option<Media>,
}

#[derive(Deserialize)]
struct StoredParticipant<'a> {
    role: Role,
    #[serde(default, borrow)]
    email: Option<Cow<'a, str>>,
}

/// Queue times are only read when the wait was not recorded, so they stay text until then.
#[derive(Deserialize)]
struct StoredQueue<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    queued_at: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    accepted_at: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct StoredTimings {
    #[serde(default)]
    wait_ms: Option<u64>,
}

#[derive(Deserialize)]
struct StoredRecording<'a> {
    #[serde(default, borrow)]
    uri: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(default)]
    created_at: Option<Timestamp>,
    #[serde(default)]
    duration_ms: Option<u64>,
    #[serde(default)]
    size_bytes: Option<u64>,
    #[serde(default)]
    media: Option<Media>,
}

/// The parts of a canonical engagement's JSON this dialect reads.
#[derive(Deserialize)]
struct Stored<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    started_at: Timestamp,
    #[serde(default)]
    ended_at: Option<Timestamp>,
    #[serde(default)]
    duration_ms: Option<u64>,
    #[serde(default)]
    outcome: Option<Outcome>,
    #[serde(default)]
    release: Option<Release>,
    #[serde(default, borrow)]
    reason: Option<Cow<'a, str>>,
    #[serde(default)]
    direction: Option<Direction>,
    #[serde(default)]
    channels: Vec<StoredChannel>,
    #[serde(default, borrow)]
    participants: Vec<StoredParticipant<'a>>,
    #[serde(default, borrow)]
    queues: Vec<StoredQueue<'a>>,
    #[serde(default, borrow)]
    team: Option<Cow<'a, str>>,
    #[serde(default)]
    timings: StoredTimings,
    #[serde(default, borrow)]
    recordings: Vec<StoredRecording<'a>>,
    #[serde(default, borrow)]
    data: Option<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    raw_context: Option<Cow<'a, str>>,
}

/// `contents`: the media of an engagement or a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    Audio,
    AudioVideo,
    Video,
}

impl Contents {
    pub const fn as_str(self) -> &'static str {
        match self {
            Contents::Audio => "AUDIO",
            Contents::AudioVideo => "AUDIOVIDEO",
            Contents::Video => "VIDEO",
        }
    }

    /// The accepted words, for error messages.
    pub const ACCEPTED: &'static str = "AUDIO, AUDIOVIDEO, VIDEO";

    pub fn parse(s: &str) -> Option<Contents> {
        [Contents::Audio, Contents::AudioVideo, Contents::Video]
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn media(self) -> Media {
        match self {
            Contents::Audio => Media::Audio,
            Contents::AudioVideo => Media::AudioVideo,
            Contents::Video => Media::Video,
        }
    }

    /// Text media has no `contents` word.
    pub fn of_media(m: Media) -> Option<Contents> {
        match m {
            Media::Audio => Some(Contents::Audio),
            Media::AudioVideo => Some(Contents::AudioVideo),
            Media::Video => Some(Contents::Video),
            Media::Text => None,
        }
    }
}

/// `association` of an engagement user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Association {
    /// The end user (the customer).
    Creator,
    /// An associate (agent or supervisor).
    Member,
}

impl Association {
    pub const fn as_str(self) -> &'static str {
        match self {
            Association::Creator => "CREATOR",
            Association::Member => "MEMBER",
        }
    }

    pub const ACCEPTED: &'static str = "CREATOR, MEMBER";

    pub fn parse(s: &str) -> Option<Association> {
        [Association::Creator, Association::Member]
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

pub struct User<'a> {
    pub uri: Option<Cow<'a, str>>,
    pub association: Association,
}

pub struct Recording<'a> {
    pub uri: Option<Cow<'a, str>>,
    pub user: Option<Cow<'a, str>>,
    pub created: Option<Timestamp>,
    /// Seconds.
    pub duration: Option<u64>,
    pub size: Option<u64>,
    pub contents: Option<Contents>,
}

/// One `engagementV1`, field by field, in the order Oracle writes them.
pub struct EngagementV1<'a> {
    pub start_date: Timestamp,
    pub end_date: Option<Timestamp>,
    pub id: Cow<'a, str>,
    /// Seconds.
    pub duration: Option<u64>,
    pub contents: Option<Contents>,
    /// The context as the platform sent it (`raw_context`), else the canonical `data` as
    /// compact JSON text.
    pub context: Option<String>,
    pub users: Vec<User<'a>>,
    pub recordings: Vec<Recording<'a>>,
    pub release_state: Option<&'static str>,
    pub status: Option<&'static str>,
    /// Milliseconds.
    pub pending_time: Option<u64>,
    pub assigned_team: Option<Cow<'a, str>>,
    pub associate_initiated: bool,
    pub reason: Option<Cow<'a, str>>,
}

/// Whole seconds, to the nearest (halves up), of a canonical millisecond duration.
pub fn seconds(ms: u64) -> u64 {
    ms / 1000 + u64::from(ms % 1000 >= 500)
}

/// JSON text without the insignificant whitespace a backend may have kept, so `context` is
/// the same compact string whatever stored it.
fn compact(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// `contents` of an engagement: the media its channels carried (audio and video on
/// separate channels combine into AUDIOVIDEO). A voice or video channel without a recorded
/// media counts as audio, or audio and video.
fn contents(channels: &[StoredChannel]) -> Option<Contents> {
    let (mut audio, mut video) = (false, false);
    for ch in channels {
        let media = ch.media.or(match ch.kind {
            ChannelType::Voice => Some(Media::Audio),
            ChannelType::Video => Some(Media::AudioVideo),
            _ => None,
        });
        match media {
            Some(Media::Audio) => audio = true,
            Some(Media::Video) => video = true,
            Some(Media::AudioVideo) => (audio, video) = (true, true),
            Some(Media::Text) | None => {}
        }
    }
    match (audio, video) {
        (true, true) => Some(Contents::AudioVideo),
        (true, false) => Some(Contents::Audio),
        (false, true) => Some(Contents::Video),
        (false, false) => None,
    }
}

/// `pendingTime`: the recorded queue wait, or else the time from queueing to acceptance
/// summed over the queue visits that have both.
fn pending_ms(s: &Stored<'_>) -> Option<u64> {
    if let Some(w) = s.timings.wait_ms {
        return Some(w);
    }
    let mut total: Option<u64> = None;
    for q in &s.queues {
        let at = |t: &Option<Cow<'_, str>>| t.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
        if let (Some(a), Some(b)) = (at(&q.queued_at), at(&q.accepted_at)) {
            let ms = u64::try_from(b.as_millisecond() - a.as_millisecond()).unwrap_or(0);
            total = Some(total.unwrap_or(0).saturating_add(ms));
        }
    }
    total
}

/// Reads a stored engagement's JSON into its `engagementV1` fields.
pub fn from_stored(json: &str) -> Result<EngagementV1<'_>, serde_json::Error> {
    let s: Stored<'_> = serde_json::from_str(json)?;
    let duration_ms = s.duration_ms.or_else(|| {
        let end = s.ended_at?;
        u64::try_from(end.as_millisecond() - s.started_at.as_millisecond()).ok()
    });
    let pending_time = pending_ms(&s);
    let contents = contents(&s.channels);
    let context = match s.raw_context {
        Some(raw) => Some(raw.into_owned()),
        None => s
            .data
            .map(|raw| compact(raw.get()))
            .filter(|c| c != "{}" && c != "null"),
    };
    let users = s
        .participants
        .into_iter()
        .filter_map(|p| {
            let association = match p.role {
                Role::Customer => Association::Creator,
                Role::Agent | Role::Supervisor => Association::Member,
                Role::Automation | Role::Other => return None,
            };
            Some(User {
                uri: p.email,
                association,
            })
        })
        .collect();
    let recordings = s
        .recordings
        .into_iter()
        .map(|r| Recording {
            uri: r.uri,
            user: r.user,
            created: r.created_at,
            duration: r.duration_ms.map(seconds),
            size: r.size_bytes,
            contents: r.media.and_then(Contents::of_media),
        })
        .collect();
    let assigned_team = s.team.or_else(|| {
        let last = s.queues.into_iter().next_back()?;
        Some(last.name.unwrap_or(last.id))
    });
    Ok(EngagementV1 {
        start_date: s.started_at,
        end_date: s.ended_at,
        id: s.id,
        duration: duration_ms.map(seconds),
        contents,
        context,
        users,
        recordings,
        release_state: s.release.map(Release::as_str),
        status: s.outcome.map(Outcome::as_str),
        pending_time,
        assigned_team,
        associate_initiated: matches!(
            s.direction,
            Some(Direction::Outbound | Direction::Internal | Direction::Consult)
        ),
        reason: s.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_to_the_nearest_second() {
        assert_eq!(seconds(0), 0);
        assert_eq!(seconds(499), 0);
        assert_eq!(seconds(500), 1);
        assert_eq!(seconds(12_345_000), 12_345);
        assert_eq!(seconds(u64::MAX), u64::MAX / 1000 + 1);
    }

    #[test]
    fn compact_json_drops_only_whitespace_outside_strings() {
        assert_eq!(
            compact("{ \"a b\" : [1, \"x \\\" y\"],\n \"c\": {} }"),
            "{\"a b\":[1,\"x \\\" y\"],\"c\":{}}"
        );
    }

    #[test]
    fn the_view_maps_every_field_and_leaves_out_what_is_absent() {
        let json = r#"{"id":"e1","started_at":"2024-03-01T09:30:00Z","direction":"inbound",
            "channels":[{"type":"chat","media":"text"}],
            "participants":[{"role":"automation"},{"role":"customer"},{"role":"supervisor","email":"s@x"}],
            "queues":[{"id":"q1","queued_at":"2024-03-01T09:30:00Z","accepted_at":"2024-03-01T09:30:02.5Z"},{"id":"q2"}],
            "messages":[{"index":1,"at":"2024-03-01T09:30:00Z","type":"Message","text":"hi"}],
            "data":{}}"#;
        let v = from_stored(json).unwrap();
        assert_eq!(v.id, "e1");
        assert_eq!(v.end_date, None);
        assert_eq!(v.duration, None);
        assert_eq!(v.contents, None);
        assert_eq!(v.context, None);
        assert_eq!(v.users.len(), 2);
        assert_eq!(v.users[0].association, Association::Creator);
        assert!(v.users[0].uri.is_none());
        assert_eq!(v.users[1].association, Association::Member);
        assert_eq!(v.pending_time, Some(2_500));
        assert_eq!(v.assigned_team.as_deref(), Some("q2"));
        assert!(!v.associate_initiated);
        assert!(v.status.is_none() && v.release_state.is_none() && v.reason.is_none());
    }

    #[test]
    fn channels_combine_into_one_contents_word() {
        let ch = |kind, media| StoredChannel { kind, media };
        use ChannelType::*;
        assert_eq!(contents(&[ch(Voice, None)]), Some(Contents::Audio));
        assert_eq!(contents(&[ch(Video, None)]), Some(Contents::AudioVideo));
        assert_eq!(
            contents(&[ch(Video, Some(Media::Video))]),
            Some(Contents::Video)
        );
        assert_eq!(
            contents(&[ch(Voice, Some(Media::Audio)), ch(Video, Some(Media::Video))]),
            Some(Contents::AudioVideo)
        );
        assert_eq!(contents(&[ch(Email, Some(Media::Text))]), None);
        assert_eq!(contents(&[]), None);
    }
}
