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

/// The colour a channel type is drawn in: the Okabe–Ito palette, told apart with the
/// common colour-vision deficiencies (charts also hatch every other channel and label
/// their keys with counts, so colour is never the only cue).
pub fn channel_color(c: ChannelType) -> &'static str {
    match c {
        ChannelType::Voice => "#0072b2",
        ChannelType::Video => "#cc79a7",
        ChannelType::Chat => "#009e73",
        ChannelType::Sms => "#e69f00",
        ChannelType::Email => "#d55e00",
        ChannelType::Social => "#56b4e9",
        ChannelType::Messaging => "#f0e442",
        ChannelType::Kiosk => "#000000",
        ChannelType::Workitem => "#882255",
        ChannelType::Other => "#7f7f7f",
    }
}

/// Whether a channel's bars are hatched (every other channel type, in the types' order),
/// so neighbours in a stack differ by more than colour.
pub fn channel_hatched(c: ChannelType) -> bool {
    ChannelType::ALL.iter().position(|x| *x == c).unwrap_or(0) % 2 == 1
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

/// The customer's name, as a customer participant gives it.
pub fn customer_name(e: &Engagement) -> Option<String> {
    e.participants
        .iter()
        .filter(|p| p.role == Role::Customer)
        .find_map(|p| p.name())
}

/// An agent's name, from the engagement's participant with that id (the id itself when
/// none has it).
fn agent_name(e: &Engagement, id: &str) -> String {
    e.participants
        .iter()
        .find(|p| p.id.as_deref() == Some(id))
        .and_then(|p| p.name().or_else(|| p.email.clone()))
        .unwrap_or_else(|| id.to_owned())
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

// --- fields ------------------------------------------------------------------------------

/// The label a person reads for each request parameter the explorer's forms send.
const LABELS: &[(&str, &str)] = &[
    ("q", "Words"),
    ("started_from", "Started from"),
    ("started_to", "Started before"),
    ("ended_from", "Ended from"),
    ("ended_to", "Ended before"),
    ("updated_from", "Updated from"),
    ("updated_to", "Updated before"),
    ("channel_type", "Channels"),
    ("direction", "Direction"),
    ("state", "State"),
    ("outcome", "Outcome"),
    ("agent", "Agent"),
    ("queue_id", "Queue"),
    ("queue", "Queue"),
    ("team", "Team"),
    ("customer", "Customer"),
    ("disposition", "Disposition"),
    ("data_key", "Data key"),
    ("data_value", "Data value"),
    ("sort", "Sort"),
    ("limit", "Per page"),
    ("cursor", "Page link"),
    ("from", "From"),
    ("to", "To"),
];

/// A parameter's label (the parameter itself when it has none).
pub fn label(param: &str) -> &str {
    LABELS
        .iter()
        .find(|(p, _)| *p == param)
        .map_or(param, |(_, l)| l)
}

/// A message with the parameter names it mentions replaced by their labels.
pub fn labelled(message: &str) -> String {
    let mut out = message.to_owned();
    // Longest names first, so `started_from` is not read as `from`.
    let mut labels = LABELS.to_vec();
    labels.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for (p, l) in labels.into_iter().filter(|(p, _)| p.contains('_')) {
        out = out.replace(p, l);
    }
    out
}

// --- lists -------------------------------------------------------------------------------

/// A name that links somewhere, with the id behind it on hover.
pub struct Linked {
    pub text: String,
    /// Where it links ("" for nowhere).
    pub href: String,
    pub id: String,
}

/// A search of the explorer for one parameter's value.
pub fn search_href(param: &str, value: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair(param, value);
    format!("/ui/engagements?{}", q.finish())
}

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
    /// The agents by name, each a search for the agent's engagements.
    pub agents: Vec<Linked>,
    /// The customer's first identifier, a search for the customer's engagements.
    pub customer: Option<Linked>,
    /// The queues visited, by name, each a search for the queue's engagements.
    pub queues: Vec<Linked>,
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
            agents: e
                .agents()
                .map(|p| {
                    // The agent filter reads an id or an email; an agent with neither is
                    // shown without a link.
                    let key = p.id.clone().or_else(|| p.email.clone()).unwrap_or_default();
                    Linked {
                        text: person_name(p),
                        href: if key.is_empty() {
                            String::new()
                        } else {
                            search_href("agent", &key)
                        },
                        id: key,
                    }
                })
                .collect(),
            customer: customer_identifiers(e)
                .into_iter()
                .next()
                .map(|(_, v)| Linked {
                    text: customer_name(e).unwrap_or_else(|| v.clone()),
                    href: search_href("customer", &v),
                    id: v,
                }),
            queues: e
                .queues
                .iter()
                .map(|q| Linked {
                    text: q.name.clone().unwrap_or_else(|| q.id.clone()),
                    href: search_href("queue_id", &q.id),
                    id: q.id.clone(),
                })
                .collect(),
            duration: e.effective_duration_ms().map(span).unwrap_or_default(),
            source: e.source.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        }
    }

    /// The queues' names, in the order visited.
    pub fn queue_names(&self) -> String {
        self.queues
            .iter()
            .map(|q| q.text.as_str())
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// The agents' names.
    pub fn agent_names(&self) -> String {
        self.agents
            .iter()
            .map(|a| a.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
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
    pub team: String,
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
    /// The parameter a refused search is refused for ("" when none), and why.
    pub error_field: String,
    pub error: String,
}

/// The parameters the search form shows a field for (an error about another one, such as
/// a page link's cursor, is shown above the results instead).
const FORM_FIELDS: &[&str] = &[
    "q",
    "started_from",
    "started_to",
    "direction",
    "state",
    "outcome",
    "channel_type",
    "agent",
    "queue_id",
    "team",
    "customer",
    "disposition",
    "data_key",
    "data_value",
    "sort",
    "limit",
];

impl SearchForm {
    /// What the search filters on, in words, for the folded form's summary ("" for nothing).
    pub fn summary(&self) -> String {
        let channels: Vec<&str> = self
            .channel_types
            .iter()
            .filter(|(_, on)| *on)
            .map(|(c, _)| *c)
            .collect();
        let mut parts = Vec::new();
        if !channels.is_empty() {
            parts.push(channels.join(", "));
        }
        if !self.q.is_empty() {
            parts.push(format!("“{}”", self.q));
        }
        for (name, v) in [
            ("from", &self.started_from),
            ("before", &self.started_to),
            ("direction", &self.direction),
            ("state", &self.state),
            ("outcome", &self.outcome),
            ("agent", &self.agent),
            ("queue", &self.queue_id),
            ("team", &self.team),
            ("customer", &self.customer),
            ("disposition", &self.disposition),
            ("data", &self.data_key),
        ] {
            if !v.is_empty() {
                parts.push(format!("{name} {v}"));
            }
        }
        parts.join(" · ")
    }

    /// Whether the refused parameter has a field in the form to show its error by.
    pub fn is_field_shown(&self) -> bool {
        FORM_FIELDS.contains(&self.error_field.as_str())
    }

    pub fn error_label(&self) -> &str {
        label(&self.error_field)
    }
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
    pub id: String,
    pub queued: String,
    pub accepted: String,
    pub waited: String,
    pub agent: String,
    pub agent_id: String,
}

pub struct TransferView {
    pub kind: String,
    pub at: String,
    pub from: String,
    pub from_id: String,
    pub to: String,
}

pub struct RecordingView {
    pub uri: String,
    /// The URI when a browser can follow it (http or https).
    pub href: Option<String>,
    /// Whether it is sound a browser can play in an `<audio>` element.
    pub audio: bool,
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
    /// `customer`, `agent`, `system`: which side of the conversation it is drawn on;
    /// `event` for a line that is no message (someone joined or left).
    pub side: &'static str,
}

pub struct LinkView {
    pub api: String,
    pub method: &'static str,
    pub path: String,
}

pub struct EngagementView {
    pub id: String,
    /// Whom, how and when, for the page's heading: "Mary Customer · chat · 2026-03-01 10:00".
    pub heading: String,
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
                name: q.name.clone().unwrap_or_else(|| q.id.clone()),
                id: q.id.clone(),
                queued: local_opt(q.queued_at, tz),
                accepted: local_opt(q.accepted_at, tz),
                waited: match (q.queued_at, q.accepted_at) {
                    (Some(a), Some(b)) => {
                        span(u64::try_from(b.as_millisecond() - a.as_millisecond()).unwrap_or(0))
                    }
                    _ => String::new(),
                },
                agent: q
                    .agent_id
                    .as_deref()
                    .map(|id| agent_name(e, id))
                    .unwrap_or_default(),
                agent_id: q.agent_id.clone().unwrap_or_default(),
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
                from: x
                    .from_agent_id
                    .as_deref()
                    .map(|id| agent_name(e, id))
                    .unwrap_or_default(),
                from_id: x.from_agent_id.clone().unwrap_or_default(),
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
                href: r
                    .uri
                    .clone()
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
                audio: r.uri.as_deref().is_some_and(|u| is_audio(u, r.media)),
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
                if m.text.is_none() {
                    // No text: an event of the conversation, told as a small line.
                    let who = m.sender.as_ref().and_then(|s| s.nickname.clone());
                    return MessageView {
                        at: local(m.at, tz),
                        who: String::new(),
                        text: event_text(&m.kind, who.as_deref()),
                        side: "event",
                    };
                }
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
        let whom = customer_name(e)
            .or_else(|| customer_identifiers(e).into_iter().next().map(|(_, v)| v))
            .unwrap_or_else(|| "Unknown customer".into());
        let heading = [whom, channels_text(e), t_minutes(e.started_at, tz)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        EngagementView {
            id: e.id.clone(),
            heading,
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

/// An instant to the minute, for headings.
fn t_minutes(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Whether a recording at `uri` is sound: its media says so, or its file name ends as an
/// audio file's does.
fn is_audio(uri: &str, media: Option<interlog_model::Media>) -> bool {
    use interlog_model::Media;
    let web = uri.starts_with("https://") || uri.starts_with("http://");
    let path = uri
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let audio_file = [
        ".wav", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".flac", ".weba",
    ]
    .iter()
    .any(|x| path.ends_with(x));
    web && (audio_file || media == Some(Media::Audio))
}

/// A conversation event in words: "Mary joined", "Participant left", "Typing".
fn event_text(kind: &str, who: Option<&str>) -> String {
    let who = who.unwrap_or("A participant");
    match kind {
        k if k.contains("Joined") || k.eq_ignore_ascii_case("join") => format!("{who} joined"),
        k if k.contains("Left") || k.eq_ignore_ascii_case("leave") => format!("{who} left"),
        k => {
            // CamelCase or snake_case kinds as words: "TypingIndicator" -> "typing indicator".
            let mut words = String::new();
            for (i, c) in k.chars().enumerate() {
                if c == '_' {
                    words.push(' ');
                } else if c.is_uppercase() && i > 0 {
                    words.push(' ');
                    words.extend(c.to_lowercase());
                } else {
                    words.extend(c.to_lowercase());
                }
            }
            words
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
    pub title: String,
}

/// A bar of the overview's chart: drawn in its channel's colour (or hatch), and a link to
/// the search of what it counts.
pub struct LinkedBar {
    pub bar: Bar,
    /// `url(#hatch-KIND)` for hatched channels, else the colour.
    pub fill: String,
    pub href: String,
}

/// A series (a channel, or what became of a queue's visits) in a chart's key: its name, colour, fill (as the bars), and how many.
pub struct KeyEntry {
    pub name: &'static str,
    /// The name as an element id (`still-waiting`).
    pub id: String,
    pub color: &'static str,
    pub fill: String,
    pub count: u64,
}

/// A text label at a place.
pub struct Label {
    pub x: f64,
    pub y: f64,
    pub text: String,
}

/// The overview's chart: per day, one bar per series (channel type, or what became of a
/// queue's visits) stacked.
pub struct ChartView {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<LinkedBar>,
    pub labels: Vec<Label>,
    /// The y-axis: each tick's height and label, with a grid line across.
    pub ticks: Vec<Label>,
    pub legend: Vec<KeyEntry>,
    /// The hatched series drawn (by id), for their patterns.
    pub hatches: Vec<(String, &'static str)>,
    pub summary: String,
}

pub struct OutcomeRow {
    pub outcome: String,
    pub count: u64,
    pub share: String,
    /// The search of these engagements (none for "none recorded").
    pub href: Option<String>,
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
    /// The customer's name, from the newest engagement that gives one.
    pub name: Option<String>,
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
/// and repeat against the previous (older) engagement, and a timeline read left to right
/// as time runs (the oldest on the left), long gaps shaded.
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
        let x = |ms: i64| left + (ms - oldest) as f64 / range * (right - left);
        // Gaps of more than a tenth of the shown time, or more than 30 days, are shaded.
        for pair in engagements.windows(2) {
            let (a, b) = (
                pair[0].started_at.as_millisecond(),
                pair[1].started_at.as_millisecond(),
            );
            let g = a - b;
            if g as f64 > range / 10.0 || g > 30 * 86_400_000 {
                gaps.push(Bar {
                    x: x(b) + 6.0,
                    y: 20.0,
                    w: (x(a) - x(b) - 12.0).max(0.0),
                    h: 60.0,
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
                "oldest: {}",
                local(Timestamp::from_millisecond(oldest).unwrap_or_default(), tz)
            ),
        });
        labels.push(Label {
            x: right - 260.0,
            y: 105.0,
            text: format!(
                "newest: {}",
                local(Timestamp::from_millisecond(newest).unwrap_or_default(), tz)
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
        name: engagements.iter().find_map(customer_name),
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
        assert!(j.dots[0].cx > j.dots[2].cx, "oldest on the left");
        assert!(j.gaps[0].x > j.dots[2].cx && j.gaps[0].x < j.dots[1].cx);
        assert_eq!((j.repeats, j.switches), (1, 1));
    }
}
