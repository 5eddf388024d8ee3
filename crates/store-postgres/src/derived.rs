//! What an engagement leaves besides its row and its search terms: every table derived
//! from engagements (the full-text index, analytics rows…) removes the engagements' rows in
//! [`forget`], which every deletion calls (deletes, retention, erasure) inside its
//! transaction, so an erased engagement leaves nothing behind in the same commit. Search
//! terms hold their values themselves, so no value outlives its last reference.

use crate::rows::TenantCtx;
use deadpool_postgres::Transaction;
use interlog_store::names::NameChanges;
use interlog_store::Result;

/// Removes the rows derived from the engagements `ids` (started at `started_at`, in the same
/// order) being deleted, whose names `names` recorded as removed.
pub(crate) async fn forget(
    tx: &Transaction<'_>,
    tenant: &TenantCtx,
    ids: &[&str],
    started_at: &[i64],
    names: &NameChanges,
) -> Result<()> {
    crate::words::delete(tx, tenant.id, ids).await?;
    crate::names::apply(tx, names).await?;
    crate::figures::delete(tx, tenant.id, ids, started_at).await
}
