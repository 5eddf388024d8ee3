//! The change feed: every write through every path, in order, each engagement once at its
//! latest write; tombstones with their reason; resuming; long polls; the horizon.

use interlog_testkit::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const FEED: &str = "/api/v1/tenants/acme/changes";
const BASE: &str = "/api/v1/tenants/acme/engagements";

async fn feed(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get_json(&format!("{FEED}?{query}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn ops(page: &Value) -> Vec<(String, String)> {
    page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["reason"]
                    .as_str()
                    .unwrap_or(c["op"].as_str().unwrap())
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_write_appears_once_at_its_latest_position_and_deletions_as_tombstones() {
    let app = spawn_app().await;
    // Two writes, then a stale replay, which changes nothing and takes no place in the feed.
    for (id, updated_at, status) in [
        ("a", "2024-01-01T00:00:01Z", 201),
        ("b", "2024-01-01T00:00:01Z", 201),
        ("b", "2024-01-01T00:00:00Z", 409),
    ] {
        let body = json!({"started_at": "2024-01-01T00:00:00Z", "updated_at": updated_at});
        let path = format!("{BASE}/{id}");
        let r = app
            .call(Method::PUT, &path, Some(&app.agent), Some(body))
            .await;
        assert_eq!(r.status(), status, "{id} updated at {updated_at}");
    }
    let first = feed(&app, "").await;
    assert_eq!(
        ops(&first),
        [("a".into(), "upsert".into()), ("b".into(), "upsert".into())]
    );
    let c0 = &first["changes"][0];
    assert!(c0["position"].as_i64().unwrap() > 0);
    assert!(c0["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(c0["engagement"]["id"], "a");
    assert!(c0.get("reason").is_none());
    let resume = first["next_after"].as_i64().unwrap();
    assert!(first["consistent_as_of"].as_str().is_some());

    // Merge patch, ingest, a dialect's delete and the native delete all follow.
    let r = app
        .http
        .patch(app.url(&format!("{BASE}/a")))
        .bearer_auth(&app.agent)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"subject":"patched"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .ingest("{\"id\":\"c\",\"started_at\":\"2024-01-02T00:00:00Z\"}\n")
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .delete(app.url("/v1/engagements/acme/b"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "the Oracle LX delete");
    assert_eq!(
        app.call(Method::DELETE, &format!("{BASE}/c"), Some(&app.admin), None)
            .await
            .status(),
        204
    );

    let next = feed(&app, &format!("after={resume}")).await;
    assert_eq!(
        ops(&next),
        [
            ("a".into(), "upsert".into()),
            ("b".into(), "deleted".into()),
            ("c".into(), "deleted".into()),
        ],
        "c was created and deleted since: only its tombstone is left"
    );
    assert_eq!(next["changes"][0]["engagement"]["subject"], "patched");
    assert!(next["changes"][1].get("engagement").is_none());
    let end = next["next_after"].as_i64().unwrap();
    let empty = feed(&app, &format!("after={end}")).await;
    assert_eq!(empty["changes"], json!([]));
    assert_eq!(empty["next_after"], end);

    // A small limit pages through the same feed.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = feed(&app, &format!("after={after}&limit=1")).await;
        if page["changes"].as_array().unwrap().is_empty() {
            break;
        }
        seen.extend(ops(&page));
        after = page["next_after"].as_i64().unwrap();
    }
    assert_eq!(seen, ops(&feed(&app, "").await));
}

#[tokio::test]
async fn a_long_poll_answers_as_soon_as_a_write_commits() {
    let app = spawn_app().await;
    let head = feed(&app, "").await["next_after"].as_i64().unwrap();
    let waiting = {
        let (http, url, token) = (
            app.http.clone(),
            app.url(&format!("{FEED}?after={head}&wait=20")),
            app.reader.clone(),
        );
        tokio::spawn(async move {
            let started = Instant::now();
            let body: Value = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (body, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.seed(vec![engagement("late", "2024-01-01T00:00:00Z")])
        .await;
    let (body, waited) = waiting.await.unwrap();
    assert_eq!(ops(&body), [("late".into(), "upsert".into())]);
    assert!(
        waited < Duration::from_secs(10),
        "answered after {waited:?}"
    );
    // With nothing to wait for, wait=1 comes back empty after about a second.
    let end = body["next_after"].as_i64().unwrap();
    let started = Instant::now();
    let empty = feed(&app, &format!("after={end}&wait=1")).await;
    assert_eq!(empty["changes"], json!([]));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_position_older_than_the_kept_tombstones_is_gone_and_bad_parameters_are_400() {
    let app = spawn_app().await;
    app.seed(vec![
        engagement("x", "2024-01-01T00:00:00Z"),
        engagement("y", "2024-01-01T00:00:00Z"),
    ])
    .await;
    let after_x = feed(&app, "limit=1").await["next_after"].as_i64().unwrap();
    assert!(app.store.delete(&app.tenant, "x").await.unwrap());
    let later = jiff::Timestamp::now() + Duration::from_secs(3600);
    assert_eq!(
        app.store
            .trim_tombstones(&app.tenant, later, 100)
            .await
            .unwrap(),
        1
    );
    let r = app.get(&format!("{FEED}?after={after_x}")).await;
    let p = assert_problem(r, 410, "gone").await;
    assert!(p["detail"].as_str().unwrap().contains("start again"), "{p}");
    // From the start there is no gap to miss: what is kept is the whole current state.
    assert_eq!(ops(&feed(&app, "").await), [("y".into(), "upsert".into())]);
    for (q, parameter) in [
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("wait=61", "wait"),
        ("after=x", "after"),
        ("since=1", "since"),
    ] {
        let r = app.get(&format!("{FEED}?{q}")).await;
        let p = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(p["parameter"], parameter, "{q}");
    }
    let (_, other) = app.other_tenant("globex").await;
    let r = app.call(Method::GET, FEED, Some(&other), None).await;
    assert_problem(r, 404, "not_found").await;
}
