//! Page tokens are bound to the account that made them: another account replaying one gets
//! Zoom's invalid-token validation error, never the other account's position or total.

mod common;

use common::*;
use interlog_http::auth::SubjectKind;
use interlog_store::ClientRole;
use reqwest::Method;
use serde_json::{json, Value};

/// A completed chat with `notes` notes.
fn with_notes(id: &str, started: &str, notes: usize) -> interlog_model::Engagement {
    let mut e = simple(id, started, "chat");
    e.notes = (0..notes)
        .map(|k| {
            serde_json::from_value(json!({"id": format!("{id}-n{k}"), "text": "note"})).unwrap()
        })
        .collect();
    e
}

/// Tenant `globex` with six engagements of three notes each, and a token of it with every
/// scope.
async fn globex(app: &interlog_testkit::TestApp) -> String {
    let (tenant, _) = app.other_tenant("globex").await;
    let mut theirs: Vec<_> = (0..6)
        .map(|i| {
            with_notes(
                &format!("g{i}"),
                &format!("2024-03-0{}T10:00:00Z", i + 1),
                3,
            )
        })
        .collect();
    for e in &mut theirs {
        e.normalize();
    }
    app.store.upsert_many(&tenant, theirs).await.unwrap();
    token_for(
        app,
        "globex",
        ClientRole::Admin,
        SubjectKind::Client,
        "globex-app",
        &all_scopes(),
        3600,
    )
}

async fn refused(app: &interlog_testkit::TestApp, path: &str, bearer: &str) {
    let r = call(app, Method::GET, path, bearer, None).await;
    let body = assert_zoom_error(r, 400, 300).await;
    assert_eq!(body["errors"][0]["field"], "next_page_token", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a next page token"),
        "{body}"
    );
}

#[tokio::test]
async fn another_accounts_engagement_list_token_is_invalid() {
    let app = app().await;
    app.seed(vec![with_notes("a0", "2024-03-01T10:00:00Z", 1)])
        .await;
    let globex_bearer = globex(&app).await;
    let q = "from=2024-03-01&to=2024-03-31&page_size=2";
    let r = call(
        &app,
        Method::GET,
        &format!("{LIST}?{q}"),
        &globex_bearer,
        None,
    )
    .await;
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["total_records"], 6);
    let theirs = enc(first["next_page_token"].as_str().unwrap());
    // Acme sends the same query with Globex's token.
    refused(
        &app,
        &format!("{LIST}?{q}&next_page_token={theirs}"),
        &admin_token(&app),
    )
    .await;
    // Globex's own token still works.
    let r = call(
        &app,
        Method::GET,
        &format!("{LIST}?{q}&next_page_token={theirs}"),
        &globex_bearer,
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn another_accounts_notes_list_token_is_invalid() {
    let app = app().await;
    app.seed(vec![with_notes("a0", "2024-03-01T10:00:00Z", 3)])
        .await;
    let globex_bearer = globex(&app).await;
    let notes = format!("{LIST}/notes?page_size=2");
    let r = call(&app, Method::GET, &notes, &globex_bearer, None).await;
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["total_records"], 18);
    let theirs = enc(first["next_page_token"].as_str().unwrap());
    refused(
        &app,
        &format!("{notes}&next_page_token={theirs}"),
        &admin_token(&app),
    )
    .await;
    // An engagement's notes: the same id in both accounts, Globex's token.
    app.seed(vec![with_notes("g0", "2024-03-01T10:00:00Z", 3)])
        .await;
    let one = format!("{LIST}/g0/notes?page_size=2");
    let r = call(&app, Method::GET, &one, &globex_bearer, None).await;
    let first: Value = r.json().await.unwrap();
    let theirs = first["next_page_token"].as_str().unwrap();
    assert!(!theirs.is_empty(), "{first}");
    refused(&app, &with_token(&one, theirs), &admin_token(&app)).await;
}
