//! Analytics on PostgreSQL ([`interlog_store::Analytics`]): each engagement's facts as rows
//! of `figures`, written and removed with the engagement in its transaction ([`write`]),
//! added up by bucket (`width_bucket`) and group in one `GROUP BY` ([`read`]).

mod read;
mod write;

pub(crate) use read::figures;
pub(crate) use write::{backfill, delete, insert, FigureColumns, FigureRow};

/// What a `figure_names` row names. Stored: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum NameKind {
    Queue = 1,
    Agent = 2,
    Disposition = 4,
}
