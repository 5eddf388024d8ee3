//! Closed vocabularies of the canonical model. Each enum serializes as the snake_case
//! word shown in its variant docs, and parses only those words: an unknown value is a
//! validation error naming the field and the accepted values.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a string enum with its wire names, `FromStr`, `Display` and the list of
/// accepted values (used in error messages).
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            /// Every accepted wire value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire word for this value.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// The accepted words joined for an error message.
            pub fn accepted() -> String {
                [$($word),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownValue { value: s.to_owned(), accepted: Self::accepted() }),
                }
            }
        }
    };
}

/// A word that is not one of an enum's accepted values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?}; accepted: {accepted}")]
pub struct UnknownValue {
    pub value: String,
    pub accepted: String,
}

word_enum! {
    /// Where the engagement is in its lifecycle.
    State {
        Created = "created",
        Queued = "queued",
        Active = "active",
        Held = "held",
        Pending = "pending",
        Completed = "completed",
    }
}

word_enum! {
    /// Whether the engagement achieved its purpose.
    Outcome { Successful = "successful", Unsuccessful = "unsuccessful" }
}

word_enum! {
    /// Whether the engagement was answered (connected) or only attempted.
    Release { Connected = "connected", Attempted = "attempted" }
}

word_enum! {
    /// Who started the engagement, relative to the contact center.
    Direction {
        Inbound = "inbound",
        Outbound = "outbound",
        Internal = "internal",
        Consult = "consult",
        Unknown = "unknown",
    }
}

word_enum! {
    /// The kind of channel an engagement used.
    ChannelType {
        Voice = "voice",
        Video = "video",
        Chat = "chat",
        Sms = "sms",
        Email = "email",
        Social = "social",
        Messaging = "messaging",
        Kiosk = "kiosk",
        Workitem = "workitem",
        Other = "other",
    }
}

word_enum! {
    /// The media carried by a channel or a recording.
    Media { Audio = "audio", AudioVideo = "audio_video", Video = "video", Text = "text" }
}

word_enum! {
    /// A participant's part in the engagement.
    Role {
        Customer = "customer",
        Agent = "agent",
        Supervisor = "supervisor",
        Automation = "automation",
        Other = "other",
    }
}

word_enum! {
    /// What kind of automation an automated participant is.
    AutomationType { SelfService = "self_service", Treatment = "treatment", Chatbot = "chatbot" }
}

word_enum! {
    /// Where a transfer sent the engagement.
    TransferType {
        ToAgent = "to_agent",
        ToQueue = "to_queue",
        ToExternal = "to_external",
        ConsultToQueue = "consult_to_queue",
        ToFlow = "to_flow",
    }
}

word_enum! {
    /// Whether a transfer was announced (warm) or blind (cold).
    TransferMode { Cold = "cold", Warm = "warm" }
}

word_enum! {
    /// The platform an engagement was first recorded on.
    SourcePlatform {
        Native = "native",
        OracleLx = "oracle_lx",
        ZoomCc = "zoom_cc",
        AvayaAxp = "avaya_axp",
        GenesysGws = "genesys_gws",
        Other = "other",
    }
}

word_enum! {
    /// How a queued customer waited.
    QueueWaitType { LiveWaiting = "live_waiting", Callback = "callback" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_words_name_the_accepted_values() {
        for d in Direction::ALL {
            assert_eq!(d.as_str().parse::<Direction>().unwrap(), *d);
        }
        let err = "sideways".parse::<Direction>().unwrap_err();
        assert_eq!(err.value, "sideways");
        assert_eq!(
            err.accepted,
            "inbound, outbound, internal, consult, unknown"
        );
        assert_eq!(
            serde_json::to_string(&Media::AudioVideo).unwrap(),
            "\"audio_video\""
        );
    }
}
