//! Export jobs, black-box: the files read back with the `parquet` crate's reader (and as
//! NDJSON and CSV text) hold exactly what the native list returns for the same filters —
//! counts, sums and nested counts — at the change-feed position the job names; the file
//! downloads with Content-Length, ETag and ranges; bad requests name their field; quotas
//! and expiry hold.

use arrow_array::{Array, Int64Array, ListArray, StringArray};
use interlog_generate::{Generator, GeneratorConfig};
use interlog_model::{Engagement, Timestamp};
use interlog_testkit::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const EXPORTS: &str = "/api/v1/tenants/acme/exports";
/// A CSV export's header line.
const CSV_HEADER: &str = "id,source,started_at,ended_at,duration_ms,state,outcome,direction,\
                          channels,agents,customer_phones,customer_emails,queues,team,\
                          dispositions,subject\n";

async fn seed_generated(app: &TestApp, count: u64) {
    let end: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
    let mut cfg = GeneratorConfig::new(25, count, end);
    cfg.span_days = 30;
    let engagements: Vec<Engagement> = Generator::new(cfg).collect();
    for chunk in engagements.chunks(500) {
        app.seed(chunk.to_vec()).await;
    }
}

/// Starts an export; its view.
async fn start(app: &TestApp, body: Value) -> Value {
    let r = app
        .call(Method::POST, EXPORTS, Some(&app.admin), Some(body))
        .await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let view: Value = r.json().await.unwrap();
    assert_eq!(
        location,
        format!("{EXPORTS}/{}", view["id"].as_str().unwrap())
    );
    assert_eq!(view["state"], "queued", "{view}");
    view
}

