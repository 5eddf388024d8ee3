//! What an engagement leaves besides its row and its search terms: every table derived
//! from engagements (a search index, analytics rows…) removes the engagement's rows in
//! [`forget`], which every deletion calls (deletes, retention, erasure) inside its write
//! transaction, so an erased engagement leaves nothing behind in the same commit.
//! Search terms are removed by the caller, and term values no longer referred to when the
//! transaction ends ([`crate::interner::Interner::prune`]).

use crate::rows::TenantCtx;
use crate::writer::Tx;
use interlog_store::Result;

/// Removes the rows derived from the engagement (row `seq`, id `id`) being deleted.
pub(crate) fn forget(_tx: &Tx<'_>, _tenant: &TenantCtx, _seq: i64, _id: &str) -> Result<()> {
    // No derived table yet beyond search terms; each one added deletes its rows here.
    Ok(())
}
