//! Zoom's scopes and rate-limit labels, per operation.

use interlog_store::ClientRole;

/// Zoom's rate-limit label of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    Light,
    Medium,
    Heavy,
}

impl Label {
    /// The value of `X-RateLimit-Category`.
    pub const fn category(self) -> &'static str {
        match self {
            Label::Light => "Light",
            Label::Medium => "Medium",
            Label::Heavy => "Heavy",
        }
    }
}

/// An operation of the dialect, as a type (see [`op`]).
pub trait Operation: Send + Sync + 'static {
    const OP: Op;
}

/// Declares the operations once: the [`Op`] enum, [`Op::ALL`], and in [`op`] one type per
/// operation for the [`crate::auth::ZoomCaller`] a handler takes.
macro_rules! operations {
    ($($name:ident),* $(,)?) => {
        /// Every operation of the dialect.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Op {
            $($name),*
        }

        impl Op {
            pub const ALL: [Op; [$(Op::$name),*].len()] = [$(Op::$name),*];
        }

        /// Each operation as a type.
        pub mod op {
            use super::Op;
            use super::Operation;
            $(
                #[doc = concat!("[`Op::", stringify!($name), "`]")]
                pub struct $name;
                impl Operation for $name {
                    const OP: Op = Op::$name;
                }
            )*
        }
    };
}

operations!(
    ListEngagements,
    GetEngagement,
    GetEvents,
    ListRecordings,
    DeleteRecordings,
    RecordingStatus,
    RecordingControl,
    GetSurvey,
    ListAllNotes,
    ListNotes,
    GetNote,
    UpdateNote,
);

/// The older classic scope of the seed's list page; Zoom's current classic scope for the
/// same reads is `contact_center_report:read:admin`.
const ENGAGEMENT_READ: &str = "contact_center_engagement:read:admin";
const REPORT_READ: &str = "contact_center_report:read:admin";

impl Op {
    pub const fn label(self) -> Label {
        match self {
            Op::ListEngagements | Op::ListRecordings | Op::ListAllNotes | Op::ListNotes => {
                Label::Medium
            }
            _ => Label::Light,
        }
    }

    /// The scopes that each allow the operation: the classic and granular scopes Zoom lists,
    /// and for engagement reads also the seed's older classic scope.
    pub const fn scopes(self) -> &'static [&'static str] {
        match self {
            Op::ListEngagements => &[
                REPORT_READ,
                "contact_center:read:list_engagements:admin",
                ENGAGEMENT_READ,
            ],
            Op::GetEngagement | Op::GetEvents => &[
                REPORT_READ,
                "contact_center:read:engagement:admin",
                ENGAGEMENT_READ,
            ],
            Op::ListRecordings => &[
                "contact_center_recording:read:admin",
                "contact_center:read:list_recordings:admin",
            ],
            Op::DeleteRecordings => &[
                "contact_center_recording:write:admin",
                "contact_center:delete:recording:admin",
            ],
            Op::RecordingStatus => &[
                ENGAGEMENT_READ,
                "contact_center:read:engagement_recording_status:admin",
            ],
            Op::RecordingControl => &[
                "contact_center_engagement:write:admin",
                "contact_center:update:engagement_recording_control:admin",
            ],
            Op::GetSurvey => &[ENGAGEMENT_READ, "contact_center:read:engagement:admin"],
            Op::ListAllNotes | Op::ListNotes => &[
                "contact_center_note:read:admin",
                "contact_center:read:list_notes:admin",
            ],
            Op::GetNote => &[
                "contact_center_note:read:admin",
                "contact_center:read:note:admin",
            ],
            Op::UpdateNote => &["contact_center_note:write", "contact_center:update:note"],
        }
    }

    /// The least role a client needs to be granted this operation's scopes: reads need
    /// reader, changes need agent, deleting recordings needs admin (as the native API's
    /// deletes do).
    pub const fn role(self) -> ClientRole {
        match self {
            Op::UpdateNote | Op::RecordingControl => ClientRole::Agent,
            Op::DeleteRecordings => ClientRole::Admin,
            _ => ClientRole::Reader,
        }
    }
}

/// Whether `scope` is one of Zoom's Contact Center scopes this dialect knows.
pub fn is_zoom_scope(scope: &str) -> bool {
    Op::ALL.iter().any(|op| op.scopes().contains(&scope))
}

/// The least role any operation allowing `scope` needs.
fn scope_role(scope: &str) -> ClientRole {
    Op::ALL
        .iter()
        .filter(|op| op.scopes().contains(&scope))
        .map(|op| op.role())
        .min()
        .unwrap_or(ClientRole::Admin)
}

/// The Zoom scopes a token for this client carries: exactly the client's configured scopes
/// that are Zoom scopes its role allows. Configured scopes that are not Zoom's are not
/// granted, so a client configured only with other scopes gets none (and 4700 on every
/// call). Only a client configured with no scopes at all gets every scope its role allows,
/// so that plain Interlog clients work with Zoom integrations without extra setup.
pub fn granted(client_scopes: &[String], role: ClientRole) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if is_zoom_scope(s) && role.allows(scope_role(s)) && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    };
    if client_scopes.is_empty() {
        for op in Op::ALL {
            for s in op.scopes() {
                push(s);
            }
        }
    } else {
        for s in client_scopes {
            push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_bound_the_scopes_a_client_is_granted() {
        let reader = granted(&[], ClientRole::Reader);
        assert!(reader.iter().any(|s| s == REPORT_READ));
        assert!(!reader.iter().any(|s| s == "contact_center_note:write"));
        let agent = granted(&[], ClientRole::Agent);
        assert!(agent.iter().any(|s| s == "contact_center_note:write"));
        assert!(!agent
            .iter()
            .any(|s| s == "contact_center_recording:write:admin"));
        let admin = granted(&[], ClientRole::Admin);
        assert!(admin
            .iter()
            .any(|s| s == "contact_center_recording:write:admin"));
        // Configured scopes are taken as they are: none of Zoom's means none granted.
        assert!(granted(&["read".into()], ClientRole::Admin).is_empty());
        let only = granted(
            &[
                "contact_center_note:read:admin".into(),
                "contact_center_note:write".into(),
            ],
            ClientRole::Reader,
        );
        assert_eq!(only, ["contact_center_note:read:admin"]);
    }

    #[test]
    fn labels_follow_zoom() {
        assert_eq!(Op::ListEngagements.label(), Label::Medium);
        assert_eq!(Op::GetEngagement.label(), Label::Light);
        assert_eq!(Op::ListNotes.label(), Label::Medium);
        assert_eq!(Op::UpdateNote.label(), Label::Light);
    }
}
