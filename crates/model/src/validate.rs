//! Validation of a whole engagement, with one precise message per problem.

use crate::engagement::*;
use crate::limits::*;
use serde::Serialize;
use std::fmt;

/// One problem with one field, named by its path (`participants[2].email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in an engagement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

/// Whether `s` is a valid engagement or sub-resource id.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= ID_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~:@+-".contains(&b))
}

struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        // A hostile body could produce millions of errors; the first hundred say enough.
        if self.errors.len() < 100 {
            self.errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
    }

    fn text(&mut self, field: &str, v: &Option<String>, max: usize) {
        if let Some(s) = v {
            self.str(field, s, max);
        }
    }

    fn str(&mut self, field: &str, s: &str, max: usize) {
        let n = s.chars().count();
        if n > max {
            self.fail(
                field,
                format!("is {n} characters long; at most {max} allowed"),
            );
        }
        if s.contains('\0') {
            self.fail(field, "contains a NUL character");
        }
    }

    fn list<T>(&mut self, field: &str, v: &[T], max: usize) -> bool {
        if v.len() > max {
            self.fail(
                field,
                format!("has {} items; at most {max} allowed", v.len()),
            );
            return false;
        }
        true
    }

    /// A list of at most [`LIST_MAX`] short texts.
    fn short_texts(&mut self, field: &str, list: &[String]) {
        if self.list(field, list, LIST_MAX) {
            for (i, v) in list.iter().enumerate() {
                self.str(&format!("{field}[{i}]"), v, SHORT_TEXT_MAX);
            }
        }
    }

    /// Whether a map of `keys` keys is within [`MAP_KEYS_MAX`] (else says so).
    fn map_keys(&mut self, field: &str, keys: usize) -> bool {
        if keys > MAP_KEYS_MAX {
            self.fail(
                field,
                format!("has {keys} keys; at most {MAP_KEYS_MAX} allowed"),
            );
            return false;
        }
        true
    }

    fn id(&mut self, field: &str, v: &Option<String>) {
        if let Some(s) = v {
            self.required_id(field, s);
        }
    }

    fn required_id(&mut self, field: &str, s: &str) {
        if !is_valid_id(s) {
            self.fail(
                field,
                format!("must be 1–{ID_MAX} characters of A-Z a-z 0-9 . _ ~ : @ + -"),
            );
        }
    }

    fn duration(&mut self, field: &str, v: Option<u64>) {
        if let Some(ms) = v {
            if ms > DURATION_MS_MAX {
                self.fail(
                    field,
                    format!("is {ms} ms; at most {DURATION_MS_MAX} ms allowed"),
                );
            }
        }
    }

    fn json_depth(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(a) => 1 + a.iter().map(Self::json_depth).max().unwrap_or(0),
            serde_json::Value::Object(o) => 1 + o.values().map(Self::json_depth).max().unwrap_or(0),
            _ => 0,
        }
    }
}

impl Engagement {
    /// Checks every field against the model's rules and limits (see [`crate::limits`]).
    /// Call after [`Engagement::normalize`] so derived values are checked too.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checker { errors: Vec::new() };
        c.required_id("id", &self.id);
        c.text("source_type", &self.source_type, SHORT_TEXT_MAX);
        c.text("source_address", &self.source_address, SHORT_TEXT_MAX);
        if let Some(end) = self.ended_at {
            if end < self.started_at {
                c.fail("ended_at", "is before started_at");
            }
        }
        c.duration("duration_ms", self.duration_ms);
        c.text("reason", &self.reason, SHORT_TEXT_MAX);
        c.text("team", &self.team, SHORT_TEXT_MAX);
        c.text("subject", &self.subject, SHORT_TEXT_MAX);
        c.text("raw_context", &self.raw_context, LONG_TEXT_MAX);
        c.id("parent_id", &self.parent_id);

        let t = &self.timings;
        c.duration("timings.wait_ms", t.wait_ms);
        c.duration("timings.talk_ms", t.talk_ms);
        c.duration("timings.hold_ms", t.hold_ms);
        c.duration("timings.flow_ms", t.flow_ms);
        c.duration("timings.handling_ms", t.handling_ms);
        c.duration("timings.wrap_up_ms", t.wrap_up_ms);

