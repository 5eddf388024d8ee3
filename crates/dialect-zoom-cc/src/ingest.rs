//! The `zoom_cc` ingest format: one Zoom engagement as the list or get endpoint returns it,
//! or a whole list envelope (`{"engagements": [...]}`), normalized into the canonical
//! model. Fields Zoom adds later are ignored; fields the canonical model has no home for
//! (`voice_mail`, `survey_id`, `transcript_url`, the event timeline itself) are not kept.

use crate::channels;
use crate::NAME;
use interlog_http::formats::Format;
use interlog_model::time::parse_instant;
use interlog_model::{
    Direction, Disposition, Engagement, Flow, Note, Participant, QueueVisit, QueueWaitType, Role,
    SourcePlatform, State, Timestamp, Transfer, TransferMode, TransferType,
};
use serde::Deserialize;

/// A whole number as Zoom writes it (a JSON number; some exports quote it).
#[derive(Deserialize)]
#[serde(untagged)]
enum Num {
    N(u64),
    S(String),
}

impl Num {
    fn get(&self, field: &str) -> Result<u64, String> {
        match self {
            Num::N(n) => Ok(*n),
            Num::S(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("{field}: {s:?} is not a whole number")),
        }
    }
}

#[derive(Deserialize)]
struct InChannel {
    channel: Option<String>,
    channel_source: Option<String>,
}

#[derive(Deserialize)]
struct InConsumer {
    consumer_id: Option<String>,
    consumer_display_name: Option<String>,
    consumer_number: Option<String>,
}

#[derive(Deserialize)]
struct InFlow {
    flow_id: Option<String>,
    flow_name: Option<String>,
    flow_version: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct InQueue {
    cc_queue_id: Option<String>,
    queue_id: Option<String>,
    queue_name: Option<String>,
}

#[derive(Deserialize)]
struct InAgent {
    user_id: Option<String>,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct InDisposition {
    disposition_id: Option<String>,
    disposition_name: Option<String>,
}

#[derive(Deserialize)]
struct InNote {
    user_id: Option<String>,
    note_id: Option<String>,
    note: Option<String>,
    last_modified_time: Option<String>,
}

/// The parts of an event that say where the engagement was transferred.
#[derive(Deserialize)]
struct InEvent {
    start_time: Option<String>,
    user_id: Option<String>,
    transfer_type: Option<String>,
    transfer_to_user_id: Option<String>,
    transfer_to_user_display_name: Option<String>,
    transfer_to_cc_queue_id: Option<String>,
    transfer_to_queue_id: Option<String>,
    transfer_to_queue_name: Option<String>,
    transfer_to_flow_id: Option<String>,
    transfer_to_flow_name: Option<String>,
    transfer_to_number: Option<String>,
}

#[derive(Deserialize)]
struct InEngagement {
    engagement_id: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    duration: Option<Num>,
    direction: Option<String>,
    channel_types: Option<Vec<String>>,
    channels: Option<Vec<InChannel>>,
    consumers: Option<Vec<InConsumer>>,
    flows: Option<Vec<InFlow>>,
    queues: Option<Vec<InQueue>>,
    agents: Option<Vec<InAgent>>,
    queue_wait_type: Option<String>,
    talk_duration: Option<Num>,
    flow_duration: Option<Num>,
    waiting_duration: Option<Num>,
    handling_duration: Option<Num>,
    wrap_up_duration: Option<Num>,
    dispositions: Option<Vec<InDisposition>>,
    notes: Option<Vec<InNote>>,
    events: Option<Vec<InEvent>>,
}

fn time(field: &str, v: &str) -> Result<Timestamp, String> {
    parse_instant(v).map_err(|_| {
        format!("{field}: {v:?} is not a date-time with Z or an offset (e.g. 2021-12-03T13:07:46Z)")
    })
}

fn opt_time(field: &str, v: &Option<String>) -> Result<Option<Timestamp>, String> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| time(field, s))
        .transpose()
}

fn ms(field: &str, v: &Option<Num>) -> Result<Option<u64>, String> {
    v.as_ref()
        .map(|n| n.get(field).map(|s| s.saturating_mul(1000)))
        .transpose()
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// Decodes one record: an engagement object, a list envelope, or an array of engagements.
pub fn decode(record: &[u8]) -> Result<Vec<Engagement>, String> {
    let v = serde_json::from_slice::<interlog_model::unique_keys::UniqueKeys>(record)
        .map_err(|e| e.to_string())?
        .0;
    let items: Vec<serde_json::Value> = match v {
        serde_json::Value::Object(mut o) if o.get("engagements").is_some_and(|e| e.is_array()) => {
            match o.remove("engagements") {
                Some(serde_json::Value::Array(a)) => a,
                _ => Vec::new(),
            }
        }
        serde_json::Value::Array(a) => a,
        other @ serde_json::Value::Object(_) => vec![other],
        _ => return Err("a Zoom engagement must be a JSON object".into()),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let z: InEngagement =
                serde_json::from_value(item).map_err(|e| format!("engagements[{i}]: {e}"))?;
            engagement(z).map_err(|e| format!("engagements[{i}].{e}"))
        })
        .collect()
}

