//! The Parquet file's schema: the engagement model as a data team would lay it out —
//! scalars typed (UTC timestamps in milliseconds, durations as integer milliseconds, the
//! model's enums as dictionary strings), each repeated part a list of structs, `data` a map
//! of key to text (a string value as it is, any other value as its JSON text).
//! [`super::batch`] fills it. Fields of the model the schema leaves out (a participant's
//! source address, a transfer's connection ids…) are not in the file; the NDJSON export
//! keeps everything.

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;

/// The zone of every timestamp column. An offset rather than the name `UTC`: arrow-json
/// parses times into named zones only with chrono-tz, a dependency not worth its build time
/// here; Parquet marks the columns adjusted to UTC either way.
pub(crate) const UTC: &str = "+00:00";

/// Top-level columns that hold one of the model's enums: dictionary strings.
const ENUM_COLUMNS: &[&str] = &["source", "state", "outcome", "release", "direction"];

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn time(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
        true,
    )
}

fn int(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

fn list_of(name: &str, item: DataType) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", item, true))),
        true,
    )
}

fn structs(name: &str, fields: Vec<Field>) -> Field {
    list_of(name, DataType::Struct(Fields::from(fields)))
}

fn map_of(name: &str, value: DataType) -> Field {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", value, true),
        ])),
        false,
    );
    Field::new(name, DataType::Map(Arc::new(entries), false), true)
}

fn dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Every column, in order; the enums as plain strings (see [`file_schema`]).
fn columns() -> Vec<Field> {
    vec![
        Field::new("id", DataType::Utf8, false),
        text("source"),
        text("source_type"),
        text("source_address"),
        Field::new(
            "started_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
            false,
        ),
        time("ended_at"),
        time("updated_at"),
        int("duration_ms"),
        text("state"),
        text("outcome"),
        text("release"),
        text("reason"),
        text("direction"),
        structs(
            "channels",
            vec![text("type"), text("id"), text("source"), text("media")],
        ),
        structs(
            "participants",
            vec![
                text("role"),
                text("id"),
                text("username"),
                text("email"),
                text("display_name"),
                text("first_name"),
                text("last_name"),
                time("joined_at"),
                time("left_at"),
                text("calling_number"),
                text("dialled_number"),
                text("extension"),
                text("dialog_id"),
                text("channel_id"),
                text("channel_type"),
                text("automation_type"),
                Field::new("owner", DataType::Boolean, true),
            ],
        ),
        Field::new(
            "customer",
            DataType::Struct(Fields::from(vec![
                text("contact_id"),
                list_of("phones", DataType::Utf8),
                list_of("emails", DataType::Utf8),
                list_of("account_ids", DataType::Utf8),
                map_of(
                    "custom",
                    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                ),
            ])),
            true,
        ),
        structs(
            "queues",
            vec![
                text("id"),
                text("name"),
                text("channel_id"),
                int("priority"),
                int("rank"),
                int("proficiency_min"),
                int("proficiency_max"),
                time("queued_at"),
                time("accepted_at"),
                text("agent_id"),
                text("wait_type"),
            ],
        ),
        text("team"),
        Field::new(
            "timings",
            DataType::Struct(Fields::from(vec![
                int("wait_ms"),
                int("talk_ms"),
                int("hold_ms"),
                int("flow_ms"),
                int("handling_ms"),
                int("wrap_up_ms"),
            ])),
            true,
        ),
        structs(
            "transfers",
            vec![
                text("type"),
                text("mode"),
                time("at"),
                text("from_agent_id"),
                text("to_agent_id"),
                text("to_agent_name"),
                time("to_agent_joined_at"),
                text("to_number"),
                text("to_flow_id"),
                text("to_flow_name"),
                text("queue_id"),
                text("queue_name"),
                text("description"),
            ],
        ),
        structs(
            "recordings",
            vec![
                text("id"),
                text("uri"),
                text("user"),
                time("created_at"),
                int("duration_ms"),
                int("size_bytes"),
                text("media"),
            ],
        ),
        structs("dispositions", vec![text("id"), text("name")]),
        structs(
            "notes",
            vec![
                text("id"),
                text("text"),
                text("author_id"),
                text("author_name"),
                time("created_at"),
                time("updated_at"),
            ],
        ),
        structs(
            "messages",
            vec![
                int("index"),
                time("at"),
                text("type"),
                text("text"),
                text("visibility"),
                Field::new(
                    "sender",
                    DataType::Struct(Fields::from(vec![
                        text("nickname"),
                        text("role"),
                        text("participant_id"),
                    ])),
                    true,
                ),
            ],
        ),
        text("subject"),
        list_of("topics", DataType::Utf8),
        list_of("attributes", DataType::Utf8),
        map_of("data", DataType::Utf8),
        text("raw_context"),
        text("parent_id"),
        structs("flows", vec![text("id"), text("name"), text("version")]),
    ]
}

/// The names of the top-level columns, in order (what `fields` may name).
pub fn column_names() -> Vec<String> {
    columns().into_iter().map(|f| f.name().clone()).collect()
}

/// The file's schema: the enum columns as dictionary strings.
pub fn file_schema() -> SchemaRef {
    let fields: Vec<Field> = columns()
        .into_iter()
        .map(|f| {
            if ENUM_COLUMNS.contains(&f.name().as_str()) {
                Field::new(f.name(), dictionary(), true)
            } else {
                f
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}
