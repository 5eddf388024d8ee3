//! The `oracle_lx` ingest format: `engagementV1` (or an `EngagementListV1` envelope) as one
//! JSON object per NDJSON line, or as a whole XML document, normalized into the canonical
//! model so that it reads back identically through this dialect's listing.
//!
//! Both shapes are read into [`Incoming`] first, so JSON and XML follow the same rules.

use crate::view::{Association, Contents};
use crate::xml::Element;
use crate::NAME;
use interlog_http::formats::Format;
use interlog_model::limits::LONG_TEXT_MAX;
use interlog_model::time::{from_millis, parse_instant};
use interlog_model::{
    Channel, ChannelType, Data, Direction, Engagement, Outcome, Participant, Recording, Release,
    Role, SourcePlatform, Timestamp,
};
use serde::Deserialize;
use serde_json::Value;

/// An engagement user as sent.
#[derive(Debug, Default)]
struct IncomingUser {
    uri: Option<String>,
    association: Option<Association>,
}

/// A recording as sent.
#[derive(Debug, Default)]
struct IncomingRecording {
    uri: Option<String>,
    user: Option<String>,
    created: Option<Timestamp>,
    duration: Option<u64>,
    size: Option<u64>,
    contents: Option<Contents>,
}

/// `context` as sent: the JSON object it holds, if any, and the string itself when `data`
/// alone would not write it back the same.
#[derive(Debug, Default)]
struct Context {
    data: Data,
    raw: Option<String>,
}

/// An `engagementV1` as sent, its values read but not yet mapped.
#[derive(Debug, Default)]
struct Incoming {
    start_date: Option<Timestamp>,
    end_date: Option<Timestamp>,
    id: Option<String>,
    duration: Option<u64>,
    contents: Option<Contents>,
    context: Option<Context>,
    users: Vec<IncomingUser>,
    recordings: Vec<IncomingRecording>,
    release_state: Option<Release>,
    status: Option<Outcome>,
    pending_time: Option<u64>,
    assigned_team: Option<String>,
    associate_initiated: Option<bool>,
    reason: Option<String>,
}

// --- values, shared by both shapes ------------------------------------------------------

/// A date: epoch milliseconds (digits, optionally signed), or an RFC 3339 date-time with
/// an offset.
fn time_text(field: &str, s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(from_millis)
            .ok_or_else(|| format!("{field}: {s:?} is outside the supported range of dates"));
    }
    parse_instant(s).map_err(|_| {
        format!("{field}: {s:?} is neither epoch milliseconds nor a date-time with an offset (e.g. 2024-03-01T09:30:00.000Z)")
    })
}

fn whole_text(field: &str, s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("{field}: {s:?} is not a whole number"))
}

fn bool_text(field: &str, s: &str) -> Result<bool, String> {
    match s.trim() {
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        t if t.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(format!("{field}: {s:?} is not true or false")),
    }
}

fn outcome_text(field: &str, s: &str) -> Result<Outcome, String> {
    Outcome::ALL
        .iter()
        .copied()
        .find(|o| o.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("{field}: {s:?}; accepted: successful, unsuccessful"))
}

fn release_text(field: &str, s: &str) -> Result<Release, String> {
    Release::ALL
        .iter()
        .copied()
        .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("{field}: {s:?}; accepted: connected, attempted"))
}

fn contents_text(field: &str, s: &str) -> Result<Contents, String> {
    Contents::parse(s).ok_or_else(|| format!("{field}: {s:?}; accepted: {}", Contents::ACCEPTED))
}

fn association_text(field: &str, s: &str) -> Result<Association, String> {
    Association::parse(s)
        .ok_or_else(|| format!("{field}: {s:?}; accepted: {}", Association::ACCEPTED))
}

