//! Analytics on SQLite ([`interlog_store::Analytics`]): each engagement's facts kept in
//! `figures` in the engagement's write transaction ([`write`]), and added up by bucket and
//! group in Rust from one ordered slice of that table ([`read`]).
//!
//! The facts are stored compactly ([`encoding`]): the values figures are grouped by are
//! numbered per tenant in `figure_keys` ([`keys`]), so a row holds a few small integers
//! and no text. Each visit is also a row of `queue_visits`, keyed by queue, status and
//! start time, which a queue's visits per bucket are counted from ([`read::queue_visits`]).

mod encoding;
pub(crate) mod keys;
mod read;
mod write;

pub(crate) use read::{figures, queue_visits};
pub(crate) use write::{delete, index_visits, insert, insert_facts, replace};

/// What a `figure_keys` row numbers. Stored: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum KeyKind {
    Queue = 1,
    Agent = 2,
    Team = 3,
    Disposition = 4,
}
