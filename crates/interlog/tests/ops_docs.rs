//! The alert rules and the Grafana dashboard in docs/ops name only metrics that a server
//! started as `interlog serve` starts really exports at /metrics (after the requests and
//! writes every deployment sees), and the dashboard is valid JSON whose panels have queries.

mod common;

use common::{create_client, ok, run, serve, token, Server};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Metrics whose first series appears with their first event, which a fresh server has not
/// had: a histogram of delivery lag (its buckets come with the first delivery) and what
/// connectors record (labelled by the connector's kind, known when one runs). Each is in the
/// README's table of metrics, which this test also checks.
const WITH_THEIR_FIRST_EVENT: &[&str] = &[
    "interlog_webhook_delivery_lag_seconds",
    "interlog_connector_runs_total",
    "interlog_connector_lag_seconds",
];

fn docs(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/ops")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `interlog_…` name in `text`, as a metric family (histogram series suffixes off).
fn names_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("interlog_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        out.insert(family.to_owned());
        rest = &tail[end..];
    }
    out
}

#[tokio::test]
async fn the_alert_rules_and_dashboard_name_only_exported_metrics() {
    let rules = docs("prometheus-rules.yml");
    let dashboard = docs("grafana-dashboard.json");
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let panels = parsed["panels"].as_array().unwrap();
    assert!(panels.len() >= 8);
    for p in panels {
        assert!(
            !p["targets"].as_array().unwrap().is_empty(),
            "a panel without a query: {}",
            p["title"]
        );
    }
    let named: BTreeSet<String> = names_in(&rules)
        .into_iter()
        .chain(names_in(&dashboard))
        .collect();
    assert!(named.len() >= 10, "{named:?}");

    // A server as serve starts it, after a token, a write, an ingest and a read.
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    ok(run(&["tenant", "create", "acme"], &data));
    let creds = create_client(&data, "acme", "admin");
    let server = Server::start(&mut serve(&data));
    let http = reqwest::Client::new();
    let base = &server.base;
    let t = token(&http, base, &creds).await;
    let put = http
        .put(format!("{base}/api/v1/tenants/acme/engagements/m1"))
        .bearer_auth(&t)
        .json(&serde_json::json!({"id": "m1", "started_at": "2026-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let ingest = http
        .post(format!("{base}/api/v1/tenants/acme/ingest"))
        .bearer_auth(&t)
        .header("content-type", "application/x-ndjson")
        .body("{\"id\":\"m2\",\"started_at\":\"2026-01-02T00:00:00Z\"}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), 200);
    let list = http
        .get(format!("{base}/api/v1/tenants/acme/engagements"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let scraped = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let exported = names_in(&scraped);

    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    for name in &named {
        if WITH_THEIR_FIRST_EVENT.contains(&name.as_str()) {
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is not in the README"
            );
            continue;
        }
        assert!(
            exported.contains(name),
            "{name} is named in docs/ops but /metrics does not export it:\n{scraped}"
        );
    }
    for name in WITH_THEIR_FIRST_EVENT {
        assert!(
            named.contains(*name),
            "{name} is no longer used: drop it from the list"
        );
    }
}