/// `context`: any string, its encoding being Oracle's secret. One holding a JSON object
/// that fits the model's rules for `data` also fills `data`; the string is kept as sent
/// (`raw_context`) unless `data` writes it back exactly (a compact object). A blank string
/// is no context. A string that must be kept may be at most [`LONG_TEXT_MAX`] characters;
/// a JSON object longer than that fills `data` without its own formatting.
fn context_text(s: &str) -> Result<Option<Context>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let mut de = serde_json::Deserializer::from_str(s);
    let fits = interlog_model::unique_keys::map(&mut de)
        .and_then(|data| de.end().map(|()| data))
        .ok()
        .and_then(|data| fits_in_data(data).ok());
    let n = s.chars().count();
    match fits {
        Some(data) => {
            // `{}` fills no data, so data alone would write no context at all.
            let as_written =
                !data.is_empty() && serde_json::to_string(&data).is_ok_and(|c| c == s);
            let raw = (!as_written && n <= LONG_TEXT_MAX).then(|| s.to_owned());
            Ok(Some(Context { data, raw }))
        }
        None if n > LONG_TEXT_MAX => Err(format!(
            "context: is {n} characters long; at most {LONG_TEXT_MAX} allowed (unless it is a JSON object)"
        )),
        None => Ok(Some(Context {
            data: Data::new(),
            raw: Some(s.to_owned()),
        })),
    }
}

/// `data` back when it passes the model's rules for `data`, else also back, as the error.
fn fits_in_data(data: Data) -> Result<Data, Data> {
    let probe = Engagement {
        id: "probe".into(),
        data,
        ..Engagement::default()
    };
    if probe.validate().is_ok() {
        Ok(probe.data)
    } else {
        Err(probe.data)
    }
}

fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

// --- JSON ----------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsonUser {
    #[serde(default)]
    uri: Value,
    #[serde(default)]
    association: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsonRecording {
    #[serde(default)]
    uri: Value,
    #[serde(default)]
    user: Value,
    #[serde(default)]
    created: Value,
    #[serde(default)]
    duration: Value,
    #[serde(default)]
    size: Value,
    #[serde(default)]
    contents: Value,
}

/// `context` as a string (the documented form) or, leniently, as the object itself (whose
/// key order is kept).
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonContext {
    Text(String),
    Object(Data),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsonEngagement {
    #[serde(default)]
    start_date: Value,
    #[serde(default)]
    end_date: Value,
    #[serde(default)]
    id: Value,
    #[serde(default)]
    duration: Value,
    #[serde(default)]
    contents: Value,
    #[serde(default)]
    context: Option<JsonContext>,
    #[serde(default)]
    users: Option<Vec<JsonUser>>,
    #[serde(default)]
    recordings: Option<Vec<JsonRecording>>,
    #[serde(default)]
    release_state: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    pending_time: Value,
    #[serde(default)]
    assigned_team: Value,
    #[serde(default)]
    associate_initiated: Value,
    #[serde(default)]
    reason: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsonList {
    #[serde(default)]
    #[allow(dead_code)]
    has_more: Value,
    #[serde(default)]
    engagements: Option<Vec<JsonEngagement>>,
}

/// Tells a list envelope from a single engagement without building either.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    engagements: Option<serde::de::IgnoredAny>,
}

/// A JSON scalar as text: strings as they are, numbers and booleans as written. `None` for
/// null or absent.
fn scalar(field: &str, v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(format!("{field}: must be a string, a number or a boolean")),
    }
}

