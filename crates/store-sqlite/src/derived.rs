//! What an engagement leaves besides its row and its search terms: every table derived
//! from engagements (the full-text index, analytics rows…) removes the engagement's rows in
//! [`forget`], which every deletion calls (deletes, retention, erasure) inside its write
//! transaction, so an erased engagement leaves nothing behind in the same commit.
//! Search terms are removed by the caller, and term values no longer referred to when the
//! transaction ends ([`crate::interner::Interner::prune`]).

use crate::rows::TenantCtx;
use crate::writer::Tx;
use interlog_model::Engagement;
use interlog_store::Result;

/// Removes the rows derived from the engagement `e` (row `seq`, started at `started`) being
/// deleted.
pub(crate) fn forget(
    tx: &Tx<'_>,
    tenant: &TenantCtx,
    seq: i64,
    started: i64,
    e: &Engagement,
) -> Result<()> {
    crate::words::delete(tx, seq, &crate::words::text(e))?;
    crate::figures::delete(tx, tenant.id, started, seq)
}
