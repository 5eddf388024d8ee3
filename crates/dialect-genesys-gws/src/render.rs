//! Canonical engagements written as GWS interaction history resources, in the seed's
//! member order, with absent members left out.

use crate::dates;
use crate::mapping;
use interlog_model::{Engagement, IndexMap, Message, Participant, Role};
use jiff::tz::TimeZone;
use serde::Serialize;

/// What a rendering needs besides the engagement.
pub struct RenderContext<'a> {
    /// Scheme, host and context path of `uri` values (no trailing slash).
    pub base_url: &'a str,
    pub tz: &'a TimeZone,
    /// The `customAttributes` names asked for.
    pub custom_attributes: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerInformation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
}

/// The interaction history resource.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Interaction<'a> {
    pub uri: String,
    pub id: &'a str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_id: Option<&'static str>,
    pub state: &'static str,
    pub start_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_information: Option<OwnerInformation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<IndexMap<&'a str, &'a serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<&'a IndexMap<String, serde_json::Value>>,
}

/// The agent who owns the engagement: the participant flagged `owner`, else the last agent
/// listed (the one it ended with).
pub fn owner(e: &Engagement) -> Option<&Participant> {
    e.participants
        .iter()
        .find(|p| p.owner)
        .or_else(|| e.agents().last())
}

fn customer_phone(e: &Engagement) -> Option<&str> {
    e.customer.phones.first().map(String::as_str).or_else(|| {
        e.participants
            .iter()
            .filter(|p| p.role == Role::Customer)
            .find_map(|p| p.calling_number.as_deref())
    })
}

/// The resource of `e`.
pub fn interaction<'a>(e: &'a Engagement, cx: &RenderContext<'_>) -> Interaction<'a> {
    let media_type = mapping::media_type(e);
    let is_call = media_type == Some("call");
    let owner = owner(e).map(|p| OwnerInformation {
        user_name: p.username.as_deref().or(p.email.as_deref()),
        last_name: p.last_name.as_deref(),
        id: p.id.as_deref(),
        first_name: p.first_name.as_deref(),
    });
    let custom: IndexMap<&str, &serde_json::Value> = cx
        .custom_attributes
        .iter()
        .filter_map(|name| e.data.get_key_value(name.as_str()))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let comment = match e.notes.as_slice() {
        [] => None,
        [one] => Some(one.text.clone()),
        many => Some(
            many.iter()
                .map(|n| n.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    };
    Interaction {
        uri: format!("{}/api/v2/interactions/{}", cx.base_url, e.id),
        id: &e.id,
        path: format!("/interactions/{}", e.id),
        media_type,
        type_id: e.direction.map(mapping::type_id),
        state: mapping::state_name(e.effective_state()),
        start_date: dates::format(e.started_at, cx.tz),
        end_date: e.ended_at.map(|t| dates::format(t, cx.tz)),
        subject: e.subject.as_deref(),
        comment,
        contact_id: e.customer.contact_id.as_deref(),
        parent_id: e.parent_id.as_deref(),
        owner_information: owner,
        custom_attributes: (!custom.is_empty()).then_some(custom),
        phone_number: if is_call { customer_phone(e) } else { None },
        call_duration: if is_call {
            e.effective_duration_ms().map(|ms| ms / 1000)
        } else {
            None
        },
        user_data: (!e.data.is_empty()).then_some(&e.data),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct From<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<&'a str>,
}

/// One transcript entry as `GetInteractionContentMessage` carries it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptEntry<'a> {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<From<'a>>,
    pub timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<&'a str>,
    #[serde(rename = "type")]
    pub kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// Epoch milliseconds, despite the name (as GWS sends it).
    pub timestamp_seconds: i64,
}

pub fn transcript_entry<'a>(m: &'a Message, tz: &TimeZone) -> TranscriptEntry<'a> {
    TranscriptEntry {
        index: m.index,
        from: m.sender.as_ref().map(|s| From {
            nickname: s.nickname.as_deref(),
            kind: s.role.map(mapping::sender_type),
            participant_id: s.participant_id.as_deref(),
        }),
        timestamp: dates::format(m.at, tz),
        visibility: m.visibility.as_deref(),
        kind: &m.kind,
        text: m.text.as_deref(),
        timestamp_seconds: m.at.as_millisecond(),
    }
}

/// The scheme and host of `uri` values for a request: the configured base, else `http://`
/// and the request's `Host` when it is a plain host name (anything else could inject text
/// into the URIs).
pub fn base_url(configured: Option<&str>, host: Option<&str>) -> String {
    if let Some(b) = configured {
        return b.to_owned();
    }
    let host = host.filter(|h| {
        !h.is_empty()
            && h.len() <= 255
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
    });
    format!("http://{}", host.unwrap_or("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_are_not_plain_names_are_not_echoed() {
        assert_eq!(
            base_url(None, Some("gws.example.com:8080")),
            "http://gws.example.com:8080"
        );
        assert_eq!(base_url(None, Some("evil/\"x")), "http://localhost");
        assert_eq!(
            base_url(Some("https://a.b/ctx"), Some("x")),
            "https://a.b/ctx"
        );
    }
}
