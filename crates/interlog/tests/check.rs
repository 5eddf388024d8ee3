//! `interlog check` says in words what is wrong with a store whose derived tables were
//! damaged (search terms, analytics rows, queue visits, day counts, names, the full-text
//! index) and exits
//! non-zero; `--repair` writes
//! them again from the bodies, after which the check passes and searches find what they
//! found before.

mod common;

use common::{import_stdin, interlog, ok, run};
use serde_json::json;
use std::path::Path;

fn check(data: &Path, repair: bool) -> (bool, String) {
    let mut c = interlog(data);
    c.arg("check");
    if repair {
        c.arg("--repair");
    }
    let out = c.output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// Engagements of queue `q1` found through the search terms, as `export` lists them.
fn in_queue(data: &Path) -> usize {
    ok(run(
        &["export", "--tenant", "acme", "--filter", "queue_id=q1"],
        data,
    ))
    .lines()
    .count()
}

/// Engagements whose words hold `word`, as `export --filter q=WORD` lists them.
fn with_word(data: &Path, word: &str) -> usize {
    ok(run(
        &[
            "export",
            "--tenant",
            "acme",
            "--filter",
            &format!("q={word}"),
        ],
        data,
    ))
    .lines()
    .count()
}

#[test]
fn check_names_damaged_derived_tables_and_repair_writes_them_again() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    ok(run(&["tenant", "create", "acme"], &data));
    let mut input = Vec::new();
    for i in 0..200 {
        let e = json!({"id": format!("e{i:03}"), "subject": format!("parcel {}", ["late", "lost"][i % 2]), "started_at": format!("2026-02-{:02}T10:00:00Z", 1 + i % 28),
                       "ended_at": format!("2026-02-{:02}T10:05:00Z", 1 + i % 28),
                       "channels": [{"type": "voice"}], "direction": "inbound",
                       "queues": [{"id": format!("q{}", i % 3), "name": "Sales", "queued_at": format!("2026-02-{:02}T10:00:00Z", 1 + i % 28),
                                   "accepted_at": format!("2026-02-{:02}T10:00:30Z", 1 + i % 28)}]});
        input.extend(format!("{e}\n").bytes());
    }
    ok(import_stdin(&data, "acme", &input));
    let (whole, said) = check(&data, false);
    assert!(whole, "{said}");
    assert!(said.contains("ok: 200 engagements"), "{said}");
    let found = in_queue(&data);
    assert!(found > 0);
    assert_eq!(with_word(&data, "late"), 100);

    let db = rusqlite::Connection::open(data.join("interlog.db")).unwrap();
    db.execute_batch(
        "DELETE FROM terms WHERE seq % 2 = 0;
         DELETE FROM figures WHERE seq % 5 = 0;
         UPDATE queue_visits SET status = 2 WHERE seq % 7 = 0;
         UPDATE engagement_counts SET n = n + 1;
         DELETE FROM engagement_names WHERE id = 'q1';",
    )
    .unwrap();
    // The full-text index: one row's words written under another tenant, one under none.
    let tenant: i64 = db
        .query_row("SELECT id FROM tenants WHERE key = 'acme'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let seq: i64 = db
        .query_row("SELECT max(seq) FROM engagements", [], |r| r.get(0))
        .unwrap();
    db.execute(
        "INSERT INTO engagement_words (rowid, words) VALUES (?1, ?2), (?3, 'stray late')",
        rusqlite::params![seq + 1, format!("{0}9: {0}9:late", tenant), seq + 2],
    )
    .unwrap();
    drop(db);
    assert!(in_queue(&data) < found, "the damage changed no search");
    let (whole, said) = check(&data, false);
    assert!(!whole, "{said}");
    for table in [
        "search terms",
        "analytics rows",
        "queue visits",
        "day counts",
        "names",
        "full-text index",
    ] {
        assert!(
            said.contains(&format!("{table} disagree with the engagement bodies")),
            "{table}: {said}"
        );
    }

    let (whole, said) = check(&data, true);
    assert!(whole, "{said}");
    assert!(said.contains("repaired:"), "{said}");
    assert!(said.contains("ok: 200 engagements"), "{said}");
    assert_eq!(in_queue(&data), found);
    assert_eq!(with_word(&data, "late"), 100);
}
