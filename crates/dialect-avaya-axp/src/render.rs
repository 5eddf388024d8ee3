//! Canonical engagements in Avaya's `EngagementResponse` shape.
//!
//! Keys come out in the order of Avaya's own example (the seed), so an engagement ingested
//! from AXP reads back byte for byte. Times are UTC with `Z` and as many fractional digits as
//! they need (`.002Z`, `.1Z`), as in Avaya's examples.
//!
//! Everything rendered fits Avaya's schema, whatever platform the engagement came from: a
//! list item whose required fields are unknown (a queue without a priority, a transfer
//! without a channel provider) is left out, an optional field that breaks its rule (a queue
//! id that is not a UUID) is left out, and lists are cut to Avaya's maximums. The native API
//! serves everything.

use crate::identity::{self, IdentifierName};
use crate::validate::is_uuid;
use interlog_model::{
    AutomationType, ChannelType, Direction, Engagement, Note, Participant, QueueVisit, Role, State,
    Timestamp, Transfer, TransferType,
};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Avaya's response limits (`maxItems`/`maxProperties` in `EngagementResponse`).
const CONVERSATIONS_MAX: usize = 50;
const PARTICIPANTS_MAX: usize = 50;
const DATA_MAX: usize = 50;
const IDENTIFIER_KEYS_MAX: usize = 10;
const IDENTIFIER_VALUES_MAX: usize = 5;

/// One engagement as Avaya renders it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngagementOut<'a> {
    id: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    direction: Option<&'static str>,
    start_date: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    channels: Vec<ChannelOut<'a>>,
    #[serde(skip_serializing_if = "Identifiers::is_empty")]
    identifiers: Identifiers<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    agent_notes: Vec<NoteOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    participants: Vec<ParticipantOut<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    conversations: &'a [String],
    #[serde(skip_serializing_if = "DataOut::is_empty")]
    data: DataOut<'a>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    attributes: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    queues: Vec<QueueOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_address: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    transfers: Vec<TransferOut<'a>>,
}

#[derive(Serialize)]
pub struct ChannelOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    joined_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    left_at: Option<Timestamp>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calling_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dialled_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dialog_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_address: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueOut<'a> {
    queue_id: &'a str,
    channel_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_name: Option<&'a str>,
    priority: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    rank: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proficiency_range_min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proficiency_range_max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queued_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted_at: Option<Timestamp>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    initiating_agent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_name: Option<&'a str>,
    channel_provider_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dialog_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_dialog_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback_queue_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_agent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_agent_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_external_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_agent_joined_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    transfer_type: &'static str,
}

/// Avaya's `AgentDetails`.
#[derive(Serialize)]
pub struct AgentDetails<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

impl AgentDetails<'_> {
    fn is_empty(&self) -> bool {
        self.id.is_none() && self.name.is_none()
    }
}

/// Avaya's `AgentNoteResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    engagement_id: &'a str,
    #[serde(skip_serializing_if = "AgentDetails::is_empty")]
    created_by: AgentDetails<'a>,
    #[serde(skip_serializing_if = "AgentDetails::is_empty")]
    updated_by: AgentDetails<'a>,
    note: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<Timestamp>,
}

/// An `identifiers` object: names in order, each with its values.
#[derive(Default)]
pub struct Identifiers<'a>(pub Vec<(&'a str, Vec<&'a str>)>);

impl Identifiers<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Identifiers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// `data`: string values, as Avaya's schema has them; other JSON values as their text.
pub struct DataOut<'a>(Vec<(&'a str, std::borrow::Cow<'a, str>)>);

impl DataOut<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for DataOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v.as_ref())?;
        }
        m.end()
    }
}

pub fn status_word(s: State) -> &'static str {
    match s {
        State::Created => "CREATED",
        State::Completed => "COMPLETED",
        State::Queued | State::Active | State::Held | State::Pending => "ACTIVE",
    }
}

/// AXP knows two directions: started by the customer (INBOUND) or from within the contact
/// center (OUTBOUND), which internal and consult engagements are.
pub fn direction_word(d: Direction) -> Option<&'static str> {
    match d {
        Direction::Inbound => Some("INBOUND"),
        Direction::Outbound | Direction::Internal | Direction::Consult => Some("OUTBOUND"),
        Direction::Unknown => None,
    }
}

