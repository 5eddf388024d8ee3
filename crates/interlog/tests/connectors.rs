//! Connectors, with the binary: a server killed (-9) in the middle of a backfill resumes
//! from its committed cursor when started again, and ends with every engagement once; the
//! command line adds, shows, syncs (`sync --once`) and removes a connector. The vendor is
//! another `interlog serve`, playing Zoom over generated engagements.

mod common;

use common::{create_client, interlog, ok, run, serve, token, Server};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

const N: u64 = 3000;
const DEADLINE: Duration = Duration::from_secs(180);

/// A data directory with tenant `acme` holding `N` generated engagements that ended before
/// an hour ago, and a client to read them with (no scopes: every Zoom scope); the client.
fn vendor_data(data: &Path) -> Value {
    ok(run(&["tenant", "create", "acme"], data));
    let end = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
    let count = N.to_string();
    let generated = ok(run(
        &[
            "generate",
            "--tenant",
            "acme",
            "--count",
            &count,
            "--seed",
            "5",
            "--end",
            &end,
            "--span-days",
            "40",
        ],
        data,
    ));
    let file = data.join("vendor.ndjson");
    std::fs::write(&file, generated).unwrap();
    ok(run(
        &["import", "--tenant", "acme", file.to_str().unwrap()],
        data,
    ));
    create_client(data, "acme", "admin")
}

