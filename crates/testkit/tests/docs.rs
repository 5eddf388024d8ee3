//! The committed OpenAPI document, the docs page and the health checks.

use interlog_testkit::*;

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = interlog_native::openapi::document() + "\n";
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
    let doc: serde_json::Value =
        serde_json::from_str(&app.get_public_text("/api/v1/openapi.json").await).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/tenants/{tenant}/engagements"]["get"].is_object());
    let page = app.get_public_text("/api/v1/docs").await;
    assert!(page.contains("/api/v1/openapi.json"));
    for path in ["/healthz", "/readyz"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("x-request-id"));
    }
}

/// The values of every `src`, `href` and `spec-url` attribute of a page (what it loads or
/// links to), scripts first.
fn references(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" src=\"", " href=\"", " spec-url=\""] {
        let mut rest = page;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let end = rest.find('"').expect("attribute values are quoted");
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

#[tokio::test]
async fn the_docs_page_needs_nothing_from_the_internet() {
    let app = spawn_app().await;
    let page = app.get_public_text("/api/v1/docs").await;
    let refs = references(&page);
    let scripts: Vec<&String> = refs
        .iter()
        .filter(|r| r.split('?').next().unwrap().ends_with(".js"))
        .collect();
    assert!(!scripts.is_empty(), "the page runs a script: {page}");
    for r in &refs {
        assert!(
            r.starts_with('/') && !r.starts_with("//"),
            "the page loads {r} from elsewhere: {page}"
        );
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );
    for src in scripts {
        let r = app.http.get(app.url(src)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{src}");
        assert_eq!(
            r.headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
        let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
        assert!(cache.contains("max-age=31536000"), "{cache}");
        let body = r.bytes().await.unwrap();
        assert!(
            body.len() > 500_000,
            "the whole Redoc bundle: {}",
            body.len()
        );
        assert!(std::str::from_utf8(&body).unwrap().contains("Redoc"));
    }
    // The bundle answers at its documented path without the version, too.
    let r = app
        .http
        .get(app.url("/api/v1/docs/redoc.standalone.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