/// Decodes one engagement object already read as JSON (an item of a list page a connector
/// fetched), as [`decode`] decodes each item of a line.
pub fn decode_item(item: serde_json::Value) -> Result<Engagement, String> {
    let z: InEngagement = serde_json::from_value(item).map_err(|e| e.to_string())?;
    engagement(z)
}

fn engagement(z: InEngagement) -> Result<Engagement, String> {
    let id = nonempty(z.engagement_id).ok_or("engagement_id: is required")?;
    let started_at = time(
        "start_time",
        z.start_time.as_deref().ok_or("start_time: is required")?,
    )?;
    let duration_ms = ms("duration", &z.duration)?;
    let ended_at = match opt_time("end_time", &z.end_time)? {
        Some(t) => Some(t),
        // The seed's older shape has a duration and no end time.
        None => duration_ms.and_then(|d| {
            started_at
                .checked_add(jiff::SignedDuration::from_millis(i64::try_from(d).ok()?))
                .ok()
        }),
    };
    let direction = match z
        .direction
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") => None,
        Some("inbound") => Some(Direction::Inbound),
        Some("outbound") => Some(Direction::Outbound),
        Some(_) => Some(Direction::Unknown),
    };
    let mut e = Engagement {
        id,
        source: Some(SourcePlatform::ZoomCc),
        started_at,
        ended_at,
        duration_ms,
        // Zoom lists completed engagements only.
        state: Some(State::Completed),
        direction,
        ..Engagement::default()
    };

    match (&z.channels, &z.channel_types) {
        (Some(chs), _) if !chs.is_empty() => {
            for c in chs {
                let Some(name) = c.channel.as_deref() else {
                    continue;
                };
                let ch = channels::canonical(name, c.channel_source.as_deref());
                if !e.channels.contains(&ch) {
                    e.channels.push(ch);
                }
            }
        }
        (_, Some(words)) => {
            for w in words {
                let ch = channels::canonical_legacy(&w.to_ascii_lowercase());
                if !e.channels.contains(&ch) {
                    e.channels.push(ch);
                }
            }
        }
        _ => {}
    }

    let outbound = e.direction == Some(Direction::Outbound);
    for c in z.consumers.into_iter().flatten() {
        let number = nonempty(c.consumer_number);
        if let Some(n) = &number {
            if !e.customer.phones.contains(n) {
                e.customer.phones.push(n.clone());
            }
        }
        let (calling_number, dialled_number) = if outbound {
            (None, number)
        } else {
            (number, None)
        };
        e.participants.push(Participant {
            id: nonempty(c.consumer_id),
            display_name: nonempty(c.consumer_display_name),
            calling_number,
            dialled_number,
            ..Participant::new(Role::Customer)
        });
    }
    for a in z.agents.into_iter().flatten() {
        let id = nonempty(a.user_id);
        let name = nonempty(a.display_name);
        if id.is_none() && name.is_none() {
            continue;
        }
        e.participants.push(Participant {
            id,
            display_name: name,
            ..Participant::new(Role::Agent)
        });
    }

    let wait_type = z
        .queue_wait_type
        .as_deref()
        .and_then(|w| w.parse::<QueueWaitType>().ok());
    for q in z.queues.into_iter().flatten() {
        let Some(id) = nonempty(q.cc_queue_id).or(nonempty(q.queue_id)) else {
            continue;
        };
        e.queues.push(QueueVisit {
            name: nonempty(q.queue_name),
            wait_type,
            ..QueueVisit::new(id)
        });
    }
    for f in z.flows.into_iter().flatten() {
        let Some(id) = nonempty(f.flow_id) else {
            continue;
        };
        // Zoom documents the version as a string; numbers are read as their digits.
        let version = match f.flow_version {
            Some(serde_json::Value::String(s)) => nonempty(Some(s)),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        e.flows.push(Flow {
            id,
            name: nonempty(f.flow_name),
            version,
        });
    }

    e.timings.talk_ms = ms("talk_duration", &z.talk_duration)?;
    e.timings.flow_ms = ms("flow_duration", &z.flow_duration)?;
    e.timings.wait_ms = ms("waiting_duration", &z.waiting_duration)?;
    e.timings.handling_ms = ms("handling_duration", &z.handling_duration)?;
    e.timings.wrap_up_ms = ms("wrap_up_duration", &z.wrap_up_duration)?;

    for d in z.dispositions.into_iter().flatten() {
        let (id, name) = (nonempty(d.disposition_id), nonempty(d.disposition_name));
        if id.is_some() || name.is_some() {
            e.dispositions.push(Disposition { id, name });
        }
    }
    for (i, n) in z.notes.into_iter().flatten().enumerate() {
        e.notes.push(Note {
            id: nonempty(n.note_id),
            author_id: nonempty(n.user_id),
            updated_at: opt_time(
                &format!("notes[{i}].last_modified_time"),
                &n.last_modified_time,
            )?,
            ..Note::new(n.note.unwrap_or_default())
        });
    }
    for (i, ev) in z.events.into_iter().flatten().enumerate() {
        if let Some(t) = transfer(ev, i)? {
            e.transfers.push(t);
        }
    }
    Ok(e)
}

