//! `GET /v2/contact_center/engagements`: every parameter and time form, the windows,
//! paging, page tokens, and the list's errors.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::HashSet;

fn with(mut e: interlog_model::Engagement, patch: Value) -> interlog_model::Engagement {
    let mut v = serde_json::to_value(&e).unwrap();
    for (k, val) in patch.as_object().unwrap() {
        v[k] = val.clone();
    }
    e = serde_json::from_value(v).unwrap();
    e
}

async fn list_ids(app: &interlog_testkit::TestApp, query: &str) -> Vec<String> {
    let (status, body) = get(app, &format!("{LIST}?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    ids(&body)
}

#[tokio::test]
async fn every_filter_parameter_selects_what_zoom_would() {
    let app = app().await;
    let day = |h: u32| format!("2024-03-10T{h:02}:00:00Z");
    app.seed(vec![
        with(
            simple("a", &day(1), "voice"),
            json!({"direction": "inbound",
                   "participants": [{"role": "agent", "id": "agent-ann", "email": "ann@acme.test"},
                                    {"role": "customer", "calling_number": "+1 205 894 5728"}],
                   "queues": [{"id": "queue-sales"}]}),
        ),
        with(
            simple("b", &day(2), "chat"),
            json!({"direction": "outbound", "channels": [{"type": "chat", "source": "web_chat"}],
                   "participants": [{"role": "agent", "id": "agent-bob"}],
                   "queues": [{"id": "queue-care"}]}),
        ),
        with(
            simple("c", &day(3), "chat"),
            json!({"channels": [{"type": "chat", "source": "in_app_chat"}]}),
        ),
        with(
            simple("d", &day(4), "video"),
            json!({"channels": [{"type": "video", "source": "in_app_video"}]}),
        ),
        with(
            simple("e", &day(5), "video"),
            json!({"channels": [{"type": "video", "source": "kiosk_video"}]}),
        ),
        with(
            simple("f", &day(6), "sms"),
            json!({"channels": [{"type": "sms", "source": "sms"}]}),
        ),
        with(
            simple("g", &day(7), "messaging"),
            json!({"channels": [{"type": "messaging", "source": "whatsapp"}]}),
        ),
        with(
            simple("h", &day(8), "email"),
            json!({"channels": [{"type": "email", "source": "email_address"}]}),
        ),
        // Still in progress: Zoom lists completed engagements only.
        with(
            simple("i", &day(9), "voice"),
            json!({"ended_at": null, "state": "active", "queues": [{"id": "queue-sales"}]}),
        ),
    ])
    .await;
    let w = "from=2024-03-01&to=2024-03-31";
    let cases: &[(&str, &[&str])] = &[
        ("", &["a", "b", "c", "d", "e", "f", "g", "h"]),
        ("queue_id=queue-sales", &["a"]),
        ("user_id=agent-ann", &["a"]),
        ("user_id=ann@acme.test", &["a"]),
        ("consumer_number=%2B1%20(205)%20894-5728", &["a"]),
        ("consumer_number=%2B1-205-894-5728", &["a"]),
        ("direction=outbound", &["b"]),
        ("direction=inbound", &["a"]),
        ("channel=voice", &["a"]),
        ("channel=video", &["d", "e"]),
        ("channel=messaging", &["b", "c", "f", "g"]),
        ("channel=email", &["h"]),
        ("channel_types=chat", &["b", "c"]),
        ("channel_types=in_app_chat", &["c"]),
        (
            "channel_types=in_app_video&channel_types=video",
            &["d", "e"],
        ),
        ("channel_types=kiosk", &["e"]),
        ("channel_types=sms&channel_types=voice", &["a", "f"]),
        ("channel=voice&channel_types=sms", &["a"]),
        ("channel_sources=web_chat,in_app_chat", &["b", "c"]),
        ("channel_sources=whatsapp&channel_sources=sms", &["f", "g"]),
        ("channel=messaging&channel_sources=sms", &["f"]),
        ("channel=video&channel_sources=sms", &[]),
        (
            "direction=outbound&channel=messaging&user_id=agent-bob",
            &["b"],
        ),
        ("page_size=2", &["a", "b"]),
        (
            "unknown_parameter=ignored",
            &["a", "b", "c", "d", "e", "f", "g", "h"],
        ),
    ];
    for (q, want) in cases {
        let got = list_ids(&app, &format!("{w}&{q}")).await;
        assert_eq!(got, *want, "{q}");
    }
}

#[tokio::test]
async fn the_envelope_and_every_field_are_rendered() {
    let app = app().await;
    app.seed(vec![full("full-1", "2024-03-12T15:00:00Z")]).await;
    let (status, body) = get(
        &app,
        &format!("{LIST}?from=2024-03-01&to=2024-03-31&timezone=America/Los_Angeles"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["next_page_token"], "");
    assert_eq!(body["page_size"], 10);
    assert_eq!(body["total_records"], 1);
    assert_eq!(body["timezone"], "America/Los_Angeles");
    assert_eq!(body["from"], "2024-03-01T00:00:00Z");
    assert_eq!(body["to"], "2024-03-31T23:59:59Z");
    assert_eq!(
        body["engagements"][0],
        json!({
            "start_time": "2024-03-12T08:00:00-07:00",
            "end_time": "2024-03-12T08:10:00-07:00",
            "duration": 600,
            "engagement_id": "full-1",
            "direction": "inbound",
            "channel_types": ["in_app_video"],
            "channels": [{"channel": "video", "channel_source": "in_app_video"}],
            "consumers": [{"consumer_id": "cust-full-1", "consumer_display_name": "Jill",
                           "consumer_number": "+12058945728"}],
            "flows": [{"flow_id": "flow-main", "flow_name": "Main", "flow_version": "5"}],
            "queues": [{"cc_queue_id": "queue-sales", "queue_name": "Sales"},
                       {"cc_queue_id": "queue-care", "queue_name": "Care"}],
            "agents": [{"user_id": "agent-ann", "display_name": "Ann"},
                       {"user_id": "agent-bob", "display_name": "Bob Byrne"}],
            "talk_duration": 400,
            "flow_duration": 20,
            "waiting_duration": 10,
            "handling_duration": 450,
            "wrap_up_duration": 30,
            "transfer_count": 1,
            "dispositions": [{"disposition_id": "disp-1", "disposition_name": "Inquiry"}],
            "notes": [
                {"user_id": "agent-ann", "note_id": "note-full-1-1", "note": "First note.",
                 "last_modified_time": "2024-03-12T08:10:10-07:00"},
                {"user_id": "agent-bob", "note_id": "note-full-1-2", "note": "Second note.",
                 "last_modified_time": "2024-03-12T08:10:20-07:00"}
            ]
        })
    );
    // Without a timezone, times are UTC with Z.
    let (_, body) = get(&app, &format!("{LIST}?from=2024-03-01&to=2024-03-31")).await;
    assert_eq!(body["timezone"], "UTC");
    assert_eq!(body["engagements"][0]["start_time"], "2024-03-12T15:00:00Z");
}

/// Dublin springs forward at 01:00 UTC on 2024-03-31: that day is 23 hours long, and local
/// 01:00–02:00 does not exist.
#[tokio::test]
async fn literal_z_dates_and_offsets_across_a_dst_change() {
    let app = app().await;
    let at = [
        ("x1", "2024-03-30T23:30:00Z"),
        ("x2", "2024-03-31T00:30:00Z"),
        ("x3", "2024-03-31T01:30:00Z"),
        ("x4", "2024-03-31T22:30:00Z"),
        ("x5", "2024-03-31T23:30:00Z"),
    ];
    app.seed(at.iter().map(|(id, t)| simple(id, t, "voice")).collect())
        .await;
    let dub = "timezone=Europe/Dublin";
    // A date is a whole local day.
    assert_eq!(
        list_ids(&app, &format!("{dub}&from=2024-03-31&to=2024-03-31")).await,
        ["x2", "x3", "x4"]
    );
    assert_eq!(
        list_ids(&app, "from=2024-03-31&to=2024-03-31").await,
        ["x2", "x3", "x4", "x5"]
    );
    // The literal Z is local time: 02:00 Irish Summer Time is 01:00 UTC, and `to` includes
    // its whole second.
    let literal = "from=2024-03-31T02:00:00Z&to=2024-03-31T23:30:00Z";
    assert_eq!(
        list_ids(&app, &format!("{dub}&{literal}")).await,
        ["x3", "x4"]
    );
    assert_eq!(list_ids(&app, literal).await, ["x4", "x5"]);
    // A time inside the skipped hour moves forward past it.
    assert_eq!(
        list_ids(
            &app,
            &format!("{dub}&from=2024-03-31T01:30:00Z&to=2024-03-31T02:30:00Z")
        )
        .await,
        ["x3"]
    );
    // The offset form is an instant; the timezone only formats the answer.
    let (status, body) = get(
        &app,
        &format!("{LIST}?{dub}&from=2024-03-31T00:00:00%2B00:00&to=2024-03-31T01:30:00%2B00:00"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), ["x2", "x3"]);
    assert_eq!(
        body["engagements"][0]["start_time"],
        "2024-03-31T00:30:00+00:00"
    );
    assert_eq!(
        body["engagements"][1]["start_time"],
        "2024-03-31T02:30:00+01:00"
    );
    assert_eq!(body["from"], "2024-03-31T00:00:00Z");
    assert_eq!(body["to"], "2024-03-31T02:30:00Z");
    // The echoed window, sent back, selects the same engagements.
    let again = format!(
        "{dub}&from={}&to={}",
        body["from"].as_str().unwrap(),
        body["to"].as_str().unwrap()
    );
    assert_eq!(list_ids(&app, &again).await, ["x2", "x3"]);
    let offset = list_ids(
        &app,
        "from=2024-03-31T00:00:00-01:00&to=2024-03-31T00:30:00-01:00",
    )
    .await;
    assert_eq!(offset, ["x3"]);
}

#[tokio::test]
async fn without_from_the_past_24_hours_are_listed() {
    let app = app().await;
    let now = Timestamp::now();
    let ago = |h: i64| (now - SignedDuration::from_hours(h)).to_string();
    app.seed(vec![
        simple("h1", &ago(1), "voice"),
        simple("h23", &ago(23), "voice"),
        simple("h25", &ago(25), "voice"),
        simple("h48", &ago(48), "voice"),
    ])
    .await;
    let (status, body) = get(&app, LIST).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), ["h23", "h1"]);
    assert_eq!(body["total_records"], 2);
    let from: Timestamp = body["from"].as_str().unwrap().parse().unwrap();
    let to: Timestamp = body["to"].as_str().unwrap().parse().unwrap();
    assert_eq!(to.as_second() - from.as_second(), 24 * 3600);
    assert!((now.as_second() - to.as_second()).abs() <= 5, "{body}");
}

#[tokio::test]
async fn a_window_covers_at_most_one_month() {
    let app = app().await;
    app.seed(vec![
        simple("jan15", "2024-01-15T12:00:00Z", "voice"),
        simple("jan31", "2024-01-31T23:59:59Z", "voice"),
        simple("feb01", "2024-02-01T00:00:00Z", "voice"),
        simple("mar10", "2024-03-10T00:00:00Z", "voice"),
    ])
    .await;
    let (status, body) = get(&app, &format!("{LIST}?from=2024-01-01&to=2024-03-31")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), ["jan15", "jan31"]);
    assert_eq!(body["total_records"], 2);
    assert_eq!(body["to"], "2024-01-31T23:59:59Z");
    // Exactly one month is not cut.
    assert_eq!(
        list_ids(&app, "from=2024-01-15&to=2024-02-14").await,
        ["jan15", "jan31", "feb01"]
    );
    assert_eq!(
        list_ids(&app, "from=2024-01-15&to=2024-02-15").await,
        ["jan15", "jan31", "feb01"]
    );
    // The month is counted in the request's zone: from 2024-01-31, one month ends at the
    // end of February.
    assert_eq!(
        list_ids(&app, "from=2024-01-31T23:59:59Z&to=2024-06-01").await,
        ["jan31", "feb01"]
    );
}

