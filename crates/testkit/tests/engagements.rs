//! Creating, reading, replacing, patching and deleting engagements, and bad bodies.

use interlog_testkit::*;
use reqwest::Method;
use serde_json::{json, Value};

const BASE: &str = "/api/v1/tenants/acme/engagements";

#[tokio::test]
async fn create_assigns_a_time_ordered_id_and_reads_back_identically() {
    let app = spawn_app().await;
    // Sent as text: the order of the data keys is part of what must come back.
    let body = r#"{
        "started_at": "2024-05-01T09:00:00.250Z",
        "ended_at": "2024-05-01T09:04:10Z",
        "direction": "inbound",
        "channels": [{"type": "voice", "media": "audio"}],
        "participants": [{"role": "agent", "id": "a1", "email": "Ann@Acme.test", "owner": true}],
        "customer": {"phones": ["019 718 0171"]},
        "data": {"zeta": "1", "alpha": {"nested": [1, 2]}}
    }"#;
    let r = raw_post(&app, "application/json", body.as_bytes().to_vec()).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert_eq!(location, format!("{BASE}/{id}"));
    assert_eq!(created["duration_ms"], 249_750);
    assert_eq!(created["state"], "completed");
    assert_eq!(created["source"], "native");
    // Keys of free data keep the order they were sent in.
    let text = app.get(&location).await.text().await.unwrap();
    assert!(
        text.find("\"zeta\"").unwrap() < text.find("\"alpha\"").unwrap(),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), created);
    // The stamped updated_at has the store's millisecond precision.
    let updated = created["updated_at"].as_str().unwrap();
    let fraction = updated
        .trim_end_matches('Z')
        .split('.')
        .nth(1)
        .unwrap_or("");
    assert!(fraction.len() <= 3, "{updated}");
}

