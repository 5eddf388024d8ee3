//! The committed OpenAPI document, the docs page and the health checks.

use interlog_testkit::*;

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = interlog_api::openapi::document() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test -p interlog-testkit --test docs` and commit it"
    );
}

#[tokio::test]
async fn the_document_docs_page_and_health_checks_are_served() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/tenants/{tenant}/engagements"]["get"].is_object());
    let page = app
        .http
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/api/v1/openapi.json"));
    for path in ["/healthz", "/readyz"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("x-request-id"));
    }
}
