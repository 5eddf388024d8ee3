//! Bulk NDJSON ingest over HTTP.

use interlog_testkit::*;
use serde_json::{json, Value};

async fn ingest(app: &TestApp, body: String) -> (u16, Value) {
    let r = app
        .http
        .post(app.url("/api/v1/tenants/acme/ingest"))
        .bearer_auth(&app.agent)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn good_lines_are_stored_and_bad_lines_reported_by_number() {
    let app = spawn_app().await;
    let mut lines = Vec::new();
    for i in 0..4500 {
        lines.push(json!({"id": format!("n{i}"), "started_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"}).to_string());
    }
    lines[10] = "{not json".into();
    lines[2000] = json!({"id": "bad", "started_at": "2024-01-01T00:00:00Z", "ended_at": "2023-01-01T00:00:00Z"}).to_string();
    lines[3000] = String::new();
    let (status, summary) = ingest(&app, lines.join("\n")).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["lines"], 4499);
    assert_eq!(summary["created"], 4497);
    assert_eq!(summary["rejected"], 2);
    assert_eq!(summary["problems"][0]["line"], 11);
    assert_eq!(summary["problems"][1]["line"], 2001);
    assert!(summary["problems"][1]["reason"]
        .as_str()
        .unwrap()
        .contains("ended_at: is before started_at"));
    let (_, body) = app
        .get_json("/api/v1/tenants/acme/engagements?count=exact&limit=1")
        .await;
    assert_eq!(body["total"], 4497);

    // A replay of older versions is reported stale and changes nothing; newer ones update.
    let replay = [
        json!({"id": "n1", "started_at": "2024-01-01T00:00:00Z", "updated_at": "2023-12-31T00:00:00Z", "subject": "old"}).to_string(),
        json!({"id": "n2", "started_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-03T00:00:00Z", "subject": "new"}).to_string(),
    ];
    let (_, summary) = ingest(&app, replay.join("\n") + "\n").await;
    assert_eq!(
        (summary["stale"].as_u64(), summary["updated"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        summary["problems"][0],
        json!({"line": 1, "id": "n1", "result": "stale"})
    );
    assert!(app
        .get_json("/api/v1/tenants/acme/engagements/n1")
        .await
        .1
        .get("subject")
        .is_none());
    assert_eq!(
        app.get_json("/api/v1/tenants/acme/engagements/n2").await.1["subject"],
        "new"
    );
}

#[tokio::test]
async fn an_over_long_line_is_rejected_alone() {
    let app = spawn_app().await;
    let long = json!({"id": "long", "started_at": "2024-01-01T00:00:00Z", "subject": "x".repeat(1_100_000)}).to_string();
    let ok = json!({"id": "ok", "started_at": "2024-01-01T00:00:00Z"}).to_string();
    let (status, summary) = ingest(&app, format!("{long}\n{ok}\n")).await;
    assert_eq!(status, 200);
    assert_eq!(summary["created"], 1);
    assert_eq!(summary["problems"][0]["line"], 1);
    assert!(summary["problems"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("longer than"));
}