#[tokio::test]
async fn paging_reaches_the_end_without_duplicates_or_gaps() {
    let app = app().await;
    let mut all = Vec::new();
    for i in 0..95i64 {
        // Pairs share a start time: the id breaks the tie.
        let t = Timestamp::from_second(1_709_280_000 + (i / 2) * 600).unwrap();
        all.push(simple(&format!("p{i:03}"), &t.to_string(), "voice"));
    }
    app.seed(all).await;
    let q = "from=2024-03-01&to=2024-03-31&page_size=10";
    let (seen, pages) = page_all(&app, q).await;
    assert_eq!(pages.len(), 10);
    assert_eq!(seen.len(), 95);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 95);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "oldest first, ties by id");
    for p in &pages {
        assert_eq!(p["total_records"], 95);
        assert_eq!(p["page_size"], 10);
    }
    assert_eq!(
        pages.last().unwrap()["engagements"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // page_size may change between pages; over 100 is clamped to 100.
    let (_, first) = get(&app, &format!("{LIST}?{q}")).await;
    let token = first["next_page_token"].as_str().unwrap();
    let (status, rest) = get(
        &app,
        &with_token(
            &format!("{LIST}?from=2024-03-01&to=2024-03-31&page_size=500"),
            token,
        ),
    )
    .await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rest["page_size"], 100);
    assert_eq!(ids(&rest).len(), 85);
    assert_eq!(rest["next_page_token"], "");
}