pub fn channel_word(c: ChannelType) -> &'static str {
    match c {
        ChannelType::Voice => "VOICE",
        ChannelType::Video => "VIDEO",
        ChannelType::Chat => "CHAT",
        ChannelType::Sms => "SMS",
        ChannelType::Email => "EMAIL",
        ChannelType::Social => "SOCIAL",
        ChannelType::Messaging => "MESSAGING",
        ChannelType::Kiosk => "KIOSK",
        ChannelType::Workitem => "WORKITEM",
        ChannelType::Other => "OTHER",
    }
}

pub fn participant_word(r: Role) -> Option<&'static str> {
    match r {
        Role::Customer => Some("EXTERNAL"),
        Role::Agent | Role::Supervisor => Some("AGENT"),
        Role::Automation => Some("TREATMENT"),
        Role::Other => None,
    }
}

pub fn automation_word(a: AutomationType) -> &'static str {
    match a {
        AutomationType::SelfService => "SELF_SERVICE",
        AutomationType::Treatment => "TREATMENT",
        AutomationType::Chatbot => "CHATBOT",
    }
}

pub fn transfer_word(t: TransferType) -> Option<&'static str> {
    match t {
        TransferType::ToAgent => Some("TRANSFER_TO_AGENT"),
        TransferType::ToQueue => Some("TRANSFER_TO_QUEUE"),
        TransferType::ToExternal => Some("TRANSFER_TO_EXTERNAL"),
        TransferType::ConsultToQueue => Some("CONSULT_TRANSFER_TO_QUEUE"),
        TransferType::ToFlow => None,
    }
}

fn uuid_only(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| is_uuid(s))
}

fn in_range(v: Option<u32>, min: u32, max: u32) -> Option<u32> {
    v.filter(|n| (min..=max).contains(n))
}

fn participant(p: &Participant) -> ParticipantOut<'_> {
    let internal = matches!(p.role, Role::Agent | Role::Supervisor | Role::Automation);
    ParticipantOut {
        id: p.id.as_deref(),
        // Avaya shows display names of internal participants only.
        agent_display_name: p.display_name.as_deref().filter(|_| internal),
        joined_at: p.joined_at,
        left_at: p.left_at,
        kind: participant_word(p.role),
        channel_id: p.channel_id.as_deref(),
        channel_type: p.channel_type.map(channel_word),
        calling_number: p.calling_number.as_deref(),
        dialled_number: p.dialled_number.as_deref(),
        extension: p.extension.as_deref(),
        automation_type: p.automation_type.map(automation_word),
        dialog_id: p.dialog_id.as_deref(),
        source_type: p.source_type.as_deref(),
        source_address: p.source_address.as_deref(),
    }
}

fn queue<'a>(q: &'a QueueVisit, e: &'a Engagement) -> Option<QueueOut<'a>> {
    if !is_uuid(&q.id) {
        return None;
    }
    // A queue visit without its channel id is on the engagement's channel when it has one.
    let channel_id = q
        .channel_id
        .as_deref()
        .or(match e.channels.as_slice() {
            [only] => only.id.as_deref(),
            _ => None,
        })
        .filter(|c| (3..=256).contains(&c.chars().count()))?;
    Some(QueueOut {
        queue_id: &q.id,
        channel_id,
        queue_name: q.name.as_deref(),
        priority: in_range(q.priority, 1, 10)?,
        rank: in_range(q.rank, 1, i32::MAX as u32),
        proficiency_range_min: in_range(q.proficiency_min, 1, 16),
        proficiency_range_max: in_range(q.proficiency_max, 1, 16),
        queued_at: q.queued_at,
        agent_id: uuid_only(&q.agent_id),
        accepted_at: q.accepted_at,
    })
}

fn transfer(t: &Transfer) -> Option<TransferOut<'_>> {
    Some(TransferOut {
        initiating_agent_id: uuid_only(&t.from_agent_id),
        queue_id: uuid_only(&t.queue_id),
        queue_name: t.queue_name.as_deref(),
        channel_provider_id: uuid_only(&t.channel_provider_id)?,
        connection_id: uuid_only(&t.connection_id),
        dialog_id: uuid_only(&t.dialog_id),
        provider_dialog_id: uuid_only(&t.provider_dialog_id),
        channel_id: t.channel_id.as_deref(),
        correlation_id: uuid_only(&t.correlation_id),
        fallback_queue_id: uuid_only(&t.fallback_queue_id),
        timestamp: t.at,
        destination_agent_id: uuid_only(&t.to_agent_id),
        destination_agent_name: t.to_agent_name.as_deref(),
        destination_external_number: t.to_number.as_deref(),
        destination_agent_joined_at: t.to_agent_joined_at,
        description: t.description.as_deref(),
        transfer_type: transfer_word(t.kind)?,
    })
}

