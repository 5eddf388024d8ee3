//! `/metrics`: Prometheus text with every request counted and timed by API, route
//! template, method and status class, the store's and ingest's own series, and labels
//! that never carry tenant data or ids, however many different paths are asked for.
//!
//! The recorder is one per process (the `metrics` facade is global), so counts here are
//! compared before and after, never absolutely.

use interlog_testkit::*;
use reqwest::Method;
use std::collections::{BTreeMap, BTreeSet};

/// One sample of the exposition: name, labels, value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("name and value");
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.strip_suffix('}').expect("closing brace")),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once("=\"").expect("label pair");
                    (k.to_owned(), v.trim_end_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().unwrap_or(f64::NAN),
            }
        })
        .collect()
}

async fn scrape(app: &TestApp, url: &str) -> Vec<Sample> {
    let r = app.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    parse(&r.text().await.unwrap())
}

fn sum(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_counted_by_api_route_and_status_class_and_labels_stay_bounded() {
    let app = spawn_app().await;
    app.seed(vec![engagement("known-1", "2024-03-01T10:00:00Z")])
        .await;
    let metrics_url = app.url("/metrics");
    let before = scrape(&app, &metrics_url).await;
    let one = "/api/v1/tenants/{tenant}/engagements/{id}";
    let ok = [
        ("api", "native"),
        ("route", one),
        ("method", "GET"),
        ("status", "2xx"),
    ];
    let missing = [
        ("api", "native"),
        ("route", one),
        ("method", "GET"),
        ("status", "4xx"),
    ];

    assert_eq!(
        app.get("/api/v1/tenants/acme/engagements/known-1")
            .await
            .status(),
        200
    );
    // Ids, tenants and paths that must never become label values.
    let secrets: Vec<String> = (0..40)
        .map(|i| format!("secret-id-{i}-{}", uuid::Uuid::new_v4()))
        .collect();
    for s in &secrets[..20] {
        assert_eq!(
            app.get(&format!("/api/v1/tenants/acme/engagements/{s}"))
                .await
                .status(),
            404
        );
        assert_eq!(app.get(&format!("/{s}/nowhere")).await.status(), 404);
        app.call(Method::PUT, &format!("/{s}"), None, None).await;
    }
    let zoom = app
        .call(Method::GET, "/v2/contact_center/engagements", None, None)
        .await;
    assert_eq!(zoom.status(), 401);

    let after = scrape(&app, &metrics_url).await;
    assert_eq!(
        sum(&after, "interlog_http_requests_total", &ok)
            - sum(&before, "interlog_http_requests_total", &ok),
        1.0
    );
    assert_eq!(
        sum(&after, "interlog_http_requests_total", &missing)
            - sum(&before, "interlog_http_requests_total", &missing),
        20.0
    );
    let unmatched = [("api", "none"), ("route", "unmatched"), ("status", "4xx")];
    assert!(
        sum(&after, "interlog_http_requests_total", &unmatched)
            - sum(&before, "interlog_http_requests_total", &unmatched)
            >= 20.0
    );
    let zoom_list = [
        ("api", "zoom_cc"),
        ("route", "/v2/contact_center/engagements"),
        ("status", "4xx"),
    ];
    assert!(sum(&after, "interlog_http_requests_total", &zoom_list) >= 1.0);
    // The duration is a histogram with the same labels.
    assert!(after.iter().any(
        |s| s.name == "interlog_http_request_duration_seconds_bucket"
            && s.labels.get("route").map(String::as_str) == Some(one)
            && s.labels.get("le").map(String::as_str) == Some("+Inf")
    ));
    assert_eq!(
        sum(&after, "interlog_http_request_duration_seconds_count", &ok),
        sum(&after, "interlog_http_requests_total", &ok)
    );

    // Every label value is from a closed set: no id, tenant or raw path.
    let templates: BTreeSet<&str> = app
        .routes
        .iter()
        .map(|r| r.path.as_str())
        .chain(["unmatched", "/metrics"])
        .collect();
    let apis = [
        "native",
        "oracle_lx",
        "zoom_cc",
        "avaya_axp",
        "genesys_gws",
        "ui",
        "none",
    ];
    for s in after
        .iter()
        .filter(|s| s.name.starts_with("interlog_http_"))
    {
        let route = s.labels["route"].as_str();
        assert!(
            templates.contains(route),
            "route label {route:?} is not a template: {s:?}"
        );
        assert!(apis.contains(&s.labels["api"].as_str()), "{s:?}");
        assert!(
            ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"]
                .contains(&s.labels["method"].as_str())
        );
        assert!(["1xx", "2xx", "3xx", "4xx", "5xx"].contains(&s.labels["status"].as_str()));
    }
    for s in &after {
        for v in s.labels.values() {
            assert!(
                !v.contains("secret-id") && !v.contains("acme") && !v.contains("known-1"),
                "{s:?}"
            );
        }
    }
    // More distinct ids and paths add no series. Counted over the routes these requests
    // take: the recorder is the process's, and the other tests of this file add series of
    // other routes meanwhile.
    let series = |samples: &[Sample]| {
        samples
            .iter()
            .filter(|s| s.name.starts_with("interlog_http_"))
            .filter(|s| [one, "unmatched"].contains(&s.labels["route"].as_str()))
            .count()
    };
    for s in &secrets[20..] {
        app.get(&format!("/api/v1/tenants/acme/engagements/{s}"))
            .await;
        app.get(&format!("/{s}/nowhere/{s}")).await;
        app.call(Method::PUT, &format!("/{s}"), None, None).await;
    }
    let later = scrape(&app, &metrics_url).await;
    assert_eq!(series(&later), series(&after), "new ids made new series");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_ingest_and_login_series_are_exposed() {
    let app = spawn_app().await;
    let url = app.url("/metrics");
    let before = scrape(&app, &url).await;
    let body = format!(
        "{}\n{}\nnot json\n",
        serde_json::json!({"id": "m1", "started_at": "2024-03-01T10:00:00Z"}),
        serde_json::json!({"id": "m2", "started_at": "2024-03-01T11:00:00Z"}),
    );
    let r = app
        .http
        .post(app.url("/api/v1/tenants/acme/ingest"))
        .bearer_auth(&app.agent)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app.client_id.as_str()),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after = scrape(&app, &url).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        sum(&after, name, labels) - sum(&before, name, labels)
    };
    assert_eq!(
        delta(
            "interlog_ingest_lines_total",
            &[("format", "native"), ("result", "created")]
        ),
        2.0
    );
    assert_eq!(
        delta(
            "interlog_ingest_lines_total",
            &[("format", "native"), ("result", "rejected")]
        ),
        1.0
    );
    assert!(delta("interlog_store_group_commit_size_count", &[]) >= 1.0);
    assert!(delta("interlog_store_commit_duration_seconds_count", &[]) >= 1.0);
    let names: BTreeSet<&str> = after.iter().map(|s| s.name.as_str()).collect();
    for name in [
        "interlog_store_write_queue_depth",
        "interlog_store_group_commit_size_bucket",
        "interlog_argon2_verifications_in_flight",
        "interlog_cometd_clients",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    assert_eq!(
        sum(&after, "interlog_argon2_verifications_in_flight", &[]),
        0.0
    );
}

#[tokio::test]
async fn metrics_listen_moves_metrics_off_the_api_and_metrics_false_removes_them() {
    let app = spawn_app_with(TestConfig::toml("metrics_listen = \"127.0.0.1:0\"")).await;
    let at = app.metrics_addr().expect("a metrics listener");
    assert_ne!(at.port(), 0);
    let samples = scrape(&app, &format!("http://{at}/metrics")).await;
    assert!(samples
        .iter()
        .any(|s| s.name == "interlog_http_requests_total" || s.name.starts_with("interlog_")));
    assert_problem(app.get("/metrics").await, 404, "not_found").await;
    assert!(!app.routes.iter().any(|r| r.path == "/metrics"));

    let off = spawn_app_with(TestConfig::toml("metrics = false")).await;
    assert_eq!(off.metrics_addr(), None);
    assert_problem(off.get("/metrics").await, 404, "not_found").await;
    let on = spawn_app_with(TestConfig::default().env("INTERLOG_METRICS", "true")).await;
    assert!(on.routes.iter().any(|r| r.path == "/metrics"));
}