/// A transfer event as a canonical transfer: to an agent, a queue, a flow, or a number.
fn transfer(ev: InEvent, i: usize) -> Result<Option<Transfer>, String> {
    let to_agent_id = nonempty(ev.transfer_to_user_id);
    let to_agent_name = nonempty(ev.transfer_to_user_display_name);
    let queue_id = nonempty(ev.transfer_to_cc_queue_id).or(nonempty(ev.transfer_to_queue_id));
    let queue_name = nonempty(ev.transfer_to_queue_name);
    let to_flow_id = nonempty(ev.transfer_to_flow_id);
    let to_flow_name = nonempty(ev.transfer_to_flow_name);
    let to_number = nonempty(ev.transfer_to_number);
    let kind = if to_agent_id.is_some() || to_agent_name.is_some() {
        TransferType::ToAgent
    } else if queue_id.is_some() || queue_name.is_some() {
        TransferType::ToQueue
    } else if to_flow_id.is_some() || to_flow_name.is_some() {
        TransferType::ToFlow
    } else if to_number.is_some() {
        TransferType::ToExternal
    } else {
        return Ok(None);
    };
    let mode = match ev.transfer_type.as_deref() {
        Some("cold") => Some(TransferMode::Cold),
        Some("warm") => Some(TransferMode::Warm),
        _ => None,
    };
    Ok(Some(Transfer {
        mode,
        at: opt_time(&format!("events[{i}].start_time"), &ev.start_time)?,
        from_agent_id: nonempty(ev.user_id),
        to_agent_id,
        to_agent_name,
        to_number,
        to_flow_id,
        to_flow_name,
        queue_id,
        queue_name,
        ..Transfer::new(kind)
    }))
}

/// The `zoom_cc` ingest format: one Zoom engagement (or list envelope) a line.
pub const FORMAT: Format = Format {
    name: NAME,
    line: decode,
    xml_document: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use interlog_model::ChannelType;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_seed_shape_and_the_current_shape_both_read() {
        let seed = json!({
            "start_time": "2021-12-03T13:07:46Z", "duration": "3600",
            "engagement_id": "W_VATTk_Q5aW6z5rZtBxAQ", "channel_types": ["sms", "voice"],
            "consumers": [{"consumer_id": "c", "consumer_display_name": "Jill", "consumer_number": "+12058945728"}],
            "dispositions": [{"disposition_id": "d", "disposition_name": "Inquiry"}],
            "notes": [{"user_id": "u", "note_id": "n", "note": "hi", "last_modified_time": "2022-03-26T14:44:14Z"}]
        });
        let e = &decode(seed.to_string().as_bytes()).unwrap()[0];
        assert_eq!(e.ended_at.unwrap().to_string(), "2021-12-03T14:07:46Z");
        assert_eq!(
            e.channels.iter().map(|c| c.kind).collect::<Vec<_>>(),
            [ChannelType::Sms, ChannelType::Voice]
        );
        assert_eq!(e.customer.phones, ["+12058945728"]);
        assert_eq!(
            e.participants[0].calling_number.as_deref(),
            Some("+12058945728")
        );
        assert_eq!(e.notes[0].author_id.as_deref(), Some("u"));

        let env = json!({"next_page_token": "", "engagements": [
            {"engagement_id": "a", "start_time": "2024-01-01T10:00:00-08:00", "direction": "outbound",
             "consumers": [{"consumer_number": "+1555"}],
             "events": [{"start_time": "2024-01-01T18:01:00Z", "transfer_type": "warm",
                         "user_id": "ag1", "transfer_to_cc_queue_id": "q2", "transfer_to_queue_name": "Sales"}]},
            {"engagement_id": "b", "start_time": "2024-01-01T10:00:00Z", "survey_id": "s", "voice_mail": 2}
        ]});
        let es = decode(env.to_string().as_bytes()).unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(es[0].started_at.to_string(), "2024-01-01T18:00:00Z");
        assert_eq!(
            es[0].participants[0].dialled_number.as_deref(),
            Some("+1555")
        );
        assert_eq!(es[0].transfers[0].kind, TransferType::ToQueue);
        assert_eq!(es[0].transfers[0].mode, Some(TransferMode::Warm));
    }

    #[test]
    fn records_without_an_id_or_start_are_refused_with_a_reason() {
        for (rec, want) in [
            (
                json!({"start_time": "2024-01-01T00:00:00Z"}),
                "engagement_id",
            ),
            (json!({"engagement_id": "a"}), "start_time"),
            (
                json!({"engagement_id": "a", "start_time": "yesterday"}),
                "start_time",
            ),
            (
                json!({"engagement_id": "a", "start_time": "2024-01-01T00:00:00Z", "duration": -3}),
                "engagements[0]",
            ),
            (json!("text"), "JSON object"),
        ] {
            let err = decode(rec.to_string().as_bytes()).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&data);
        }
    }
}
