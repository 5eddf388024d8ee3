//! Analytics on PostgreSQL ([`interlog_store::Analytics`]): each engagement's facts as rows
//! of `figures`, written and removed with the engagement in its transaction ([`write`]),
//! added up by bucket (`width_bucket`) and group in one `GROUP BY` ([`read`]); a queue's
//! visits per bucket from the `figures_by_queue` index alone.

mod read;
mod write;

pub(crate) use read::{figures, queue_visits};
pub(crate) use write::{backfill, delete, insert, FigureColumns, FigureRow};

/// What a `figure_names` row names. Stored: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum NameKind {
    Queue = 1,
    Agent = 2,
    Disposition = 4,
}
