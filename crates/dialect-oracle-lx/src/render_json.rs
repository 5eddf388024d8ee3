//! `EngagementListV1` as JSON, keys in the order of Oracle's examples, absent fields left
//! out. Dates are epoch milliseconds in a JSON string (`"1709285400000"`).

use crate::view::{EngagementV1, Recording, User};
use interlog_model::Timestamp;
use std::fmt::Write;

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn key(out: &mut String, first: &mut bool, name: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

fn num(out: &mut String, n: u64) {
    let _ = write!(out, "{n}");
}

/// A date as Oracle's JSON carries it: epoch milliseconds, as a string.
fn opt_date(out: &mut String, first: &mut bool, name: &str, v: Option<Timestamp>) {
    if let Some(t) = v {
        key(out, first, name);
        let _ = write!(out, "\"{}\"", t.as_millisecond());
    }
}

fn opt_str(out: &mut String, first: &mut bool, name: &str, v: Option<&str>) {
    if let Some(v) = v {
        key(out, first, name);
        push_str(out, v);
    }
}

fn opt_num(out: &mut String, first: &mut bool, name: &str, v: Option<u64>) {
    if let Some(v) = v {
        key(out, first, name);
        num(out, v);
    }
}

fn user(out: &mut String, u: &User<'_>) {
    let mut first = true;
    out.push('{');
    opt_str(out, &mut first, "uri", u.uri.as_deref());
    opt_str(out, &mut first, "association", Some(u.association.as_str()));
    out.push('}');
}

fn recording(out: &mut String, r: &Recording<'_>) {
    let mut first = true;
    out.push('{');
    opt_str(out, &mut first, "uri", r.uri.as_deref());
    opt_str(out, &mut first, "user", r.user.as_deref());
    opt_date(out, &mut first, "created", r.created);
    opt_num(out, &mut first, "duration", r.duration);
    opt_num(out, &mut first, "size", r.size);
    opt_str(out, &mut first, "contents", r.contents.map(|c| c.as_str()));
    out.push('}');
}

/// Appends one `EngagementV1` object.
pub fn engagement(out: &mut String, e: &EngagementV1<'_>) {
    let mut first = true;
    out.push('{');
    opt_date(out, &mut first, "startDate", Some(e.start_date));
    opt_date(out, &mut first, "endDate", e.end_date);
    opt_str(out, &mut first, "id", Some(&e.id));
    opt_num(out, &mut first, "duration", e.duration);
    opt_str(out, &mut first, "contents", e.contents.map(|c| c.as_str()));
    opt_str(out, &mut first, "context", e.context.as_deref());
    if !e.users.is_empty() {
        key(out, &mut first, "users");
        out.push('[');
        for (i, u) in e.users.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            user(out, u);
        }
        out.push(']');
    }
    if !e.recordings.is_empty() {
        key(out, &mut first, "recordings");
        out.push('[');
        for (i, r) in e.recordings.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            recording(out, r);
        }
        out.push(']');
    }
    opt_str(out, &mut first, "releaseState", e.release_state);
    opt_str(out, &mut first, "status", e.status);
    opt_num(out, &mut first, "pendingTime", e.pending_time);
    opt_str(out, &mut first, "assignedTeam", e.assigned_team.as_deref());
    key(out, &mut first, "associateInitiated");
    out.push_str(if e.associate_initiated {
        "true"
    } else {
        "false"
    });
    opt_str(out, &mut first, "reason", e.reason.as_deref());
    out.push('}');
}

/// Starts an `EngagementListV1`; engagements follow with [`engagement`] separated by
/// commas, then [`end_list`].
pub fn start_list(out: &mut String, has_more: bool) {
    out.push_str(if has_more {
        "{\"hasMore\":true,\"engagements\":["
    } else {
        "{\"hasMore\":false,\"engagements\":["
    });
}

pub fn end_list(out: &mut String) {
    out.push_str("]}");
}

/// The count resource's body.
pub fn count(n: u64) -> String {
    format!("{{\"count\":{n}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_serde_json_does() {
        for s in [
            "plain",
            "q\"uote\\",
            "line\nbreak\ttab\r",
            "\u{1}\u{1f}",
            "é✓",
        ] {
            let mut out = String::new();
            push_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }
}
