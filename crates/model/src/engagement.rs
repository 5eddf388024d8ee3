//! The canonical engagement and its parts.
//!
//! Every optional field is left out of the JSON form when it has no value, and every list
//! when it is empty, so the stored form of an engagement is compact and the native API's
//! output is exactly the canonical JSON.

use crate::enums::*;
use indexmap::IndexMap;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Free key/value data attached to an engagement; keys keep the order they were given in.
pub type Data = IndexMap<String, serde_json::Value>;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One customer engagement: a call, video session, chat, SMS thread, email or social
/// conversation, with everything the contact center recorded about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Engagement {
    /// Unique within the tenant. Assigned (UUIDv7) when a client creates one without it.
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePlatform>,
    /// The external system or address the engagement came in through (e.g. `Facebook`,
    /// `@someSocialMediaAccount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<String>,

    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<Timestamp>,
    /// Last change. A write carrying an older value than the stored one is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub updated_at: Option<Timestamp>,
    /// Whole duration in milliseconds; derived from the start and end when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<Release>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,

    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<Participant>,
    #[serde(default, skip_serializing_if = "Customer::is_empty")]
    pub customer: Customer,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueVisit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Timings::is_empty")]
    pub timings: Timings,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfers: Vec<Transfer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recordings: Vec<Recording>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dispositions: Vec<Disposition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What the engagement was about (AXP `conversations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Routing attributes, e.g. `Broadband.billing`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "IndexMap::is_empty",
        deserialize_with = "crate::unique_keys::map"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Data,
    /// Context attributes exactly as the source platform sent them, where `data` cannot say
    /// the same: text in an encoding the platform leaves undocumented (Oracle LX `context`,
    /// e.g. `order=42`), or a JSON object written otherwise than `data` would write it (that
    /// object also fills `data`). A dialect whose vendor carries such a string writes this
    /// back unchanged; the others ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_context: Option<String>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
}

/// A channel the engagement used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Channel {
    #[serde(rename = "type")]
    pub kind: ChannelType,
    /// The platform's channel id, e.g. `Voice` or `Chat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where it came in: `in_app_chat`, `web_chat`, `sms`, `facebook`, `email_address`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
}

impl Channel {
    /// A channel of type `kind` with no platform id, source or media.
    pub fn new(kind: ChannelType) -> Self {
        Channel {
            kind,
            id: None,
            source: None,
            media: None,
        }
    }
}

/// A person or automation taking part in the engagement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub role: Role,
    /// The platform's id for this participant (agent id, consumer id, participant id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A login or user name (Genesys `userName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub joined_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub left_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialled_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog_id: Option<String>,
    /// The channel this participant was on (platform channel id and type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<ChannelType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation_type: Option<AutomationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<String>,
    /// The agent that owns (handled) the engagement; at most one participant has it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub owner: bool,
}

impl Participant {
    /// A participant in `role` of whom nothing else is known yet.
    pub fn new(role: Role) -> Self {
        Participant {
            role,
            id: None,
            username: None,
            email: None,
            display_name: None,
            first_name: None,
            last_name: None,
            joined_at: None,
            left_at: None,
            calling_number: None,
            dialled_number: None,
            extension: None,
            dialog_id: None,
            channel_id: None,
            channel_type: None,
            automation_type: None,
            source_type: None,
            source_address: None,
            owner: false,
        }
    }

    /// How the participant is called: the display name, else first and last name, else the
    /// user name.
    pub fn name(&self) -> Option<String> {
        self.display_name
            .clone()
            .or_else(|| match (&self.first_name, &self.last_name) {
                (Some(f), Some(l)) => Some(format!("{f} {l}")),
                (Some(n), None) | (None, Some(n)) => Some(n.clone()),
                _ => None,
            })
            .or_else(|| self.username.clone())
    }
}

/// How the customer is known: the identifiers a journey search matches on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The contact (customer record) id in the source platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<String>,
    /// Further identifier types by name (e.g. `twitterHandles`), in the order given.
    #[serde(
        default,
        skip_serializing_if = "IndexMap::is_empty",
        deserialize_with = "crate::unique_keys::string_lists"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::HashMap<String, Vec<String>>))]
    pub custom: IndexMap<String, Vec<String>>,
}

