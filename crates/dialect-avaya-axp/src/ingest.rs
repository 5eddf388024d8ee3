//! AXP engagement JSON (`EngagementResponse`) into canonical engagements: the `avaya_axp`
//! ingest format, one engagement (or one `{"engagements": [...]}` envelope, as List
//! Engagements and Search Journeys answer) per NDJSON line.
//!
//! Reading is as lenient as Avaya's schema (every field optional, unknown fields allowed)
//! but never guesses: a field of the wrong type rejects the line with its path. An enum word
//! the canonical model has no home for maps to its "other"/"unknown" value, except a
//! transfer's type, which a canonical transfer cannot do without.

use crate::json::Json;
use crate::validate::parse_date_time;
use interlog_http::formats::Format;
use interlog_model::{
    AutomationType, Channel, ChannelType, Customer, Direction, Engagement, Note, Participant,
    QueueVisit, Role, SourcePlatform, State, Timestamp, Transfer, TransferType,
};

/// The `avaya_axp` ingest format.
pub const FORMAT: Format = Format {
    name: "avaya_axp",
    line: decode_line,
    xml_document: None,
};

/// Most engagements one envelope line may hold.
const ENVELOPE_MAX: usize = 10_000;

/// Decodes one NDJSON line: an AXP engagement, an array of them, or an object with an
/// `engagements` array.
pub fn decode_line(line: &[u8]) -> Result<Vec<Engagement>, String> {
    let j = Json::parse(line).map_err(|e| format!("the line is not JSON: {e}"))?;
    let items: Vec<&Json> = match &j {
        Json::Object(_) if j.get("id").is_none() && j.get("engagements").is_some() => {
            match j.get("engagements").and_then(Json::as_array) {
                Some(list) => list.iter().collect(),
                None => return Err("engagements: must be an array".into()),
            }
        }
        Json::Object(_) => vec![&j],
        Json::Array(list) => list.iter().collect(),
        other => {
            return Err(format!(
                "expected an AXP engagement object, got {}",
                other.kind()
            ))
        }
    };
    if items.len() > ENVELOPE_MAX {
        return Err(format!(
            "a line may hold at most {ENVELOPE_MAX} engagements"
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            engagement(item).map_err(|e| {
                if j.get("id").is_some() {
                    e
                } else {
                    format!("engagements[{i}].{e}")
                }
            })
        })
        .collect()
}

/// A JSON object being read, with its path for error messages.
struct Obj<'a> {
    j: &'a Json,
    path: String,
}

impl<'a> Obj<'a> {
    fn root(j: &'a Json) -> Result<Obj<'a>, String> {
        if j.as_object().is_none() {
            return Err(format!("expected an object, got {}", j.kind()));
        }
        Ok(Obj {
            j,
            path: String::new(),
        })
    }

    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn err(&self, key: &str, what: &str) -> String {
        format!("{}: {what}", self.name(key))
    }

    fn str(&self, key: &str) -> Result<Option<String>, String> {
        match self.j.field(key) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(key, &format!("must be a string, not {}", other.kind()))),
        }
    }

    fn required_str(&self, key: &str) -> Result<String, String> {
        self.str(key)?
            .ok_or_else(|| self.err(key, "must not be null"))
    }

    fn time(&self, key: &str) -> Result<Option<Timestamp>, String> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) => parse_date_time(&s)
                .map(Some)
                .ok_or_else(|| self.err(key, &format!("{s:?} is not an ISO 8601 date-time"))),
        }
    }

    fn u32(&self, key: &str) -> Result<Option<u32>, String> {
        match self.j.field(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.err(key, "must be a whole number from 0 to 4294967295")),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, String> {
        match self.j.field(key) {
            None => Ok(false),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| self.err(key, "must be true or false")),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        let Some(v) = self.j.field(key) else {
            return Ok(Vec::new());
        };
        let list = v
            .as_array()
            .ok_or_else(|| self.err(key, "must be an array of strings"))?;
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.err(&format!("{key}[{i}]"), "must be a string"))
            })
            .collect()
    }

    fn objects(&self, key: &str) -> Result<Vec<Obj<'a>>, String> {
        let Some(v) = self.j.field(key) else {
            return Ok(Vec::new());
        };
        let list = v
            .as_array()
            .ok_or_else(|| self.err(key, "must be an array of objects"))?;
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                let path = self.name(&format!("{key}[{i}]"));
                if item.as_object().is_some() {
                    Ok(Obj { j: item, path })
                } else {
                    Err(format!("{path}: must be an object, not {}", item.kind()))
                }
            })
            .collect()
    }

    fn object(&self, key: &str) -> Result<Option<Obj<'a>>, String> {
        match self.j.field(key) {
            None => Ok(None),
            Some(v) if v.as_object().is_some() => Ok(Some(Obj {
                j: v,
                path: self.name(key),
            })),
            Some(v) => Err(self.err(key, &format!("must be an object, not {}", v.kind()))),
        }
    }
}