fn read<T>(
    field: &str,
    v: &Value,
    parse: impl Fn(&str, &str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    match scalar(field, v)? {
        Some(s) => parse(field, &s).map(Some),
        None => Ok(None),
    }
}

fn read_text(field: &str, v: &Value) -> Result<Option<String>, String> {
    Ok(scalar(field, v)?.and_then(|s| text(&s)))
}

fn from_json(j: JsonEngagement) -> Result<Incoming, String> {
    let users = j
        .users
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            Ok(IncomingUser {
                uri: read_text(&format!("users[{i}].uri"), &u.uri)?,
                association: read(
                    &format!("users[{i}].association"),
                    &u.association,
                    association_text,
                )?,
            })
        })
        .collect::<Result<_, String>>()?;
    let recordings = j
        .recordings
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let f = |name: &str| format!("recordings[{i}].{name}");
            Ok(IncomingRecording {
                uri: read_text(&f("uri"), &r.uri)?,
                user: read_text(&f("user"), &r.user)?,
                created: read(&f("created"), &r.created, time_text)?,
                duration: read(&f("duration"), &r.duration, whole_text)?,
                size: read(&f("size"), &r.size, whole_text)?,
                contents: read(&f("contents"), &r.contents, contents_text)?,
            })
        })
        .collect::<Result<_, String>>()?;
    let context = match j.context {
        None => None,
        Some(JsonContext::Text(s)) => context_text(&s)?,
        Some(JsonContext::Object(data)) => Some(Context { data, raw: None }),
    };
    Ok(Incoming {
        start_date: read("startDate", &j.start_date, time_text)?,
        end_date: read("endDate", &j.end_date, time_text)?,
        id: read_text("id", &j.id)?,
        duration: read("duration", &j.duration, whole_text)?,
        contents: read("contents", &j.contents, contents_text)?,
        context,
        users,
        recordings,
        release_state: read("releaseState", &j.release_state, release_text)?,
        status: read("status", &j.status, outcome_text)?,
        pending_time: read("pendingTime", &j.pending_time, whole_text)?,
        assigned_team: read_text("assignedTeam", &j.assigned_team)?,
        associate_initiated: read("associateInitiated", &j.associate_initiated, bool_text)?,
        reason: read_text("reason", &j.reason)?,
    })
}

fn json_error(e: serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m);
    if msg.contains("did not match any variant of untagged enum JsonContext") {
        return "context: must be a string (or, leniently, a JSON object)".into();
    }
    format!("not an engagementV1 or EngagementListV1 JSON object: {msg}")
}

/// Decodes one NDJSON line: an `engagementV1` object or an `EngagementListV1` object (or
/// an XML document on one line).
pub fn decode_json_line(line: &[u8]) -> Result<Vec<Engagement>, String> {
    let start = line.trim_ascii_start();
    // A line may also be a whole XML document written on one line, so that a stream of
    // documents (or a one-line file given to `interlog import`) is read as well.
    if start.starts_with(b"<") {
        return decode_xml_document(line);
    }
    // Serde would also read a struct from a JSON array of its fields in order.
    if !start.starts_with(b"{") {
        return Err("not an engagementV1 or EngagementListV1 JSON object".into());
    }
    let probe: Probe = serde_json::from_slice(line).map_err(json_error)?;
    let incoming: Vec<JsonEngagement> = if probe.engagements.is_some() {
        let list: JsonList = serde_json::from_slice(line).map_err(json_error)?;
        list.engagements.unwrap_or_default()
    } else {
        vec![serde_json::from_slice(line).map_err(json_error)?]
    };
    let many = incoming.len() > 1;
    incoming
        .into_iter()
        .enumerate()
        .map(|(i, j)| {
            from_json(j).and_then(to_engagement).map_err(|e| {
                if many {
                    format!("engagements[{i}]: {e}")
                } else {
                    e
                }
            })
        })
        .collect()
}

// --- XML -----------------------------------------------------------------------------------

/// The text of a leaf element; `None` when nil or blank.
fn leaf<'a>(el: &'a Element, path: &str) -> Result<Option<&'a str>, String> {
    if let Some(child) = el.children.first() {
        return Err(format!(
            "{path}: unexpected element <{}> inside",
            child.name
        ));
    }
    Ok((!el.nil && !el.text.trim().is_empty()).then_some(el.text.as_str()))
}

/// Sets a field that may occur once.
fn once<T>(
    slot: &mut Option<T>,
    seen: &mut Vec<&'static str>,
    name: &'static str,
    v: Option<T>,
) -> Result<(), String> {
    if seen.contains(&name) {
        return Err(format!("<{name}> occurs more than once"));
    }
    seen.push(name);
    *slot = v;
    Ok(())
}