#[tokio::test]
async fn create_refuses_an_existing_id() {
    let app = spawn_app().await;
    let body = json!({"id": "dup", "started_at": "2024-05-01T09:00:00Z"});
    assert_eq!(
        app.call(Method::POST, BASE, Some(&app.agent), Some(body.clone()))
            .await
            .status(),
        201
    );
    assert_problem(
        app.call(Method::POST, BASE, Some(&app.agent), Some(body))
            .await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn put_creates_replaces_and_refuses_stale_writes() {
    let app = spawn_app().await;
    let path = format!("{BASE}/call-1");
    let v1 = json!({"started_at": "2024-05-01T09:00:00Z", "updated_at": "2024-05-01T10:00:00Z", "subject": "first"});
    let r = app
        .call(Method::PUT, &path, Some(&app.agent), Some(v1.clone()))
        .await;
    assert_eq!(r.status(), 201);
    let v2 = json!({"started_at": "2024-05-01T09:00:00Z", "updated_at": "2024-05-01T11:00:00Z", "subject": "second"});
    let r = app
        .call(Method::PUT, &path, Some(&app.agent), Some(v2))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["subject"], "second");
    // A replay of the older version must not regress the stored one.
    assert_problem(
        app.call(Method::PUT, &path, Some(&app.agent), Some(v1))
            .await,
        409,
        "stale_write",
    )
    .await;
    assert_eq!(app.get_json(&path).await.1["subject"], "second");
    // The body's id must agree with the path.
    let wrong = json!({"id": "other", "started_at": "2024-05-01T09:00:00Z"});
    let body = assert_problem(
        app.call(Method::PUT, &path, Some(&app.agent), Some(wrong))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "id");
}

#[tokio::test]
async fn patch_merges_and_rederives_what_depends_on_changed_fields() {
    let app = spawn_app().await;
    let path = format!("{BASE}/p1");
    let body = json!({"started_at": "2024-05-01T09:00:00Z", "ended_at": "2024-05-01T09:01:00Z", "subject": "s", "team": "Billing"});
    app.call(Method::PUT, &path, Some(&app.agent), Some(body))
        .await;
    let r = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&app.agent)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"ended_at": "2024-05-01T09:02:00Z", "team": null, "topics": ["billing"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["duration_ms"], 120_000);
    assert!(e.get("team").is_none());
    assert_eq!(e["topics"], json!(["billing"]));
    assert_eq!(e["subject"], "s");
    // A patch that breaks a rule changes nothing.
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(&app.agent),
            Some(json!({"ended_at": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    assert_eq!(
        app.get_json(&path).await.1["ended_at"],
        "2024-05-01T09:02:00Z"
    );
    let r = app
        .call(
            Method::PATCH,
            &format!("{BASE}/missing"),
            Some(&app.agent),
            Some(json!({"subject": "x"})),
        )
        .await;
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test]
async fn delete_removes_it_everywhere() {
    let app = spawn_app().await;
    app.seed(vec![engagement("d1", "2024-01-01T00:00:00Z")])
        .await;
    let path = format!("{BASE}/d1");
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&app.admin), None)
            .await
            .status(),
        204
    );
    assert_problem(app.get(&path).await, 404, "not_found").await;
    assert_eq!(
        app.get_json(&format!("{BASE}?count=exact")).await.1["total"],
        0
    );
    assert_problem(
        app.call(Method::DELETE, &path, Some(&app.admin), None)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn validation_errors_name_each_field() {
    let app = spawn_app().await;
    let body = json!({
        "id": "v1",
        "started_at": "2024-05-01T09:00:00Z",
        "ended_at": "2024-05-01T08:00:00Z",
        "participants": [{"role": "agent", "joined_at": "2024-05-01T09:05:00Z", "left_at": "2024-05-01T09:01:00Z"}],
        "notes": [{"text": "x".repeat(40_000)}]
    });
    let r = app
        .call(Method::POST, BASE, Some(&app.agent), Some(body))
        .await;
    let problem = assert_problem(r, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["ended_at", "participants[0].left_at", "notes[0].text"]
    );
    assert_problem(app.get(&format!("{BASE}/v1")).await, 404, "not_found").await;
}

async fn raw_post(app: &TestApp, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.http
        .post(app.url(BASE))
        .bearer_auth(&app.agent)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bad_bodies_get_clear_4xx_and_write_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{\"started_at\": ".to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            b"[1,2,3]".to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            br#"{"started_at": 5}"#.to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            br#"{"started_at": "yesterday"}"#.to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            br#"{"started_at": "2024-01-01T00:00:00Z", "direction": "sideways"}"#.to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            br#"{"started_at": "2024-01-01T00:00:00Z", "colour": "red"}"#.to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            b"{\"started_at\": \"2024-01-01T00:00:00Z\", \"subject\": \"\xff\xfe\"}".to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            format!(
                "{{\"started_at\":\"2024-01-01T00:00:00Z\",\"data\":{{\"k\":{}1{}}}}}",
                "[".repeat(5000),
                "]".repeat(5000)
            )
            .into_bytes(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            br#"{"id": "a/b", "started_at": "2024-01-01T00:00:00Z"}"#.to_vec(),
            422,
            "validation_failed",
        ),
        (
            "text/plain",
            br#"{"started_at": "2024-01-01T00:00:00Z"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
    ];
    for (ct, body, status, code) in cases {
        let r = raw_post(&app, ct, body).await;
        assert_problem(r, status, code).await;
    }
    assert_eq!(
        app.get_json(&format!("{BASE}?count=exact")).await.1["total"],
        0
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app_with(TestConfig::toml("max_body_bytes = 10000")).await;
    let big = json!({"started_at": "2024-01-01T00:00:00Z", "subject": "x".repeat(20_000)});
    let r = raw_post(&app, "application/json", serde_json::to_vec(&big).unwrap()).await;
    assert_problem(r, 413, "payload_too_large").await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_problems() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
    let r = app.call(Method::DELETE, BASE, Some(&app.admin), None).await;
    assert_problem(r, 405, "method_not_allowed").await;
    assert_problem(
        app.get(&format!("{BASE}/has%20space")).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_key_given_twice_is_refused_naming_it_in_every_body_and_format() {
    let app = spawn_app().await;
    for (body, key) in [
        (
            r#"{"id":"d1","id":"d2","started_at":"2024-01-01T00:00:00Z"}"#,
            "id",
        ),
        (
            r#"{"id":"d1","started_at":"2024-01-01T00:00:00Z","data":{"k":1,"k":2}}"#,
            "k",
        ),
        (
            r#"{"id":"d1","started_at":"2024-01-01T00:00:00Z","data":{"k":{"n":1,"n":2}}}"#,
            "n",
        ),
        (
            r#"{"id":"d1","started_at":"2024-01-01T00:00:00Z","customer":{"custom":{"x":["1"],"x":["2"]}}}"#,
            "x",
        ),
    ] {
        let r = raw_post(&app, "application/json", body.as_bytes().to_vec()).await;
        let p = assert_problem(r, 400, "malformed_body").await;
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("duplicate field `{key}`"))
                || detail.contains(&format!("duplicate key \"{key}\"")),
            "{detail}"
        );
    }
    let (status, _) = app.get_json(&format!("{BASE}/d1")).await;
    assert_eq!(status, 404, "nothing was written");

    app.seed(vec![engagement("p1", "2024-01-01T00:00:00Z")])
        .await;
    let r = app
        .http
        .patch(app.url(&format!("{BASE}/p1")))
        .bearer_auth(&app.agent)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"subject":"a","subject":"b"}"#)
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "malformed_body").await;
    assert!(p["detail"].as_str().unwrap().contains("\"subject\""), "{p}");

    // Every ingest format refuses the line, saying which key.
    for (format, line) in [
        (
            "native",
            r#"{"id":"n1","started_at":"2024-01-01T00:00:00Z","data":{"k":1,"k":2}}"#,
        ),
        (
            "zoom_cc",
            r#"{"engagement_id":"z1","start_time":"2024-01-01T00:00:00Z","direction":"inbound","direction":"outbound"}"#,
        ),
        (
            "genesys_gws",
            r#"{"id":"g1","startDate":"2024-01-01T00:00:00.000Z","userData":{"k":"1","k":"2"}}"#,
        ),
        (
            "oracle_lx",
            r#"{"id":"o1","startDate":"2024-01-01T00:00:00.000Z","id":"o2"}"#,
        ),
        (
            "avaya_axp",
            r#"{"id":"a1","startDate":"2024-01-01T00:00:00Z","data":{"k":"1","k":"2"}}"#,
        ),
    ] {
        let r = app
            .ingest_as(format, "application/x-ndjson", format!("{line}\n"))
            .await;
        assert_eq!(r.status(), 200);
        let s: Value = r.json().await.unwrap();
        assert_eq!(s["rejected"], 1, "{format}: {s}");
        let reason = s["problems"][0]["reason"].as_str().unwrap();
        assert!(reason.contains("duplicate"), "{format}: {reason}");
    }
}