        if c.list("channels", &self.channels, LIST_MAX) {
            for (i, ch) in self.channels.iter().enumerate() {
                c.text(&format!("channels[{i}].id"), &ch.id, SHORT_TEXT_MAX);
                c.text(&format!("channels[{i}].source"), &ch.source, SHORT_TEXT_MAX);
            }
        }
        if c.list("participants", &self.participants, LIST_MAX) {
            let mut owners = 0;
            for (i, p) in self.participants.iter().enumerate() {
                let f = |n: &str| format!("participants[{i}].{n}");
                for (name, v) in [
                    ("id", &p.id),
                    ("username", &p.username),
                    ("email", &p.email),
                    ("display_name", &p.display_name),
                    ("first_name", &p.first_name),
                    ("last_name", &p.last_name),
                    ("calling_number", &p.calling_number),
                    ("dialled_number", &p.dialled_number),
                    ("extension", &p.extension),
                    ("dialog_id", &p.dialog_id),
                    ("channel_id", &p.channel_id),
                    ("source_type", &p.source_type),
                    ("source_address", &p.source_address),
                ] {
                    c.text(&f(name), v, SHORT_TEXT_MAX);
                }
                if let (Some(j), Some(l)) = (p.joined_at, p.left_at) {
                    if l < j {
                        c.fail(f("left_at"), "is before joined_at");
                    }
                }
                owners += usize::from(p.owner);
            }
            if owners > 1 {
                c.fail("participants", "more than one participant is marked owner");
            }
        }

        let cu = &self.customer;
        c.text("customer.contact_id", &cu.contact_id, SHORT_TEXT_MAX);
        for (name, list) in [
            ("customer.phones", &cu.phones),
            ("customer.emails", &cu.emails),
            ("customer.account_ids", &cu.account_ids),
        ] {
            c.short_texts(name, list);
        }
        if c.map_keys("customer.custom", cu.custom.len()) {
            for (k, list) in &cu.custom {
                if k.is_empty() || k.len() > 64 {
                    c.fail(
                        "customer.custom",
                        format!("key {k:?} must be 1–64 characters"),
                    );
                }
                c.short_texts(&format!("customer.custom.{k}"), list);
            }
        }

        if c.list("queues", &self.queues, LIST_MAX) {
            for (i, q) in self.queues.iter().enumerate() {
                c.required_id(&format!("queues[{i}].id"), &q.id);
                c.text(&format!("queues[{i}].name"), &q.name, SHORT_TEXT_MAX);
                c.text(
                    &format!("queues[{i}].channel_id"),
                    &q.channel_id,
                    SHORT_TEXT_MAX,
                );
                c.text(
                    &format!("queues[{i}].agent_id"),
                    &q.agent_id,
                    SHORT_TEXT_MAX,
                );
                if let (Some(a), Some(b)) = (q.proficiency_min, q.proficiency_max) {
                    if b < a {
                        c.fail(
                            format!("queues[{i}].proficiency_max"),
                            "is below proficiency_min",
                        );
                    }
                }
            }
        }
        if c.list("transfers", &self.transfers, LIST_MAX) {
            for (i, t) in self.transfers.iter().enumerate() {
                for (name, v) in [
                    ("from_agent_id", &t.from_agent_id),
                    ("to_agent_id", &t.to_agent_id),
                    ("to_agent_name", &t.to_agent_name),
                    ("to_number", &t.to_number),
                    ("to_flow_id", &t.to_flow_id),
                    ("to_flow_name", &t.to_flow_name),
                    ("queue_id", &t.queue_id),
                    ("queue_name", &t.queue_name),
                    ("fallback_queue_id", &t.fallback_queue_id),
                    ("channel_id", &t.channel_id),
                    ("channel_provider_id", &t.channel_provider_id),
                    ("connection_id", &t.connection_id),
                    ("dialog_id", &t.dialog_id),
                    ("provider_dialog_id", &t.provider_dialog_id),
                    ("correlation_id", &t.correlation_id),
                    ("description", &t.description),
                ] {
                    c.text(&format!("transfers[{i}].{name}"), v, SHORT_TEXT_MAX);
                }
            }
        }
        if c.list("recordings", &self.recordings, LIST_MAX) {
            for (i, r) in self.recordings.iter().enumerate() {
                c.text(&format!("recordings[{i}].id"), &r.id, SHORT_TEXT_MAX);
                c.text(&format!("recordings[{i}].uri"), &r.uri, SHORT_TEXT_MAX);
                c.text(&format!("recordings[{i}].user"), &r.user, SHORT_TEXT_MAX);
                c.duration(&format!("recordings[{i}].duration_ms"), r.duration_ms);
            }
        }
        if c.list("dispositions", &self.dispositions, LIST_MAX) {
            for (i, d) in self.dispositions.iter().enumerate() {
                if d.id.is_none() && d.name.is_none() {
                    c.fail(format!("dispositions[{i}]"), "needs an id or a name");
                }
                c.text(&format!("dispositions[{i}].id"), &d.id, SHORT_TEXT_MAX);
                c.text(&format!("dispositions[{i}].name"), &d.name, SHORT_TEXT_MAX);
            }
        }
        if c.list("notes", &self.notes, LIST_MAX) {
            for (i, n) in self.notes.iter().enumerate() {
                c.id(&format!("notes[{i}].id"), &n.id);
                c.str(&format!("notes[{i}].text"), &n.text, LONG_TEXT_MAX);
                c.text(
                    &format!("notes[{i}].author_id"),
                    &n.author_id,
                    SHORT_TEXT_MAX,
                );
                c.text(
                    &format!("notes[{i}].author_name"),
                    &n.author_name,
                    SHORT_TEXT_MAX,
                );
            }
        }
        if c.list("messages", &self.messages, MESSAGES_MAX) {
            for (i, m) in self.messages.iter().enumerate() {
                c.str(&format!("messages[{i}].type"), &m.kind, SHORT_TEXT_MAX);
                c.text(&format!("messages[{i}].text"), &m.text, LONG_TEXT_MAX);
                c.text(
                    &format!("messages[{i}].visibility"),
                    &m.visibility,
                    SHORT_TEXT_MAX,
                );
                if let Some(s) = &m.sender {
                    c.text(
                        &format!("messages[{i}].sender.nickname"),
                        &s.nickname,
                        SHORT_TEXT_MAX,
                    );
                    c.text(
                        &format!("messages[{i}].sender.participant_id"),
                        &s.participant_id,
                        SHORT_TEXT_MAX,
                    );
                }
            }
        }
        for (name, list) in [("topics", &self.topics), ("attributes", &self.attributes)] {
            c.short_texts(name, list);
        }
        if c.map_keys("data", self.data.len()) {
            for (k, v) in &self.data {
                if k.is_empty() || k.chars().count() > 128 {
                    c.fail("data", format!("key {k:?} must be 1–128 characters"));
                }
                if Checker::json_depth(v) > DATA_DEPTH_MAX {
                    c.fail(
                        format!("data.{k}"),
                        format!("is nested deeper than {DATA_DEPTH_MAX} levels"),
                    );
                } else if v.to_string().len() > DATA_VALUE_MAX {
                    c.fail(
                        format!("data.{k}"),
                        format!("is longer than {DATA_VALUE_MAX} characters"),
                    );
                }
            }
        }
        if c.list("flows", &self.flows, LIST_MAX) {
            for (i, fl) in self.flows.iter().enumerate() {
                c.str(&format!("flows[{i}].id"), &fl.id, SHORT_TEXT_MAX);
                c.text(&format!("flows[{i}].name"), &fl.name, SHORT_TEXT_MAX);
                c.text(&format!("flows[{i}].version"), &fl.version, SHORT_TEXT_MAX);
            }
        }