/// Zoom's engagement ids as the vendor lists them (`from` 41 days back to now).
async fn zoom_ids(http: &reqwest::Client, base: &str, client: &Value) -> BTreeSet<String> {
    let answer: Value = http
        .post(format!(
            "{base}/oauth/token?grant_type=account_credentials&account_id=acme"
        ))
        .basic_auth(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = answer["access_token"].as_str().unwrap().to_owned();
    let mut ids = BTreeSet::new();
    let now = jiff::Timestamp::now();
    let mut from = now - jiff::SignedDuration::from_hours(41 * 24);
    while from < now {
        let to = (from + jiff::SignedDuration::from_hours(24 * 20)).min(now);
        let mut page_token = String::new();
        loop {
            let url = format!(
                "{base}/v2/contact_center/engagements?from={}&to={}&page_size=100&next_page_token={page_token}",
                from.strftime("%Y-%m-%dT%H:%M:%SZ"),
                (to - jiff::SignedDuration::from_secs(1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            );
            let page: Value = loop {
                let r = http.get(&url).bearer_auth(&bearer).send().await.unwrap();
                if r.status() != 429 {
                    break r.json().await.unwrap();
                }
                // The account's rate limit and the server's heavy turns are shared with
                // the connector still reading: wait as Zoom says, as its clients do.
                let secs = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(secs)).await;
            };
            for e in page["engagements"]
                .as_array()
                .unwrap_or_else(|| panic!("{page}"))
            {
                ids.insert(e["engagement_id"].as_str().unwrap().to_owned());
            }
            page_token = page["next_page_token"].as_str().unwrap().to_owned();
            if page_token.is_empty() {
                break;
            }
            // Zoom's Medium limit holds for this reader too.
            tokio::time::sleep(Duration::from_millis(110)).await;
        }
        from = to;
    }
    ids
}

/// The ids `tenant` holds on `base`.
async fn stored_ids(http: &reqwest::Client, base: &str, bearer: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let mut url = format!("{base}/api/v1/tenants/acme/engagements?limit=1000");
        if !cursor.is_empty() {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = http
            .get(url)
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for e in page["engagements"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
        {
            ids.insert(e["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return ids,
        }
    }
}

fn connector(vendor: &str, client: &Value) -> Value {
    json!({
        "kind": "zoom_cc",
        "base_url": format!("{vendor}/v2"),
        "token_url": format!("{vendor}/oauth/token"),
        "account_id": "acme",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "start_from": (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(41 * 24)).to_string(),
        "poll_interval_secs": 3600,
    })
}

async fn status(http: &reqwest::Client, base: &str, bearer: &str, id: &str) -> Value {
    http.get(format!("{base}/api/v1/tenants/acme/connectors/{id}"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls until `done` holds of the connector's view.
async fn wait_until(
    http: &reqwest::Client,
    base: &str,
    bearer: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let v = status(http, base, bearer, id).await;
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{v:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn puller(data: &Path) -> Server {
    Server::start(serve(data).env("INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_backfill_resumes_from_its_cursor_and_stores_each_engagement_once() {
    let vendor_dir = tempfile::tempdir().unwrap();
    let vendor_client = vendor_data(vendor_dir.path());
    // Zoom's Pro limits: the backfill takes seconds, so the kill lands in its middle.
    let vendor = Server::start(serve(vendor_dir.path()).env("INTERLOG_ZOOM_CC_RATE_LIMITS", "pro"));
    let http = reqwest::Client::new();

    let data = tempfile::tempdir().unwrap();
    ok(run(&["tenant", "create", "acme"], data.path()));
    let admin = create_client(data.path(), "acme", "admin");
    let mut pull = puller(data.path());
    let bearer = token(&http, &pull.base, &admin).await;
    let created: Value = http
        .post(format!("{}/api/v1/tenants/acme/connectors", pull.base))
        .bearer_auth(&bearer)
        .json(&connector(&vendor.base, &vendor_client))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();

    // Killed once a window has committed and the backfill goes on.
    let before = wait_until(&http, &pull.base, &bearer, &id, |v| {
        v["status"]["cursor"].is_string()
            && v["status"]["totals"]["fetched"].as_u64() >= Some(N / 4)
    })
    .await;
    pull.kill();
    assert_ne!(
        before["status"]["state"], "live",
        "killed in the middle: {before}"
    );
    let cursor_before = before["status"]["cursor"].as_str().unwrap().to_owned();

    // Started again: it resumes (once the dead instance's lease has run out) and ends live.
    let pull = puller(data.path());
    let after = wait_until(&http, &pull.base, &bearer, &id, |v| {
        v["status"]["state"] == "live"
    })
    .await;
    assert!(after["status"]["cursor"].as_str().unwrap() > cursor_before.as_str());
    let theirs = zoom_ids(&http, &vendor.base, &vendor_client).await;
    let ours = stored_ids(&http, &pull.base, &bearer).await;
    assert!(theirs.len() as u64 > N * 9 / 10, "{}", theirs.len());
    assert_eq!(ours, theirs, "nothing lost, nothing more");
    let totals = &after["status"]["totals"];
    assert_eq!(
        totals["created"],
        theirs.len() as u64,
        "each created once: {totals}"
    );
    // It went on from its cursor: at most the window in progress was read again, not the
    // whole history.
    assert!(
        totals["fetched"].as_u64().unwrap() < 2 * theirs.len() as u64,
        "{totals}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_adds_syncs_once_shows_and_removes_a_connector() {
    let vendor_dir = tempfile::tempdir().unwrap();
    let vendor_client = vendor_data(vendor_dir.path());
    let vendor = Server::start(serve(vendor_dir.path()).env("INTERLOG_ZOOM_CC_RATE_LIMITS", "off"));
    let data = tempfile::tempdir().unwrap();
    ok(run(&["tenant", "create", "acme"], data.path()));
    let secret_file = data.path().join("zoom-secret");
    std::fs::write(
        &secret_file,
        format!("{}\n", vendor_client["client_secret"].as_str().unwrap()),
    )
    .unwrap();
    let start_from =
        (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(41 * 24)).to_string();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "connector".to_owned(),
            "add".into(),
            "--tenant".into(),
            "acme".into(),
            "--kind".into(),
            "zoom_cc".into(),
            "--start-from".into(),
            start_from.clone(),
            "--base-url".into(),
            format!("{}/v2", vendor.base),
            "--token-url".into(),
            format!("{}/oauth/token", vendor.base),
            "--set".into(),
            "account_id=acme".into(),
            "--set".into(),
            format!("client_id={}", vendor_client["client_id"].as_str().unwrap()),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        interlog(data.path())
            .args(&args)
            .env("INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
            .output()
            .unwrap()
    };
    // A missing credential is refused, naming it.
    let refused = add(&[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("client_secret"));
    let secret_arg = format!("client_secret=@{}", secret_file.display());
    let added: Value = serde_json::from_str(&ok(add(&["--set", &secret_arg]))).unwrap();
    let id = added["id"].as_str().unwrap().to_owned();
    assert_eq!(added["secrets"], json!(["client_secret"]));

    let synced = interlog(data.path())
        .args(["sync", "--tenant", "acme", "--connector", &id, "--once"])
        .env("INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&synced.stderr);
    assert!(synced.status.success(), "{said}");
    let http = reqwest::Client::new();
    let theirs = zoom_ids(&http, &vendor.base, &vendor_client).await;
    assert!(
        said.contains(&format!("created {}", theirs.len())),
        "{said}"
    );

    let shown: Value = serde_json::from_str(&ok(run(
        &["connector", "show", "--tenant", "acme", &id],
        data.path(),
    )))
    .unwrap();
    assert_eq!(shown["status"]["state"], "live", "{shown}");
    assert_eq!(shown["status"]["totals"]["created"], theirs.len() as u64);
    let listed = ok(run(&["connector", "list", "--tenant", "acme"], data.path()));
    assert_eq!(listed.lines().count(), 1);
    assert!(!listed.contains(vendor_client["client_secret"].as_str().unwrap()));

    // What was synced is there for a server on the same data.
    let server = Server::start(&mut serve(data.path()));
    let admin = create_client(data.path(), "acme", "admin");
    let bearer = token(&http, &server.base, &admin).await;
    assert_eq!(stored_ids(&http, &server.base, &bearer).await, theirs);
    drop(server);

    ok(run(
        &["connector", "remove", "--tenant", "acme", &id],
        data.path(),
    ));
    assert_eq!(
        ok(run(&["connector", "list", "--tenant", "acme"], data.path())),
        ""
    );
}