#[tokio::test]
async fn the_total_is_counted_once_and_carried_in_the_token() {
    let app = app().await;
    app.seed(
        (0..5)
            .map(|i| {
                simple(
                    &format!("t{i}"),
                    &format!("2024-03-0{}T10:00:00Z", i + 1),
                    "voice",
                )
            })
            .collect(),
    )
    .await;
    let q = "from=2024-03-01&to=2024-03-31&page_size=2";
    let (_, first) = get(&app, &format!("{LIST}?{q}")).await;
    assert_eq!(first["total_records"], 5);
    // Two more arrive after the first page: the next pages still show the first count.
    app.seed(vec![
        simple("t5", "2024-03-20T10:00:00Z", "voice"),
        simple("t6", "2024-03-21T10:00:00Z", "voice"),
    ])
    .await;
    let token = first["next_page_token"].as_str().unwrap();
    let (_, second) = get(&app, &with_token(&format!("{LIST}?{q}"), token)).await;
    assert_eq!(second["total_records"], 5);
    assert_eq!(ids(&second), ["t2", "t3"]);
    let (_, fresh) = get(&app, &format!("{LIST}?{q}")).await;
    assert_eq!(fresh["total_records"], 7);
}

#[tokio::test]
async fn a_token_only_works_for_the_query_that_made_it() {
    let app = app().await;
    app.seed(
        (0..6)
            .map(|i| {
                with(
                    simple(
                        &format!("q{i}"),
                        &format!("2024-03-0{}T10:00:00Z", i + 1),
                        "voice",
                    ),
                    json!({"queues": [{"id": "queue-sales"}], "direction": "inbound"}),
                )
            })
            .collect(),
    )
    .await;
    let q = "from=2024-03-01&to=2024-03-31&queue_id=queue-sales&page_size=2";
    let (_, first) = get(&app, &format!("{LIST}?{q}")).await;
    let token = enc(first["next_page_token"].as_str().unwrap());
    let bearer = admin_token(&app);
    for other in [
        "from=2024-03-01&to=2024-03-31&queue_id=queue-care&page_size=2",
        "from=2024-03-02&to=2024-03-31&queue_id=queue-sales&page_size=2",
        "from=2024-03-01&to=2024-03-31&queue_id=queue-sales&timezone=Asia/Tokyo",
        "from=2024-03-01&to=2024-03-31&queue_id=queue-sales&direction=inbound",
        "from=2024-03-01&to=2024-03-31",
    ] {
        let r = call(
            &app,
            reqwest::Method::GET,
            &format!("{LIST}?{other}&next_page_token={token}"),
            &bearer,
            None,
        )
        .await;
        let body = assert_zoom_error(r, 400, 300).await;
        assert_eq!(
            body["errors"][0]["field"], "next_page_token",
            "{other}: {body}"
        );
    }
    // Tampered, foreign and garbage tokens.
    let mut forged = first["next_page_token"].as_str().unwrap().to_owned();
    forged.insert(3, 'A');
    let (_, engagement_notes) = get(&app, &format!("{LIST}/q0/notes")).await;
    assert_eq!(engagement_notes["next_page_token"], "");
    for bad in [enc(&forged), "not-a-token".into(), "%00%01".into()] {
        let r = call(
            &app,
            reqwest::Method::GET,
            &format!("{LIST}?{q}&next_page_token={bad}"),
            &bearer,
            None,
        )
        .await;
        assert_zoom_error(r, 400, 300).await;
    }
    let (status, second) = get(&app, &format!("{LIST}?{q}&next_page_token={token}")).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&second), ["q2", "q3"]);
}