fn xml_user(el: &Element, path: &str) -> Result<IncomingUser, String> {
    let mut u = IncomingUser::default();
    let mut seen = Vec::new();
    for c in &el.children {
        let f = format!("{path}.{}", c.name);
        match c.name.as_str() {
            "uri" => once(&mut u.uri, &mut seen, "uri", leaf(c, &f)?.and_then(text))?,
            "association" => {
                let v = leaf(c, &f)?.map(|s| association_text(&f, s)).transpose()?;
                once(&mut u.association, &mut seen, "association", v)?
            }
            other => {
                return Err(format!(
                    "{path}: unknown element <{other}>; accepted: uri, association"
                ))
            }
        }
    }
    Ok(u)
}

fn xml_recording(el: &Element, path: &str) -> Result<IncomingRecording, String> {
    let mut r = IncomingRecording::default();
    let mut seen = Vec::new();
    for c in &el.children {
        let f = format!("{path}.{}", c.name);
        let v = leaf(c, &f)?;
        match c.name.as_str() {
            "uri" => once(&mut r.uri, &mut seen, "uri", v.and_then(text))?,
            "user" => once(&mut r.user, &mut seen, "user", v.and_then(text))?,
            "created" => once(&mut r.created, &mut seen, "created", v.map(|s| time_text(&f, s)).transpose()?)?,
            "duration" => once(&mut r.duration, &mut seen, "duration", v.map(|s| whole_text(&f, s)).transpose()?)?,
            "size" => once(&mut r.size, &mut seen, "size", v.map(|s| whole_text(&f, s)).transpose()?)?,
            "contents" => once(&mut r.contents, &mut seen, "contents", v.map(|s| contents_text(&f, s)).transpose()?)?,
            other => {
                return Err(format!(
                    "{path}: unknown element <{other}>; accepted: uri, user, created, duration, size, contents"
                ))
            }
        }
    }
    Ok(r)
}

const ENGAGEMENT_ELEMENTS: &str = "startDate, endDate, id, duration, contents, context, users, recordings, releaseState, status, pendingTime, assignedTeam, associateInitiated, reason";

fn xml_engagement(el: &Element, path: &str) -> Result<Incoming, String> {
    let mut e = Incoming::default();
    let mut seen = Vec::new();
    for c in &el.children {
        let name = c.name.as_str();
        let f = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        match name {
            "users" => {
                let p = format!("users[{}]", e.users.len());
                e.users.push(xml_user(c, &p)?);
                continue;
            }
            "recordings" => {
                let p = format!("recordings[{}]", e.recordings.len());
                e.recordings.push(xml_recording(c, &p)?);
                continue;
            }
            _ => {}
        }
        let v = leaf(c, &f)?;
        match name {
            "startDate" => once(
                &mut e.start_date,
                &mut seen,
                "startDate",
                v.map(|s| time_text(&f, s)).transpose()?,
            )?,
            "endDate" => once(
                &mut e.end_date,
                &mut seen,
                "endDate",
                v.map(|s| time_text(&f, s)).transpose()?,
            )?,
            "id" => once(&mut e.id, &mut seen, "id", v.and_then(text))?,
            "duration" => once(
                &mut e.duration,
                &mut seen,
                "duration",
                v.map(|s| whole_text(&f, s)).transpose()?,
            )?,
            "contents" => once(
                &mut e.contents,
                &mut seen,
                "contents",
                v.map(|s| contents_text(&f, s)).transpose()?,
            )?,
            "context" => {
                let d = match v {
                    Some(s) => context_text(s)?,
                    None => None,
                };
                once(&mut e.context, &mut seen, "context", d)?
            }
            "releaseState" => once(
                &mut e.release_state,
                &mut seen,
                "releaseState",
                v.map(|s| release_text(&f, s)).transpose()?,
            )?,
            "status" => once(
                &mut e.status,
                &mut seen,
                "status",
                v.map(|s| outcome_text(&f, s)).transpose()?,
            )?,
            "pendingTime" => once(
                &mut e.pending_time,
                &mut seen,
                "pendingTime",
                v.map(|s| whole_text(&f, s)).transpose()?,
            )?,
            "assignedTeam" => once(
                &mut e.assigned_team,
                &mut seen,
                "assignedTeam",
                v.and_then(text),
            )?,
            "associateInitiated" => once(
                &mut e.associate_initiated,
                &mut seen,
                "associateInitiated",
                v.map(|s| bool_text(&f, s)).transpose()?,
            )?,
            "reason" => once(&mut e.reason, &mut seen, "reason", v.and_then(text))?,
            other => {
                return Err(format!(
                    "unknown element <{other}>; accepted: {ENGAGEMENT_ELEMENTS}"
                ))
            }
        }
    }
    Ok(e)
}

