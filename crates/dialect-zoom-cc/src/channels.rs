//! Zoom's channel vocabulary against the canonical one.
//!
//! Zoom has four channels (`voice`, `video`, `messaging`, `email`) with nine sources, a
//! deprecated flat list (`channel_types`: `voice`, `sms`, `chat`, `video`, `kiosk`,
//! `in_app_chat`, `in_app_video`) and, for notes, a third one (`voice`, `sms`, `chat`,
//! `video`, `email`). The canonical model keeps a channel type and a free source.

use interlog_model::{Channel, ChannelType};

pub const VIDEO_SOURCES: [&str; 3] = ["in_app_video", "kiosk_video", "web_video"];
pub const MESSAGING_SOURCES: [&str; 5] = [
    "web_chat",
    "in_app_chat",
    "sms",
    "facebook_messenger",
    "whatsapp",
];
pub const EMAIL_SOURCE: &str = "email_address";
/// Every source Zoom lists, in its order.
pub const SOURCES: [&str; 9] = [
    "in_app_video",
    "kiosk_video",
    "web_video",
    "web_chat",
    "in_app_chat",
    "sms",
    "facebook_messenger",
    "whatsapp",
    "email_address",
];
pub const CHANNELS: [&str; 4] = ["voice", "video", "messaging", "email"];
pub const LEGACY_TYPES: [&str; 7] = [
    "voice",
    "sms",
    "chat",
    "video",
    "kiosk",
    "in_app_chat",
    "in_app_video",
];

/// A canonical channel as Zoom shows it: its channel, and its source when Zoom has a word
/// for it.
pub fn zoom_channel(
    kind: ChannelType,
    src: Option<&str>,
) -> Option<(&'static str, Option<&'static str>)> {
    let pick = |list: &[&'static str]| list.iter().copied().find(|s| Some(*s) == src);
    Some(match kind {
        ChannelType::Voice => ("voice", None),
        ChannelType::Video => ("video", pick(&VIDEO_SOURCES)),
        ChannelType::Kiosk => ("video", Some("kiosk_video")),
        ChannelType::Sms => ("messaging", Some("sms")),
        ChannelType::Chat | ChannelType::Social | ChannelType::Messaging => {
            ("messaging", pick(&MESSAGING_SOURCES))
        }
        ChannelType::Email => ("email", Some(EMAIL_SOURCE)),
        ChannelType::Workitem | ChannelType::Other => return None,
    })
}

/// The deprecated `channel_types` word of a canonical channel, when the old vocabulary has
/// one.
pub fn legacy_type(kind: ChannelType, src: Option<&str>) -> Option<&'static str> {
    let (channel, source) = zoom_channel(kind, src)?;
    match (channel, source) {
        ("voice", _) => Some("voice"),
        ("video", Some("in_app_video")) => Some("in_app_video"),
        ("video", Some("kiosk_video")) => Some("kiosk"),
        ("video", _) => Some("video"),
        ("messaging", Some("sms")) => Some("sms"),
        ("messaging", Some("in_app_chat")) => Some("in_app_chat"),
        ("messaging", Some("web_chat")) => Some("chat"),
        ("messaging", None) if kind == ChannelType::Chat => Some("chat"),
        _ => None,
    }
}

/// The notes endpoints' channel word of a canonical channel.
pub fn note_channel(kind: ChannelType) -> Option<&'static str> {
    match kind {
        ChannelType::Voice => Some("voice"),
        ChannelType::Video | ChannelType::Kiosk => Some("video"),
        ChannelType::Sms => Some("sms"),
        ChannelType::Chat | ChannelType::Social | ChannelType::Messaging => Some("chat"),
        ChannelType::Email => Some("email"),
        ChannelType::Workitem | ChannelType::Other => None,
    }
}

/// The canonical types a `channel` filter value covers.
pub fn kinds_of_channel(channel: &str) -> Option<Vec<ChannelType>> {
    Some(match channel {
        "voice" => vec![ChannelType::Voice],
        "video" => vec![ChannelType::Video, ChannelType::Kiosk],
        "messaging" => vec![
            ChannelType::Chat,
            ChannelType::Sms,
            ChannelType::Social,
            ChannelType::Messaging,
        ],
        "email" => vec![ChannelType::Email],
        _ => return None,
    })
}

/// What a deprecated `channel_types` value selects: a canonical type, or a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacySelect {
    Kind(ChannelType),
    Source(&'static str, ChannelType),
}

pub fn legacy_select(word: &str) -> Option<LegacySelect> {
    Some(match word {
        "voice" => LegacySelect::Kind(ChannelType::Voice),
        "sms" => LegacySelect::Kind(ChannelType::Sms),
        "chat" => LegacySelect::Kind(ChannelType::Chat),
        "video" => LegacySelect::Kind(ChannelType::Video),
        "kiosk" => LegacySelect::Source("kiosk_video", ChannelType::Video),
        "in_app_chat" => LegacySelect::Source("in_app_chat", ChannelType::Chat),
        "in_app_video" => LegacySelect::Source("in_app_video", ChannelType::Video),
        _ => return None,
    })
}

/// A Zoom channel and source as a canonical channel (ingest).
pub fn canonical(channel: &str, source: Option<&str>) -> Channel {
    let kind = match (channel, source) {
        ("voice", _) => ChannelType::Voice,
        ("video", _) => ChannelType::Video,
        ("messaging", Some("sms")) => ChannelType::Sms,
        ("messaging", Some("web_chat" | "in_app_chat")) => ChannelType::Chat,
        ("messaging", _) => ChannelType::Messaging,
        ("email", _) => ChannelType::Email,
        _ => ChannelType::Other,
    };
    Channel {
        kind,
        id: None,
        source: source.map(str::to_owned),
        media: None,
    }
}

/// A deprecated `channel_types` word as a canonical channel (ingest of records that only
/// have the old list).
pub fn canonical_legacy(word: &str) -> Channel {
    let (kind, source) = match word {
        "voice" => (ChannelType::Voice, None),
        "sms" => (ChannelType::Sms, Some("sms")),
        "chat" => (ChannelType::Chat, None),
        "in_app_chat" => (ChannelType::Chat, Some("in_app_chat")),
        "video" => (ChannelType::Video, None),
        "in_app_video" => (ChannelType::Video, Some("in_app_video")),
        "kiosk" => (ChannelType::Video, Some("kiosk_video")),
        _ => (ChannelType::Other, None),
    };
    Channel {
        kind,
        id: None,
        source: source.map(str::to_owned),
        media: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_channels_round_trip_through_the_canonical_model() {
        for channel in CHANNELS {
            let sources: &[&str] = match channel {
                "video" => &VIDEO_SOURCES,
                "messaging" => &MESSAGING_SOURCES,
                "email" => &[EMAIL_SOURCE],
                _ => &[],
            };
            for s in sources {
                let c = canonical(channel, Some(s));
                assert_eq!(
                    zoom_channel(c.kind, c.source.as_deref()),
                    Some((channel, Some(*s))),
                    "{channel}/{s}"
                );
            }
        }
        assert_eq!(
            zoom_channel(ChannelType::Voice, None),
            Some(("voice", None))
        );
        for word in LEGACY_TYPES {
            let c = canonical_legacy(word);
            assert_eq!(
                legacy_type(c.kind, c.source.as_deref()),
                Some(word),
                "{word}"
            );
        }
    }
}
