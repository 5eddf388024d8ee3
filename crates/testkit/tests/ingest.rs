//! Bulk NDJSON ingest over HTTP.

use interlog_testkit::*;
use serde_json::{json, Value};

async fn ingest(app: &TestApp, body: String) -> (u16, Value) {
    let r = app.ingest(body).await;
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

/// One engagement in each ingest format the README documents, with its content type, and
/// the id it is stored under.
fn one_per_format() -> Vec<(&'static str, &'static str, String, &'static str)> {
    vec![
        (
            "native",
            "application/x-ndjson",
            json!({"id": "native-1", "started_at": "2024-03-01T09:30:00Z"}).to_string(),
            "native-1",
        ),
        (
            "oracle_lx",
            "application/x-ndjson",
            json!({"startDate": "1709285400000", "id": "lx-json-1", "status": "successful"})
                .to_string(),
            "lx-json-1",
        ),
        (
            "oracle_lx",
            "application/xml",
            "<engagementV1><startDate>2024-03-01T09:30:00.000Z</startDate><id>lx-xml-1</id>\
             <status>successful</status></engagementV1>"
                .to_owned(),
            "lx-xml-1",
        ),
        (
            "zoom_cc",
            "application/x-ndjson",
            json!({"engagement_id": "zoom-1", "start_time": "2024-03-01T09:30:00Z",
                   "end_time": "2024-03-01T09:40:00Z", "direction": "inbound"})
            .to_string(),
            "zoom-1",
        ),
        (
            "avaya_axp",
            "application/x-ndjson",
            json!({"id": "0190f1e2-7a6b-7c8d-9e0f-000000000001",
                   "startDate": "2024-03-01T09:30:00.000Z",
                   "identifiers": {"phoneNumbers": ["+353 1 555 0100"]}})
            .to_string(),
            "0190f1e2-7a6b-7c8d-9e0f-000000000001",
        ),
        (
            "genesys_gws",
            "application/x-ndjson",
            json!({"id": "gws-1", "mediaType": "chat", "typeId": "Inbound",
                   "startDate": "2024-03-01 09:30:00.000+0000",
                   "endDate": "2024-03-01 09:40:00.000+0000"})
            .to_string(),
            "gws-1",
        ),
    ]
}

/// The README documents an ingest format per dialect; each works on a server started as
/// `interlog serve` starts (the first defect of issue 9: `serve` knew only `native`).
#[tokio::test]
async fn every_documented_ingest_format_is_accepted_by_a_served_app() {
    let app = spawn_app().await;
    let readme = include_str!("../../../README.md");
    let documented: std::collections::BTreeSet<&str> =
        one_per_format().iter().map(|(f, ..)| *f).collect();
    for format in &documented {
        assert!(
            *format == "native" || readme.contains(&format!("`{format}`")),
            "the README does not document {format}"
        );
    }
    // Every format the server accepts has an example here.
    let r = app
        .http
        .post(app.url("/api/v1/tenants/acme/ingest?format=nonesuch"))
        .bearer_auth(&app.agent)
        .body("")
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "bad_parameter").await;
    let accepted: std::collections::BTreeSet<&str> = p["detail"]
        .as_str()
        .unwrap()
        .trim_start_matches("format: accepted: ")
        .split(", ")
        .collect();
    assert_eq!(accepted, documented, "{p}");
    for (format, content_type, body, id) in one_per_format() {
        let r = app.ingest_as(format, content_type, body).await;
        assert_eq!(r.status(), 200, "{format}");
        let summary: Value = r.json().await.unwrap();
        assert_eq!(summary["created"], 1, "{format} {content_type}: {summary}");
        let (status, e) = app
            .get_json(&format!("/api/v1/tenants/acme/engagements/{id}"))
            .await;
        assert_eq!(status, 200, "{format}: {e}");
        if format != "native" {
            assert_eq!(e["source"], format, "{e}");
        }
    }
}
