//! `context`: Oracle declares it a string ("List of Context Attributes") and never says what
//! is inside. Any string is accepted and written back exactly as it was received, in JSON
//! and in XML; one holding a JSON object also maps onto the canonical `data`.

mod common;

use common::*;
use serde_json::{json, Value};

/// Contexts in encodings Interlog does not read, and JSON objects it reads but that are not
/// written the way it would write them.
const VERBATIM: &[&str] = &[
    "order=42",
    "orderId=A-17;tier=2",
    "  padded, with a trailing newline\n",
    "a=1&b=<two>&c=\"three\"",
    "[\"a\",\"b\"]",
    "42",
    "{not json",
    "{}",
    "{\"orderId\": \"A-17\", \"tier\": 2}",
    "{\"s\":\"\\u00e9\"}",
    "Ünïcödé ✓ 中文 😀",
];

/// One `engagementV1` line, exactly as the dialect writes it.
fn lx_json(id: &str, context: &str) -> String {
    let mut text = String::new();
    interlog_dialect_oracle_lx::render_json::push_str(&mut text, context);
    format!(
        r#"{{"startDate":"1709285400000","id":"{id}","context":{text},"status":"successful","associateInitiated":false}}"#
    )
}

/// The same engagement as an XML document.
fn lx_xml(id: &str, context: &str) -> String {
    let mut text = String::new();
    interlog_dialect_oracle_lx::xml::push_text(&mut text, context);
    format!(
        "<engagementV1><startDate>2024-03-01T09:30:00.000Z</startDate><id>{id}</id><context>{text}</context><status>successful</status><associateInitiated>false</associateInitiated></engagementV1>"
    )
}

async fn listing(app: &interlog_testkit::TestApp, accept: &str) -> String {
    let r = get(app, &format!("{LIST}?limit=100"), &app.reader, accept).await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

async fn native(app: &interlog_testkit::TestApp, id: &str) -> Value {
    app.http
        .get(app.url(&format!("/api/v1/tenants/acme/engagements/{id}")))
        .bearer_auth(&app.reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn any_context_string_reads_back_byte_for_byte_in_json_and_xml() {
    let app = app().await;
    let json_ids: Vec<String> = (0..VERBATIM.len()).map(|i| format!("j{i}")).collect();
    let xml_ids: Vec<String> = (0..VERBATIM.len()).map(|i| format!("x{i}")).collect();
    let lines: String = VERBATIM
        .iter()
        .zip(&json_ids)
        .map(|(c, id)| lx_json(id, c) + "\n")
        .collect();
    let summary = ingest(&app, lines, "application/x-ndjson").await;
    assert_eq!(summary["created"], VERBATIM.len(), "{summary}");
    for (c, id) in VERBATIM.iter().zip(&xml_ids) {
        let summary = ingest(&app, lx_xml(id, c), "application/xml").await;
        assert_eq!(summary["created"], 1, "{c:?}: {summary}");
    }

    let json = listing(&app, "application/json").await;
    let xml = listing(&app, "application/xml").await;
    for (c, (j, x)) in VERBATIM.iter().zip(json_ids.iter().zip(&xml_ids)) {
        // Whichever way it came in, each representation writes the engagement exactly as
        // the dialect's own shape has it, with the context as received.
        for id in [j, x] {
            assert!(json.contains(&lx_json(id, c)), "{c:?} as {id} in {json}");
            let element = lx_xml(id, c).replace("engagementV1>", "engagements>");
            assert!(xml.contains(&element), "{c:?} as {id} in {xml}");
        }
    }
    // And the parsed value is the string received.
    let list: Value = serde_json::from_str(&json).unwrap();
    for e in list["engagements"].as_array().unwrap() {
        let n: usize = e["id"].as_str().unwrap()[1..].parse().unwrap();
        assert_eq!(e["context"], VERBATIM[n], "{e}");
    }
    let doc = parse_xml(&xml);
    for e in doc.children.iter().filter(|c| c.name == "engagements") {
        let text = |name: &str| child_text(e, name);
        let n: usize = text("id")[1..].parse().unwrap();
        assert_eq!(text("context"), VERBATIM[n]);
    }
}

#[tokio::test]
async fn a_context_holding_a_json_object_maps_onto_data() {
    let app = app().await;
    let compact = r#"{"orderId":"A-17","tier":2,"tags":["vip"]}"#;
    let spaced = r#"{"orderId": "B-9", "tier": 3}"#;
    let lines = format!(
        "{}\n{}\n{}\n",
        lx_json("compact", compact),
        lx_json("spaced", spaced),
        lx_json("plain", "order=42"),
    );
    let summary = ingest(&app, lines, "application/x-ndjson").await;
    assert_eq!(summary["created"], 3, "{summary}");

    let e = native(&app, "compact").await;
    assert_eq!(
        e["data"],
        json!({"orderId": "A-17", "tier": 2, "tags": ["vip"]})
    );
    assert!(e.get("raw_context").is_none(), "data alone says it: {e}");

    // Mapped onto data, and kept as written because data alone would write it otherwise.
    let e = native(&app, "spaced").await;
    assert_eq!(e["data"], json!({"orderId": "B-9", "tier": 3}));
    assert_eq!(e["raw_context"], spaced);

    // Not a JSON object: nothing in data.
    let e = native(&app, "plain").await;
    assert!(e.get("data").is_none(), "{e}");
    assert_eq!(e["raw_context"], "order=42");

    // data filters see the mapped keys.
    let r = app
        .http
        .get(app.url("/api/v1/tenants/acme/engagements?data.orderId=B-9"))
        .bearer_auth(&app.reader)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["engagements"][0]["id"], "spaced", "{body}");

    let json = listing(&app, "application/json").await;
    for (id, c) in [
        ("compact", compact),
        ("spaced", spaced),
        ("plain", "order=42"),
    ] {
        assert!(json.contains(&lx_json(id, c)), "{id} in {json}");
    }

    // With the raw context removed, `context` follows data (merged by the patch) again.
    let r = app
        .http
        .patch(app.url("/api/v1/tenants/acme/engagements/spaced"))
        .bearer_auth(&app.agent)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"data":{"orderId":"C-1"},"raw_context":null}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let json = listing(&app, "application/json").await;
    assert!(
        json.contains(&lx_json("spaced", r#"{"orderId":"C-1","tier":3}"#)),
        "{json}"
    );
}

#[tokio::test]
async fn a_context_that_is_not_a_string_or_an_object_is_still_refused() {
    let app = app().await;
    let body = concat!(
        r#"{"startDate":"1","id":"arr","context":["a"]}"#,
        "\n",
        r#"{"startDate":"1","id":"num","context":42}"#,
        "\n",
        r#"{"startDate":"1","id":"blank","context":"  ","status":"successful"}"#,
        "\n"
    )
    .to_owned();
    let summary = ingest(&app, body, "application/x-ndjson").await;
    assert_eq!(summary["created"], 1, "{summary}");
    assert_eq!(summary["rejected"], 2, "{summary}");
    for p in summary["problems"].as_array().unwrap() {
        assert!(p["reason"].as_str().unwrap().starts_with("context"), "{p}");
    }
    // A blank context is no context.
    let e = native(&app, "blank").await;
    assert!(
        e.get("raw_context").is_none() && e.get("data").is_none(),
        "{e}"
    );
}
