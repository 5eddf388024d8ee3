//! Engagements as an Arrow batch of the file's schema ([`super::schema::file_schema`]),
//! built column by column from the engagements decoded into the model: the path exports
//! took before [`super::decode`] read the stored bodies straight into the columns, kept
//! (for tests only) as the reference the decoder's batches are compared with.
//!
//! The values are those of the canonical JSON form, which leaves out every absent value
//! and every empty list: an absent value, an empty list or map, an empty customer or
//! timings is null; enums are their wire words; times are UTC milliseconds (the stores
//! keep milliseconds); a `data` value that is not a string is its JSON text.

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Int64Array, ListArray, MapArray, RecordBatch,
    StringArray, StructArray, TimestampMillisecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{ArrowError, DataType, FieldRef, Fields, SchemaRef};
use interlog_model::{Customer, Engagement, IndexMap, Message, MessageSender, Timestamp, Timings};
use std::borrow::Cow;
use std::sync::Arc;

type Built = Result<ArrayRef, ArrowError>;

fn text<'a, T>(items: &[&'a T], f: impl Fn(&'a T) -> Option<&'a str>) -> ArrayRef {
    Arc::new(items.iter().map(|i| f(*i)).collect::<StringArray>())
}

fn words<T>(items: &[&T], f: impl Fn(&T) -> Option<&'static str>) -> ArrayRef {
    Arc::new(items.iter().map(|i| f(*i)).collect::<StringArray>())
}

fn dictionary<T>(items: &[&T], f: impl Fn(&T) -> Option<&'static str>) -> ArrayRef {
    Arc::new(
        items
            .iter()
            .map(|i| f(*i))
            .collect::<DictionaryArray<Int32Type>>(),
    )
}

fn time<T>(items: &[&T], f: impl Fn(&T) -> Option<Timestamp>) -> ArrayRef {
    Arc::new(
        items
            .iter()
            .map(|i| f(*i).map(|t| t.as_millisecond()))
            .collect::<TimestampMillisecondArray>()
            .with_timezone(super::schema::UTC),
    )
}

