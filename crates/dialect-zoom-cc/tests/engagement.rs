//! One engagement: get, events, recordings (list, delete, status, control) and survey.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{json, Value};

fn recent(hours_ago: i64) -> String {
    (Timestamp::now() - SignedDuration::from_hours(hours_ago))
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string()
}

/// A voice engagement with three recordings: two audio, one video.
fn recorded(id: &str, started: &str) -> interlog_model::Engagement {
    let start: Timestamp = started.parse().unwrap();
    let at = |s: i64| (start + SignedDuration::from_secs(s)).to_string();
    let mut e = full(id, started);
    e.channels = vec![parse_channel("voice")];
    e.recordings = serde_json::from_value(json!([
        {"id": "r1", "uri": "https://rec.acme.test/r1", "user": "ANN@acme.test", "created_at": at(10), "duration_ms": 60_000, "media": "audio"},
        {"id": "r2", "uri": "https://rec.acme.test/r2", "created_at": at(100), "media": "audio"},
        {"id": "r3", "uri": "https://rec.acme.test/r3", "created_at": at(200), "duration_ms": 30_000, "media": "audio_video"}
    ]))
    .unwrap();
    e
}

fn parse_channel(kind: &str) -> interlog_model::Channel {
    serde_json::from_value(json!({"type": kind})).unwrap()
}

