//! What one engagement contributes to the figures, by the definitions every backend counts
//! with (the README's "Analytics" section says them in words):
//!
//! - each queue visit is one offer; a visit with `accepted_at` was answered after waiting
//!   `accepted_at − queued_at`; an unanswered visit of a completed engagement was abandoned
//!   after waiting (engagement end − `queued_at`); any other visit is still waiting;
//! - the engagement's handling (talk, hold and wrap-up; handled when it has `talk_ms`) and
//!   whether it was transferred belong to the visit answered last, or, when no visit was
//!   answered, to a row of the engagement's own with no queue.
//!
//! Backends store these facts (as rows or in a compact form) in the engagement's write
//! transaction and add them up by bucket and group; computing them here keeps every backend
//! counting the same way.

use interlog_model::{
    ChannelType, Direction, Engagement, Participant, Role, SourcePlatform, State,
};

/// A dimension value and the name it was written with (`queue_name`, an agent's display
/// name, a disposition's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub key: String,
    pub name: Option<String>,
}

/// Where a queue visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStatus {
    /// Not answered, and the engagement has not ended: no wait is counted yet.
    Waiting,
    Answered,
    Abandoned,
}

impl VisitStatus {
    /// The number backends store for the status.
    pub const fn code(self) -> i64 {
        match self {
            VisitStatus::Waiting => 0,
            VisitStatus::Answered => 1,
            VisitStatus::Abandoned => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<VisitStatus> {
        match code {
            0 => Some(VisitStatus::Waiting),
            1 => Some(VisitStatus::Answered),
            2 => Some(VisitStatus::Abandoned),
            _ => None,
        }
    }
}

/// One visit of the engagement to a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFact {
    pub queue: Named,
    /// The agent that accepted it (for the visit that carries the handling, the
    /// engagement's agent when the visit names none).
    pub agent: Option<Named>,
    pub status: VisitStatus,
    /// Milliseconds waited (answered or abandoned visits; 0 while waiting). Never negative:
    /// times out of order count as no wait.
    pub wait_ms: u64,
}

/// The engagement's handling: what AHT and the transfer count are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Handling {
    /// It has `talk_ms`.
    pub handled: bool,
    /// Talk, hold and wrap-up of a handled engagement (absent parts 0; all 0 when not
    /// handled).
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_up_ms: u64,
    /// It has at least one transfer.
    pub transferred: bool,
}

impl Handling {
    /// Whether it adds anything to a figure.
    pub fn counts(&self) -> bool {
        self.handled || self.transferred
    }
}

/// Everything an engagement contributes to the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub team: Option<String>,
    /// The type of its first channel.
    pub channel_type: Option<ChannelType>,
    pub direction: Option<Direction>,
    pub source: Option<SourcePlatform>,
    /// Its first disposition: the id, or the name when it has no id.
    pub disposition: Option<Named>,
    /// The engagement's agent: the one of the visit answered last, else the owning agent
    /// participant, else the first agent participant.
    pub agent: Option<Named>,
    pub visits: Vec<VisitFact>,
    pub handling: Handling,
    /// The visit that carries the handling: the last answered one. `None`: a row of the
    /// engagement's own (no queue, the engagement's agent) carries it.
    pub carrier: Option<usize>,
}

/// One row of facts, as backends count them: a visit, or the engagement's own row.
#[derive(Debug, Clone, Copy)]
pub struct FactRow<'a> {
    pub queue: Option<&'a Named>,
    pub agent: Option<&'a Named>,
    /// The visit's status and wait; `None` on the engagement's own row.
    pub visit: Option<(VisitStatus, u64)>,
    /// The engagement's handling, on the one row that carries it.
    pub handling: Option<&'a Handling>,
}

fn ms(t: interlog_model::Timestamp) -> i64 {
    t.as_millisecond()
}

/// An agent participant as a dimension value: its id, else its email.
fn agent_of(p: &Participant) -> Option<Named> {
    let key = p.id.clone().or_else(|| p.email.clone())?;
    Some(Named {
        key,
        name: p.name(),
    })
}

/// The agent with this id, named as its participant is.
fn agent_by_id(e: &Engagement, id: &str) -> Named {
    let name = e
        .participants
        .iter()
        .find(|p| p.role == Role::Agent && p.id.as_deref() == Some(id))
        .and_then(Participant::name);
    Named {
        key: id.to_owned(),
        name,
    }
}