#[tokio::test]
async fn tokens_expire() {
    let app = app_with("rate_limits = \"off\"\npage_token_ttl_secs = 1").await;
    app.seed(
        (0..3)
            .map(|i| {
                simple(
                    &format!("x{i}"),
                    &format!("2024-03-0{}T10:00:00Z", i + 1),
                    "voice",
                )
            })
            .collect(),
    )
    .await;
    let q = "from=2024-03-01&to=2024-03-31&page_size=1";
    let (_, first) = get(&app, &format!("{LIST}?{q}")).await;
    let token = enc(first["next_page_token"].as_str().unwrap());
    let path = format!("{LIST}?{q}&next_page_token={token}");
    // Valid for one second: poll until it has expired (within a deadline).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let r = loop {
        let r = call(&app, reqwest::Method::GET, &path, &admin_token(&app), None).await;
        if r.status() != 200 || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let body = assert_zoom_error(r, 400, 300).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_queues_and_users_are_zoom_s_1201_and_1001() {
    let app = app().await;
    app.seed(vec![with(
        simple("a", "2024-03-10T10:00:00Z", "voice"),
        json!({"participants": [{"role": "agent", "id": "agent-ann"}],
               "queues": [{"id": "queue-sales"}]}),
    )])
    .await;
    let bearer = admin_token(&app);
    let go = |q: String| {
        let app = &app;
        let bearer = bearer.clone();
        async move {
            call(
                app,
                reqwest::Method::GET,
                &format!("{LIST}?{q}"),
                &bearer,
                None,
            )
            .await
        }
    };
    let body = assert_zoom_error(go("queue_id=queue-nope".into()).await, 404, 1201).await;
    assert_eq!(body["message"], "Queue does not exist: queue-nope.");
    let body = assert_zoom_error(go("user_id=agent-nope".into()).await, 404, 1001).await;
    assert_eq!(body["message"], "User does not exist: agent-nope.");
    // Known ones with nothing in the window are an empty page.
    for q in ["queue_id=queue-sales", "user_id=agent-ann"] {
        let (status, body) = get(&app, &format!("{LIST}?{q}&from=2023-01-01&to=2023-01-02")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total_records"], 0);
        assert_eq!(body["engagements"], json!([]));
    }
}

#[tokio::test]
async fn bad_parameters_are_zoom_s_validation_error_naming_the_field() {
    let app = app().await;
    let bearer = admin_token(&app);
    let cases = [
        ("from=2024-03-01", "to"),
        ("to=2024-03-01", "from"),
        ("from=2024-03-01T10:00:00&to=2024-03-02", "from"),
        ("from=2024-03-01&to=03/02/2024", "to"),
        ("from=2024-03-02&to=2024-03-01", "to"),
        ("from=2024-02-30&to=2024-03-01", "from"),
        ("timezone=Mars/Olympus", "timezone"),
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_size=1&page_size=2", "page_size"),
        ("direction=sideways", "direction"),
        ("channel=fax", "channel"),
        ("channel_types=pigeon", "channel_types"),
        (
            "channel_types=voice&channel_types=in_app_chat",
            "channel_types",
        ),
        ("channel_sources=telegram", "channel_sources"),
        ("queue_id=a&queue_id=b", "queue_id"),
    ];
    for (q, field) in cases {
        let r = call(
            &app,
            reqwest::Method::GET,
            &format!("{LIST}?{q}"),
            &bearer,
            None,
        )
        .await;
        let body = assert_zoom_error(r, 400, 300).await;
        assert_eq!(body["message"], "Validation Failed.", "{q}");
        assert_eq!(body["errors"][0]["field"], field, "{q}: {body}");
    }
}

/// A page token made by one instance is served by another on the same store, alternating
/// page by page, with no duplicate or gap.
#[tokio::test]
async fn page_tokens_are_served_by_any_instance() {
    let app = app().await;
    let second = app.second_instance().await;
    let mut all = Vec::new();
    for i in 0..45i64 {
        let t = Timestamp::from_second(1_709_280_000 + (i / 3) * 600).unwrap();
        all.push(simple(&format!("x{i:03}"), &t.to_string(), "voice"));
    }
    app.seed(all).await;
    let token = crate::common::token(&app, READ_SCOPES);
    let bases = [app.base.clone(), format!("http://{}", second.addr)];
    let mut seen = Vec::new();
    let mut next = String::new();
    for page in 0..20 {
        let mut url = format!(
            "{}{LIST}?from=2024-03-01&to=2024-03-31&page_size=10",
            bases[page % 2]
        );
        if !next.is_empty() {
            url.push_str(&format!("&next_page_token={}", enc(&next)));
        }
        let r = app.http.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "page {page}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["total_records"], 45);
        seen.extend(ids(&body));
        next = body["next_page_token"].as_str().unwrap().to_owned();
        if next.is_empty() {
            break;
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in order, each once");
    assert_eq!(seen.len(), 45);
    second.stop().await.unwrap();
}
