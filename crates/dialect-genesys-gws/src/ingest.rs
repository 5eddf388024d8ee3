//! The `genesys_gws` ingest format: one interaction history resource a line, as GWS
//! renders it, optionally with the transcript `messages` of a GetInteractionContentMessage.
//! A line may also be a whole response or notification (`{"interactions":[…]}`,
//! `{"interaction":{…},"messages":[…]}`, either wrapped in `{"data":…}`), so captured GWS
//! output imports as it is.
//!
//! Dates must name their offset (`2013-11-25 21:02:22.000+0200`): a line carries no tenant
//! zone to read a local time in.

use crate::dates::parse_instant;
use crate::mapping;
use interlog_http::formats::Format;
use interlog_model::unique_keys::UniqueKeys;
use interlog_model::{
    Engagement, IndexMap, Message, MessageSender, Note, Participant, Role, SourcePlatform,
};
use serde::Deserialize;
use serde_json::Value;

/// Most interactions in one line.
pub const MAX_PER_LINE: usize = 10_000;

pub const FORMAT: Format = Format {
    name: "genesys_gws",
    line: decode_line,
    xml_document: None,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireOwner {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    user_name: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFrom {
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    participant_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMessage {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    from: Option<WireFrom>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    timestamp_seconds: Option<i64>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// The resource; `uri` and `path` are derived on output and ignored here, as are members
/// GWS does not document.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInteraction {
    id: String,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    type_id: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    contact_id: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    owner_information: Option<WireOwner>,
    #[serde(default)]
    custom_attributes: Option<IndexMap<String, Value>>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    call_duration: Option<Value>,
    #[serde(default)]
    user_data: Option<IndexMap<String, Value>>,
    #[serde(default)]
    messages: Option<Vec<WireMessage>>,
}

fn time(field: &str, s: &str) -> Result<jiff::Timestamp, String> {
    parse_instant(s).map_err(|e| format!("{field}: {e}"))
}

fn message(i: usize, m: WireMessage) -> Result<Message, String> {
    let at = match (&m.timestamp, m.timestamp_seconds) {
        (Some(t), _) => time("messages[].timestamp", t)?,
        (None, Some(ms)) => interlog_model::time::from_millis(ms)
            .ok_or_else(|| format!("messages[{i}].timestampSeconds is out of range"))?,
        (None, None) => return Err(format!("messages[{i}] has no timestamp")),
    };
    Ok(Message {
        index: m.index.unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX)),
        at,
        kind: m.kind.unwrap_or_else(|| "Message".to_owned()),
        text: m.text,
        visibility: m.visibility,
        sender: m.from.map(|f| MessageSender {
            nickname: f.nickname,
            role: f.kind.as_deref().map(mapping::role_of),
            participant_id: f.participant_id,
        }),
    })
}

fn duration_ms(v: &Value) -> Result<u64, String> {
    let secs = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match secs {
        Some(s) if (0.0..1e10).contains(&s) => Ok((s * 1000.0).round() as u64),
        _ => Err("callDuration must be a number of seconds".into()),
    }
}

fn engagement(
    w: WireInteraction,
    extra_messages: Option<Vec<WireMessage>>,
) -> Result<Engagement, String> {
    let start = w.start_date.as_deref().ok_or("startDate is required")?;
    let mut e = Engagement {
        id: w.id,
        source: Some(SourcePlatform::GenesysGws),
        started_at: time("startDate", start)?,
        ended_at: w
            .end_date
            .as_deref()
            .map(|s| time("endDate", s))
            .transpose()?,
        subject: w.subject,
        parent_id: w.parent_id,
        ..Engagement::default()
    };
    if let Some(m) = &w.media_type {
        e.channels.push(mapping::channel_of(m));
    }
    if let Some(t) = &w.type_id {
        e.direction = Some(mapping::direction_of(t).ok_or_else(|| {
            format!("typeId {t:?} is not one of Inbound, Outbound, Internal, Consult, Unknown")
        })?);
    }
    if let Some(s) = &w.state {
        e.state = Some(mapping::state_of(s).ok_or_else(|| {
            format!("state {s:?} is not one of New, InProcess, Stopped, Pending")
        })?);
    }
    if let Some(c) = w.comment.filter(|c| !c.is_empty()) {
        e.notes.push(Note::new(c));
    }
    e.customer.contact_id = w.contact_id;
    if let Some(p) = w.phone_number.filter(|p| !p.is_empty()) {
        e.customer.phones.push(p);
    }
    if let Some(o) = w.owner_information {
        e.participants.push(Participant {
            id: o.id,
            username: o.user_name,
            first_name: o.first_name,
            last_name: o.last_name,
            owner: true,
            ..Participant::new(Role::Agent)
        });
    }
    // Attached data and custom attributes are both the interaction's key/values; a custom
    // attribute wins over attached data of the same name.
    e.data.extend(w.user_data.unwrap_or_default());
    e.data.extend(w.custom_attributes.unwrap_or_default());
    if let Some(d) = &w.call_duration {
        e.duration_ms = Some(duration_ms(d)?);
    }
    let messages = w.messages.or(extra_messages).unwrap_or_default();
    e.messages = messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect::<Result<_, _>>()?;
    Ok(e)
}

fn one(v: Value, extra_messages: Option<Vec<WireMessage>>) -> Result<Engagement, String> {
    let w: WireInteraction = serde_json::from_value(v).map_err(|e| e.to_string())?;
    engagement(w, extra_messages)
}

/// Decodes one interaction resource already read as JSON (an item of a
/// `GetInteractionsHistoryMessage` a connector received).
pub fn decode_interaction(v: Value) -> Result<Engagement, String> {
    one(v, None)
}

/// Decodes one line (see the module docs).
pub fn decode_line(line: &[u8]) -> Result<Vec<Engagement>, String> {
    let v: Value = serde_json::from_slice::<UniqueKeys>(line)
        .map_err(|e| e.to_string())?
        .0;
    let Value::Object(mut o) = v else {
        return Err("a line must be a JSON object (an interaction resource)".into());
    };
    if !o.contains_key("id") && matches!(o.get("data"), Some(Value::Object(_))) {
        if let Some(Value::Object(inner)) = o.remove("data") {
            o = inner;
        }
    }
    if let Some(list) = o.remove("interactions") {
        let Value::Array(items) = list else {
            return Err("interactions must be an array".into());
        };
        if items.len() > MAX_PER_LINE {
            return Err(format!("a line holds at most {MAX_PER_LINE} interactions"));
        }
        return items.into_iter().map(|i| one(i, None)).collect();
    }
    if let Some(inner) = o.remove("interaction") {
        let messages = match o.remove("messages") {
            Some(m) => Some(
                serde_json::from_value::<Vec<WireMessage>>(m)
                    .map_err(|e| format!("messages: {e}"))?,
            ),
            None => None,
        };
        return Ok(vec![one(inner, messages)?]);
    }
    Ok(vec![one(Value::Object(o), None)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../tests/fixtures/seed_interaction.json");

    #[test]
    fn the_seed_resource_becomes_a_canonical_engagement() {
        let es = decode_line(SEED.as_bytes()).unwrap();
        let e = &es[0];
        assert_eq!(e.id, "0000Sa99620J0EM5");
        assert_eq!(e.started_at.to_string(), "2013-11-25T19:02:22Z");
        assert_eq!(e.channels[0].kind, interlog_model::ChannelType::Messaging);
        assert_eq!(e.direction, Some(interlog_model::Direction::Inbound));
        assert_eq!(e.state, Some(interlog_model::State::Completed));
        assert_eq!(e.customer.contact_id.as_deref(), Some("0000Sa99620J0EM7"));
        let owner = &e.participants[0];
        assert!(owner.owner);
        assert_eq!(owner.username.as_deref(), Some("JohnS"));
        assert_eq!(owner.first_name.as_deref(), Some("Smith"));
        let accepted = interlog_http::formats::decode_record(decode_line, SEED.as_bytes()).unwrap();
        assert_eq!(accepted.len(), 1);
    }

    #[test]
    fn envelopes_and_transcripts_are_read() {
        let line = br#"{"data":{"referenceId":2,"messageType":"GetInteractionContentMessage","interaction":{"id":"A1","mediaType":"chat","startDate":"2013-11-25 21:02:22.000+0200"},"messages":[{"index":1,"from":{"nickname":"You","type":"Customer","participantId":"00AF52939EBE5BC4"},"timestamp":"2013-11-25 21:02:22.000+0200","visibility":"All","type":"ParticipantJoined","timestampSeconds":1385406142000}]}}"#;
        let es = decode_line(line).unwrap();
        assert_eq!(es[0].messages.len(), 1);
        assert_eq!(
            es[0].messages[0].sender.as_ref().unwrap().role,
            Some(Role::Customer)
        );
        let list = br#"{"statusCode":0,"interactions":[{"id":"A","startDate":"2015-10-01 16:02:07.000+0300"},{"id":"B","startDate":"2015-10-01T13:02:07Z","callDuration":"12.5","mediaType":"call"}]}"#;
        let es = decode_line(list).unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(es[1].duration_ms, Some(12_500));
        for bad in [
            &br#"[]"#[..],
            br#"{"id":"A"}"#,
            br#"{"id":"A","startDate":"2015-10-01"}"#,
            br#"{"id":"A","startDate":"2015-10-01T10:00:00Z","typeId":"Sideways"}"#,
            br#"{"id":"A","startDate":"2015-10-01T10:00:00Z","state":"Gone"}"#,
            br#"{"id":"A","startDate":"2015-10-01T10:00:00Z","callDuration":-1}"#,
            br#"{"interactions":{}}"#,
        ] {
            assert!(
                decode_line(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    proptest! {
        #[test]
        fn any_line_decodes_or_is_refused_with_a_reason(s in "\\PC{0,200}") {
            if let Err(reason) = decode_line(s.as_bytes()) {
                prop_assert!(!reason.is_empty());
            }
        }
    }
}
