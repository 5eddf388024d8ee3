//! What Zoom's shapes read of a canonical engagement, borrowed: either straight from the
//! stored canonical JSON (the list endpoint, where parsing whole engagements would cost
//! twice the native listing), or from an [`Engagement`] already parsed.
//!
//! The stored JSON is the canonical serialization, so the field names and value forms are
//! the model's; fields Zoom never shows (transcripts, data, join times…) are skipped
//! unparsed.

use interlog_model::{
    ChannelType, Direction, Engagement, QueueWaitType, Role, State, Timestamp, Timings,
};
use serde::Deserialize;
use std::borrow::Cow;

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Debug, Deserialize)]
pub struct ChannelView<'a> {
    #[serde(rename = "type")]
    pub kind: ChannelType,
    #[serde(borrow, default)]
    pub source: Text<'a>,
}

#[derive(Debug, Deserialize)]
pub struct ParticipantView<'a> {
    pub role: Role,
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub email: Text<'a>,
    #[serde(borrow, default)]
    pub display_name: Text<'a>,
    #[serde(borrow, default)]
    pub first_name: Text<'a>,
    #[serde(borrow, default)]
    pub last_name: Text<'a>,
    #[serde(borrow, default)]
    pub calling_number: Text<'a>,
    #[serde(borrow, default)]
    pub dialled_number: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CustomerView<'a> {
    #[serde(borrow, default)]
    pub contact_id: Text<'a>,
    #[serde(borrow, default)]
    pub phones: Vec<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct QueueView<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub name: Text<'a>,
    #[serde(default)]
    pub wait_type: Option<QueueWaitType>,
}

#[derive(Debug, Deserialize)]
pub struct DispositionView<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub name: Text<'a>,
}

#[derive(Debug, Deserialize)]
pub struct NoteView<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub text: Cow<'a, str>,
    #[serde(borrow, default)]
    pub author_id: Text<'a>,
    #[serde(borrow, default)]
    pub updated_by_id: Text<'a>,
    #[serde(default, deserialize_with = "opt_instant")]
    pub created_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "opt_instant")]
    pub updated_at: Option<Timestamp>,
}

impl NoteView<'_> {
    /// When the note last changed, and who changed it (else who wrote it).
    pub fn modified(&self) -> (Option<Timestamp>, Option<&str>) {
        (
            self.updated_at.or(self.created_at),
            self.updated_by_id.as_deref().or(self.author_id.as_deref()),
        )
    }
}

#[derive(Debug, Deserialize)]
pub struct FlowView<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub name: Text<'a>,
    #[serde(borrow, default)]
    pub version: Text<'a>,
}

/// The number of items of a JSON list, read without parsing them.
#[derive(Debug, Default, Clone, Copy)]
pub struct Count(pub usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items;
        impl<'de> serde::de::Visitor<'de> for Items {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Count, A::Error> {
                let mut n = 0;
                while s.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Count(n))
            }
        }
        d.deserialize_seq(Items)
    }
}

/// An engagement as the Zoom shapes read it.
#[derive(Debug, Deserialize)]
pub struct View<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(deserialize_with = "instant")]
    pub started_at: Timestamp,
    #[serde(default, deserialize_with = "opt_instant")]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub duration_ms: Option<u64>,
    #[serde(default)]
    pub state: Option<State>,
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(borrow, default)]
    pub channels: Vec<ChannelView<'a>>,
    #[serde(borrow, default)]
    pub participants: Vec<ParticipantView<'a>>,
    #[serde(borrow, default)]
    pub customer: CustomerView<'a>,
    #[serde(borrow, default)]
    pub queues: Vec<QueueView<'a>>,
    #[serde(default)]
    pub timings: Timings,
    #[serde(default)]
    pub transfers: Count,
    #[serde(borrow, default)]
    pub dispositions: Vec<DispositionView<'a>>,
    #[serde(borrow, default)]
    pub notes: Vec<NoteView<'a>>,
    #[serde(borrow, default)]
    pub flows: Vec<FlowView<'a>>,
}

fn read_instant(s: &str) -> Result<Timestamp, String> {
    interlog_model::time::canonical_instant(s)
        .map(Ok)
        .unwrap_or_else(|| s.parse::<Timestamp>().map_err(|e| e.to_string()))
}

fn instant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let s: Cow<'de, str> = Deserialize::deserialize(d)?;
    read_instant(&s).map_err(serde::de::Error::custom)
}

fn opt_instant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let s: Option<Cow<'de, str>> = Deserialize::deserialize(d)?;
    s.map(|s| read_instant(&s).map_err(serde::de::Error::custom))
        .transpose()
}