impl Facts {
    /// The facts of `e` (normalized or not: derived values are used as the store derives
    /// them).
    pub fn of(e: &Engagement) -> Facts {
        let started = ms(e.started_at);
        let completed = e.effective_state() == State::Completed;
        // Where the engagement ended; unknown counts as no wait after the queue.
        let end = e.ended_at.map(ms).or_else(|| {
            e.effective_duration_ms()
                .and_then(|d| i64::try_from(d).ok())
                .map(|d| started.saturating_add(d))
        });
        let mut visits: Vec<VisitFact> = e
            .queues
            .iter()
            .map(|q| {
                // A visit without `queued_at` queued when the engagement started.
                let queued = q.queued_at.map_or(started, ms);
                let since = |t: i64| u64::try_from(t.saturating_sub(queued)).unwrap_or(0);
                let (status, wait_ms) = match q.accepted_at {
                    Some(at) => (VisitStatus::Answered, since(ms(at))),
                    None if completed => (VisitStatus::Abandoned, since(end.unwrap_or(queued))),
                    None => (VisitStatus::Waiting, 0),
                };
                VisitFact {
                    queue: Named {
                        key: q.id.clone(),
                        name: q.name.clone(),
                    },
                    agent: q.agent_id.as_deref().map(|id| agent_by_id(e, id)),
                    status,
                    wait_ms,
                }
            })
            .collect();
        let carrier = visits
            .iter()
            .rposition(|v| v.status == VisitStatus::Answered);
        let agent = carrier.and_then(|i| visits[i].agent.clone()).or_else(|| {
            e.agents()
                .find(|p| p.owner)
                .or_else(|| e.agents().next())
                .and_then(agent_of)
        });
        if let Some(i) = carrier {
            if visits[i].agent.is_none() {
                visits[i].agent = agent.clone();
            }
        }
        let t = &e.timings;
        let handled = t.talk_ms.is_some();
        let part = |v: Option<u64>| if handled { v.unwrap_or(0) } else { 0 };
        Facts {
            team: e.team.clone(),
            channel_type: e.channels.first().map(|c| c.kind),
            direction: e.direction,
            source: e.source,
            disposition: e.dispositions.first().and_then(|d| {
                let key = d.id.clone().or_else(|| d.name.clone())?;
                Some(Named {
                    key,
                    name: d.name.clone(),
                })
            }),
            agent,
            visits,
            handling: Handling {
                handled,
                talk_ms: part(t.talk_ms),
                hold_ms: part(t.hold_ms),
                wrap_up_ms: part(t.wrap_up_ms),
                transferred: !e.transfers.is_empty(),
            },
            carrier,
        }
    }

    /// Whether the engagement adds anything to a figure (a backend need not store facts
    /// that do not).
    pub fn counts(&self) -> bool {
        !self.visits.is_empty() || self.handling.counts()
    }

    /// The engagement's rows: one a visit, then its own row when the handling is not
    /// carried by a visit and adds something. A row that adds nothing is left out, so it
    /// makes no group appear.
    pub fn rows(&self) -> impl Iterator<Item = FactRow<'_>> {
        let visits = self.visits.iter().enumerate().map(|(i, v)| FactRow {
            queue: Some(&v.queue),
            agent: v.agent.as_ref(),
            visit: Some((v.status, v.wait_ms)),
            handling: (self.carrier == Some(i)).then_some(&self.handling),
        });
        let own = (self.carrier.is_none() && self.handling.counts()).then_some(FactRow {
            queue: None,
            agent: self.agent.as_ref(),
            visit: None,
            handling: Some(&self.handling),
        });
        visits.chain(own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(json: serde_json::Value) -> Engagement {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn handling_goes_to_the_visit_answered_last_and_abandons_wait_until_the_end() {
        let f = Facts::of(&e(serde_json::json!({
            "id": "x", "started_at": "2024-01-01T10:00:00Z", "ended_at": "2024-01-01T10:30:00Z",
            "queues": [
                {"id": "a", "queued_at": "2024-01-01T10:00:10Z", "accepted_at": "2024-01-01T10:00:40Z", "agent_id": "ann"},
                {"id": "b", "name": "Billing", "queued_at": "2024-01-01T10:05:00Z", "accepted_at": "2024-01-01T10:05:05Z"},
                {"id": "c", "queued_at": "2024-01-01T10:20:00Z"}
            ],
            "participants": [{"role": "agent", "id": "bob", "display_name": "Bob", "owner": true}],
            "timings": {"talk_ms": 1000, "wrap_up_ms": 50},
            "transfers": [{"type": "to_queue"}]
        })));
        assert_eq!(f.carrier, Some(1));
        assert_eq!(f.visits[0].wait_ms, 30_000);
        assert_eq!(
            f.visits[1].agent.as_ref().unwrap().key,
            "bob",
            "the owner answered b"
        );
        assert_eq!(f.visits[2].status, VisitStatus::Abandoned);
        assert_eq!(f.visits[2].wait_ms, 600_000);
        assert_eq!(
            f.handling,
            Handling {
                handled: true,
                talk_ms: 1000,
                hold_ms: 0,
                wrap_up_ms: 50,
                transferred: true
            }
        );
        let rows: Vec<_> = f.rows().collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[1].handling.is_some() && rows[0].handling.is_none());
    }

    #[test]
    fn without_an_answered_visit_the_engagement_has_a_row_of_its_own_if_it_counts() {
        let handled = Facts::of(&e(serde_json::json!({
            "id": "x", "started_at": "2024-01-01T10:00:00Z", "state": "active",
            "queues": [{"id": "a"}],
            "timings": {"talk_ms": 5, "hold_ms": 7},
        })));
        assert_eq!(handled.visits[0].status, VisitStatus::Waiting);
        let rows: Vec<_> = handled.rows().collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[1].queue.is_none() && rows[1].handling.unwrap().hold_ms == 7);
        let nothing = Facts::of(&e(serde_json::json!({
            "id": "y", "started_at": "2024-01-01T10:00:00Z", "timings": {"wrap_up_ms": 9}
        })));
        assert!(!nothing.counts());
        assert_eq!(nothing.rows().count(), 0);
    }
}
