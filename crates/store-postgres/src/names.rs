//! The names table (`engagement_names`, see [`interlog_store::names`]): changed in each
//! write's transaction from what it recorded in a [`NameChanges`], and read for suggestions
//! and for names in the listing's filters.

use crate::error::db;
use deadpool_postgres::GenericClient;
use interlog_store::names::{fold, KnownName, NameChanges, NameKind};
use interlog_store::Result;
use tokio_postgres::Transaction;

/// The changed rows, a column each (the statements `unnest` them).
#[derive(Default)]
struct Columns<'a> {
    tenant: Vec<i64>,
    kind: Vec<i16>,
    id: Vec<&'a str>,
    name: Vec<&'a str>,
    folded: Vec<String>,
    n: Vec<i64>,
    last_seen: Vec<i64>,
}

/// Writes what `changes` recorded, inside the transaction that made them.
pub(crate) async fn apply(tx: &Transaction<'_>, changes: &NameChanges) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut cols = Columns::default();
    for (tenant, name, folded, dn, started) in changes.rows() {
        cols.tenant.push(tenant);
        cols.kind.push(name.kind.code());
        cols.id.push(&name.id);
        cols.name.push(&name.name);
        cols.folded.push(folded);
        cols.n.push(dn);
        cols.last_seen.push(started);
    }
    tx.execute(
        "INSERT INTO engagement_names AS t (tenant_id, kind, id, name, folded, n, last_seen)
         SELECT * FROM unnest($1::int8[], $2::int2[], $3::text[], $4::text[], $5::text[],
                              $6::int8[], $7::int8[])
         ON CONFLICT (tenant_id, kind, id, name) DO UPDATE
         SET n = t.n + excluded.n, last_seen = greatest(t.last_seen, excluded.last_seen)",
        &[
            &cols.tenant,
            &cols.kind,
            &cols.id,
            &cols.name,
            &cols.folded,
            &cols.n,
            &cols.last_seen,
        ],
    )
    .await
    .map_err(db("write names"))?;
    if changes.has_removals() {
        tx.execute(
            "DELETE FROM engagement_names t
             USING unnest($1::int8[], $2::int2[], $3::text[], $4::text[]) AS c(tenant_id, kind, id, name)
             WHERE t.tenant_id = c.tenant_id AND t.kind = c.kind AND t.id = c.id
               AND t.name = c.name AND t.n <= 0",
            &[&cols.tenant, &cols.kind, &cols.id, &cols.name],
        )
        .await
        .map_err(db("remove unused names"))?;
    }
    Ok(())
}

fn known(r: &tokio_postgres::Row) -> KnownName {
    let kind: i16 = r.get(0);
    KnownName::stored(kind.into(), r.get(1), r.get(2), r.get(3), r.get(4))
}

/// Names of `kind` one of whose words starts with `prefix` (folded), most mentioned first.
pub(crate) async fn suggest(
    client: &impl GenericClient,
    tenant: i64,
    kind: NameKind,
    prefix: &str,
    limit: u32,
) -> Result<Vec<KnownName>> {
    // The folded form holds letters, digits and spaces only: no LIKE wildcard can be in it.
    let prefix = fold(prefix);
    let rows = client
        .query(
            "SELECT kind, id, name, n, last_seen FROM engagement_names
             WHERE tenant_id = $1 AND kind = $2
               AND (folded LIKE $3 || '%' OR folded LIKE '% ' || $3 || '%')
             ORDER BY n DESC, name, id LIMIT $4",
            &[&tenant, &kind.code(), &prefix, &i64::from(limit)],
        )
        .await
        .map_err(db("suggest names"))?;
    Ok(rows.iter().map(known).collect())
}

/// The ids of `kind` named one of `names` (folded equal).
pub(crate) async fn ids_named(
    client: &impl GenericClient,
    tenant: i64,
    kind: NameKind,
    names: &[String],
) -> Result<Vec<String>> {
    let folded: Vec<String> = names
        .iter()
        .map(|n| fold(n))
        .filter(|f| !f.is_empty())
        .collect();
    if folded.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT DISTINCT id FROM engagement_names
             WHERE tenant_id = $1 AND kind = $2 AND folded = ANY($3) ORDER BY id",
            &[&tenant, &kind.code(), &folded],
        )
        .await
        .map_err(db("find ids by name"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The customer phone numbers whose digits end with `digits`.
pub(crate) async fn phones_ending(
    client: &impl GenericClient,
    tenant: i64,
    digits: &str,
    limit: u32,
) -> Result<Vec<String>> {
    // Digits last first: the number's end is a prefix, a range of the index (':' sorts
    // right after '9').
    let start: String = digits.chars().rev().collect();
    let rows = client
        .query(
            "SELECT id FROM engagement_names
             WHERE tenant_id = $1 AND kind = $2 AND folded >= $3 AND folded < $3 || ':'
             ORDER BY folded, id LIMIT $4",
            &[&tenant, &NameKind::Phone.code(), &start, &i64::from(limit)],
        )
        .await
        .map_err(db("find phones by their last digits"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Migration 7: the names of every stored engagement.
pub(crate) async fn backfill(tx: &Transaction<'_>) -> Result<()> {
    const CHUNK: i64 = 1_000;
    let mut changes = NameChanges::default();
    let mut after: (i64, String) = (i64::MIN, String::new());
    loop {
        let chunk = tx
            .query(
                "SELECT e.tenant_id, e.id, e.started, e.body, t.country_code
                 FROM engagements e JOIN tenants t ON t.id = e.tenant_id
                 WHERE (e.tenant_id, e.id) > ($1, $2) ORDER BY e.tenant_id, e.id LIMIT $3",
                &[&after.0, &after.1, &CHUNK],
            )
            .await
            .map_err(db("read engagements for their names"))?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = (last.get(0), last.get(1));
        for r in &chunk {
            let e = crate::rows::decode(r.get(3))?;
            let country: Option<&str> = r.get(4);
            let names = interlog_store::names::names_of(&e, country);
            changes.add(r.get(0), r.get(2), &names);
        }
    }
    apply(tx, &changes).await
}
