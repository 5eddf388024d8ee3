//! The vocabularies shared by rendering, filtering and ingest: media types, interaction
//! types and states, and transcript sender types, each mapped both ways so that what is
//! ingested renders back as it came.

use interlog_model::{Channel, ChannelType, Direction, Engagement, Media, Role, State};

/// The media type of an engagement: its first channel's. `None` when it has no channel.
///
/// | canonical channel | `mediaType` |
/// |---|---|
/// | voice, video | `call` |
/// | chat | `chat` |
/// | email | `email` |
/// | sms | `smssession` |
/// | workitem | `workitem` |
/// | social from `facebook` / `twitter` | `facebook` / `twitter` |
/// | messaging from `facebook_messenger` | `facebooksession` |
/// | other with an id (a media type GWS does not list) | that id |
/// | anything else | `openmedia` |
pub fn media_type(e: &Engagement) -> Option<&str> {
    let ch = e.channels.first()?;
    let source = ch.source.as_deref().unwrap_or("");
    Some(match ch.kind {
        ChannelType::Voice | ChannelType::Video => "call",
        ChannelType::Chat => "chat",
        ChannelType::Email => "email",
        ChannelType::Sms => "smssession",
        ChannelType::Workitem => "workitem",
        ChannelType::Social if source.eq_ignore_ascii_case("facebook") => "facebook",
        ChannelType::Social if source.eq_ignore_ascii_case("twitter") => "twitter",
        ChannelType::Messaging if source.eq_ignore_ascii_case("facebook_messenger") => {
            "facebooksession"
        }
        ChannelType::Other => match ch.id.as_deref() {
            Some(id) if !id.is_empty() => id,
            _ => "openmedia",
        },
        _ => "openmedia",
    })
}

/// The canonical channel of an ingested media type (matched case-insensitively); the
/// inverse of [`media_type`].
pub fn channel_of(media: &str) -> Channel {
    let lower = media.to_ascii_lowercase();
    let (kind, source, m) = match lower.as_str() {
        "call" => (ChannelType::Voice, None, Some(Media::Audio)),
        "chat" => (ChannelType::Chat, None, Some(Media::Text)),
        "email" => (ChannelType::Email, None, Some(Media::Text)),
        "smssession" | "sms" => (ChannelType::Sms, Some("sms"), Some(Media::Text)),
        "workitem" => (ChannelType::Workitem, None, None),
        "facebook" => (ChannelType::Social, Some("facebook"), Some(Media::Text)),
        "twitter" => (ChannelType::Social, Some("twitter"), Some(Media::Text)),
        "facebooksession" => (
            ChannelType::Messaging,
            Some("facebook_messenger"),
            Some(Media::Text),
        ),
        _ => (ChannelType::Other, None, None),
    };
    let id = if kind == ChannelType::Other {
        media.to_owned()
    } else {
        lower
    };
    Channel {
        kind,
        id: Some(id),
        source: source.map(str::to_owned),
        media: m,
    }
}

/// What the store can narrow a `mediaType` request to: channel types and sources (any may
/// match). Every result is then checked with [`media_type`], which is exact.
pub fn media_filter(media: &str) -> (Vec<ChannelType>, Vec<String>) {
    let src = |s: &str| vec![s.to_owned()];
    match media.to_ascii_lowercase().as_str() {
        "call" => (vec![ChannelType::Voice, ChannelType::Video], vec![]),
        "chat" => (vec![ChannelType::Chat], vec![]),
        "email" => (vec![ChannelType::Email], vec![]),
        "smssession" => (vec![ChannelType::Sms], vec![]),
        "workitem" => (vec![ChannelType::Workitem], vec![]),
        "facebook" => (vec![ChannelType::Social], src("facebook")),
        "twitter" => (vec![ChannelType::Social], src("twitter")),
        "facebooksession" => (vec![ChannelType::Messaging], src("facebook_messenger")),
        "openmedia" => (
            vec![
                ChannelType::Social,
                ChannelType::Messaging,
                ChannelType::Kiosk,
                ChannelType::Other,
            ],
            vec![],
        ),
        _ => (vec![ChannelType::Other], vec![]),
    }
}

/// `typeId` of a direction.
pub fn type_id(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "Inbound",
        Direction::Outbound => "Outbound",
        Direction::Internal => "Internal",
        Direction::Consult => "Consult",
        Direction::Unknown => "Unknown",
    }
}

/// The direction of a `typeId` (case-insensitive).
pub fn direction_of(type_id: &str) -> Option<Direction> {
    Direction::ALL
        .iter()
        .copied()
        .find(|d| d.as_str().eq_ignore_ascii_case(type_id))
}

/// GWS's `state` of a lifecycle state: not yet handled is `New`, being handled is
/// `InProcess`, parked is `Pending`, finished is `Stopped`.
pub fn state_name(s: State) -> &'static str {
    match s {
        State::Created | State::Queued => "New",
        State::Active | State::Held => "InProcess",
        State::Pending => "Pending",
        State::Completed => "Stopped",
    }
}

/// The lifecycle state of a GWS `state` (case-insensitive).
pub fn state_of(name: &str) -> Option<State> {
    Some(match name.to_ascii_lowercase().as_str() {
        "new" => State::Created,
        "inprocess" => State::Active,
        "pending" => State::Pending,
        "stopped" => State::Completed,
        _ => return None,
    })
}

/// A transcript sender's `from.type` of a role.
pub fn sender_type(r: Role) -> &'static str {
    match r {
        Role::Customer => "Customer",
        Role::Agent => "Agent",
        Role::Supervisor => "Supervisor",
        Role::Automation => "Bot",
        Role::Other => "External",
    }
}

/// The role of a `from.type` (case-insensitive); unknown types are `other`.
pub fn role_of(sender_type: &str) -> Role {
    match sender_type.to_ascii_lowercase().as_str() {
        "customer" | "client" => Role::Customer,
        "agent" => Role::Agent,
        "supervisor" => Role::Supervisor,
        "bot" | "system" => Role::Automation,
        _ => Role::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_channel(c: Channel) -> Engagement {
        Engagement {
            channels: vec![c],
            ..Default::default()
        }
    }

    #[test]
    fn every_media_type_round_trips_through_its_channel() {
        for m in [
            "call",
            "chat",
            "email",
            "facebook",
            "facebooksession",
            "smssession",
            "openmedia",
            "twitter",
            "workitem",
            "webform",
        ] {
            let e = with_channel(channel_of(m));
            assert_eq!(media_type(&e), Some(m), "{m}");
            let (types, sources) = media_filter(m);
            assert!(types.contains(&e.channels[0].kind), "{m}");
            assert!(
                sources.is_empty() || sources.contains(e.channels[0].source.as_ref().unwrap()),
                "{m}"
            );
        }
        assert_eq!(media_type(&with_channel(channel_of("Chat"))), Some("chat"));
        assert_eq!(media_type(&Engagement::default()), None);
    }

    #[test]
    fn states_directions_and_senders_round_trip() {
        for s in [
            State::Created,
            State::Active,
            State::Pending,
            State::Completed,
        ] {
            assert_eq!(state_of(state_name(s)), Some(s));
        }
        assert_eq!(state_name(State::Queued), "New");
        assert_eq!(state_name(State::Held), "InProcess");
        for d in Direction::ALL {
            assert_eq!(direction_of(type_id(*d)), Some(*d));
        }
        assert_eq!(direction_of("sideways"), None);
        for r in Role::ALL {
            assert_eq!(role_of(sender_type(*r)), *r);
        }
    }
}