/// Decodes a whole XML document: `<engagementV1>` or `<engagementListV1>`.
pub fn decode_xml_document(document: &[u8]) -> Result<Vec<Engagement>, String> {
    let root = crate::xml::parse(document)?;
    if !root.text.trim().is_empty() {
        return Err(format!("<{}> holds text outside its elements", root.name));
    }
    match root.name.as_str() {
        "engagementV1" => Ok(vec![to_engagement(xml_engagement(&root, "")?)?]),
        "engagementListV1" => {
            let mut out = Vec::new();
            let mut has_more_seen = false;
            for c in &root.children {
                match c.name.as_str() {
                    "hasMore" => {
                        if has_more_seen {
                            return Err("<hasMore> occurs more than once".into());
                        }
                        has_more_seen = true;
                        if let Some(v) = leaf(c, "hasMore")? {
                            bool_text("hasMore", v)?;
                        }
                    }
                    "engagements" => {
                        let i = out.len();
                        let incoming = xml_engagement(c, "")
                            .map_err(|e| format!("engagements[{i}]: {e}"))?;
                        out.push(to_engagement(incoming).map_err(|e| format!("engagements[{i}]: {e}"))?);
                    }
                    other => {
                        return Err(format!(
                            "unknown element <{other}> in <engagementListV1>; accepted: hasMore, engagements"
                        ))
                    }
                }
            }
            Ok(out)
        }
        other => Err(format!(
            "the root element is <{other}>; accepted: <engagementV1>, <engagementListV1>"
        )),
    }
}

// --- into the canonical model ----------------------------------------------------------------

fn to_engagement(i: Incoming) -> Result<Engagement, String> {
    let started_at = i
        .start_date
        .ok_or_else(|| "startDate: is required".to_owned())?;
    let duration_ms = i
        .duration
        .map(|s| {
            s.checked_mul(1000)
                .ok_or_else(|| format!("duration: {s} seconds is too long"))
        })
        .transpose()?;
    let mut e = Engagement {
        id: i.id.unwrap_or_default(),
        source: Some(SourcePlatform::OracleLx),
        started_at,
        ended_at: i.end_date,
        duration_ms,
        outcome: i.status,
        release: i.release_state,
        reason: i.reason,
        direction: i.associate_initiated.map(|a| {
            if a {
                Direction::Outbound
            } else {
                Direction::Inbound
            }
        }),
        team: i.assigned_team,
        ..Engagement::default()
    };
    if let Some(c) = i.context {
        e.data = c.data;
        e.raw_context = c.raw;
    }
    e.timings.wait_ms = i.pending_time;
    if let Some(c) = i.contents {
        e.channels.push(Channel {
            kind: match c {
                Contents::Audio => ChannelType::Voice,
                Contents::AudioVideo | Contents::Video => ChannelType::Video,
            },
            id: None,
            source: None,
            media: Some(c.media()),
        });
    }
    for (n, u) in i.users.into_iter().enumerate() {
        let association = u.association.ok_or_else(|| {
            format!(
                "users[{n}].association: is required ({})",
                Association::ACCEPTED
            )
        })?;
        let role = match association {
            Association::Creator => Role::Customer,
            Association::Member => Role::Agent,
        };
        if let (Role::Customer, Some(email)) = (role, &u.uri) {
            if !e.customer.emails.contains(email) {
                e.customer.emails.push(email.clone());
            }
        }
        e.participants.push(Participant {
            email: u.uri,
            ..Participant::new(role)
        });
    }
    for (n, r) in i.recordings.into_iter().enumerate() {
        let duration_ms = r
            .duration
            .map(|s| {
                s.checked_mul(1000)
                    .ok_or_else(|| format!("recordings[{n}].duration: {s} seconds is too long"))
            })
            .transpose()?;
        e.recordings.push(Recording {
            id: None,
            uri: r.uri,
            user: r.user,
            created_at: r.created,
            duration_ms,
            size_bytes: r.size,
            media: r.contents.map(Contents::media),
        });
    }
    Ok(e)
}

