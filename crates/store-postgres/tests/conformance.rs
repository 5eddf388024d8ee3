//! The store conformance suite, run against PostgreSQL: each case in a fresh schema of the
//! server named by `INTERLOG_TEST_POSTGRES` (`scripts/test` starts a throw-away one). Without
//! it the cases are skipped, saying so.

use interlog_store::OpenOptions;
use interlog_store_postgres::PgStore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The URL of a schema of its own on the server `INTERLOG_TEST_POSTGRES` names, with the
/// server's URL and the schema's name; `None` when no server is configured.
fn fresh_url() -> Option<(String, String, String)> {
    let Ok(base) = std::env::var("INTERLOG_TEST_POSTGRES") else {
        eprintln!("skipped: INTERLOG_TEST_POSTGRES names no PostgreSQL server");
        return None;
    };
    static N: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "conformance_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        jiff::Timestamp::now().as_millisecond() % 1_000_000
    );
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}schema={schema}");
    Some((base, schema, url))
}

/// A store in a schema of its own, or `None` when no server is configured.
async fn fresh_store() -> Option<Arc<PgStore>> {
    let (_, schema, url) = fresh_url()?;
    Some(Arc::new(
        PgStore::open(&url, OpenOptions::default())
            .await
            .unwrap_or_else(|e| panic!("open {schema}: {e:?}")),
    ))
}

/// A store in a schema of its own (as [`fresh_url`] names it) with a tenant `key` holding
/// `n` generated engagements of 5 agents ending on 2024-06-01.
async fn generated_store(
    key: &str,
    n: u64,
) -> Option<(
    PgStore,
    interlog_store::Tenant,
    Vec<interlog_model::Engagement>,
    (String, String, String),
)> {
    use interlog_store::{Directory, Engagements, NewTenant};
    let urls = fresh_url()?;
    let store = PgStore::open(&urls.2, OpenOptions::default())
        .await
        .unwrap();
    let tenant = store
        .create_tenant(NewTenant {
            key: key.into(),
            name: key.into(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: Vec::new(),
        })
        .await
        .unwrap();
    let end = "2024-06-01T00:00:00Z".parse().unwrap();
    let engagements: Vec<_> =
        interlog_generate::Generator::new(interlog_generate::GeneratorConfig::new(5, n, end))
            .collect();
    store
        .upsert_many(&tenant, engagements.clone())
        .await
        .unwrap();
    Some((store, tenant, engagements, urls))
}

interlog_store::conformance_tests!(match fresh_store().await {
    Some(store) => store,
    None => return,
});

/// A store made before analytics upgrades in place: the migration that adds the figures'
/// tables fills them from the stored engagements, giving the figures the writes gave; the
/// one that adds the full-text index writes their words, and the one that adds the names
/// table counts their names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_from_before_analytics_gets_the_figures_of_its_engagements() {
    use interlog_store::analytics::{Dimension, FiguresQuery, Rules};
    use interlog_store::{Analytics, Directory, Engagements, Filter, Names, Store};
    let Some((store, tenant, _, (base, schema, url))) =
        generated_store("before-analytics", 300).await
    else {
        return;
    };
    let queries: Vec<FiguresQuery> = [vec![], vec![Dimension::Queue, Dimension::Agent]]
        .into_iter()
        .map(|group_by| FiguresQuery {
            filter: Filter::default(),
            bounds: vec![0, i64::MAX / 2],
            group_by,
            rules: Rules::default(),
            max_cells: interlog_store::analytics::MAX_CELLS,
        })
        .collect();
    let mut before = Vec::new();
    for q in &queries {
        before.push(store.figures(&tenant, q).await.unwrap());
    }
    assert!(before[0].groups[0].buckets[0].1.offered > 100);
    // A word of the engagements, and what it finds, for the full-text index's backfill.
    let word = {
        let first = store
            .list(&tenant, &interlog_store::Query::default())
            .await
            .unwrap();
        let e = first.items[0].engagement().unwrap();
        interlog_store::search::words(&e)[0].clone()
    };
    let searching = Filter {
        text: Some(interlog_store::search::TextQuery {
            all: vec![vec![interlog_store::search::TextTerm::Word(word)]],
            none: Vec::new(),
        }),
        ..Filter::default()
    };
    let found = store.count(&tenant, &searching, None).await.unwrap();
    assert!(found.value() > 0);
    let mut names = Vec::new();
    for kind in interlog_store::NameKind::NAMED {
        names.push(store.suggest_names(&tenant, kind, "", 100).await.unwrap());
    }
    assert!(!names[0].is_empty() && !names[1].is_empty(), "{names:?}");
    store.close().await;

    // The database as a build before analytics (and the per-day counts after it) left it.
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "SET search_path TO {schema};
             DROP TABLE figures, figure_names, engagement_counts, engagement_words,
                 engagement_names;
             DROP FUNCTION engagement_counts_inserted, engagement_counts_deleted,
                 engagement_counts_updated CASCADE;
             DELETE FROM interlog_migrations WHERE version >= 4;"
        ))
        .await
        .unwrap();

    let reopened = PgStore::open(&url, OpenOptions::default()).await.unwrap();
    let tenant = reopened.tenant("before-analytics").await.unwrap().unwrap();
    for (q, want) in queries.iter().zip(&before) {
        assert_eq!(&reopened.figures(&tenant, q).await.unwrap(), want);
    }
    assert_eq!(
        reopened.count(&tenant, &searching, None).await.unwrap(),
        found,
        "the migration wrote the words of the engagements already stored"
    );
    for (kind, want) in interlog_store::NameKind::NAMED.into_iter().zip(&names) {
        assert_eq!(
            &reopened
                .suggest_names(&tenant, kind, "", 100)
                .await
                .unwrap(),
            want,
            "the migration counted the names of the engagements already stored"
        );
    }
}

