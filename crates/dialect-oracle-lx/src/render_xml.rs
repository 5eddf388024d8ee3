//! `engagementListV1` as XML: no namespace, one `<engagements>` element per engagement,
//! `<users>` and `<recordings>` repeated inside without a wrapper, elements in the order of
//! Oracle's examples, absent fields left out. Dates are `xs:dateTime` in UTC with
//! milliseconds (`2024-03-01T09:30:00.000Z`), the type the XML schema declares.

use crate::view::{EngagementV1, Recording, User};
use crate::xml::{push_element, push_text, DECLARATION};
use interlog_model::Timestamp;
use std::fmt::Write;

/// A date as Oracle's XML carries it.
pub fn date(t: Timestamp) -> String {
    format!("{t:.3}")
}

fn opt_date(out: &mut String, name: &str, v: Option<Timestamp>) {
    if let Some(t) = v {
        let _ = write!(out, "<{name}>{t:.3}</{name}>");
    }
}

fn opt(out: &mut String, name: &str, v: Option<&str>) {
    if let Some(v) = v {
        push_element(out, name, v);
    }
}

fn opt_num(out: &mut String, name: &str, v: Option<u64>) {
    if let Some(v) = v {
        let _ = write!(out, "<{name}>{v}</{name}>");
    }
}

fn user(out: &mut String, u: &User<'_>) {
    out.push_str("<users>");
    opt(out, "uri", u.uri.as_deref());
    opt(out, "association", Some(u.association.as_str()));
    out.push_str("</users>");
}

fn recording(out: &mut String, r: &Recording<'_>) {
    out.push_str("<recordings>");
    opt(out, "uri", r.uri.as_deref());
    opt(out, "user", r.user.as_deref());
    opt_date(out, "created", r.created);
    opt_num(out, "duration", r.duration);
    opt_num(out, "size", r.size);
    opt(out, "contents", r.contents.map(|c| c.as_str()));
    out.push_str("</recordings>");
}

/// Appends the children of one engagement element (named by the caller).
pub fn engagement_fields(out: &mut String, e: &EngagementV1<'_>) {
    opt_date(out, "startDate", Some(e.start_date));
    opt_date(out, "endDate", e.end_date);
    out.push_str("<id>");
    push_text(out, &e.id);
    out.push_str("</id>");
    opt_num(out, "duration", e.duration);
    opt(out, "contents", e.contents.map(|c| c.as_str()));
    opt(out, "context", e.context.as_deref());
    for u in &e.users {
        user(out, u);
    }
    for r in &e.recordings {
        recording(out, r);
    }
    opt(out, "releaseState", e.release_state);
    opt(out, "status", e.status);
    opt_num(out, "pendingTime", e.pending_time);
    opt(out, "assignedTeam", e.assigned_team.as_deref());
    out.push_str(if e.associate_initiated {
        "<associateInitiated>true</associateInitiated>"
    } else {
        "<associateInitiated>false</associateInitiated>"
    });
    opt(out, "reason", e.reason.as_deref());
}

/// Appends one `<engagements>` element of a list.
pub fn engagement(out: &mut String, e: &EngagementV1<'_>) {
    out.push_str("<engagements>");
    engagement_fields(out, e);
    out.push_str("</engagements>");
}

/// Starts an `engagementListV1`; [`engagement`] elements follow, then [`end_list`].
pub fn start_list(out: &mut String, has_more: bool) {
    out.push_str(DECLARATION);
    out.push_str(if has_more {
        "<engagementListV1><hasMore>true</hasMore>"
    } else {
        "<engagementListV1><hasMore>false</hasMore>"
    });
}

pub fn end_list(out: &mut String) {
    out.push_str("</engagementListV1>");
}

/// The count resource's body.
pub fn count(n: u64) -> String {
    format!("{DECLARATION}<countV1><count>{n}</count></countV1>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_date_times_with_milliseconds() {
        let t: Timestamp = "2024-03-01T09:30:00.5+02:00".parse().unwrap();
        assert_eq!(date(t), "2024-03-01T07:30:00.500Z");
        assert_eq!(
            date(Timestamp::from_millisecond(0).unwrap()),
            "1970-01-01T00:00:00.000Z"
        );
    }
}