fn details<'a>(id: &'a Option<String>, name: &'a Option<String>) -> AgentDetails<'a> {
    let fits = |s: &&str| (3..=100).contains(&s.chars().count());
    AgentDetails {
        id: id.as_deref().filter(fits),
        name: name.as_deref().filter(fits),
    }
}

/// One agent note as Avaya's `AgentNoteResponse`.
pub fn note<'a>(n: &'a Note, engagement_id: &'a str) -> NoteOut<'a> {
    NoteOut {
        id: n.id.as_deref(),
        engagement_id,
        created_by: details(&n.author_id, &n.author_name),
        updated_by: details(&n.updated_by_id, &n.updated_by_name),
        note: &n.text,
        read_only: n.read_only,
        created_at: n.created_at,
        updated_at: n.updated_at,
    }
}

/// The customer identifiers of an engagement as an AXP `identifiers` object: phone
/// numbers, email addresses, account ids, then the other types in the order given.
pub fn identifiers(e: &Engagement) -> Identifiers<'_> {
    let c = &e.customer;
    let mut out = Identifiers::default();
    let builtins: [(IdentifierName, &[String]); 3] = [
        (IdentifierName::Phone, &c.phones),
        (IdentifierName::Email, &c.emails),
        (IdentifierName::Account, &c.account_ids),
    ];
    for (name, list) in builtins {
        push(&mut out, name.as_str(), list, 3);
    }
    for (name, list) in &c.custom {
        if out.0.len() >= IDENTIFIER_KEYS_MAX {
            break;
        }
        if (1..=identity::NAME_MAX).contains(&name.chars().count()) {
            push(&mut out, name, list, 1);
        }
    }
    out
}

/// A merged identity (type name → values) as an AXP `identifiers` object.
pub fn identity(map: &indexmap::IndexMap<String, Vec<String>>) -> Identifiers<'_> {
    let mut out = Identifiers::default();
    for (name, values) in map {
        let min = if IdentifierName::parse(name).is_some() {
            3
        } else {
            1
        };
        if (1..=identity::NAME_MAX).contains(&name.chars().count()) {
            push(&mut out, name, values, min);
        }
    }
    out
}

fn push<'a>(out: &mut Identifiers<'a>, name: &'a str, list: &'a [String], min: usize) {
    let values: Vec<&str> = list
        .iter()
        .map(String::as_str)
        .filter(|v| (min..=256).contains(&v.chars().count()))
        .take(IDENTIFIER_VALUES_MAX)
        .collect();
    if !values.is_empty() && out.0.len() < IDENTIFIER_KEYS_MAX {
        out.0.push((name, values));
    }
}

/// An engagement in Avaya's shape.
pub fn engagement(e: &Engagement) -> EngagementOut<'_> {
    let conversations = &e.topics[..e.topics.len().min(CONVERSATIONS_MAX)];
    EngagementOut {
        id: &e.id,
        status: status_word(e.effective_state()),
        direction: e.direction.and_then(direction_word),
        start_date: e.started_at,
        update_date: e.updated_at,
        end_date: e.ended_at,
        channels: e
            .channels
            .iter()
            .map(|c| ChannelOut {
                id: c.id.as_deref(),
                kind: channel_word(c.kind),
            })
            .collect(),
        identifiers: identifiers(e),
        agent_notes: e.notes.iter().map(|n| note(n, &e.id)).collect(),
        participants: e
            .participants
            .iter()
            .take(PARTICIPANTS_MAX)
            .map(participant)
            .collect(),
        conversations,
        data: DataOut(
            e.data
                .iter()
                .take(DATA_MAX)
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
                        other => std::borrow::Cow::Owned(other.to_string()),
                    };
                    (k.as_str(), text)
                })
                .collect(),
        ),
        attributes: &e.attributes,
        queues: e.queues.iter().filter_map(|q| queue(q, e)).collect(),
        source_type: e.source_type.as_deref(),
        source_address: e.source_address.as_deref(),
        transfers: e.transfers.iter().filter_map(transfer).collect(),
    }
}

/// The JSON text of an engagement in Avaya's shape.
pub fn engagement_json(e: &Engagement) -> String {
    serde_json::to_string(&engagement(e)).unwrap_or_default()
}