        if c.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(c.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn base() -> Engagement {
        Engagement {
            id: "e1".into(),
            started_at: "2024-01-01T10:00:00Z".parse::<Timestamp>().unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_engagement_is_valid_and_normalizes() {
        let mut e = base();
        e.ended_at = Some("2024-01-01T10:05:00.1234Z".parse().unwrap());
        e.normalize();
        e.validate().unwrap();
        assert_eq!(e.duration_ms, Some(300_123));
        assert_eq!(e.state, Some(crate::State::Completed));
        assert_eq!(e.ended_at.unwrap().to_string(), "2024-01-01T10:05:00.123Z");
    }

    #[test]
    fn errors_name_the_field_and_the_problem() {
        let mut e = base();
        e.ended_at = Some("2023-01-01T10:00:00Z".parse().unwrap());
        e.id = "has space".into();
        e.notes.push(Note::new("x".repeat(LONG_TEXT_MAX + 1)));
        e.timings.wait_ms = Some(DURATION_MS_MAX + 1);
        e.raw_context = Some("a=\0".into());
        let errs = e.validate().unwrap_err().0;
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "id",
                "ended_at",
                "raw_context",
                "timings.wait_ms",
                "notes[0].text"
            ]
        );
        assert_eq!(errs[1].message, "is before started_at");
        assert_eq!(errs[2].message, "contains a NUL character");
        assert!(
            errs[4].message.contains("at most 32768"),
            "{}",
            errs[4].message
        );
    }

    #[test]
    fn unknown_fields_and_enum_values_are_rejected_by_the_parser() {
        let err = serde_json::from_str::<Engagement>(
            r#"{"id":"a","started_at":"2024-01-01T00:00:00Z","direction":"sideways"}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `sideways`"),
            "{err}"
        );
        let err = serde_json::from_str::<Engagement>(
            r#"{"id":"a","started_at":"2024-01-01T00:00:00Z","colour":"red"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn ids_are_url_safe() {
        assert!(is_valid_id("8e557fd6-580a-43b3-8cf9-db8169f4af5a"));
        assert!(is_valid_id("W_VATTk_Q5aW6z5rZtBxAQ"));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(ID_MAX + 1)));
    }
}
