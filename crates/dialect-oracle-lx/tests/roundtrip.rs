//! Property: any `engagementV1` written the way this dialect writes it (JSON or XML) is
//! ingested and rendered back byte for byte, so "reads back identically" holds beyond the
//! seed examples.

use interlog_dialect_oracle_lx::{ingest, render_json, render_xml, view};
use interlog_http::formats::decode_record;
use interlog_store::StoredEngagement;
use proptest::prelude::*;
use std::fmt::Write;

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Text as a client would send it: no surrounding whitespace (it is trimmed), no NUL.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9@.é]([A-Za-z0-9@._:/ &<>\"'é-]{0,20}[A-Za-z0-9@.é])?"
}

fn words(choices: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(choices)
}

const MONTH_MS: u64 = 30 * 24 * 3600 * 1000;

#[derive(Debug, Clone)]
struct Rec {
    uri: Option<String>,
    user: Option<String>,
    created: Option<i64>,
    duration: Option<u64>,
    size: Option<u64>,
    contents: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct Lx {
    start: i64,
    end_after: Option<u64>,
    id: String,
    contents: Option<&'static str>,
    context: Vec<(String, i64)>,
    /// A context that is any string (it replaces `context` when present).
    context_text: Option<String>,
    users: Vec<(Option<String>, &'static str)>,
    recordings: Vec<Rec>,
    release: Option<&'static str>,
    status: Option<&'static str>,
    pending: Option<u64>,
    team: Option<String>,
    associate: bool,
    reason: Option<String>,
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(-1_000_000_000_000i64..4_000_000_000_000),
        proptest::option::of(0..MONTH_MS / 1000),
        proptest::option::of(any::<u64>()),
        proptest::option::of(words(&["AUDIO", "AUDIOVIDEO", "VIDEO"])),
    )
        .prop_map(|(uri, user, created, duration, size, contents)| Rec {
            uri,
            user,
            created,
            duration,
            size,
            contents,
        })
}

fn lx() -> impl Strategy<Value = Lx> {
    (
        (
            -1_000_000_000_000i64..4_000_000_000_000,
            proptest::option::of(0..MONTH_MS / 1000),
            "[A-Za-z0-9._~:@+-]{1,40}",
            proptest::option::of(words(&["AUDIO", "AUDIOVIDEO", "VIDEO"])),
            proptest::collection::vec(("[a-zA-Z_]{1,8}", any::<i64>()), 0..4),
            // Any text XML can carry that is not blank (blank is no context).
            proptest::option::of(
                "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]{1,30}"
                    .prop_filter("not blank", |s: &String| !s.trim().is_empty()),
            ),
        ),
        (
            proptest::collection::vec(
                (proptest::option::of(text()), words(&["CREATOR", "MEMBER"])),
                0..4,
            ),
            proptest::collection::vec(rec(), 0..3),
            proptest::option::of(words(&["connected", "attempted"])),
            proptest::option::of(words(&["successful", "unsuccessful"])),
            proptest::option::of(0..MONTH_MS),
            proptest::option::of(text()),
            any::<bool>(),
            proptest::option::of(text()),
        ),
    )
        .prop_map(
            |(
                (start, end_after, id, contents, context, context_text),
                (users, recordings, release, status, pending, team, associate, reason),
            )| {
                let mut seen = std::collections::HashSet::new();
                Lx {
                    start,
                    end_after,
                    id,
                    contents,
                    // Keys are unique in a JSON object.
                    context: context
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                    context_text,
                    users,
                    recordings,
                    release,
                    status,
                    pending,
                    team,
                    associate,
                    reason,
                }
            },
        )
}

/// The engagement written as this dialect writes JSON: keys in order, absent left out.
fn to_json(e: &Lx) -> String {
    let mut o = String::from("{");
    let _ = write!(o, "\"startDate\":\"{}\"", e.start);
    if let Some(d) = e.end_after {
        let _ = write!(o, ",\"endDate\":\"{}\"", e.start + d as i64 * 1000);
    }
    let _ = write!(o, ",\"id\":{}", json_str(&e.id));
    if let Some(d) = e.end_after {
        let _ = write!(o, ",\"duration\":{d}");
    }
    if let Some(c) = e.contents {
        let _ = write!(o, ",\"contents\":\"{c}\"");
    }
    if let Some(c) = &e.context_text {
        let _ = write!(o, ",\"context\":{}", json_str(c));
    } else if !e.context.is_empty() {
        let inner: Vec<String> = e
            .context
            .iter()
            .map(|(k, v)| format!("{}:{v}", json_str(k)))
            .collect();
        let _ = write!(
            o,
            ",\"context\":{}",
            json_str(&format!("{{{}}}", inner.join(",")))
        );
    }
    if !e.users.is_empty() {
        let us: Vec<String> = e
            .users
            .iter()
            .map(|(uri, a)| match uri {
                Some(u) => format!("{{\"uri\":{},\"association\":\"{a}\"}}", json_str(u)),
                None => format!("{{\"association\":\"{a}\"}}"),
            })
            .collect();
        let _ = write!(o, ",\"users\":[{}]", us.join(","));
    }
    if !e.recordings.is_empty() {
        let rs: Vec<String> = e
            .recordings
            .iter()
            .map(|r| {
                let mut f = Vec::new();
                if let Some(v) = &r.uri {
                    f.push(format!("\"uri\":{}", json_str(v)));
                }
                if let Some(v) = &r.user {
                    f.push(format!("\"user\":{}", json_str(v)));
                }
                if let Some(v) = r.created {
                    f.push(format!("\"created\":\"{v}\""));
                }
                if let Some(v) = r.duration {
                    f.push(format!("\"duration\":{v}"));
                }
                if let Some(v) = r.size {
                    f.push(format!("\"size\":{v}"));
                }
                if let Some(v) = r.contents {
                    f.push(format!("\"contents\":\"{v}\""));
                }
                format!("{{{}}}", f.join(","))
            })
            .collect();
        let _ = write!(o, ",\"recordings\":[{}]", rs.join(","));
    }
    if let Some(v) = e.release {
        let _ = write!(o, ",\"releaseState\":\"{v}\"");
    }
    if let Some(v) = e.status {
        let _ = write!(o, ",\"status\":\"{v}\"");
    }
    if let Some(v) = e.pending {
        let _ = write!(o, ",\"pendingTime\":{v}");
    }
    if let Some(v) = &e.team {
        let _ = write!(o, ",\"assignedTeam\":{}", json_str(v));
    }
    let _ = write!(o, ",\"associateInitiated\":{}", e.associate);
    if let Some(v) = &e.reason {
        let _ = write!(o, ",\"reason\":{}", json_str(v));
    }
    o.push('}');
    o
}

fn rendered(e: &interlog_model::Engagement) -> (String, String) {
    let stored = StoredEngagement::new(e);
    let v = view::from_stored(&stored.json).unwrap();
    let mut json = String::new();
    render_json::engagement(&mut json, &v);
    let mut xml = String::from("<engagementV1>");
    render_xml::engagement_fields(&mut xml, &v);
    xml.push_str("</engagementV1>");
    (json, xml)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn what_the_dialect_writes_reads_back_identically(e in lx()) {
        let line = to_json(&e);
        let mut stored = decode_record(ingest::decode_json_line, line.as_bytes())
            .map_err(|r| TestCaseError::fail(format!("{r}: {line}")))?;
        prop_assert_eq!(stored.len(), 1);
        let (json, xml) = rendered(&stored.remove(0));
        prop_assert_eq!(&json, &line);

        // The XML rendering, ingested as a document, renders the same again.
        let mut from_xml = decode_record(ingest::decode_xml_document, xml.as_bytes())
            .map_err(|r| TestCaseError::fail(format!("{r}: {xml}")))?;
        let (json2, xml2) = rendered(&from_xml.remove(0));
        prop_assert_eq!(json2, line);
        prop_assert_eq!(xml2, xml);
    }

    #[test]
    fn any_bytes_decode_or_are_refused_with_a_reason(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        for decode in [ingest::decode_json_line as fn(&[u8]) -> _, ingest::decode_xml_document] {
            match decode_record(decode, &bytes) {
                Ok(es) => for e in es { prop_assert!(e.validate().is_ok()); }
                Err(reason) => prop_assert!(!reason.is_empty()),
            }
        }
    }
}
