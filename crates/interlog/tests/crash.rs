//! kill -9 in the middle of a bulk import and of an HTTP bulk ingest: the store opens, passes
//! `PRAGMA integrity_check`, keeps every engagement committed before the kill with a sound
//! change feed, and a re-run of the same input completes it into exactly what an
//! uninterrupted load makes.

mod common;

use common::{
    assert_stored, create_client, engagement_count, interlog, ok, run, serve, token, Server,
};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const N: usize = 4_500;

/// A data directory with tenant `acme`.
fn fresh(data: &Path) {
    ok(run(&["tenant", "create", "acme"], data));
}

/// `N` generated engagements of tenant `acme`, written to `file`.
fn generate(file: &Path, seed: &str) {
    let count = N.to_string();
    let args = [
        "generate", "--tenant", "acme", "--count", &count, "--seed", seed,
    ];
    let out = ok(run(&args, file.parent().unwrap()));
    std::fs::write(file, out).unwrap();
}

fn db(data: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(data.join("interlog.db")).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c
}

/// Engagements committed so far (0 while the schema is being made).
fn committed(data: &Path) -> usize {
    db(data)
        .query_row("SELECT count(*) FROM engagements", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_or(0, |n| n as usize)
}

/// Waits until `until` holds of the committed count, polling; kills the child (SIGKILL)
/// then and returns the count seen just before.
fn kill_when(child: &mut Child, data: &Path, until: impl Fn(usize) -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = committed(data);
        if until(n) {
            child.kill().unwrap();
            child.wait().unwrap();
            return n;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the process ended ({status:?}) before the kill point, at {n} rows");
        }
        assert!(Instant::now() < deadline, "no progress: {n} rows");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Each engagement's (id, stored body, position in the change feed), and each search-term
/// entry as (value, start, engagement id, kinds).
type Contents = (Vec<(String, Vec<u8>, i64)>, Vec<(String, i64, String, i64)>);

/// The names of the indexes on `engagements` in a store no bulk load ever touched.
fn indexes_of_a_fresh_store() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let data = tempfile::tempdir().unwrap();
        fresh(data.path());
        engagements_indexes(&db(data.path()))
    })
}

fn engagements_indexes(c: &rusqlite::Connection) -> Vec<String> {
    c.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'engagements'
         ORDER BY name",
    )
    .unwrap()
    .query_map([], |r| r.get(0))
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The change feed is sound: every position is positive and taken once per tenant (rows
/// and tombstones together), and each tenant's head is at or past its newest position.
fn check_feed(c: &rusqlite::Connection) {
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM engagements WHERE position <= 0"),
        0,
        "engagements without a position"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT 1 FROM
             (SELECT tenant_id, position FROM engagements
              UNION ALL SELECT tenant_id, position FROM tombstones)
             GROUP BY tenant_id, position HAVING count(*) > 1)"
        ),
        0,
        "a position taken twice"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT tenant_id, MAX(position) AS newest FROM
             (SELECT tenant_id, position FROM engagements
              UNION ALL SELECT tenant_id, position FROM tombstones) GROUP BY tenant_id) p
             LEFT JOIN tenant_heads h ON h.tenant_id = p.tenant_id
             WHERE h.head IS NULL OR h.head < p.newest"
        ),
        0,
        "a head behind its feed"
    );
}