pub fn parse_state(word: &str) -> Option<State> {
    match word.to_ascii_uppercase().as_str() {
        "CREATED" => Some(State::Created),
        "ACTIVE" => Some(State::Active),
        "COMPLETED" => Some(State::Completed),
        _ => None,
    }
}

pub fn parse_direction(word: &str) -> Direction {
    match word.to_ascii_uppercase().as_str() {
        "INBOUND" => Direction::Inbound,
        "OUTBOUND" => Direction::Outbound,
        _ => Direction::Unknown,
    }
}

/// A channel type word (`VOICE`, `WEBCHAT`…); words the model does not know are `other`.
pub fn parse_channel_type(word: &str) -> ChannelType {
    let lower = word.to_ascii_lowercase();
    match lower.as_str() {
        "webchat" | "web_chat" => ChannelType::Chat,
        _ => lower.parse().unwrap_or(ChannelType::Other),
    }
}

pub fn parse_role(word: &str) -> Role {
    match word.to_ascii_uppercase().as_str() {
        "EXTERNAL" => Role::Customer,
        "AGENT" => Role::Agent,
        "TREATMENT" => Role::Automation,
        _ => Role::Other,
    }
}

pub fn parse_automation(word: &str) -> Option<AutomationType> {
    match word.to_ascii_uppercase().as_str() {
        "SELF_SERVICE" => Some(AutomationType::SelfService),
        "TREATMENT" => Some(AutomationType::Treatment),
        "CHATBOT" => Some(AutomationType::Chatbot),
        _ => None,
    }
}

pub fn parse_transfer_type(word: &str) -> Option<TransferType> {
    match word {
        "TRANSFER_TO_AGENT" => Some(TransferType::ToAgent),
        "TRANSFER_TO_QUEUE" => Some(TransferType::ToQueue),
        "TRANSFER_TO_EXTERNAL" => Some(TransferType::ToExternal),
        "CONSULT_TRANSFER_TO_QUEUE" => Some(TransferType::ConsultToQueue),
        _ => None,
    }
}

fn customer(o: &Obj<'_>) -> Result<Customer, String> {
    let mut c = Customer::default();
    let Some(ids) = o.object("identifiers")? else {
        return Ok(c);
    };
    for (name, _) in ids.j.as_object().unwrap_or_default() {
        let values = ids.strings(name)?;
        match crate::identity::IdentifierName::parse(name) {
            Some(crate::identity::IdentifierName::Phone) => c.phones = values,
            Some(crate::identity::IdentifierName::Email) => c.emails = values,
            Some(crate::identity::IdentifierName::Account) => c.account_ids = values,
            None if values.is_empty() => {}
            None => {
                c.custom.insert(name.clone(), values);
            }
        }
    }
    Ok(c)
}