/// Polls the export until it has finished (within a minute); its view.
async fn finished(app: &TestApp, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, view) = app
            .get_json_as(&format!("{EXPORTS}/{id}"), &app.admin)
            .await;
        assert_eq!(status, 200, "{view}");
        if !matches!(view["state"].as_str(), Some("queued" | "running")) {
            return view;
        }
        assert!(Instant::now() < deadline, "export still {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn download(app: &TestApp, id: &str) -> (reqwest::header::HeaderMap, bytes::Bytes) {
    let r = app
        .call(
            Method::GET,
            &format!("{EXPORTS}/{id}/file"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    (headers, r.bytes().await.unwrap())
}

/// Every engagement the native list returns for `query`, in pages of 1,000.
async fn listed(app: &TestApp, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/tenants/acme/engagements?limit=1000&{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        out.extend(page["engagements"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

fn len_of(e: &Value, key: &str) -> u64 {
    e[key].as_array().map_or(0, |a| a.len() as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_hold_what_the_native_list_holds_in_every_format() {
    let app = spawn_app().await;
    seed_generated(&app, 2_500).await;
    let filters = json!({"channel_type": "voice", "direction": ["inbound", "outbound"]});
    let expected = listed(
        &app,
        "channel_type=voice&direction=inbound&direction=outbound",
    )
    .await;
    assert!(
        expected.len() > 1_000,
        "more than one batch: {}",
        expected.len()
    );
    let ids: BTreeSet<String> = expected
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let duration_sum: i64 = expected
        .iter()
        .map(|e| e["duration_ms"].as_i64().unwrap_or(0))
        .sum();
    let participants: u64 = expected.iter().map(|e| len_of(e, "participants")).sum();
    let queues: u64 = expected.iter().map(|e| len_of(e, "queues")).sum();
    let head = app.get_json("/api/v1/tenants/acme/changes?limit=1").await.1;

    // Parquet, read with the parquet crate's own reader.
    let view = start(&app, json!({"format": "parquet", "filters": filters})).await;
    let id = view["id"].as_str().unwrap();
    let done = finished(&app, id).await;
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["rows"], expected.len() as u64);
    assert_eq!(done["progress"]["done"], expected.len() as u64);
    assert_eq!(done["progress"]["total"], expected.len() as u64);
    assert!(done["expires_at"].as_str().unwrap() > done["completed_at"].as_str().unwrap());
    let position = done["position"].as_i64().unwrap();
    let (_, after) = app
        .get_json(&format!("/api/v1/tenants/acme/changes?after={position}"))
        .await;
    assert_eq!(
        after["changes"],
        json!([]),
        "nothing was written since {head}"
    );
    let (headers, file) = download(&app, id).await;
    assert_eq!(headers["content-type"], "application/vnd.apache.parquet");
    assert_eq!(
        headers["content-length"].to_str().unwrap(),
        done["bytes"].to_string()
    );
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(&file[..4], b"PAR1");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file.clone())
        .unwrap()
        .build()
        .unwrap();
    let (mut rows, mut seen, mut sum, mut nested_p, mut nested_q) =
        (0usize, BTreeSet::new(), 0i64, 0u64, 0u64);
    for batch in reader {
        let batch = batch.unwrap();
        rows += batch.num_rows();
        let col = |name: &str| batch.column(batch.schema().index_of(name).unwrap()).clone();
        let id_col = col("id");
        let id_col = id_col.as_any().downcast_ref::<StringArray>().unwrap();
        seen.extend(id_col.iter().map(|v| v.unwrap().to_owned()));
        let d = col("duration_ms");
        sum += d
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .iter()
            .flatten()
            .sum::<i64>();
        for (name, total) in [("participants", &mut nested_p), ("queues", &mut nested_q)] {
            let l = col(name);
            let l = l.as_any().downcast_ref::<ListArray>().unwrap();
            *total += (0..l.len())
                .map(|i| {
                    if l.is_null(i) {
                        0
                    } else {
                        l.value_length(i) as u64
                    }
                })
                .sum::<u64>();
        }
    }
    assert_eq!(rows, expected.len());
    assert_eq!(seen, ids);
    assert_eq!(sum, duration_sum, "sum of duration_ms");
    assert_eq!(nested_p, participants, "participants, unnested");
    assert_eq!(nested_q, queues, "queue visits, unnested");

    // Ranges, the ETag, and a range past the end.
    let path = format!("{EXPORTS}/{id}/file");
    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&app.admin)
        .header("range", "bytes=4-9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes 4-9/{}", file.len())
    );
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(r.bytes().await.unwrap(), file.slice(4..10));
    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&app.admin)
        .header("range", "bytes=-4")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), file.slice(file.len() - 4..));
    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&app.admin)
        .header("range", format!("bytes={}-", file.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&app.admin)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // The file on disk is the tenant's own, readable by the server's user only.
    let on_disk = app
        .data_dir()
        .join("exports")
        .join(app.tenant.id.to_string())
        .join(format!("{id}.parquet"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&on_disk).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // NDJSON: the stored bodies, one a line.
    let view = start(&app, json!({"format": "ndjson", "filters": filters})).await;
    let nd = view["id"].as_str().unwrap().to_owned();
    assert_eq!(finished(&app, &nd).await["state"], "completed");
    let (headers, body) = download(&app, &nd).await;
    assert_eq!(headers["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = std::str::from_utf8(&body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let nd_ids: BTreeSet<String> = lines
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!((lines.len(), nd_ids), (expected.len(), ids.clone()));

    // CSV with two columns.
    let view = start(
        &app,
        json!({"format": "csv", "filters": filters, "fields": ["id", "duration_ms"]}),
    )
    .await;
    let csv = view["id"].as_str().unwrap().to_owned();
    assert_eq!(finished(&app, &csv).await["state"], "completed");
    let (_, body) = download(&app, &csv).await;
    let text = std::str::from_utf8(&body).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,duration_ms"));
    let csv_sum: i64 = lines
        .clone()
        .map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap_or(0))
        .sum();
    assert_eq!((lines.count(), csv_sum), (expected.len(), duration_sum));

    // The list, newest first; a finished export is removed with its file.
    let (_, all) = app.get_json_as(EXPORTS, &app.admin).await;
    let listed_ids: Vec<&str> = all["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed_ids, vec![csv.as_str(), nd.as_str(), id]);
    let r = app
        .call(
            Method::DELETE,
            &format!("{EXPORTS}/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert!(!on_disk.exists(), "the file is deleted with its export");
    let r = app
        .call(
            Method::GET,
            &format!("{EXPORTS}/{id}/file"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_requests_are_validated_naming_the_field() {
    let app = spawn_app().await;
    let post = |body: Value, token: String| {
        let app = &app;
        async move {
            app.call(Method::POST, EXPORTS, Some(&token), Some(body))
                .await
        }
    };
    for (body, parameter) in [
        (json!({"format": "xlsx"}), "format"),
        (
            json!({"format": "csv", "filters": {"channel_type": "fax"}}),
            "filters.channel_type",
        ),
        (
            json!({"format": "csv", "filters": {"limit": 5}}),
            "filters.limit",
        ),
        (
            json!({"format": "csv", "filters": {"agent": {"id": 1}}}),
            "filters.agent",
        ),
        (
            json!({"format": "csv", "filters": {"filter": "channel_type:"}}),
            "filters.filter",
        ),
        (json!({"format": "csv", "fields": []}), "fields"),
        (
            json!({"format": "csv", "fields": ["id", "participants"]}),
            "fields[1]",
        ),
    ] {
        let problem = assert_problem(
            post(body.clone(), app.admin.clone()).await,
            400,
            "bad_parameter",
        )
        .await;
        assert_eq!(problem["parameter"], parameter, "{body}: {problem}");
    }
    assert_problem(
        post(json!({"format": "csv", "colour": "red"}), app.admin.clone()).await,
        400,
        "malformed_body",
    )
    .await;
    assert_problem(
        post(json!({"format": "csv"}), app.reader.clone()).await,
        403,
        "forbidden",
    )
    .await;

    // Another tenant's admin sees none of this tenant's exports.
    let view = start(&app, json!({"format": "ndjson"})).await;
    let id = view["id"].as_str().unwrap();
    let (_, other) = app.other_tenant("other").await;
    for path in [format!("{EXPORTS}/{id}"), format!("{EXPORTS}/{id}/file")] {
        let r = app.call(Method::GET, &path, Some(&other), None).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/tenants/other/exports/{id}"),
            Some(&other),
            None,
        )
        .await;
    assert_problem(r, 404, "not_found").await;
    let r = app
        .call(
            Method::GET,
            &format!("{EXPORTS}/ex_nothing"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_past_the_quota_fails_and_a_full_quota_refuses_new_ones() {
    let header = CSV_HEADER;
    let app = spawn_app_with(TestConfig::toml(format!(
        "export_quota_bytes = {}\n",
        header.len()
    )))
    .await;
    seed_generated(&app, 50).await;

    let view = start(&app, json!({"format": "ndjson"})).await;
    let id = view["id"].as_str().unwrap();
    let done = finished(&app, id).await;
    assert_eq!(done["state"], "failed", "{done}");
    assert!(done["error"].as_str().unwrap().contains("quota"), "{done}");
    let dir = app
        .data_dir()
        .join("exports")
        .join(app.tenant.id.to_string());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map_or(Vec::new(), |d| d.flatten().map(|e| e.file_name()).collect());
    assert_eq!(
        left,
        Vec::<std::ffi::OsString>::new(),
        "no partial file stays"
    );
    let r = app
        .call(
            Method::GET,
            &format!("{EXPORTS}/{id}/file"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(r, 409, "conflict").await;

    // A CSV of nothing is its header: exactly the quota.
    let view = start(
        &app,
        json!({"format": "csv", "filters": {"team": "nobody"}}),
    )
    .await;
    let done = finished(&app, view["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["bytes"], header.len());
    let r = app
        .call(
            Method::POST,
            EXPORTS,
            Some(&app.admin),
            Some(json!({"format": "csv"})),
        )
        .await;
    assert!(r.headers().contains_key("retry-after"));
    let problem = assert_problem(r, 429, "too_many_requests").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("quota"),
        "{problem}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_export_loses_its_file() {
    let app = spawn_app_with(TestConfig::toml("export_ttl_secs = 1\n")).await;
    seed_generated(&app, 20).await;
    let view = start(&app, json!({"format": "parquet"})).await;
    let id = view["id"].as_str().unwrap();
    let done = finished(&app, id).await;
    assert_eq!(done["state"], "completed", "{done}");
    let on_disk = app
        .data_dir()
        .join("exports")
        .join(app.tenant.id.to_string())
        .join(format!("{id}.parquet"));
    assert!(on_disk.exists());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = app
            .get_json_as(&format!("{EXPORTS}/{id}"), &app.admin)
            .await;
        if v["state"] == "expired" {
            break;
        }
        assert!(Instant::now() < deadline, "still {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!on_disk.exists(), "an expired export's file is deleted");
    let r = app
        .call(
            Method::GET,
            &format!("{EXPORTS}/{id}/file"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(r, 409, "conflict").await;
}

/// What a webhook receiver got: each request's headers and body.
type Received = tokio::sync::mpsc::UnboundedReceiver<(axum::http::HeaderMap, bytes::Bytes)>;

/// The next request the receiver gets (within 30 s).
async fn next(got: &mut Received) -> (axum::http::HeaderMap, bytes::Bytes) {
    tokio::time::timeout(Duration::from_secs(30), got.recv())
        .await
        .expect("an event within 30 s")
        .unwrap()
}

/// A webhook receiver on 127.0.0.1:0 handing the test every request it gets.
async fn receiver() -> (String, Received) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: bytes::Bytes| async move {
                let _ = tx.send((headers, body));
                axum::http::StatusCode::NO_CONTENT
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_exports_are_webhook_events() {
    let header_len = CSV_HEADER.len();
    let app = spawn_app_with(TestConfig::toml(format!(
        "export_quota_bytes = {}\n[webhooks]\nallow_private_targets = true\n",
        header_len + 100
    )))
    .await;
    let (url, mut got) = receiver().await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/tenants/acme/webhooks",
            Some(&app.admin),
            Some(json!({"url": url, "events": ["export.completed", "export.failed"]})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let hook: Value = r.json().await.unwrap();
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    let verifier = standardwebhooks::Webhook::new(hook["secret"].as_str().unwrap()).unwrap();
    // Feed changes this webhook does not ask for.
    seed_generated(&app, 30).await;

    // A CSV of nothing (its header) completes within the quota.
    let view = start(
        &app,
        json!({"format": "csv", "filters": {"team": "nobody"}}),
    )
    .await;
    let completed_id = view["id"].as_str().unwrap().to_owned();
    let done = finished(&app, &completed_id).await;
    let (headers, body) = next(&mut got).await;
    verifier.verify(&body, &headers).expect("a valid signature");
    assert_eq!(
        headers["webhook-id"],
        format!("msg_{hook_id}_{completed_id}").as_str()
    );
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["type"], "export.completed", "{event}");
    assert!(event["timestamp"]
        .as_str()
        .unwrap()
        .parse::<Timestamp>()
        .is_ok());
    assert_eq!(event["data"]["id"], completed_id.as_str());
    assert_eq!(event["data"]["position"], done["position"]);
    assert_eq!(
        event["data"]["export"], done,
        "the event holds the job's view"
    );
    assert_eq!(event["data"]["export"]["bytes"], header_len);

    // The NDJSON of everything passes the quota and fails.
    let view = start(&app, json!({"format": "ndjson"})).await;
    let failed_id = view["id"].as_str().unwrap().to_owned();
    let done = finished(&app, &failed_id).await;
    assert_eq!(done["state"], "failed", "{done}");
    let (headers, body) = next(&mut got).await;
    verifier.verify(&body, &headers).expect("a valid signature");
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["type"], "export.failed", "{event}");
    assert_eq!(event["data"]["id"], failed_id.as_str());
    assert_eq!(event["data"]["export"], done);
    assert!(
        event["data"]["export"]["error"]
            .as_str()
            .unwrap()
            .contains("quota"),
        "{event}"
    );

    // The deliveries name the two events and nothing else (the upserts were not asked
    // for: had they been sent, they would be recorded with the first event's round).
    let deadline = Instant::now() + Duration::from_secs(30);
    let attempts = loop {
        let (_, d) = app
            .get_json_as(
                &format!("/api/v1/tenants/acme/webhooks/{hook_id}/deliveries"),
                &app.admin,
            )
            .await;
        let attempts = d["attempts"].as_array().unwrap().clone();
        if attempts.len() >= 2 {
            break attempts;
        }
        assert!(Instant::now() < deadline, "deliveries: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut ids: Vec<&str> = attempts
        .iter()
        .map(|a| a["message_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = vec![
        format!("msg_{hook_id}_{completed_id}"),
        format!("msg_{hook_id}_{failed_id}"),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(got.try_recv().is_err(), "nothing else was sent");
}