fn int<T>(items: &[&T], f: impl Fn(&T) -> Option<u64>) -> ArrayRef {
    Arc::new(
        items
            .iter()
            .map(|i| f(*i).map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
            .collect::<Int64Array>(),
    )
}

fn small<T>(items: &[&T], f: impl Fn(&T) -> Option<u32>) -> ArrayRef {
    int(items, |i| f(i).map(u64::from))
}

fn flag<T>(items: &[&T], f: impl Fn(&T) -> bool) -> ArrayRef {
    // `false` is left out of the JSON form: null, as the file always had it.
    Arc::new(
        items
            .iter()
            .map(|i| f(*i).then_some(true))
            .collect::<BooleanArray>(),
    )
}

/// The item field and struct fields of a list-of-structs column.
fn list_parts(field: &FieldRef) -> (FieldRef, &DataType) {
    match field.data_type() {
        DataType::List(item) => (item.clone(), field_type(field)),
        other => unreachable!("{} is a list in the schema, not {other}", field.name()),
    }
}

fn field_type(field: &FieldRef) -> &DataType {
    match field.data_type() {
        DataType::List(item) => item.data_type(),
        other => other,
    }
}

fn struct_fields(data_type: &DataType) -> &Fields {
    match data_type {
        DataType::Struct(fields) => fields,
        other => unreachable!("a struct in the schema, not {other}"),
    }
}

/// Offsets and validity of a list column whose rows have `lens` items (an empty list is
/// null, as the JSON form leaves it out).
fn list_layout(lens: impl Iterator<Item = usize> + Clone) -> (OffsetBuffer<i32>, NullBuffer) {
    let nulls = lens.clone().map(|n| n > 0).collect::<NullBuffer>();
    (OffsetBuffer::from_lengths(lens), nulls)
}

/// A list-of-structs column: each row's `items`, their fields built by `children` over the
/// items of every row at once.
fn structs<'a, R, T: 'a>(
    field: &FieldRef,
    rows: &[&'a R],
    items: impl Fn(&'a R) -> &'a [T],
    children: impl FnOnce(&Fields, &[&'a T]) -> Result<Vec<ArrayRef>, ArrowError>,
) -> Built {
    let (item, inner) = list_parts(field);
    let fields = struct_fields(inner);
    let all: Vec<&T> = rows.iter().flat_map(|r| items(r).iter()).collect();
    let values = StructArray::try_new(fields.clone(), children(fields, &all)?, None)?;
    let (offsets, nulls) = list_layout(rows.iter().map(|r| items(r).len()));
    Ok(Arc::new(ListArray::try_new(
        item,
        offsets,
        Arc::new(values),
        Some(nulls),
    )?))
}

/// A list-of-strings column; an empty list is null (a field the JSON form leaves out).
fn text_list<'a, R>(field: &FieldRef, rows: &[&'a R], f: impl Fn(&'a R) -> &'a [String]) -> Built {
    strings(field, rows, f, true)
}

/// Lists of strings, an empty one null when `empty_is_null` (else an empty list, as a
/// map's value is always written).
fn strings<'a, R>(
    field: &FieldRef,
    rows: &[&'a R],
    f: impl Fn(&'a R) -> &'a [String],
    empty_is_null: bool,
) -> Built {
    let (item, _) = list_parts(field);
    let values: StringArray = rows
        .iter()
        .flat_map(|r| f(r).iter().map(|s| Some(s.as_str())))
        .collect();
    let (offsets, nulls) = list_layout(rows.iter().map(|r| f(r).len()));
    Ok(Arc::new(ListArray::try_new(
        item,
        offsets,
        Arc::new(values),
        empty_is_null.then_some(nulls),
    )?))
}

/// A map column: each row's `map` (an empty one is null) with its keys in sorted order
/// (the order the file always had), its values built by `values` over the values of every
/// row at once.
fn map<'a, R, V: 'a>(
    field: &FieldRef,
    rows: &[&'a R],
    f: impl Fn(&'a R) -> &'a IndexMap<String, V>,
    values: impl FnOnce(&FieldRef, Vec<&'a V>) -> Built,
) -> Built {
    let DataType::Map(entries, ordered) = field.data_type() else {
        unreachable!("{} is a map in the schema", field.name())
    };
    let fields = struct_fields(entries.data_type());
    let mut all: Vec<(&'a str, &'a V)> = Vec::new();
    for r in rows {
        let from = all.len();
        all.extend(f(r).iter().map(|(k, v)| (k.as_str(), v)));
        all[from..].sort_unstable_by_key(|(k, _)| *k);
    }
    let keys: StringArray = all.iter().map(|(k, _)| Some(*k)).collect();
    let vals = values(&fields[1], all.iter().map(|(_, v)| *v).collect())?;
    let entries_array = StructArray::try_new(fields.clone(), vec![Arc::new(keys), vals], None)?;
    let (offsets, nulls) = list_layout(rows.iter().map(|r| f(r).len()));
    Ok(Arc::new(MapArray::try_new(
        entries.clone(),
        offsets,
        entries_array,
        Some(nulls),
        *ordered,
    )?))
}

/// A struct column of one value a row, null where `present` says so.
fn one_struct<'a, R, T: 'a>(
    data_type: &DataType,
    rows: &[&'a R],
    get: impl Fn(&'a R) -> Option<&'a T>,
    children: impl FnOnce(&Fields, &[&'a T]) -> Result<Vec<ArrayRef>, ArrowError>,
    empty: &'a T,
) -> Built {
    let fields = struct_fields(data_type);
    let items: Vec<&T> = rows.iter().map(|r| get(r).unwrap_or(empty)).collect();
    let nulls = rows
        .iter()
        .map(|r| get(r).is_some())
        .collect::<NullBuffer>();
    Ok(Arc::new(StructArray::try_new(
        fields.clone(),
        children(fields, &items)?,
        Some(nulls),
    )?))
}

/// `data`'s value as the file holds it: a string as it is, anything else its JSON text.
fn data_text(v: &serde_json::Value) -> Cow<'_, str> {
    match v {
        serde_json::Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

const NO_SENDER: MessageSender = MessageSender {
    nickname: None,
    role: None,
    participant_id: None,
};

/// `rows` as a batch of `schema` (the file's schema, every column).
pub fn batch(schema: &SchemaRef, rows: &[Engagement]) -> Result<RecordBatch, ArrowError> {
    let rows: Vec<&Engagement> = rows.iter().collect();
    let rows = &rows[..];
    let empty_customer = Customer::default();
    let empty_timings = Timings::default();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let column = match field.name().as_str() {
            "id" => text(rows, |e| Some(e.id.as_str())),
            "source" => dictionary(rows, |e| e.source.map(|s| s.as_str())),
            "source_type" => text(rows, |e| e.source_type.as_deref()),
            "source_address" => text(rows, |e| e.source_address.as_deref()),
            "started_at" => time(rows, |e| Some(e.started_at)),
            "ended_at" => time(rows, |e| e.ended_at),
            "updated_at" => time(rows, |e| e.updated_at),
            "duration_ms" => int(rows, |e| e.duration_ms),
            "state" => dictionary(rows, |e| e.state.map(|s| s.as_str())),
            "outcome" => dictionary(rows, |e| e.outcome.map(|s| s.as_str())),
            "release" => dictionary(rows, |e| e.release.map(|s| s.as_str())),
            "reason" => text(rows, |e| e.reason.as_deref()),
            "direction" => dictionary(rows, |e| e.direction.map(|s| s.as_str())),
            "channels" => structs(
                field,
                rows,
                |e| e.channels.as_slice(),
                |_, c| {
                    Ok(vec![
                        words(c, |c| Some(c.kind.as_str())),
                        text(c, |c| c.id.as_deref()),
                        text(c, |c| c.source.as_deref()),
                        words(c, |c| c.media.map(|m| m.as_str())),
                    ])
                },
            )?,
            "participants" => structs(
                field,
                rows,
                |e| e.participants.as_slice(),
                |_, p| {
                    Ok(vec![
                        words(p, |p| Some(p.role.as_str())),
                        text(p, |p| p.id.as_deref()),
                        text(p, |p| p.username.as_deref()),
                        text(p, |p| p.email.as_deref()),
                        text(p, |p| p.display_name.as_deref()),
                        text(p, |p| p.first_name.as_deref()),
                        text(p, |p| p.last_name.as_deref()),
                        time(p, |p| p.joined_at),
                        time(p, |p| p.left_at),
                        text(p, |p| p.calling_number.as_deref()),
                        text(p, |p| p.dialled_number.as_deref()),
                        text(p, |p| p.extension.as_deref()),
                        text(p, |p| p.dialog_id.as_deref()),
                        text(p, |p| p.channel_id.as_deref()),
                        words(p, |p| p.channel_type.map(|c| c.as_str())),
                        words(p, |p| p.automation_type.map(|a| a.as_str())),
                        flag(p, |p| p.owner),
                    ])
                },
            )?,
            "customer" => one_struct(
                field.data_type(),
                rows,
                |e| (!e.customer.is_empty()).then_some(&e.customer),
                |fields, c| {
                    Ok(vec![
                        text(c, |c| c.contact_id.as_deref()),
                        text_list(&fields[1], c, |c| c.phones.as_slice())?,
                        text_list(&fields[2], c, |c| c.emails.as_slice())?,
                        text_list(&fields[3], c, |c| c.account_ids.as_slice())?,
                        map(
                            &fields[4],
                            c,
                            |c| &c.custom,
                            |f, lists| strings(f, &lists, |l| l.as_slice(), false),
                        )?,
                    ])
                },
                &empty_customer,
            )?,
            "queues" => structs(
                field,
                rows,
                |e| e.queues.as_slice(),
                |_, q| {
                    Ok(vec![
                        text(q, |q| Some(q.id.as_str())),
                        text(q, |q| q.name.as_deref()),
                        text(q, |q| q.channel_id.as_deref()),
                        small(q, |q| q.priority),
                        small(q, |q| q.rank),
                        small(q, |q| q.proficiency_min),
                        small(q, |q| q.proficiency_max),
                        time(q, |q| q.queued_at),
                        time(q, |q| q.accepted_at),
                        text(q, |q| q.agent_id.as_deref()),
                        words(q, |q| q.wait_type.map(|w| w.as_str())),
                    ])
                },
            )?,
            "team" => text(rows, |e| e.team.as_deref()),
            "timings" => one_struct(
                field.data_type(),
                rows,
                |e| (!e.timings.is_empty()).then_some(&e.timings),
                |_, t| {
                    Ok(vec![
                        int(t, |t| t.wait_ms),
                        int(t, |t| t.talk_ms),
                        int(t, |t| t.hold_ms),
                        int(t, |t| t.flow_ms),
                        int(t, |t| t.handling_ms),
                        int(t, |t| t.wrap_up_ms),
                    ])
                },
                &empty_timings,
            )?,
            "transfers" => structs(
                field,
                rows,
                |e| e.transfers.as_slice(),
                |_, t| {
                    Ok(vec![
                        words(t, |t| Some(t.kind.as_str())),
                        words(t, |t| t.mode.map(|m| m.as_str())),
                        time(t, |t| t.at),
                        text(t, |t| t.from_agent_id.as_deref()),
                        text(t, |t| t.to_agent_id.as_deref()),
                        text(t, |t| t.to_agent_name.as_deref()),
                        time(t, |t| t.to_agent_joined_at),
                        text(t, |t| t.to_number.as_deref()),
                        text(t, |t| t.to_flow_id.as_deref()),
                        text(t, |t| t.to_flow_name.as_deref()),
                        text(t, |t| t.queue_id.as_deref()),
                        text(t, |t| t.queue_name.as_deref()),
                        text(t, |t| t.description.as_deref()),
                    ])
                },
            )?,
            "recordings" => structs(
                field,
                rows,
                |e| e.recordings.as_slice(),
                |_, r| {
                    Ok(vec![
                        text(r, |r| r.id.as_deref()),
                        text(r, |r| r.uri.as_deref()),
                        text(r, |r| r.user.as_deref()),
                        time(r, |r| r.created_at),
                        int(r, |r| r.duration_ms),
                        int(r, |r| r.size_bytes),
                        words(r, |r| r.media.map(|m| m.as_str())),
                    ])
                },
            )?,
            "dispositions" => structs(
                field,
                rows,
                |e| e.dispositions.as_slice(),
                |_, d| {
                    Ok(vec![
                        text(d, |d| d.id.as_deref()),
                        text(d, |d| d.name.as_deref()),
                    ])
                },
            )?,
            "notes" => structs(
                field,
                rows,
                |e| e.notes.as_slice(),
                |_, n| {
                    Ok(vec![
                        text(n, |n| n.id.as_deref()),
                        text(n, |n| Some(n.text.as_str())),
                        text(n, |n| n.author_id.as_deref()),
                        text(n, |n| n.author_name.as_deref()),
                        time(n, |n| n.created_at),
                        time(n, |n| n.updated_at),
                    ])
                },
            )?,
            "messages" => structs(
                field,
                rows,
                |e| e.messages.as_slice(),
                |fields, m| {
                    Ok(vec![
                        small(m, |m| Some(m.index)),
                        time(m, |m| Some(m.at)),
                        text(m, |m| Some(m.kind.as_str())),
                        text(m, |m| m.text.as_deref()),
                        text(m, |m| m.visibility.as_deref()),
                        one_struct(
                            fields[5].data_type(),
                            m,
                            |m: &Message| m.sender.as_ref(),
                            |_, s| {
                                Ok(vec![
                                    text(s, |s| s.nickname.as_deref()),
                                    words(s, |s| s.role.map(|r| r.as_str())),
                                    text(s, |s| s.participant_id.as_deref()),
                                ])
                            },
                            &NO_SENDER,
                        )?,
                    ])
                },
            )?,
            "subject" => text(rows, |e| e.subject.as_deref()),
            "topics" => text_list(field, rows, |e| e.topics.as_slice())?,
            "attributes" => text_list(field, rows, |e| e.attributes.as_slice())?,
            "data" => map(
                field,
                rows,
                |e| &e.data,
                |_, values| {
                    let texts: Vec<Cow<'_, str>> = values.into_iter().map(data_text).collect();
                    Ok(Arc::new(
                        texts
                            .iter()
                            .map(|t| Some(t.as_ref()))
                            .collect::<StringArray>(),
                    ))
                },
            )?,
            "raw_context" => text(rows, |e| e.raw_context.as_deref()),
            "parent_id" => text(rows, |e| e.parent_id.as_deref()),
            "flows" => structs(
                field,
                rows,
                |e| e.flows.as_slice(),
                |_, f| {
                    Ok(vec![
                        text(f, |f| Some(f.id.as_str())),
                        text(f, |f| f.name.as_deref()),
                        text(f, |f| f.version.as_deref()),
                    ])
                },
            )?,
            other => unreachable!("column {other} of the file's schema has no builder"),
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema.clone(), columns)
}

/// The bodies a store keeps for `engagements`, and what the model decodes from them.
pub(super) fn stored(engagements: &[Engagement]) -> (Vec<String>, Vec<Engagement>) {
    let bodies: Vec<String> = engagements
        .iter()
        .map(|e| serde_json::to_string(e).expect("engagements serialize"))
        .collect();
    let decoded = bodies
        .iter()
        .map(|b| serde_json::from_str(b).expect("stored bodies decode"))
        .collect();
    (bodies, decoded)
}

#[cfg(test)]
mod tests {
    //! The batches equal what the file held when it was made by decoding each stored body
    //! with `arrow-json` (the conversion this module replaced, kept here as the reference).

    use super::*;
    use arrow_schema::{Field, Schema};
    use interlog_generate::{Generator, GeneratorConfig};

    /// The reference: the stored bodies decoded by `arrow-json` against the schema with
    /// plain strings for the enums, then the enums cast to dictionaries.
    fn reference(file: &SchemaRef, bodies: &[String]) -> RecordBatch {
        let plain: Vec<Field> = file
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Dictionary(..) => Field::new(f.name(), DataType::Utf8, true),
                _ => f.as_ref().clone(),
            })
            .collect();
        let mut decoder = arrow_json::ReaderBuilder::new(Arc::new(Schema::new(plain)))
            .with_batch_size(bodies.len())
            .build_decoder()
            .unwrap();
        let values: Vec<serde_json::Value> = bodies
            .iter()
            .map(|b| {
                let mut v: serde_json::Value = serde_json::from_str(b).unwrap();
                if let Some(serde_json::Value::Object(data)) = v.get_mut("data") {
                    for value in data.values_mut() {
                        if !value.is_string() {
                            *value = serde_json::Value::String(value.to_string());
                        }
                    }
                }
                v
            })
            .collect();
        decoder.serialize(&values).unwrap();
        let decoded = decoder.flush().unwrap().unwrap();
        let columns = decoded
            .columns()
            .iter()
            .zip(file.fields())
            .map(|(col, field)| arrow_cast::cast(col, field.data_type()).unwrap())
            .collect();
        RecordBatch::try_new(file.clone(), columns).unwrap()
    }

    fn assert_same(engagements: &[Engagement]) {
        let file = super::super::schema::file_schema();
        let (bodies, decoded) = stored(engagements);
        let built = batch(&file, &decoded).unwrap();
        let expected = reference(&file, &bodies);
        assert_eq!(built.num_rows(), engagements.len());
        for (i, field) in file.fields().iter().enumerate() {
            let (b, e) = (built.column(i).to_data(), expected.column(i).to_data());
            assert!(b == e, "column {}", field.name());
        }
    }

    #[test]
    fn generated_engagements_are_the_rows_the_json_decoder_made() {
        let end: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let engagements: Vec<Engagement> =
            Generator::new(GeneratorConfig::new(7, 3000, end)).collect();
        assert_same(&engagements);
    }

    /// Every column filled (and the shapes a generator may not make: `data` values of
    /// every JSON type, custom identifiers, a sender with nothing known, an owner), next
    /// to an engagement with nothing but its id and start.
    #[test]
    fn every_column_and_none_are_the_rows_the_json_decoder_made() {
        let full: Engagement = serde_json::from_value(serde_json::json!({
            "id": "e-full", "source": "native", "source_type": "pbx", "source_address": "10.0.0.1",
            "started_at": "2026-03-01T10:00:00.123Z", "ended_at": "2026-03-01T10:05:00Z",
            "updated_at": "2026-03-01T10:06:00Z", "duration_ms": 299877, "state": "completed",
            "outcome": "successful", "release": "connected", "reason": "done", "direction": "inbound",
            "channels": [{"type": "voice", "id": "c1", "source": "sip", "media": "audio"}, {"type": "chat"}],
            "participants": [
                {"role": "agent", "id": "a1", "username": "ann", "email": "ann@x.test",
                 "display_name": "Ann", "first_name": "Ann", "last_name": "Lee",
                 "joined_at": "2026-03-01T10:00:01Z", "left_at": "2026-03-01T10:04:00Z",
                 "calling_number": "+15550001", "dialled_number": "+15550002", "extension": "12",
                 "dialog_id": "d1", "channel_id": "c1", "channel_type": "voice", "owner": true},
                {"role": "automation", "automation_type": "chatbot"},
                {"role": "customer", "source_type": "x", "source_address": "y"}
            ],
            "customer": {"contact_id": "k1", "phones": ["+15550003"], "emails": ["c@x.test", "d@x.test"],
                         "account_ids": ["acc"], "custom": {"twitterHandles": ["@c"], "ids": ["1", "2"]}},
            "queues": [{"id": "q1", "name": "Billing", "channel_id": "c1", "priority": 3, "rank": 1,
                        "proficiency_min": 2, "proficiency_max": 5, "queued_at": "2026-03-01T10:00:00Z",
                        "accepted_at": "2026-03-01T10:00:30Z", "agent_id": "a1", "wait_type": "callback"},
                       {"id": "q2"}],
            "team": "Tier 1",
            "timings": {"wait_ms": 30000, "talk_ms": 200000, "hold_ms": 1000, "flow_ms": 5,
                        "handling_ms": 250000, "wrap_up_ms": 20000},
            "transfers": [{"type": "to_queue", "mode": "warm", "at": "2026-03-01T10:03:00Z",
                           "from_agent_id": "a1", "to_agent_id": "a2", "to_agent_name": "Bo",
                           "to_agent_joined_at": "2026-03-01T10:03:05Z", "to_number": "+1",
                           "to_flow_id": "f", "to_flow_name": "F", "queue_id": "q2",
                           "queue_name": "Q2", "connection_id": "left out", "description": "why"},
                          {"type": "to_flow"}],
            "recordings": [{"id": "r1", "uri": "s3://r1", "user": "a1", "created_at": "2026-03-01T10:05:00Z",
                            "duration_ms": 299000, "size_bytes": 1234567, "media": "audio"}, {}],
            "dispositions": [{"id": "d1", "name": "Resolved"}, {"name": "Other"}],
            "notes": [{"id": "n1", "text": "called back", "author_id": "a1", "author_name": "Ann",
                       "created_at": "2026-03-01T10:05:00Z", "updated_at": "2026-03-01T10:06:00Z",
                       "read_only": true}, {"text": "x"}],
            "messages": [
                {"index": 1, "at": "2026-03-01T10:00:02Z", "type": "Message", "text": "hi",
                 "visibility": "All", "sender": {"nickname": "Ann", "role": "agent", "participant_id": "a1"}},
                {"index": 2, "at": "2026-03-01T10:00:03Z", "type": "Notice", "sender": {}},
                {"index": 3, "at": "2026-03-01T10:00:04Z", "type": "ParticipantLeft"}
            ],
            "subject": "Bill", "topics": ["billing", "refund"], "attributes": ["Broadband.billing"],
            "data": {"s": "text", "n": 42, "f": 1.5, "b": true, "z": null, "o": {"k": [1, "2"]}, "a": [1, 2]},
            "raw_context": "order=42", "parent_id": "e-0",
            "flows": [{"id": "f1", "name": "Main", "version": "3"}, {"id": "f2"}]
        }))
        .unwrap();
        // Keys in an order of their own (the file sorts them), a custom identifier type
        // with no values.
        let mut full = full;
        full.data
            .insert("a-given-last".into(), serde_json::json!([true]));
        full.customer.custom.insert("aaa".into(), Vec::new());
        let bare: Engagement = serde_json::from_value(serde_json::json!({
            "id": "e-bare", "started_at": "1969-12-31T23:59:59.999Z"
        }))
        .unwrap();
        let only_timings_and_custom: Engagement = serde_json::from_value(serde_json::json!({
            "id": "e-some", "started_at": "2026-03-01T10:00:00Z", "timings": {"talk_ms": 1},
            "customer": {"custom": {"k": ["v"]}}, "data": {"only": "one"}
        }))
        .unwrap();
        assert_same(&[full.clone(), bare.clone(), only_timings_and_custom.clone()]);
        assert_same(&[bare, full, only_timings_and_custom]);
    }
}