fn participant(p: &Obj<'_>) -> Result<Participant, String> {
    let role = p.str("type")?.as_deref().map_or(Role::Other, parse_role);
    Ok(Participant {
        id: p.str("id")?,
        display_name: p.str("agentDisplayName")?,
        joined_at: p.time("joinedAt")?,
        left_at: p.time("leftAt")?,
        calling_number: p.str("callingNumber")?,
        dialled_number: p.str("dialledNumber")?,
        extension: p.str("extension")?,
        dialog_id: p.str("dialogId")?,
        channel_id: p.str("channelId")?,
        channel_type: p.str("channelType")?.as_deref().map(parse_channel_type),
        automation_type: p
            .str("automationType")?
            .as_deref()
            .and_then(parse_automation),
        source_type: p.str("sourceType")?,
        source_address: p.str("sourceAddress")?,
        ..Participant::new(role)
    })
}

fn queue(q: &Obj<'_>) -> Result<QueueVisit, String> {
    Ok(QueueVisit {
        id: q.required_str("queueId")?,
        name: q.str("queueName")?,
        channel_id: q.str("channelId")?,
        priority: q.u32("priority")?,
        rank: q.u32("rank")?,
        proficiency_min: q.u32("proficiencyRangeMin")?,
        proficiency_max: q.u32("proficiencyRangeMax")?,
        queued_at: q.time("queuedAt")?,
        accepted_at: q.time("acceptedAt")?,
        agent_id: q.str("agentId")?,
        wait_type: None,
    })
}

fn transfer(t: &Obj<'_>) -> Result<Transfer, String> {
    let word = t.required_str("transferType")?;
    let kind = parse_transfer_type(&word).ok_or_else(|| {
        t.err(
            "transferType",
            &format!("{word:?} is not one of TRANSFER_TO_AGENT, TRANSFER_TO_QUEUE, TRANSFER_TO_EXTERNAL, CONSULT_TRANSFER_TO_QUEUE"),
        )
    })?;
    Ok(Transfer {
        at: t.time("timestamp")?,
        from_agent_id: t.str("initiatingAgentId")?,
        to_agent_id: t.str("destinationAgentId")?,
        to_agent_name: t.str("destinationAgentName")?,
        to_agent_joined_at: t.time("destinationAgentJoinedAt")?,
        to_number: t.str("destinationExternalNumber")?,
        queue_id: t.str("queueId")?,
        queue_name: t.str("queueName")?,
        fallback_queue_id: t.str("fallbackQueueId")?,
        channel_id: t.str("channelId")?,
        channel_provider_id: t.str("channelProviderId")?,
        connection_id: t.str("connectionId")?,
        dialog_id: t.str("dialogId")?,
        provider_dialog_id: t.str("providerDialogId")?,
        correlation_id: t.str("correlationId")?,
        description: t.str("description")?,
        ..Transfer::new(kind)
    })
}

fn note(n: &Obj<'_>) -> Result<Note, String> {
    let by = |key: &str| -> Result<(Option<String>, Option<String>), String> {
        match n.object(key)? {
            Some(d) => Ok((d.str("id")?, d.str("name")?)),
            None => Ok((None, None)),
        }
    };
    let (author_id, author_name) = by("createdBy")?;
    let (updated_by_id, updated_by_name) = by("updatedBy")?;
    // The schema calls the text `note`; Avaya's search example calls it `text`.
    let text = match n.str("note")? {
        Some(t) => t,
        None => n.str("text")?.unwrap_or_default(),
    };
    Ok(Note {
        id: n.str("id")?,
        text,
        author_id,
        author_name,
        created_at: n.time("createdAt")?,
        updated_at: n.time("updatedAt")?,
        updated_by_id,
        updated_by_name,
        read_only: n.bool("readOnly")?,
    })
}