#[tokio::test]
async fn get_renders_the_get_shape_in_utc() {
    let app = app().await;
    app.seed(vec![full("e1", "2024-03-12T15:00:00Z")]).await;
    let (status, body) = get(&app, &format!("{LIST}/e1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["engagement_id"], "e1");
    assert_eq!(body["start_time"], "2024-03-12T15:00:00Z");
    assert_eq!(body["queue_wait_type"], "live_waiting");
    assert_eq!(
        body["queues"][0],
        json!({"queue_id": "queue-sales", "cc_queue_id": "queue-sales", "queue_name": "Sales"})
    );
    assert!(body.get("transfer_count").is_none(), "{body}");
    assert_eq!(body["agents"].as_array().unwrap().len(), 2);
    assert_eq!(body["notes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn missing_active_and_foreign_engagements_are_2901() {
    let app = app().await;
    let mut active = simple("active", "2024-03-12T15:00:00Z", "voice");
    active.ended_at = None;
    app.seed(vec![active]).await;
    app.other_tenant("globex").await;
    let globex_token = token_for(
        &app,
        "globex",
        interlog_store::ClientRole::Admin,
        interlog_http::auth::SubjectKind::Client,
        "g",
        &all_scopes(),
        60,
    );
    app.seed(vec![simple("mine", "2024-03-12T15:00:00Z", "voice")])
        .await;
    let t = admin_token(&app);
    for (path, token) in [
        ("nope", &t),
        ("active", &t),
        ("bad%20id", &t),
        ("mine", &globex_token),
    ] {
        for suffix in ["", "/events", "/recordings/status", "/survey", "/notes"] {
            let r = call(
                &app,
                Method::GET,
                &format!("{LIST}/{path}{suffix}"),
                token,
                None,
            )
            .await;
            let body = assert_zoom_error(r, 404, 2901).await;
            if suffix.is_empty() && path == "nope" {
                assert_eq!(body["message"], "Engagement does not exist: nope.");
            }
        }
    }
}

#[tokio::test]
async fn events_are_empty_for_calls_and_refused_for_other_channels() {
    let app = app().await;
    app.seed(vec![
        simple("call", "2024-03-12T15:00:00Z", "voice"),
        simple("chat", "2024-03-12T15:00:00Z", "chat"),
    ])
    .await;
    let (status, body) = get(&app, &format!("{LIST}/call/events")).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"engagement_id": "call", "events": []}));
    let r = get_raw(&app, &format!("{LIST}/chat/events")).await;
    let body = assert_zoom_error(r, 400, 7001).await;
    assert_eq!(
        body["message"],
        "Only voice and video channels are currently supported."
    );
}

#[tokio::test]
async fn recordings_are_listed_by_window_channel_and_page() {
    let app = app().await;
    let started = recent(24);
    app.seed(vec![
        recorded("rec", &started),
        simple("bare", "2024-03-12T15:00:00Z", "voice"),
    ])
    .await;
    let (status, body) = get(&app, &format!("{LIST}/rec/recordings")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["page_size"], 30);
    assert_eq!(body["next_page_token"], "");
    let recs = body["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 3);
    let start: Timestamp = started.parse().unwrap();
    let utc = |s: i64| {
        (start + SignedDuration::from_secs(s))
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    assert_eq!(
        recs[0],
        json!({
            "recording_id": "r1",
            "recording_duration": 60,
            "download_url": "https://rec.acme.test/r1",
            "recording_start_time": utc(10),
            "recording_end_time": utc(70),
            "user_id": "agent-ann",
            "display_name": "Ann",
            "user_email": "ANN@acme.test",
            "channel_type": "voice",
            "channel": "voice",
            "direction": "inbound",
            "engagement_id": "rec",
            "consumer_name": "Jill",
            "consumer_number": "+12058945728",
            "consumers": [{"consumer_name": "Jill", "consumer_number": "+12058945728"}]
        })
    );
    assert_eq!(recs[2]["channel"], "video");

    // Channel filters; `channel` wins over the deprecated `channel_type`.
    let ids = |b: &Value| -> Vec<String> {
        b["recordings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["recording_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, b) = get(&app, &format!("{LIST}/rec/recordings?channel=video")).await;
    assert_eq!(ids(&b), ["r3"]);
    let (_, b) = get(&app, &format!("{LIST}/rec/recordings?channel_type=voice")).await;
    assert_eq!(ids(&b), ["r1", "r2"]);
    let (_, b) = get(
        &app,
        &format!("{LIST}/rec/recordings?channel=video&channel_type=voice"),
    )
    .await;
    assert_eq!(ids(&b), ["r3"]);

    // An explicit window (inclusive to the second) and pages of one.
    let from = utc(100);
    let to = utc(200);
    let q = format!("from={from}&to={to}&page_size=1");
    let (_, p1) = get(&app, &format!("{LIST}/rec/recordings?{q}")).await;
    assert_eq!(ids(&p1), ["r2"]);
    assert_eq!(p1["from"], from);
    assert_eq!(p1["to"], to);
    let token = p1["next_page_token"].as_str().unwrap();
    assert!(!token.is_empty() && token.len() <= 100, "{token}");
    let (_, p2) = get(
        &app,
        &with_token(&format!("{LIST}/rec/recordings?{q}"), token),
    )
    .await;
    assert_eq!(ids(&p2), ["r3"]);
    assert_eq!(p2["next_page_token"], "");
    // The token is bound to its query.
    let r = get_raw(
        &app,
        &with_token(&format!("{LIST}/rec/recordings?page_size=1"), token),
    )
    .await;
    assert_zoom_error(r, 400, 300).await;
    // Default windows page too.
    let (_, d1) = get(&app, &format!("{LIST}/rec/recordings?page_size=2")).await;
    let t = d1["next_page_token"].as_str().unwrap();
    let (_, d2) = get(
        &app,
        &with_token(&format!("{LIST}/rec/recordings?page_size=2"), t),
    )
    .await;
    assert_eq!([ids(&d1), ids(&d2)].concat(), ["r1", "r2", "r3"]);

    // Outside the default 30 days, or a window with none: an empty list.
    let (_, old) = get(
        &app,
        &format!("{LIST}/rec/recordings?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00-05:00"),
    )
    .await;
    assert_eq!(old["recordings"], json!([]));
    let t = admin_token(&app);
    for (path, status, code) in [
        (format!("{LIST}/bare/recordings"), 404, 2805),
        (format!("{LIST}/none/recordings"), 404, 2805),
        (format!("{LIST}/rec/recordings?from=2024-01-01"), 400, 300),
        (format!("{LIST}/rec/recordings?channel=chat"), 400, 300),
    ] {
        let r = call(&app, Method::GET, &path, &t, None).await;
        assert_zoom_error(r, status, code).await;
    }
}

#[tokio::test]
async fn deleting_recordings_needs_the_delete_scope_and_leaves_none() {
    let app = app().await;
    app.seed(vec![recorded("rec", &recent(2))]).await;
    let path = format!("{LIST}/rec/recordings");
    let read_only = token(&app, READ_SCOPES);
    assert_zoom_error(
        call(&app, Method::DELETE, &path, &read_only, None).await,
        401,
        4700,
    )
    .await;
    let deleter = token(&app, &["contact_center:delete:recording:admin"]);
    let r = call(
        &app,
        Method::DELETE,
        &format!("{path}?delete_all_recordings=false"),
        &deleter,
        None,
    )
    .await;
    assert_zoom_error(r, 400, 300).await;
    let r = call(
        &app,
        Method::DELETE,
        &format!("{path}?delete_all_recordings=true"),
        &deleter,
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_zoom_error(get_raw(&app, &path).await, 404, 2805).await;
    let body = assert_zoom_error(
        call(&app, Method::DELETE, &path, &deleter, None).await,
        404,
        2805,
    )
    .await;
    assert_eq!(
        body["message"],
        "Engagement recordings does not exist: rec."
    );
    // The rest of the engagement is untouched.
    let (_, e) = get(&app, &format!("{LIST}/rec")).await;
    assert_eq!(e["notes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn recording_status_follows_the_recordings() {
    let app = app().await;
    let mut video = recorded("video", "2024-03-12T15:00:00Z");
    video.channels =
        serde_json::from_value(json!([{"type": "video", "source": "web_video"}])).unwrap();
    app.seed(vec![
        recorded("voice", "2024-03-12T15:00:00Z"),
        video,
        simple("chat", "2024-03-12T15:00:00Z", "chat"),
        simple("unrecorded", "2024-03-12T15:00:00Z", "voice"),
    ])
    .await;
    let (status, body) = get(&app, &format!("{LIST}/voice/recordings/status")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "statuses": [
                {"status": "start", "last_modified_time": "2024-03-12T15:00:10Z"},
                {"status": "stop", "last_modified_time": "2024-03-12T15:01:10Z"},
                {"status": "start", "last_modified_time": "2024-03-12T15:01:40Z"},
                {"status": "start", "last_modified_time": "2024-03-12T15:03:20Z"},
                {"status": "stop", "last_modified_time": "2024-03-12T15:03:50Z"}
            ],
            "engagement_id": "voice",
            "channel": "voice"
        })
    );
    let (_, body) = get(&app, &format!("{LIST}/video/recordings/status")).await;
    assert_eq!(body["channel"], "video");
    assert_eq!(body["channel_source"], "web_video");
    let t = admin_token(&app);
    let r = call(
        &app,
        Method::GET,
        &format!("{LIST}/chat/recordings/status"),
        &t,
        None,
    )
    .await;
    assert_zoom_error(r, 400, 2814).await;
    let r = call(
        &app,
        Method::GET,
        &format!("{LIST}/unrecorded/recordings/status"),
        &t,
        None,
    )
    .await;
    let body = assert_zoom_error(r, 404, 2817).await;
    assert_eq!(
        body["message"],
        "There is no recording for this engagement."
    );
}

#[tokio::test]
async fn recording_control_finds_no_session_on_completed_engagements() {
    let app = app().await;
    app.seed(vec![
        simple("call", "2024-03-12T15:00:00Z", "voice"),
        simple("chat", "2024-03-12T15:00:00Z", "chat"),
    ])
    .await;
    let t = token(&app, &["contact_center_engagement:write:admin"]);
    let put = |path: String| {
        let app = &app;
        let t = t.clone();
        async move { call(app, Method::PUT, &path, &t, None).await }
    };
    assert_zoom_error(put(format!("{LIST}/call/recording/pause")).await, 404, 2816).await;
    assert_zoom_error(
        put(format!("{LIST}/call/recording/resume")).await,
        404,
        2816,
    )
    .await;
    assert_zoom_error(put(format!("{LIST}/call/recording/rewind")).await, 400, 300).await;
    assert_zoom_error(put(format!("{LIST}/chat/recording/pause")).await, 400, 2814).await;
    assert_zoom_error(put(format!("{LIST}/nope/recording/pause")).await, 404, 2901).await;
    let r = call(
        &app,
        Method::PUT,
        &format!("{LIST}/call/recording/pause"),
        &token(&app, READ_SCOPES),
        None,
    )
    .await;
    assert_zoom_error(r, 401, 4700).await;
}

#[tokio::test]
async fn surveys_are_not_held_so_none_is_triggered() {
    let app = app().await;
    app.seed(vec![simple("call", "2024-03-12T15:00:00Z", "voice")])
        .await;
    let r = get_raw(&app, &format!("{LIST}/call/survey")).await;
    let body = assert_zoom_error(r, 404, 404).await;
    assert_eq!(body["message"], "The engagement does not trigger survey.");
}
