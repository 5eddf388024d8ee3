//! A store made before the compact stored form upgrades in place when it is opened: every
//! engagement reads back exactly as it was stored, the filters find them as before, and the
//! change feed (whose migration runs first) holds each of them once.

use interlog_store::{ChangeKind, Changes, Directory, Engagements, Filter, Query, Store};
use interlog_store_sqlite::SqliteStore;
use std::collections::{BTreeMap, BTreeSet};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v4.db");

/// (tenant key, id) → the stored JSON, read from the old file with plain SQL.
fn old_bodies(path: &std::path::Path) -> BTreeMap<(String, String), String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4, "the fixture is a version-4 store");
    let mut stmt = conn
        .prepare(
            "SELECT t.key, e.id, e.body FROM engagements e JOIN tenants t ON t.id = e.tenant_id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// (tenant key, kind, value) → the ids the old store's search terms found.
fn old_terms(path: &std::path::Path) -> BTreeMap<(String, i64, String), BTreeSet<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT t.key, x.kind, x.value, x.id FROM terms x JOIN tenants t ON t.id = x.tenant_id",
        )
        .unwrap();
    let mut out: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    let rows = stmt
        .query_map([], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get::<_, String>(3)?))
        })
        .unwrap();
    for row in rows {
        let (k, id) = row.unwrap();
        out.entry(k).or_default().insert(id);
    }
    out
}

/// The filter that looks up one term of a kind (numbered as interlog_store::terms::TermKind).
fn filter_of(kind: i64, value: &str) -> Filter {
    let v = vec![value.to_owned()];
    match kind {
        1 => Filter {
            agents: v,
            ..Filter::default()
        },
        2 => Filter {
            participant_emails: v,
            ..Filter::default()
        },
        3 => Filter {
            queue_ids: v,
            ..Filter::default()
        },
        4 => Filter {
            customer: v,
            ..Filter::default()
        },
        5 => Filter {
            dispositions: v,
            ..Filter::default()
        },
        6 => {
            let (k, val) = value.split_once('\u{1f}').unwrap();
            Filter {
                data: vec![(k.to_owned(), val.to_owned())],
                ..Filter::default()
            }
        }
        7 => Filter {
            channel_sources: v,
            ..Filter::default()
        },
        8 => Filter {
            teams: v,
            ..Filter::default()
        },
        other => panic!("unknown term kind {other}"),
    }
}

#[tokio::test]
async fn an_old_store_upgrades_and_reads_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interlog.db");
    std::fs::copy(FIXTURE, &path).unwrap();
    let old = old_bodies(&path);
    assert_eq!(old.len(), 70);

    let store = SqliteStore::open(&path).unwrap();
    for ((tenant_key, id), json) in &old {
        let tenant = store.tenant(tenant_key).await.unwrap().unwrap();
        let got = store.get(&tenant, id).await.unwrap().expect("still there");
        assert_eq!(&got.json, json, "{tenant_key}/{id}");
    }

    // Search terms were rebuilt: each term of the old store finds exactly the engagements
    // it found there.
    let old_terms = old_terms(FIXTURE.as_ref());
    assert!(old_terms.len() > 100, "{}", old_terms.len());
    for ((tenant_key, kind, value), want) in old_terms {
        let tenant = store.tenant(&tenant_key).await.unwrap().unwrap();
        let filter = filter_of(kind, &value);
        let page = store
            .list(
                &tenant,
                &Query {
                    filter: filter.clone(),
                    limit: 1000,
                    ..Query::default()
                },
            )
            .await
            .unwrap();
        let got: BTreeSet<String> = page.items.iter().map(|i| i.id.clone()).collect();
        assert_eq!(got, want, "{tenant_key}: {filter:?}");
    }

    // The change feed holds every engagement once, as stored, at positions 1..=n of its
    // tenant, and the heads cover them; a new write continues after the head.
    let mut fed = BTreeMap::new();
    let tenants: BTreeSet<&String> = old.keys().map(|(t, _)| t).collect();
    for tenant_key in tenants {
        let tenant = store.tenant(tenant_key).await.unwrap().unwrap();
        let page = store.changes(&tenant, 0, 1000).await.unwrap();
        let positions: Vec<i64> = page.changes.iter().map(|c| c.position).collect();
        assert_eq!(
            positions,
            (1..=positions.len() as i64).collect::<Vec<_>>(),
            "{tenant_key}"
        );
        assert_eq!(page.head, positions.len() as i64, "{tenant_key}");
        for c in page.changes {
            let ChangeKind::Upsert(e) = c.kind else {
                panic!("{tenant_key}: a tombstone in an upgraded store");
            };
            assert!(fed.insert((tenant_key.clone(), c.id), e.json).is_none());
        }
        let (_, id) = old.keys().find(|(t, _)| t == tenant_key).unwrap();
        store
            .update(
                &tenant,
                id,
                Box::new(|e| {
                    e.subject = Some("after the upgrade".into());
                    Ok(())
                }),
            )
            .await
            .unwrap();
        let after = store.changes(&tenant, page.head, 10).await.unwrap();
        assert_eq!(after.changes.len(), 1, "{tenant_key}");
        assert_eq!(after.changes[0].position, page.head + 1);
        assert_eq!(&after.changes[0].id, id);
    }
    assert_eq!(fed, old);
    store.close().await;

    // The upgraded file is a sound database holding only the compact form.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let text_bodies: i64 = conn
        .query_row(
            "SELECT count(*) FROM engagements WHERE typeof(body) <> 'blob'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(text_bodies, 0);
}