/// One AXP engagement as a canonical engagement (not yet normalized or validated).
pub fn engagement(j: &Json) -> Result<Engagement, String> {
    let o = Obj::root(j)?;
    let started_at = o
        .time("startDate")?
        .ok_or_else(|| o.err("startDate", "must not be null"))?;
    let mut data = interlog_model::Data::new();
    if let Some(d) = o.object("data")? {
        for (k, v) in d.j.as_object().unwrap_or_default() {
            if !matches!(v, Json::Null) {
                data.insert(k.clone(), v.to_value());
            }
        }
    }
    Ok(Engagement {
        id: o.required_str("id")?,
        source: Some(SourcePlatform::AvayaAxp),
        source_type: o.str("sourceType")?,
        source_address: o.str("sourceAddress")?,
        started_at,
        ended_at: o.time("endDate")?,
        updated_at: o.time("updateDate")?,
        state: o.str("status")?.as_deref().and_then(parse_state),
        direction: o.str("direction")?.as_deref().map(parse_direction),
        channels: o
            .objects("channels")?
            .iter()
            .map(|c| {
                Ok(Channel {
                    kind: c
                        .str("type")?
                        .as_deref()
                        .map_or(ChannelType::Other, parse_channel_type),
                    id: c.str("id")?,
                    source: None,
                    media: None,
                })
            })
            .collect::<Result<_, String>>()?,
        participants: o
            .objects("participants")?
            .iter()
            .map(participant)
            .collect::<Result<_, _>>()?,
        customer: customer(&o)?,
        queues: o
            .objects("queues")?
            .iter()
            .map(queue)
            .collect::<Result<_, _>>()?,
        transfers: o
            .objects("transfers")?
            .iter()
            .map(transfer)
            .collect::<Result<_, _>>()?,
        notes: o
            .objects("agentNotes")?
            .iter()
            .map(note)
            .collect::<Result<_, _>>()?,
        topics: o.strings("conversations")?,
        attributes: o.strings("attributes")?,
        data,
        ..Engagement::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_path_of_the_wrong_field() {
        let err = decode_line(br#"{"id":"a","startDate":"2019-07-23T17:45:21.002Z","queues":[{"queueId":"q","priority":"high"}]}"#).unwrap_err();
        assert_eq!(
            err,
            "queues[0].priority: must be a whole number from 0 to 4294967295"
        );
        let err = decode_line(br#"{"id":"a"}"#).unwrap_err();
        assert_eq!(err, "startDate: must not be null");
        let err = decode_line(br#"{"engagements":[{"id":"a","startDate":"2019-07-23T17:45:21Z"},{"id":"b","startDate":"x"}]}"#).unwrap_err();
        assert!(err.starts_with("engagements[1].startDate:"), "{err}");
        let err = decode_line(br#"{"id":"a","startDate":"2019-07-23T17:45:21Z","transfers":[{"transferType":"SIDEWAYS"}]}"#).unwrap_err();
        assert!(err.starts_with("transfers[0].transferType:"), "{err}");
        assert!(decode_line(b"42").is_err());
        assert!(decode_line(b"{").is_err());
    }

    #[test]
    fn envelopes_and_arrays_hold_several_engagements() {
        let one = r#"{"id":"a","startDate":"2019-07-23T17:45:21Z"}"#;
        let two = r#"{"id":"b","startDate":"2019-07-23T17:45:22Z","agentNotes":[{"text":"from the search example"}]}"#;
        let env = format!(r#"{{"pagination":{{"total":2}},"engagements":[{one},{two}]}}"#);
        let es = decode_line(env.as_bytes()).unwrap();
        assert_eq!(
            es.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(es[1].notes[0].text, "from the search example");
        assert_eq!(
            decode_line(format!("[{one},{two}]").as_bytes())
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn unknown_words_map_to_the_models_catch_alls() {
        let e = decode_line(br#"{"id":"a","startDate":"2019-07-23T17:45:21Z","status":"PAUSED","direction":"SIDEWAYS","channels":[{"id":"W","type":"WEBCHAT"},{"type":"PIGEON"}],"participants":[{"type":"ROBOT","channelType":"voice"}]}"#).unwrap().remove(0);
        assert_eq!(e.state, None);
        assert_eq!(e.direction, Some(Direction::Unknown));
        assert_eq!(e.channels[0].kind, ChannelType::Chat);
        assert_eq!(e.channels[1].kind, ChannelType::Other);
        assert_eq!(e.participants[0].role, Role::Other);
        assert_eq!(e.participants[0].channel_type, Some(ChannelType::Voice));
    }
}
