//! Canonical engagements from any platform, rendered as `engagementV1`: the mapping of every
//! field, the undocumented choices of the README, and absent fields left out.

mod common;

use common::*;
use interlog_model::Engagement;
use serde_json::{json, Value};

fn canonical(v: Value) -> Engagement {
    serde_json::from_value(v).unwrap()
}

trait WithData {
    /// `data` from JSON text, so its key order is the text's (a `json!` object sorts keys).
    fn with_data(self, text: &str) -> Engagement;
}

impl WithData for Engagement {
    fn with_data(mut self, text: &str) -> Engagement {
        self.data = serde_json::from_str(text).unwrap();
        self
    }
}

async fn only(app: &interlog_testkit::TestApp, accept: &str) -> String {
    let r = get(app, &format!("{LIST}?limit=1"), &app.reader, accept).await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_rich_canonical_engagement_maps_field_by_field() {
    let app = app().await;
    app.seed(vec![canonical(json!({
        "id": "zoom-1",
        "source": "zoom_cc",
        "started_at": "2024-03-01T09:30:00.250Z",
        "ended_at": "2024-03-01T09:40:00.750Z",
        "outcome": "successful",
        "release": "connected",
        "reason": "resolved",
        "direction": "outbound",
        "channels": [{"type": "voice", "media": "audio"}, {"type": "video", "media": "video"}, {"type": "chat", "media": "text"}],
        "participants": [
            {"role": "agent", "email": "ann@acme.test", "display_name": "Ann"},
            {"role": "automation", "automation_type": "chatbot"},
            {"role": "customer", "email": "cust@example.com", "calling_number": "+353 1 234 5678"},
            {"role": "supervisor", "email": "sue@acme.test"},
            {"role": "customer"}
        ],
        "customer": {"phones": ["+353 1 234 5678"]},
        "queues": [{"id": "q-1", "name": "Sales", "queued_at": "2024-03-01T09:30:01Z", "accepted_at": "2024-03-01T09:30:31Z"}],
        "timings": {"wait_ms": 12345, "talk_ms": 500000},
        "team": "Outbound Sales",
        "recordings": [
            {"id": "r1", "uri": "https://rec/1", "user": "ann@acme.test", "created_at": "2024-03-01T09:31:00Z", "duration_ms": 1499, "size_bytes": 10, "media": "audio_video"},
            {"media": "text"}
        ],
        "notes": [{"text": "called back"}]
    }))
    .with_data(r#"{"b": {"nested": [1, 2]}, "a": "x \"quoted\""}"#)])
    .await;
    let text = only(&app, "application/json").await;
    let body: Value = serde_json::from_str(&text).unwrap();
    let e = &body["engagements"][0];
    assert_eq!(
        e,
        &json!({
            "startDate": "1709285400250",
            "endDate": "1709286000750",
            "id": "zoom-1",
            "duration": 601,
            "contents": "AUDIOVIDEO",
            "context": "{\"b\":{\"nested\":[1,2]},\"a\":\"x \\\"quoted\\\"\"}",
            "users": [
                {"uri": "ann@acme.test", "association": "MEMBER"},
                {"uri": "cust@example.com", "association": "CREATOR"},
                {"uri": "sue@acme.test", "association": "MEMBER"},
                {"association": "CREATOR"}
            ],
            "recordings": [
                {"uri": "https://rec/1", "user": "ann@acme.test", "created": "1709285460000", "duration": 1, "size": 10, "contents": "AUDIOVIDEO"},
                {}
            ],
            "releaseState": "connected",
            "status": "successful",
            "pendingTime": 12345,
            "assignedTeam": "Outbound Sales",
            "associateInitiated": true,
            "reason": "resolved"
        })
    );
    assert_eq!(
        engagement_keys(&text)[0],
        [
            "startDate",
            "endDate",
            "id",
            "duration",
            "contents",
            "context",
            "users",
            "recordings",
            "releaseState",
            "status",
            "pendingTime",
            "assignedTeam",
            "associateInitiated",
            "reason"
        ]
    );

    let xml = only(&app, "application/xml").await;
    let list = parse_xml(&xml);
    let e = &list.children[1];
    let texts: Vec<(&str, &str)> = e
        .children
        .iter()
        .filter(|c| c.children.is_empty())
        .map(|c| (c.name.as_str(), c.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("startDate", "2024-03-01T09:30:00.250Z"),
            ("endDate", "2024-03-01T09:40:00.750Z"),
            ("id", "zoom-1"),
            ("duration", "601"),
            ("contents", "AUDIOVIDEO"),
            (
                "context",
                "{\"b\":{\"nested\":[1,2]},\"a\":\"x \\\"quoted\\\"\"}"
            ),
            ("recordings", ""),
            ("releaseState", "connected"),
            ("status", "successful"),
            ("pendingTime", "12345"),
            ("assignedTeam", "Outbound Sales"),
            ("associateInitiated", "true"),
            ("reason", "resolved"),
        ]
    );
    assert_eq!(e.children.iter().filter(|c| c.name == "users").count(), 4);
    let rec = e.children.iter().find(|c| c.name == "recordings").unwrap();
    assert_eq!(rec.children[2].name, "created");
    assert_eq!(rec.children[2].text, "2024-03-01T09:31:00.000Z");
}

#[tokio::test]
async fn absent_values_are_left_out_and_fallbacks_fill_what_can_be_derived() {
    let app = app().await;
    app.seed(vec![
        canonical(json!({"id": "bare", "started_at": "2024-03-01T09:30:00Z", "outcome": "successful"})),
        canonical(json!({
            "id": "derived", "started_at": "2024-03-02T09:30:00Z", "outcome": "successful",
            "direction": "inbound",
            "channels": [{"type": "video"}],
            "queues": [
                {"id": "q-1", "queued_at": "2024-03-02T09:30:00Z", "accepted_at": "2024-03-02T09:30:10Z"},
                {"id": "q-2", "queued_at": "2024-03-02T09:31:00Z", "accepted_at": "2024-03-02T09:31:05.5Z"}
            ]
        })),
    ])
    .await;
    let (_, body) = get_json(&app, &format!("{LIST}?sort=oldest")).await;
    assert_eq!(
        body["engagements"][0],
        json!({"startDate": "1709285400000", "id": "bare", "status": "successful", "associateInitiated": false})
    );
    assert_eq!(
        body["engagements"][1],
        json!({
            "startDate": "1709371800000", "id": "derived", "contents": "AUDIOVIDEO",
            "status": "successful", "pendingTime": 15500, "assignedTeam": "q-2",
            "associateInitiated": false
        })
    );
    let r = get_as_reader(&app, &format!("{LIST}?sort=oldest&limit=1"), "text/xml").await;
    assert_eq!(
        r.text().await.unwrap(),
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><engagementListV1><hasMore>true</hasMore>"#,
            r#"<engagements><startDate>2024-03-01T09:30:00.000Z</startDate><id>bare</id>"#,
            r#"<status>successful</status><associateInitiated>false</associateInitiated></engagements>"#,
            r#"</engagementListV1>"#
        )
    );
}

#[tokio::test]
async fn direction_decides_associate_initiated() {
    let app = app().await;
    let dirs = ["inbound", "outbound", "internal", "consult", "unknown"];
    app.seed(
        dirs.iter()
            .enumerate()
            .map(|(i, d)| {
                canonical(json!({
                    "id": d, "started_at": format!("2024-03-0{}T09:30:00Z", i + 1),
                    "outcome": "successful", "direction": d
                }))
            })
            .collect(),
    )
    .await;
    let (_, body) = get_json(&app, &format!("{LIST}?sort=oldest")).await;
    let got: Vec<(String, bool)> = body["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["associateInitiated"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("inbound".to_owned(), false),
            ("outbound".to_owned(), true),
            ("internal".to_owned(), true),
            ("consult".to_owned(), true),
            ("unknown".to_owned(), false)
        ]
    );
}

#[tokio::test]
async fn hostile_text_is_escaped_in_both_representations() {
    let app = app().await;
    let nasty = "</reason><x>&\"\\\u{1}\r\n";
    app.seed(vec![canonical(json!({
        "id": "nasty", "started_at": "2024-03-01T09:30:00Z", "outcome": "successful",
        "reason": nasty, "team": "R&D <west>"
    }))])
    .await;
    let (_, body) = get_json(&app, LIST).await;
    assert_eq!(body["engagements"][0]["reason"], nasty);
    let xml = only(&app, "application/xml").await;
    let e = &parse_xml(&xml).children[1];
    let reason = e.children.iter().find(|c| c.name == "reason").unwrap();
    // XML 1.0 cannot carry U+0001 at all; it is replaced, everything else survives.
    assert_eq!(reason.text, nasty.replace('\u{1}', "\u{FFFD}"));
    assert_eq!(
        e.children
            .iter()
            .find(|c| c.name == "assignedTeam")
            .unwrap()
            .text,
        "R&D <west>"
    );
}