/// The figures of an upgraded store are those of a store where the same engagements were
/// written afresh: the migration filled `figures` from the stored bodies.
#[tokio::test]
async fn an_old_store_upgrades_with_the_figures_of_its_engagements() {
    use interlog_store::analytics::{Dimension, FiguresQuery, Rules};
    use interlog_store::{Analytics, NewTenant};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interlog.db");
    std::fs::copy(FIXTURE, &path).unwrap();
    let old = old_bodies(&path);
    let upgraded = SqliteStore::open(&path).unwrap();
    let fresh = SqliteStore::open(dir.path().join("fresh.db")).unwrap();
    let tenants: BTreeSet<&String> = old.keys().map(|(t, _)| t).collect();
    let (mut counted, mut visits) = (0, 0);
    for key in tenants {
        let tenant = upgraded.tenant(key).await.unwrap().unwrap();
        let again = fresh
            .create_tenant(NewTenant {
                key: tenant.key.clone(),
                name: tenant.name.clone(),
                time_zone: tenant.time_zone.clone(),
                country_code: tenant.country_code.clone(),
                aliases: Vec::new(),
            })
            .await
            .unwrap();
        let engagements = old
            .iter()
            .filter(|((t, _), _)| t == key)
            .map(|(_, json)| serde_json::from_str(json).unwrap())
            .collect();
        fresh.upsert_many(&again, engagements).await.unwrap();
        for group_by in [vec![], vec![Dimension::Queue, Dimension::Agent]] {
            let q = FiguresQuery {
                filter: Filter::default(),
                bounds: vec![0, i64::MAX / 2],
                group_by,
                rules: Rules::default(),
                max_cells: interlog_store::analytics::MAX_CELLS,
            };
            let (a, b) = (
                upgraded.figures(&tenant, &q).await.unwrap(),
                fresh.figures(&again, &q).await.unwrap(),
            );
            assert_eq!(a, b, "{key}");
            counted += a.groups.iter().map(|g| g.buckets[0].1.offered).sum::<u64>();
        }
        // Migration 15 indexed the visits of the stored facts by queue.
        let queues: Vec<String> = old
            .iter()
            .filter(|((t, _), _)| t == key)
            .flat_map(|(_, json)| {
                let e: interlog_model::Engagement = serde_json::from_str(json).unwrap();
                e.queues.into_iter().map(|q| q.id).collect::<Vec<_>>()
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let bounds = [0, i64::MAX / 2];
        for queue in &queues {
            let one = std::slice::from_ref(queue);
            assert_eq!(
                upgraded.queue_visits(&tenant, one, &bounds).await.unwrap(),
                fresh.queue_visits(&again, one, &bounds).await.unwrap(),
                "{key}: {queue}"
            );
        }
        let all = upgraded
            .queue_visits(&tenant, &queues, &bounds)
            .await
            .unwrap();
        visits += all[0].offered;
    }
    assert!(
        visits > 50,
        "the fixture's visits were indexed by queue ({visits})"
    );
    assert!(
        counted > 50,
        "the fixture's visits were counted ({counted})"
    );
}

/// The full-text index of an upgraded store holds the words of every engagement it had: each
/// word of an old engagement finds exactly the engagements whose text holds it, as the
/// in-memory matcher says.
#[tokio::test]
async fn an_old_store_upgrades_with_the_words_of_its_engagements() {
    use interlog_store::search::{words, TextQuery, TextTerm};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interlog.db");
    std::fs::copy(FIXTURE, &path).unwrap();
    let old = old_bodies(&path);
    let store = SqliteStore::open(&path).unwrap();
    let mut searched = 0;
    let tenants: BTreeSet<&String> = old.keys().map(|(t, _)| t).collect();
    for key in tenants {
        let tenant = store.tenant(key).await.unwrap().unwrap();
        let theirs: Vec<interlog_model::Engagement> = old
            .iter()
            .filter(|((t, _), _)| t == key)
            .map(|(_, json)| serde_json::from_str(json).unwrap())
            .collect();
        let vocabulary: BTreeSet<String> = theirs.iter().flat_map(words).collect();
        for word in vocabulary.iter().take(40) {
            let q = TextQuery {
                all: vec![vec![TextTerm::Word(word.clone())]],
                none: Vec::new(),
            };
            let want: BTreeSet<String> = theirs
                .iter()
                .filter(|e| q.matches(&words(e)))
                .map(|e| e.id.clone())
                .collect();
            let filter = Filter {
                text: Some(q),
                ..Filter::default()
            };
            let page = store
                .list(
                    &tenant,
                    &Query {
                        filter,
                        limit: 1000,
                        ..Query::default()
                    },
                )
                .await
                .unwrap();
            let got: BTreeSet<String> = page.items.iter().map(|i| i.id.clone()).collect();
            assert_eq!(got, want, "{key}: {word}");
            searched += 1;
        }
    }
    assert!(
        searched > 20,
        "the fixture's engagements have words ({searched})"
    );
}

/// The names table of an upgraded store counts the names of every engagement it had, as
/// `interlog_store::names` makes them.
#[tokio::test]
async fn an_old_store_upgrades_with_the_names_of_its_engagements() {
    use interlog_store::names::names_of;
    use interlog_store::{NameKind, Names};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interlog.db");
    std::fs::copy(FIXTURE, &path).unwrap();
    let old = old_bodies(&path);
    let store = SqliteStore::open(&path).unwrap();
    let mut named = 0;
    let tenants: BTreeSet<&String> = old.keys().map(|(t, _)| t).collect();
    for key in tenants {
        let tenant = store.tenant(key).await.unwrap().unwrap();
        let mut want: BTreeMap<(NameKind, String, String), u64> = BTreeMap::new();
        for ((t, _), json) in &old {
            if t != key {
                continue;
            }
            let e: interlog_model::Engagement = serde_json::from_str(json).unwrap();
            for n in names_of(&e, tenant.country_code.as_deref()) {
                *want.entry((n.kind, n.id, n.name)).or_default() += 1;
            }
        }
        let mut got = BTreeMap::new();
        for kind in NameKind::NAMED {
            for n in store.suggest_names(&tenant, kind, "", 100).await.unwrap() {
                got.insert((n.kind, n.id, n.name), n.engagements);
            }
        }
        want.retain(|(kind, _, _), _| *kind != NameKind::Phone);
        named += got.len();
        assert_eq!(got, want, "{key}");
    }
    assert!(named > 0, "the fixture's engagements have names");
}