/// A count whose budget runs out while a statement waits ends as a lower bound, never as
/// the read budget's timeout, however the budget's end falls between whole milliseconds.
/// The statement is made slow by a lock on the search terms the agent's count walks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_past_its_budget_is_a_lower_bound_not_a_timeout() {
    use interlog_store::{Engagements, Filter, Store, Total};
    use std::time::{Duration, Instant};
    let Some((store, tenant, engagements, (base, schema, _))) =
        generated_store("slow-count", 200).await
    else {
        return;
    };
    let agent = engagements
        .iter()
        .flat_map(|e| &e.participants)
        .find(|p| p.role == interlog_model::Role::Agent && p.id.is_some())
        .and_then(|p| p.id.clone())
        .expect("an agent with an id");
    let by_agent = Filter {
        agents: vec![agent],
        ..Filter::default()
    };
    let Total::Exact(all) = store.count(&tenant, &by_agent, None).await.unwrap() else {
        panic!("a count without a budget is exact");
    };
    assert!(all > 0);

    let (locker, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    locker
        .batch_execute(&format!(
            "SET search_path TO {schema}; BEGIN; LOCK TABLE terms IN ACCESS EXCLUSIVE MODE"
        ))
        .await
        .unwrap();
    // Budgets ending at every fraction of a millisecond: a statement stopped at the whole
    // millisecond before the budget's end was once taken for the read budget's timeout.
    for micros in (20_000..22_000).step_by(100) {
        let within = Duration::from_micros(micros);
        let started = Instant::now();
        let total = store
            .count(&tenant, &by_agent, Some(within))
            .await
            .unwrap_or_else(|e| panic!("a budget of {within:?}: {e}"));
        let took = started.elapsed();
        assert_eq!(total, Total::AtLeast(0), "the terms are locked");
        assert!(
            took < Duration::from_secs(1),
            "a budget of {within:?} took {took:?}"
        );
    }
    driver.abort();
    store.close().await;
}

/// A page of a text query found 200 times or more (`listing::FEW`) is first read from the
/// next 2,000 engagements in order (`listing::WINDOW`) and from the index only when that
/// window holds too few matches: matches inside the window, past it, or both, and words
/// found only a few times, list and page as the in-memory order says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_page_reaches_past_its_first_window() {
    use interlog_store::search::{TextQuery, TextTerm};
    use interlog_store::{Engagements, Filter, Query, Start};
    let Some((store, tenant, _, _)) = generated_store("text-window", 0).await else {
        return;
    };
    let end: jiff::Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
    let mut all: Vec<interlog_model::Engagement> =
        interlog_generate::Generator::new(interlog_generate::GeneratorConfig::new(5, 2_600, end))
            .collect();
    // Newest first, as the listing orders them.
    all.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
    // "quokka": the two newest and 250 past the window; "wombat": 300 in it and past it;
    // "numbat": a few past it only.
    for i in [0, 1].into_iter().chain(2_100..2_350) {
        all[i].subject = Some("a quokka".into());
    }
    for i in (0..2_600).step_by(8).skip(10) {
        all[i].subject = Some("a wombat".into());
    }
    for i in [2_100, 2_500] {
        all[i].subject = Some("a numbat".into());
    }
    store.upsert_many(&tenant, all.clone()).await.unwrap();
    let cases = [
        ("quokka", 3),
        ("quokka", 60),
        ("wombat", 7),
        ("wombat", 100),
        ("numbat", 1),
    ];
    for (word, limit) in cases {
        let expected: Vec<&str> = all
            .iter()
            .filter(|e| e.subject.as_deref().is_some_and(|s| s.ends_with(word)))
            .map(|e| e.id.as_str())
            .collect();
        let mut q = Query {
            filter: Filter {
                text: Some(TextQuery {
                    all: vec![vec![TextTerm::Word(word.into())]],
                    none: Vec::new(),
                }),
                ..Filter::default()
            },
            limit,
            ..Query::default()
        };
        let mut listed = Vec::new();
        loop {
            let page = store.list(&tenant, &q).await.unwrap();
            assert!(page.items.len() <= limit as usize);
            listed.extend(page.items.iter().map(|i| i.id.clone()));
            match page.next {
                Some(pos) => q.start = Start::After(pos),
                None => break,
            }
        }
        assert_eq!(listed, expected, "{word}, pages of {limit}");
    }
}
