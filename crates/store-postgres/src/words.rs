//! The full-text index (`engagement_words`, a tsvector under GIN): an engagement's words
//! written with it, removed with it (see [`crate::derived::forget`]), and matched by a
//! listing.

use crate::error::db;
use interlog_model::Engagement;
use interlog_store::search::{tsvector_literal, words};
use interlog_store::Result;
use tokio_postgres::Transaction;

/// The `tsvector` literal of `e`'s words; empty when it has none.
pub(crate) fn literal(e: &Engagement) -> String {
    tsvector_literal(&words(e))
}

/// Writes the words of these engagements (id, literal), replacing what those of them
/// `held` had (the others are new: no words to look for, though words left behind would
/// be replaced); an empty literal writes none.
pub(crate) async fn write(
    tx: &Transaction<'_>,
    tenant: i64,
    rows: &[(&str, &str)],
    held: Held<'_>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match held {
        Held::All => {
            let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
            delete(tx, tenant, &ids).await?;
        }
        Held::These(ids) if !ids.is_empty() => delete(tx, tenant, ids).await?,
        Held::These(_) => {}
    }
    let (ids, literals): (Vec<&str>, Vec<&str>) =
        rows.iter().filter(|r| !r.1.is_empty()).copied().unzip();
    if ids.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO engagement_words (tenant_id, id, words)
         SELECT $1, w.id, w.words::tsvector FROM unnest($2::text[], $3::text[]) AS w(id, words)
         ON CONFLICT (tenant_id, id) DO UPDATE SET words = EXCLUDED.words",
        &[&tenant, &ids, &literals],
    )
    .await
    .map_err(db("write words"))?;
    Ok(())
}

/// Which of the engagements being written may hold words already.
pub(crate) enum Held<'a> {
    All,
    These(&'a [&'a str]),
}

/// Removes the words of these engagements.
pub(crate) async fn delete(tx: &Transaction<'_>, tenant: i64, ids: &[&str]) -> Result<()> {
    tx.execute(
        "DELETE FROM engagement_words WHERE tenant_id = $1 AND id = ANY($2)",
        &[&tenant, &ids],
    )
    .await
    .map_err(db("delete words"))?;
    Ok(())
}

/// Migration 6: the words of every stored engagement.
pub(crate) async fn backfill(tx: &Transaction<'_>) -> Result<()> {
    const CHUNK: i64 = 1_000;
    let mut after: (i64, String) = (i64::MIN, String::new());
    loop {
        let chunk = tx
            .query(
                "SELECT tenant_id, id, body FROM engagements
                 WHERE (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT $3",
                &[&after.0, &after.1, &CHUNK],
            )
            .await
            .map_err(db("read engagements for their words"))?;
        let Some(last) = chunk.last() else {
            return Ok(());
        };
        after = (last.get(0), last.get(1));
        let mut by_tenant: std::collections::BTreeMap<i64, Vec<(String, String)>> =
            Default::default();
        for r in &chunk {
            let e = crate::rows::decode(r.get(2))?;
            by_tenant
                .entry(r.get(0))
                .or_default()
                .push((r.get(1), literal(&e)));
        }
        for (tenant, rows) in &by_tenant {
            let refs: Vec<(&str, &str)> =
                rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            write(tx, *tenant, &refs, Held::These(&[])).await?;
        }
    }
}

/// The statement selecting the ids of the engagements of the tenant bound as `tenant`
/// whose words match a tsquery bound as `query`, found by the GIN index.
pub(crate) fn matching(tenant: &str, query: &str) -> String {
    format!(
        "SELECT w.id FROM engagement_words w \
         WHERE w.tenant_id = {tenant} AND w.words @@ {query}::text::tsquery"
    )
}

/// The condition that engagement `e` holds the words of a tsquery bound as `query`, for the
/// tenant bound as `tenant`: the GIN index finds the ids, the listing joins them.
pub(crate) fn condition(tenant: &str, query: &str) -> String {
    format!(" AND e.id IN ({})", matching(tenant, query))
}

/// The condition that engagement `e` holds the words of a tsquery bound as `query`, read
/// from its own words row (by the primary key): a cost per row, for rows walked in order.
pub(crate) fn probe(query: &str) -> String {
    // OFFSET 0: a subplan per row; pulled up as a join, PostgreSQL may read every match.
    format!(
        " AND EXISTS (SELECT 1 FROM engagement_words w WHERE w.tenant_id = e.tenant_id \
         AND w.id = e.id AND w.words @@ {query}::text::tsquery OFFSET 0)"
    )
}

/// A statement counting the tenant's engagements (bound as `tenant`) whose words match a
/// tsquery bound as `query`, from the words' rows alone.
pub(crate) fn count(tenant: &str, query: &str) -> String {
    format!(
        "SELECT count(*) FROM engagement_words w \
         WHERE w.tenant_id = {tenant} AND w.words @@ {query}::text::tsquery"
    )
}
