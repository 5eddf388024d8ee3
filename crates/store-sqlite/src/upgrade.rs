//! The Rust part of migrations: what SQL alone cannot do.

use crate::interner::Interner;
use interlog_model::Engagement;
use interlog_store::codec;
use interlog_store::terms::terms_by_value;
use rusqlite::{params, Transaction};
use std::collections::HashMap;

/// Rows read at a time.
const CHUNK: i64 = 1_000;

/// Migration 7: every body re-encoded into the compact form (the stored JSON text itself, so
/// it reads back byte for byte), and the search terms (whose table the SQL part made anew)
/// written again from the bodies.
pub(crate) fn compact_form(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let countries: HashMap<i64, Option<String>> = tx
        .prepare("SELECT id, country_code FROM tenants")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut interner = Interner::for_migration();
    let mut after = i64::MIN;
    loop {
        let chunk: Vec<(i64, i64, i64, String)> = tx
            .prepare_cached(
                "SELECT seq, tenant_id, started, body FROM engagements
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?
            .query_map(params![after, CHUNK], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = last.0;
        let mut entries = Vec::new();
        for (seq, tenant, started, json) in chunk {
            let e: Engagement = serde_json::from_str(&json)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            let country = countries.get(&tenant).cloned().flatten();
            for (value, kinds) in terms_by_value(&e, country.as_deref()) {
                let id = interner
                    .intern(tx, tenant, &value)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                entries.push((tenant, id, started, seq, kinds.0));
            }
            tx.prepare_cached("UPDATE engagements SET body = ?2 WHERE seq = ?1")?
                .execute(params![seq, codec::encode(&json)])?;
        }
        entries.sort_unstable();
        crate::rows::insert_terms(tx, &entries)?;
    }
    interner
        .flush(tx)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    interner.end(true);
    Ok(())
}

/// Migration 8: the facts of every stored engagement written into `figures` (whose tables
/// the SQL part made), as a write of it would have.
pub(crate) fn figures(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut keys = crate::figures::keys::FigureKeys::default();
    let mut after = i64::MIN;
    let failed =
        |e: interlog_store::StoreError| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
    loop {
        let chunk: Vec<(i64, i64, i64, Vec<u8>)> = tx
            .prepare_cached(
                "SELECT seq, tenant_id, started, body FROM engagements
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?
            .query_map(params![after, CHUNK], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    crate::rows::body_bytes(r.get_ref(3)?)?.to_vec(),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = last.0;
        for (seq, tenant, started, body) in chunk {
            let json = crate::rows::decode(&body).map_err(failed)?;
            let e: Engagement = serde_json::from_str(&json)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            let facts = interlog_store::analytics::Facts::of(&e);
            crate::figures::insert_facts(tx, &mut keys, tenant, started, seq, Some(&facts))
                .map_err(failed)?;
        }
    }
    Ok(())
}

/// Migration 14: the words of every stored engagement written into `engagement_words`
/// (which the SQL part made anew), under its tenant, as a write of it would have.
pub(crate) fn words(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let failed =
        |e: interlog_store::StoreError| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
    let mut after = i64::MIN;
    loop {
        let chunk: Vec<(i64, i64, Vec<u8>)> = tx
            .prepare_cached(
                "SELECT seq, tenant_id, body FROM engagements WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?
            .query_map(params![after, CHUNK], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    crate::rows::body_bytes(r.get_ref(2)?)?.to_vec(),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = last.0;
        for (seq, tenant, body) in chunk {
            let json = crate::rows::decode(&body).map_err(failed)?;
            let e: Engagement = serde_json::from_str(&json)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            crate::words::write_now(tx, seq, &crate::words::text(tenant, &e)).map_err(failed)?;
        }
    }
    Ok(())
}

/// Migration 13: the names of every stored engagement counted into `engagement_names`
/// (which the SQL part made).
pub(crate) fn names(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    crate::names::backfill(tx).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Migration 15: the `queue_visits` rows (whose table the SQL part made) of every
/// engagement's stored facts.
pub(crate) fn queue_visits(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    crate::figures::index_visits(tx)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}
