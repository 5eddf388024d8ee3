//! Notes: the account's list, an engagement's list, one note, and updates.

mod common;

use common::*;
use interlog_http::auth::SubjectKind;
use interlog_store::ClientRole;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;

fn with_notes(id: &str, started: &str, n: usize) -> interlog_model::Engagement {
    let mut e = simple(id, started, "chat");
    e.notes = (0..n)
        .map(|k| {
            serde_json::from_value(json!({
                "id": format!("{id}-n{k}"), "text": format!("note {k} of {id}"),
                "author_id": "agent-ann", "updated_at": started
            }))
            .unwrap()
        })
        .collect();
    e
}

fn note_ids(body: &Value) -> Vec<String> {
    body["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes in {body}"))
        .iter()
        .map(|n| n["note_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_account_s_notes_page_to_the_end_newest_engagement_first() {
    let app = app().await;
    let mut all = Vec::new();
    let mut expected = Vec::new();
    for i in 0..40usize {
        // Pairs share a start time; a third have no notes; others have up to four.
        let started = format!("2024-03-{:02}T10:00:00Z", 1 + i / 2);
        let n = if i % 3 == 0 { 0 } else { 1 + i % 4 };
        let e = with_notes(&format!("e{i:02}"), &started, n);
        expected.extend(e.notes.iter().map(|n| n.id.clone().unwrap()));
        all.push(e);
    }
    let mut active = with_notes("active", "2024-03-30T10:00:00Z", 2);
    active.ended_at = None;
    all.push(active);
    app.seed(all).await;
    let total = expected.len();
    for size in [7usize, 1, 300] {
        let mut seen = Vec::new();
        let mut token = String::new();
        for _ in 0..1000 {
            let q = if token.is_empty() {
                format!("page_size={size}")
            } else {
                with_token(&format!("page_size={size}"), &token)
            };
            let (status, body) = get(&app, &format!("{LIST}/notes?{q}")).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["total_records"], total);
            assert!(note_ids(&body).len() <= size);
            seen.extend(note_ids(&body));
            token = body["next_page_token"].as_str().unwrap().to_owned();
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(seen.len(), total, "page_size {size}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), total);
        assert_eq!(
            seen.iter().collect::<HashSet<_>>(),
            expected.iter().collect::<HashSet<_>>()
        );
        // Newest engagements first.
        assert!(seen[0].starts_with("e3"), "{}", seen[0]);
    }
    let (_, body) = get(&app, &format!("{LIST}/notes")).await;
    assert_eq!(body["page_size"], 30);
    let (_, body) = get(&app, &format!("{LIST}/notes?page_size=1000")).await;
    assert_eq!(body["page_size"], 300);
    assert_eq!(
        body["notes"][0],
        json!({"note_id": "e38-n0", "engagement_id": "e38", "channel_type": "chat",
               "channel": "chat", "note": "note 0 of e38",
               "last_modified_time": "2024-03-20T10:00:00Z", "user_id": "agent-ann"})
    );
    let r = get_raw(&app, &format!("{LIST}/notes?next_page_token=forged")).await;
    assert_zoom_error(r, 400, 300).await;
}

#[tokio::test]
async fn an_engagement_s_notes_page_and_one_note_reads() {
    let app = app().await;
    let mut email = with_notes("mail", "2024-03-02T10:00:00Z", 1);
    email.channels =
        serde_json::from_value(json!([{"type": "email", "source": "email_address"}])).unwrap();
    app.seed(vec![full("e1", "2024-03-01T10:00:00Z"), email])
        .await;
    let (status, p1) = get(&app, &format!("{LIST}/e1/notes?page_size=1")).await;
    assert_eq!(status, 200, "{p1}");
    assert_eq!(p1["total_records"], 2);
    assert_eq!(
        p1["notes"],
        json!([{"note_id": "note-e1-1", "engagement_id": "e1", "channel_type": "video",
                "channel": "video", "channel_source": "in_app_video", "note": "First note.",
                "last_modified_time": "2024-03-01T10:10:10Z", "user_id": "agent-ann"}])
    );
    let token = p1["next_page_token"].as_str().unwrap();
    let (_, p2) = get(
        &app,
        &with_token(&format!("{LIST}/e1/notes?page_size=1"), token),
    )
    .await;
    assert_eq!(note_ids(&p2), ["note-e1-2"]);
    assert_eq!(p2["next_page_token"], "");
    // A token of one engagement's notes is refused for another's.
    let r = get_raw(
        &app,
        &with_token(&format!("{LIST}/mail/notes?page_size=1"), token),
    )
    .await;
    assert_zoom_error(r, 400, 300).await;

    let (status, one) = get(&app, &format!("{LIST}/e1/notes/note-e1-2")).await;
    assert_eq!(status, 200);
    // The get shape's channel_source may only be email_address.
    assert_eq!(
        one,
        json!({"note_id": "note-e1-2", "engagement_id": "e1", "channel_type": "video",
               "channel": "video", "note": "Second note.",
               "last_modified_time": "2024-03-01T10:10:20Z", "user_id": "agent-bob"})
    );
    let (_, mail) = get(&app, &format!("{LIST}/mail/notes/mail-n0")).await;
    assert_eq!(mail["channel_type"], "email");
    assert_eq!(mail["channel_source"], "email_address");
    let (_, mail_list) = get(&app, &format!("{LIST}/mail/notes")).await;
    assert!(
        mail_list["notes"][0].get("channel_type").is_none(),
        "{mail_list}"
    );
}

#[tokio::test]
async fn misplaced_and_missing_notes_are_2704_and_2701() {
    let app = app().await;
    app.seed(vec![
        full("e1", "2024-03-01T10:00:00Z"),
        full("e2", "2024-03-02T10:00:00Z"),
    ])
    .await;
    let t = admin_token(&app);
    for path in ["e1/notes/note-e2-1", "nope/notes/note-e2-1"] {
        let r = call(&app, Method::GET, &format!("{LIST}/{path}"), &t, None).await;
        let body = assert_zoom_error(r, 400, 2704).await;
        assert_eq!(
            body["message"],
            "The engagementId that matches this noteId is: e2."
        );
    }
    for path in ["e1/notes/note-none", "e1/notes/bad%20id"] {
        let r = call(&app, Method::GET, &format!("{LIST}/{path}"), &t, None).await;
        assert_zoom_error(r, 404, 2701).await;
    }
    let body = Some(json!({"note": "x"}));
    let r = call(
        &app,
        Method::PATCH,
        &format!("{LIST}/e1/notes/note-e2-1"),
        &t,
        body.clone(),
    )
    .await;
    assert_zoom_error(r, 400, 2704).await;
    let r = call(
        &app,
        Method::PATCH,
        &format!("{LIST}/e1/notes/note-none"),
        &t,
        body,
    )
    .await;
    let b = assert_zoom_error(r, 404, 2701).await;
    assert_eq!(b["message"], "Note does not exist: note-none");
}

#[tokio::test]
async fn updating_a_note_changes_its_text_and_modifier() {
    let app = app().await;
    let mut e = full("e1", "2024-03-01T10:00:00Z");
    e.notes.push(
        serde_json::from_value(json!({"id": "locked", "text": "System note.", "read_only": true}))
            .unwrap(),
    );
    app.seed(vec![e]).await;
    let t = admin_token(&app);
    let path = format!("{LIST}/e1/notes/note-e1-1");
    let r = call(
        &app,
        Method::PATCH,
        &path,
        &t,
        Some(json!({"note": "Rewritten."})),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert!(r.text().await.unwrap().is_empty());
    let (_, n) = get(&app, &path).await;
    assert_eq!(n["note"], "Rewritten.");
    assert_eq!(n["user_id"], "zoom-app");
    let modified: jiff::Timestamp = n["last_modified_time"].as_str().unwrap().parse().unwrap();
    assert!((jiff::Timestamp::now().as_second() - modified.as_second()).abs() < 60);
    // An empty update changes nothing.
    assert_eq!(
        call(&app, Method::PATCH, &path, &t, Some(json!({})))
            .await
            .status(),
        204
    );
    let (_, again) = get(&app, &path).await;
    assert_eq!(again["note"], "Rewritten.");

    let r = call(
        &app,
        Method::PATCH,
        &format!("{LIST}/e1/notes/locked"),
        &t,
        Some(json!({"note": "no"})),
    )
    .await;
    let body = assert_zoom_error(r, 400, 2702).await;
    assert_eq!(
        body["message"],
        "Note can not be updated. You can only update the note that belongs to you."
    );
    // A user may update only their own notes.
    let bob = token_for(
        &app,
        "acme",
        ClientRole::Agent,
        SubjectKind::User,
        "agent-bob",
        &["contact_center_note:write"],
        60,
    );
    let r = call(
        &app,
        Method::PATCH,
        &path,
        &bob,
        Some(json!({"note": "bob's"})),
    )
    .await;
    assert_zoom_error(r, 400, 2702).await;
    let r = call(
        &app,
        Method::PATCH,
        &format!("{LIST}/e1/notes/note-e1-2"),
        &bob,
        Some(json!({"note": "bob's"})),
    )
    .await;
    assert_eq!(r.status(), 204);

    // Bodies Zoom would refuse.
    let raw = |body: &'static str| {
        let app = &app;
        let t = t.clone();
        let path = path.clone();
        async move {
            app.http
                .patch(app.url(&path))
                .bearer_auth(t)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let body = assert_zoom_error(raw("{not json").await, 400, 300).await;
    assert_eq!(
        body["message"],
        "Request Body should be a valid JSON object."
    );
    assert_zoom_error(raw("[1, 2]").await, 400, 300).await;
    let body = assert_zoom_error(raw(r#"{"note": 5}"#).await, 400, 300).await;
    assert_eq!(body["errors"][0]["field"], "note");
    let long = json!({"note": "x".repeat(40_000)});
    let r = call(&app, Method::PATCH, &path, &t, Some(long)).await;
    let body = assert_zoom_error(r, 400, 300).await;
    assert_eq!(body["errors"][0]["field"], "note");
    let (_, after) = get(&app, &path).await;
    assert_eq!(after["note"], "Rewritten.");
}

#[tokio::test]
async fn a_note_update_with_a_key_given_twice_is_refused_naming_it() {
    let app = app().await;
    app.seed(vec![full("e1", "2024-03-01T10:00:00Z")]).await;
    let r = app
        .http
        .patch(app.url(&format!("{LIST}/e1/notes/note-e1-1")))
        .bearer_auth(admin_token(&app))
        .header("content-type", "application/json")
        .body(r#"{"note":"a","note":"b"}"#)
        .send()
        .await
        .unwrap();
    let body = assert_zoom_error(r, 400, 300).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key \"note\""),
        "{body}"
    );
    let (_, n) = get(&app, &format!("{LIST}/e1/notes/note-e1-1")).await;
    assert_ne!(n["note"], "b", "nothing was written");
}