fn b(s: &Option<String>) -> Text<'_> {
    s.as_deref().map(Cow::Borrowed)
}

impl<'a> View<'a> {
    /// Reads stored canonical JSON.
    pub fn parse(json: &'a str) -> Result<View<'a>, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The view of an engagement already parsed.
    pub fn of(e: &'a Engagement) -> View<'a> {
        View {
            id: Cow::Borrowed(&e.id),
            started_at: e.started_at,
            ended_at: e.ended_at,
            duration_ms: e.duration_ms,
            state: e.state,
            direction: e.direction,
            channels: e
                .channels
                .iter()
                .map(|c| ChannelView {
                    kind: c.kind,
                    source: b(&c.source),
                })
                .collect(),
            participants: e
                .participants
                .iter()
                .map(|p| ParticipantView {
                    role: p.role,
                    id: b(&p.id),
                    email: b(&p.email),
                    display_name: b(&p.display_name),
                    first_name: b(&p.first_name),
                    last_name: b(&p.last_name),
                    calling_number: b(&p.calling_number),
                    dialled_number: b(&p.dialled_number),
                })
                .collect(),
            customer: CustomerView {
                contact_id: b(&e.customer.contact_id),
                phones: e
                    .customer
                    .phones
                    .iter()
                    .map(|p| Cow::Borrowed(p.as_str()))
                    .collect(),
            },
            queues: e
                .queues
                .iter()
                .map(|q| QueueView {
                    id: Cow::Borrowed(&q.id),
                    name: b(&q.name),
                    wait_type: q.wait_type,
                })
                .collect(),
            timings: e.timings.clone(),
            transfers: Count(e.transfers.len()),
            dispositions: e
                .dispositions
                .iter()
                .map(|d| DispositionView {
                    id: b(&d.id),
                    name: b(&d.name),
                })
                .collect(),
            notes: e
                .notes
                .iter()
                .map(|n| NoteView {
                    id: b(&n.id),
                    text: Cow::Borrowed(&n.text),
                    author_id: b(&n.author_id),
                    updated_by_id: b(&n.updated_by_id),
                    created_at: n.created_at,
                    updated_at: n.updated_at,
                })
                .collect(),
            flows: e
                .flows
                .iter()
                .map(|f| FlowView {
                    id: Cow::Borrowed(&f.id),
                    name: b(&f.name),
                    version: b(&f.version),
                })
                .collect(),
        }
    }

    /// The duration, or end minus start.
    pub fn duration_ms(&self) -> Option<u64> {
        self.duration_ms.or_else(|| {
            let ms = self.ended_at?.as_millisecond() - self.started_at.as_millisecond();
            u64::try_from(ms).ok()
        })
    }

    /// The lifecycle state, or completed when it ended.
    pub fn state(&self) -> State {
        self.state.unwrap_or(if self.ended_at.is_some() {
            State::Completed
        } else {
            State::Active
        })
    }

    pub fn agents(&self) -> impl Iterator<Item = &ParticipantView<'a>> {
        self.participants.iter().filter(|p| p.role == Role::Agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading the stored JSON and viewing the parsed engagement must agree, on engagements
    /// of every platform and channel.
    #[test]
    fn stored_json_and_parsed_engagements_read_alike() {
        let end = "2024-06-30T00:00:00Z".parse().unwrap();
        let generated =
            interlog_generate::Generator::new(interlog_generate::GeneratorConfig::new(3, 300, end));
        for e in generated.chain(escaped(end)) {
            let json = serde_json::to_string(&e).unwrap();
            let a = View::parse(&json).unwrap();
            let b = View::of(&e);
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }

    /// Engagements with escapes in their text (which cannot be borrowed).
    fn escaped(end: Timestamp) -> Vec<Engagement> {
        let v = serde_json::json!([
            {"id": "a", "started_at": end.to_string(), "ended_at": end.to_string(),
             "channels": [{"type": "chat", "source": "web_chat"}],
             "participants": [{"role": "agent", "id": "x", "display_name": "Zoë \"Z\" Ó"},
                              {"role": "customer", "calling_number": "+1\t2"}],
             "notes": [{"id": "n", "text": "line\nbreak", "updated_at": end.to_string()}],
             "transfers": [{"type": "to_queue"}, {"type": "to_agent"}],
             "messages": [{"index": 1, "at": end.to_string(), "type": "Message", "text": "hi"}],
             "data": {"notes": [1, 2]}},
            {"id": "b", "started_at": end.to_string()}
        ]);
        serde_json::from_value(v).unwrap()
    }
}