/// What a store holds, independent of row and value numbering: every engagement's id,
/// stored body and feed position, and every search-term entry as (value, start, engagement
/// id, kinds). Also checks the file is sound, its feed too, and nothing is left half-built.
fn contents(data: &Path) -> Contents {
    let c = db(data);
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let pending: i64 = c
        .query_row("SELECT count(*) FROM terms_pending", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pending, 0, "pending search terms left");
    assert_eq!(
        engagements_indexes(&c),
        indexes_of_a_fresh_store(),
        "every engagements index is there"
    );
    check_feed(&c);
    let bodies = c
        .prepare("SELECT id, body, position FROM engagements ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let terms = c
        .prepare(
            // term_values is keyed by value, terms by value number: walk from the values.
            "SELECT v.value, x.started, e.id, x.kinds FROM term_values v
             CROSS JOIN terms x ON x.tenant_id = v.tenant_id AND x.value = v.id
             JOIN engagements e ON e.seq = x.seq ORDER BY 1, 2, 3",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (bodies, terms)
}

fn import(data: &Path, file: &Path) -> Command {
    let mut c = interlog(data);
    c.args(["import", "--tenant", "acme"])
        .arg(file)
        // Small loads defer their sort indexes too, so the kill can find them dropped.
        .env("INTERLOG_SQLITE_BULK_DEFER_AFTER", "500")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn import_summary(out: std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    err
}

#[test]
fn a_killed_bulk_import_leaves_a_sound_store_that_a_rerun_completes() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("gen.ndjson");
    generate(&file, "11");

    let reference = work.path().join("reference");
    fresh(&reference);
    import_summary(import(&reference, &file).output().unwrap());
    let want = contents(&reference);
    assert_eq!(want.0.len(), N);
    assert!(want.1.len() > N, "search terms were written");

    // Killed mid-load (after the first batches, with the indexes dropped and terms
    // pending), and killed as the load ends (building its indexes), then run again.
    for (name, point) in [
        (
            "mid-load",
            Box::new(|n: usize| n >= 2_000) as Box<dyn Fn(usize) -> bool>,
        ),
        ("at the end", Box::new(|n: usize| n >= N)),
    ] {
        let data = work.path().join(name);
        fresh(&data);
        let mut child = import(&data, &file).spawn().unwrap();
        let seen = kill_when(&mut child, &data, point);
        // Opening the store (as any command does) finishes what the load left.
        ok(run(&["tenant", "list"], &data));
        let after = contents(&data);
        assert!(
            after.0.len() >= seen,
            "{name}: {seen} committed before the kill, {} after",
            after.0.len()
        );
        let summary = import_summary(import(&data, &file).output().unwrap());
        assert!(
            summary.contains(&format!("imported {N} lines")),
            "{summary}"
        );
        assert!(summary.contains(" 0 rejected"), "{summary}");
        assert!(
            contents(&data) == want,
            "{name}: the re-run differs from an uninterrupted import"
        );
    }
}

async fn ingest(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: Vec<u8>,
) -> reqwest::Result<Value> {
    http.post(format!("{base}/api/v1/tenants/acme/ingest"))
        .bearer_auth(token)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_ingest_keeps_what_it_acknowledged_and_a_rerun_completes() {
    let work = tempfile::tempdir().unwrap();
    let (first, second) = (work.path().join("a.ndjson"), work.path().join("b.ndjson"));
    generate(&first, "21");
    generate(&second, "22");
    let data = work.path().join("data");
    fresh(&data);
    let creds = create_client(&data, "acme", "admin");
    let http = reqwest::Client::new();

    let mut server = Server::start(&mut serve(&data));
    let base = server.base.clone();
    let t = token(&http, &base, &creds).await;
    let acked = ingest(&http, &base, &t, std::fs::read(&first).unwrap())
        .await
        .unwrap();
    assert_eq!(acked["created"], N as u64);

    // The second ingest is killed once part of it is committed.
    let request = tokio::spawn({
        let (http, base, t, body) = (
            http.clone(),
            base.clone(),
            t.clone(),
            std::fs::read(&second).unwrap(),
        );
        async move { ingest(&http, &base, &t, body).await }
    });
    let data2 = data.clone();
    let seen =
        tokio::task::spawn_blocking(move || kill_when(server.child(), &data2, |n| n >= N + 2_000))
            .await
            .unwrap();
    assert!(seen < 2 * N, "killed before the ingest ended ({seen} rows)");
    assert!(
        request.await.unwrap().is_err(),
        "a killed ingest is not acknowledged"
    );

    let mut server = Server::start(&mut serve(&data));
    let base = server.base.clone();
    let t = token(&http, &base, &creds).await;
    let (bodies, _) = contents(&data);
    assert!(
        bodies.len() >= seen,
        "{seen} committed before the kill, {} after",
        bodies.len()
    );
    let first_ids: Vec<String> = std::fs::read_to_string(&first)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_stored(&http, &base, "acme", &t, first_ids.iter().step_by(97)).await;
    let rerun = ingest(&http, &base, &t, std::fs::read(&second).unwrap())
        .await
        .unwrap();
    assert_eq!(rerun["rejected"], 0);
    assert_eq!(
        rerun["created"].as_u64().unwrap() + rerun["updated"].as_u64().unwrap(),
        N as u64
    );
    let count = engagement_count(&http, &base, "acme", &t).await;
    assert_eq!(count, 2 * N as u64);
    server.kill();
    let (bodies, terms) = contents(&data);
    assert_eq!(bodies.len(), 2 * N);
    assert!(terms.len() > 2 * N);
}