impl Customer {
    pub fn is_empty(&self) -> bool {
        self.contact_id.is_none()
            && self.phones.is_empty()
            && self.emails.is_empty()
            && self.account_ids.is_empty()
            && self.custom.is_empty()
    }
}

/// One visit of the engagement to a routing queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QueueVisit {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proficiency_min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proficiency_max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub queued_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub accepted_at: Option<Timestamp>,
    /// The agent that accepted the engagement from this queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_type: Option<QueueWaitType>,
}

impl QueueVisit {
    /// A visit to queue `id` with nothing else recorded.
    pub fn new(id: impl Into<String>) -> Self {
        QueueVisit {
            id: id.into(),
            name: None,
            channel_id: None,
            priority: None,
            rank: None,
            proficiency_min: None,
            proficiency_max: None,
            queued_at: None,
            accepted_at: None,
            agent_id: None,
            wait_type: None,
        }
    }
}

/// Time spent in each phase, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Timings {
    /// Time in queue before being answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk_ms: Option<u64>,
    /// Time the customer was on hold during the conversation (not part of `talk_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<u64>,
    /// Time in IVR / self-service flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up_ms: Option<u64>,
}

impl Timings {
    pub fn is_empty(&self) -> bool {
        *self == Timings::default()
    }
}

/// A transfer of the engagement to another agent, queue, flow or number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    #[serde(rename = "type")]
    pub kind: TransferType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<TransferMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub to_agent_joined_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_flow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_flow_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_queue_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_dialog_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Transfer {
    /// A transfer of type `kind` with nothing else recorded.
    pub fn new(kind: TransferType) -> Self {
        Transfer {
            kind,
            mode: None,
            at: None,
            from_agent_id: None,
            to_agent_id: None,
            to_agent_name: None,
            to_agent_joined_at: None,
            to_number: None,
            to_flow_id: None,
            to_flow_name: None,
            queue_id: None,
            queue_name: None,
            fallback_queue_id: None,
            channel_id: None,
            channel_provider_id: None,
            connection_id: None,
            dialog_id: None,
            provider_dialog_id: None,
            correlation_id: None,
            description: None,
        }
    }
}

/// A recording made during the engagement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Recording {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where the recording can be downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Email address of the user recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
}

/// A wrap-up code chosen for the engagement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Disposition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An agent's note on the engagement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Note {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by_name: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
}

impl Note {
    /// A note with this text and nothing else recorded.
    pub fn new(text: impl Into<String>) -> Self {
        Note {
            id: None,
            text: text.into(),
            author_id: None,
            author_name: None,
            created_at: None,
            updated_at: None,
            updated_by_id: None,
            updated_by_name: None,
            read_only: false,
        }
    }
}

/// One entry of a chat, SMS or social transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Position in the transcript, from 1.
    pub index: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// What happened: `Message`, `ParticipantJoined`, `ParticipantLeft`, `Notice`…
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Who may see it: `All`, `Int` (agents only), `Vis`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<MessageSender>,
}

/// Who wrote a transcript entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessageSender {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<String>,
}

/// An IVR or routing flow the engagement went through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Engagement {
    /// The duration to use when none was recorded: end minus start.
    pub fn effective_duration_ms(&self) -> Option<u64> {
        self.duration_ms.or_else(|| {
            let end = self.ended_at?;
            let ms = end.as_millisecond() - self.started_at.as_millisecond();
            u64::try_from(ms).ok()
        })
    }

    /// The lifecycle state, derived when absent: ended engagements are completed.
    pub fn effective_state(&self) -> State {
        self.state.unwrap_or(if self.ended_at.is_some() {
            State::Completed
        } else {
            State::Active
        })
    }

    /// Agents in the order they appear.
    pub fn agents(&self) -> impl Iterator<Item = &Participant> {
        self.participants.iter().filter(|p| p.role == Role::Agent)
    }

    /// Fills in what can be derived (state, duration, message order), truncates times to the
    /// millisecond the stores keep, and assigns a UUIDv7 id when there is none.
    pub fn normalize(&mut self) {
        if self.id.is_empty() {
            self.id = uuid::Uuid::now_v7().to_string();
        }
        self.state = Some(self.effective_state());
        self.duration_ms = self.effective_duration_ms();
        crate::time::truncate_all_to_millis(self);
    }
}
