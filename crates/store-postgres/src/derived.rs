//! What an engagement leaves besides its row and its search terms: every table derived
//! from engagements (a search index, analytics rows…) removes the engagements' rows in
//! [`forget`], which every deletion calls (deletes, retention, erasure) inside its
//! transaction, so an erased engagement leaves nothing behind in the same commit. Search
//! terms hold their values themselves, so no value outlives its last reference.

use crate::rows::TenantCtx;
use interlog_store::Result;
use tokio_postgres::Transaction;

/// Removes the rows derived from the engagements `ids` being deleted.
pub(crate) async fn forget(
    _tx: &Transaction<'_>,
    _tenant: &TenantCtx,
    _ids: &[&str],
) -> Result<()> {
    // No derived table yet beyond search terms; each one added deletes its rows here.
    Ok(())
}
