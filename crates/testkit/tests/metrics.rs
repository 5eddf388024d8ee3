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
    let apis: Vec<&str> = api_names().into_iter().chain(["none"]).collect();
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
    for s in &later {
        for v in s.labels.values() {
            assert!(!secrets.iter().any(|id| v.contains(id.as_str())), "{s:?}");
        }
    }
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
    let r = app.ingest(body).await;
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

/// Waits (with a deadline) until `done` holds for a scrape; returns the last scrape.
async fn scrape_until(app: &TestApp, url: &str, done: impl Fn(&[Sample]) -> bool) -> Vec<Sample> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let samples = scrape(app, url).await;
        if done(&samples) || std::time::Instant::now() > deadline {
            return samples;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Answers 500 to its first request and 204 to every later one.
async fn flaky_receiver() -> String {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let failed = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let failed = failed.clone();
            async move {
                if failed.swap(true, Ordering::SeqCst) {
                    axum::http::StatusCode::NO_CONTENT
                } else {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_are_counted_by_result_timed_and_their_lag_recorded() {
    let app = spawn_app_with(TestConfig::toml(
        "[webhooks]\nallow_private_targets = true\nretry_base_secs = 1\nretry_cap_secs = 1\n\
         give_up_after_secs = 2\n",
    ))
    .await;
    let url = app.url("/metrics");
    let before = scrape(&app, &url).await;
    // A receiver that refuses once, then takes everything; and an address nobody listens
    // on, whose webhook fails until it is disabled.
    let flaky = flaky_receiver().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    for target in [&flaky, &closed] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/tenants/acme/webhooks",
                Some(&app.admin),
                Some(serde_json::json!({"url": target, "events": ["engagement.upserted"]})),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    app.seed(vec![serde_json::from_value(
        serde_json::json!({"id": "hooked", "started_at": "2024-03-01T10:00:00Z"}),
    )
    .unwrap()])
        .await;

    let delta = |after: &[Sample], name: &str, labels: &[(&str, &str)]| {
        sum(after, name, labels) - sum(&before, name, labels)
    };
    let deliveries = "interlog_webhook_deliveries_total";
    let after = scrape_until(&app, &url, |s| {
        delta(s, deliveries, &[("result", "delivered")]) >= 1.0
            && delta(s, "interlog_webhooks_disabled_total", &[]) >= 1.0
    })
    .await;
    assert_eq!(delta(&after, deliveries, &[("result", "delivered")]), 1.0);
    assert_eq!(delta(&after, deliveries, &[("result", "refused")]), 1.0);
    assert!(delta(&after, deliveries, &[("result", "unreachable")]) >= 1.0);
    assert_eq!(delta(&after, "interlog_webhooks_disabled_total", &[]), 1.0);
    for result in ["delivered", "refused", "unreachable"] {
        assert_eq!(
            delta(
                &after,
                "interlog_webhook_delivery_duration_seconds_count",
                &[("result", result)]
            ),
            delta(&after, deliveries, &[("result", result)]),
            "every {result} attempt is timed"
        );
    }
    // Delivered about a second after the commit (one retry), so in a bucket above 0.5 s.
    assert_eq!(
        delta(&after, "interlog_webhook_delivery_lag_seconds_count", &[]),
        1.0
    );
    assert_eq!(
        delta(
            &after,
            "interlog_webhook_delivery_lag_seconds_bucket",
            &[("le", "0.25")]
        ),
        0.0,
        "the lag includes the retry"
    );
    // No label names the webhook, its target or the tenant.
    for s in after
        .iter()
        .filter(|s| s.name.starts_with("interlog_webhook"))
    {
        for (k, v) in &s.labels {
            assert!(
                k == "result" || k == "le",
                "unexpected label {k}={v} on {}",
                s.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_checks_refused_before_hashing_are_counted() {
    let app = spawn_app_with(TestConfig::toml(
        "credential_burst = 1\ncredential_per_minute = 1",
    ))
    .await;
    let url = app.url("/metrics");
    let before = scrape(&app, &url).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let r = app
            .http
            .post(app.url("/api/v1/oauth/token"))
            .form(&UNKNOWN_CLIENT)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 429]);
    let after = scrape(&app, &url).await;
    let name = "interlog_credential_checks_refused_total";
    let delta = |reason: &str| {
        sum(&after, name, &[("reason", reason)]) - sum(&before, name, &[("reason", reason)])
    };
    assert_eq!(delta("over_budget"), 1.0);
    assert_eq!(delta("queue_full"), 0.0);
    assert!(
        after
            .iter()
            .any(|s| s.name == name
                && s.labels.get("reason").map(String::as_str) == Some("queue_full")),
        "the series exists before its first event"
    );
}