/// The `oracle_lx` ingest format: one `engagementV1` (or `EngagementListV1`) JSON object
/// per NDJSON line, or one whole `engagementV1` / `engagementListV1` XML document.
pub const FORMAT: Format = Format {
    name: NAME,
    line: decode_json_line,
    xml_document: Some(decode_xml_document),
};

#[cfg(test)]
mod tests {
    use super::*;
    use interlog_model::Media;

    const FULL_JSON: &str = r#"{"startDate":"1709285400000","endDate":"1709286000000","id":"lx-1","duration":600,"contents":"AUDIOVIDEO","context":"{\"orderId\":\"A-17\",\"tier\":2}","users":[{"uri":"cust@example.com","association":"CREATOR"},{"uri":"agent@acme.test","association":"MEMBER"}],"recordings":[{"uri":"https://r.example/1.mp4","user":"agent@acme.test","created":"1709285460000","duration":500,"size":1234,"contents":"VIDEO"}],"releaseState":"connected","status":"successful","pendingTime":42000,"assignedTeam":"Mortgages","associateInitiated":false,"reason":"resolved"}"#;

    #[test]
    fn a_full_json_engagement_maps_every_field() {
        let e = decode_json_line(FULL_JSON.as_bytes()).unwrap().remove(0);
        assert_eq!(e.id, "lx-1");
        assert_eq!(e.source, Some(SourcePlatform::OracleLx));
        assert_eq!(e.started_at.as_millisecond(), 1_709_285_400_000);
        assert_eq!(e.ended_at.unwrap().as_millisecond(), 1_709_286_000_000);
        assert_eq!(e.duration_ms, Some(600_000));
        assert_eq!(e.channels[0].kind, ChannelType::Video);
        assert_eq!(e.channels[0].media, Some(Media::AudioVideo));
        assert_eq!(e.data.keys().collect::<Vec<_>>(), ["orderId", "tier"]);
        assert_eq!(e.raw_context, None, "a compact object is data alone");
        assert_eq!(e.participants[0].role, Role::Customer);
        assert_eq!(e.participants[1].role, Role::Agent);
        assert_eq!(e.customer.emails, ["cust@example.com"]);
        assert_eq!(e.recordings[0].duration_ms, Some(500_000));
        assert_eq!(e.recordings[0].media, Some(Media::Video));
        assert_eq!(e.release, Some(Release::Connected));
        assert_eq!(e.outcome, Some(Outcome::Successful));
        assert_eq!(e.timings.wait_ms, Some(42_000));
        assert_eq!(e.team.as_deref(), Some("Mortgages"));
        assert_eq!(e.direction, Some(Direction::Inbound));
        assert_eq!(e.reason.as_deref(), Some("resolved"));
    }

    #[test]
    fn lenient_spellings_of_values_are_read() {
        let line = r#"{"startDate":1709285400000,"id":"x","duration":"60","associateInitiated":"TRUE","context":{"b":1,"a":2},"status":"Unsuccessful","contents":"audio"}"#;
        let e = decode_json_line(line.as_bytes()).unwrap().remove(0);
        assert_eq!(e.direction, Some(Direction::Outbound));
        assert_eq!(e.duration_ms, Some(60_000));
        assert_eq!(e.data.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(e.outcome, Some(Outcome::Unsuccessful));
        let line =
            r#"{"startDate":"2024-03-01T09:30:00+01:00","id":"y","context":null,"reason":null}"#;
        let e = decode_json_line(line.as_bytes()).unwrap().remove(0);
        assert_eq!(e.started_at.to_string(), "2024-03-01T08:30:00Z");
        assert!(e.data.is_empty() && e.reason.is_none());
    }

    #[test]
    fn any_context_string_is_kept_and_json_objects_fill_data() {
        let ctx = |s: &str| context_text(s).unwrap().unwrap();
        let c = ctx(r#"{"a":1,"b":"x"}"#);
        assert_eq!((c.data.len(), c.raw), (2, None));
        let c = ctx(r#"{"a": 1}"#);
        assert_eq!(c.data["a"], 1);
        assert_eq!(c.raw.as_deref(), Some(r#"{"a": 1}"#));
        for s in ["order=42", " a=1 ", "[1]", "\"q\"", "{", "null", "{}"] {
            let c = ctx(s);
            assert!(c.data.is_empty(), "{s}");
            assert_eq!(c.raw.as_deref(), Some(s));
        }
        assert!(context_text(" \n").unwrap().is_none());
        // An object data cannot hold (more keys than allowed) is kept as the string only.
        let keys: Vec<String> = (0..=interlog_model::limits::MAP_KEYS_MAX)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect();
        let big = format!("{{{}}}", keys.join(","));
        let c = ctx(&big);
        assert!(c.data.is_empty());
        assert_eq!(c.raw.as_deref(), Some(big.as_str()));
        // Too long to keep as written: refused, naming the field.
        let long = "x".repeat(LONG_TEXT_MAX + 1);
        assert!(context_text(&long).unwrap_err().starts_with("context: "));
        // A long JSON object still fills data, without its formatting.
        let value = "v".repeat(LONG_TEXT_MAX / 8);
        let keys: Vec<String> = (0..10).map(|i| format!("\"k{i}\": \"{value}\"")).collect();
        let c = ctx(&format!("{{{}}}", keys.join(", ")));
        assert_eq!((c.data.len(), c.raw), (10, None));
    }

    #[test]
    fn a_list_envelope_holds_several() {
        let line = format!(
            r#"{{"hasMore":false,"engagements":[{FULL_JSON},{{"startDate":"0","id":"b"}}]}}"#
        );
        let es = decode_json_line(line.as_bytes()).unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(es[1].id, "b");
        assert!(decode_json_line(br#"{"hasMore":true,"engagements":[]}"#)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn bad_json_records_say_what_is_wrong() {
        for (line, words) in [
            (r#"{"id":"x"}"#, "startDate: is required"),
            (r#"{"startDate":"yesterday"}"#, "startDate"),
            (
                r#"{"startDate":"1","colour":"red"}"#,
                "unknown field `colour`",
            ),
            (
                r#"{"startDate":"1","contents":"SMELL"}"#,
                "AUDIO, AUDIOVIDEO, VIDEO",
            ),
            (
                r#"{"startDate":"1","context":42}"#,
                "context: must be a string",
            ),
            (r#"{"startDate":"1","context":[1]}"#, "context"),
            (
                r#"{"startDate":"1","users":[{"uri":"a@b"}]}"#,
                "users[0].association",
            ),
            (
                r#"{"startDate":"1","users":[{"association":"OWNER"}]}"#,
                "CREATOR, MEMBER",
            ),
            (r#"{"startDate":"1","duration":-5}"#, "duration"),
            (
                r#"{"startDate":"1","duration":18446744073709551615}"#,
                "too long",
            ),
            (
                r#"{"startDate":"1","associateInitiated":"maybe"}"#,
                "associateInitiated",
            ),
            (
                r#"{"startDate":"1","status":"ok"}"#,
                "successful, unsuccessful",
            ),
            (r#"{"startDate":"1","releaseState":{}}"#, "releaseState"),
            (r#"{"startDate":"99999999999999999999"}"#, "startDate"),
            (r#"[1]"#, "engagementV1"),
            (
                r#"{"engagements":[{"id":"a","startDate":"1"},{"id":"b"}]}"#,
                "engagements[1]: startDate",
            ),
        ] {
            let err = decode_json_line(line.as_bytes()).unwrap_err();
            assert!(err.contains(words), "{line}: {err}");
        }
    }

    #[test]
    fn xml_documents_map_like_json() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<engagementV1>
  <startDate>2024-03-01T09:30:00.000Z</startDate>
  <endDate>1709286000000</endDate>
  <id>lx-1</id>
  <duration>600</duration>
  <contents>AUDIO</contents>
  <context>{"orderId":"A &amp; B"}</context>
  <users><uri>cust@example.com</uri><association>CREATOR</association></users>
  <users><uri>agent@acme.test</uri><association>MEMBER</association></users>
  <recordings><uri>https://r/1.wav</uri><created>2024-03-01T09:31:00.000Z</created><duration>5</duration><contents>AUDIO</contents></recordings>
  <releaseState>attempted</releaseState>
  <status>unsuccessful</status>
  <pendingTime>1000</pendingTime>
  <assignedTeam>Mortgages</assignedTeam>
  <associateInitiated>true</associateInitiated>
  <reason>abandoned</reason>
</engagementV1>"#;
        let e = decode_xml_document(doc.as_bytes()).unwrap().remove(0);
        assert_eq!(e.started_at.as_millisecond(), 1_709_285_400_000);
        assert_eq!(e.data["orderId"], "A & B");
        assert_eq!(e.participants.len(), 2);
        assert_eq!(e.recordings[0].duration_ms, Some(5_000));
        assert_eq!(e.release, Some(Release::Attempted));
        assert_eq!(e.direction, Some(Direction::Outbound));
        assert_eq!(e.channels[0].kind, ChannelType::Voice);
        let list = format!(
            "<engagementListV1><hasMore>false</hasMore><engagements>{}</engagements><engagements><startDate>0</startDate><id>b</id></engagements></engagementListV1>",
            doc.split_once("<engagementV1>").unwrap().1.split_once("</engagementV1>").unwrap().0
        );
        assert_eq!(decode_xml_document(list.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn a_line_holding_a_one_line_xml_document_is_read_as_xml() {
        let line = b"  <engagementV1><startDate>0</startDate><id>x</id><status>successful</status></engagementV1>";
        let es = decode_json_line(line).unwrap();
        assert_eq!(es[0].id, "x");
        assert_eq!(es[0].outcome, Some(Outcome::Successful));
        assert!(decode_json_line(b"<engagementV1>")
            .unwrap_err()
            .contains("ends inside"));
    }

    #[test]
    fn bad_xml_documents_say_what_is_wrong() {
        for (doc, words) in [
            ("<engagement/>", "root element"),
            (
                "<engagementV1><id>x</id></engagementV1>",
                "startDate: is required",
            ),
            (
                "<engagementV1><startDate>1</startDate><id>a</id><id>b</id></engagementV1>",
                "more than once",
            ),
            (
                "<engagementV1><startDate>1</startDate><colour/></engagementV1>",
                "unknown element <colour>",
            ),
            (
                "<engagementV1><startDate><x/></startDate></engagementV1>",
                "unexpected element",
            ),
            (
                "<engagementV1><startDate>1</startDate><users><email/></users></engagementV1>",
                "users[0]",
            ),
            (
                "<engagementListV1><hasMore>perhaps</hasMore></engagementListV1>",
                "hasMore",
            ),
            (
                "<engagementListV1><engagements><id>a</id></engagements></engagementListV1>",
                "engagements[0]: startDate",
            ),
            ("<engagementV1>", "ends inside"),
        ] {
            let err = decode_xml_document(doc.as_bytes()).unwrap_err();
            assert!(err.contains(words), "{doc}: {err}");
        }
    }
}
