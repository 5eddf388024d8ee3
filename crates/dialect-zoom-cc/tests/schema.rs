//! Real responses validated against Zoom's own OpenAPI document
//! (`tests/fixtures/zoom-contact-center-engagements-openapi.json`; its provenance is in
//! `tests/fixtures/README.md`), strictly: the OpenAPI 3.0 response schemas are converted to
//! JSON Schema with `nullable` honoured, formats (`date-time`) checked, and every object
//! closed (`additionalProperties: false`), so a field Zoom does not define, a wrong type, a
//! value outside an enum or a malformed time fails the test.

mod common;

use common::*;
use interlog_generate::{Generator, GeneratorConfig};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::sync::LazyLock;

static SPEC: LazyLock<Value> = LazyLock::new(|| {
    let text = include_str!("fixtures/zoom-contact-center-engagements-openapi.json");
    serde_json::from_str(text).expect("the OpenAPI document is JSON")
});

/// An OpenAPI 3.0 schema object as JSON Schema.
fn to_json_schema(s: &Value) -> Value {
    match s {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                match k.as_str() {
                    // Annotations of OpenAPI that JSON Schema does not have, or that would
                    // be read as something else.
                    "example" | "deprecated" | "nullable" | "xml" | "externalDocs"
                    | "discriminator" => {}
                    "properties" => {
                        let props: Map<String, Value> = v
                            .as_object()
                            .expect("properties is an object")
                            .iter()
                            .map(|(name, p)| (name.clone(), to_json_schema(p)))
                            .collect();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    "items" | "additionalProperties" | "not" => {
                        out.insert(k.clone(), to_json_schema(v));
                    }
                    "allOf" | "anyOf" | "oneOf" => {
                        let list = v.as_array().expect("a list of schemas");
                        out.insert(
                            k.clone(),
                            Value::Array(list.iter().map(to_json_schema).collect()),
                        );
                    }
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            if o.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(t) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            if o.get("type") == Some(&json!("object")) && !out.contains_key("additionalProperties")
            {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn validator(path: &str, method: &str, status: &str) -> jsonschema::Validator {
    let schema =
        &SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "no schema for {method} {path} {status}");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&to_json_schema(schema))
        .expect("Zoom's schema compiles")
}

fn errors_of(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn assert_valid(path: &str, method: &str, doc: &Value) {
    let errors = errors_of(&validator(path, method, "200"), doc);
    assert!(errors.is_empty(), "{method} {path}: {errors:#?}\n{doc:#}");
}

const P_LIST: &str = "/contact_center/engagements";
const P_GET: &str = "/contact_center/engagements/{engagementId}";
const P_EVENTS: &str = "/contact_center/engagements/{engagementId}/events";
const P_RECORDINGS: &str = "/contact_center/engagements/{engagementId}/recordings";
const P_STATUS: &str = "/contact_center/engagements/{engagementId}/recordings/status";
const P_ALL_NOTES: &str = "/contact_center/engagements/notes";
const P_NOTES: &str = "/contact_center/engagements/{engagementId}/notes";
const P_NOTE: &str = "/contact_center/engagements/{engagementId}/notes/{noteId}";

async fn ok(app: &interlog_testkit::TestApp, path: &str) -> Value {
    let (status, body) = get(app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Every endpoint's answers over generated engagements of every platform and channel, and
/// over engagements with every field Zoom shows.
#[tokio::test]
async fn every_response_validates_against_zoom_s_schema() {
    let app = app().await;
    let end: jiff::Timestamp = "2024-06-30T00:00:00Z".parse().unwrap();
    let mut config = GeneratorConfig::new(7, 400, end);
    config.span_days = 20;
    let generated: Vec<_> = Generator::new(config).collect();
    let mut full_email = full("full-email", "2024-06-20T10:00:00Z");
    full_email.channels =
        serde_json::from_value(json!([{"type": "email", "source": "email_address"}])).unwrap();
    let mut everything = generated.clone();
    everything.extend([full("full-1", "2024-06-21T10:00:00Z"), full_email]);
    app.seed(everything.clone()).await;

    let mut listed = 0;
    for tz in [
        "",
        "&timezone=America/Los_Angeles",
        "&timezone=Asia/Kolkata",
    ] {
        let mut token = String::new();
        loop {
            let mut q = format!("{P_LIST}?from=2024-06-05&to=2024-06-30&page_size=100{tz}");
            if !token.is_empty() {
                q.push_str(&format!("&next_page_token={}", enc(&token)));
            }
            let page = ok(&app, &format!("/v2{q}")).await;
            assert_valid(P_LIST, "get", &page);
            listed += page["engagements"].as_array().unwrap().len();
            token = page["next_page_token"].as_str().unwrap().to_owned();
            if token.is_empty() {
                break;
            }
        }
    }
    assert!(listed > 300, "{listed}");
    assert_valid(P_LIST, "get", &ok(&app, LIST).await);
    assert_valid(
        P_LIST,
        "get",
        &ok(&app, &format!("{LIST}?from=2020-01-01&to=2020-01-02")).await,
    );

    let mut recordings = 0;
    let mut statuses = 0;
    for e in everything
        .iter()
        .step_by(3)
        .chain(everything.iter().rev().take(2))
    {
        let id = &e.id;
        let g = get(&app, &format!("{LIST}/{id}")).await;
        if g.0 == 404 {
            // Still in progress when the data ends: not visible, as on Zoom.
            assert!(e.ended_at.is_none(), "{id}");
            continue;
        }
        assert_valid(P_GET, "get", &g.1);
        let (status, events) = get(&app, &format!("{LIST}/{id}/events")).await;
        if status == 200 {
            assert_valid(P_EVENTS, "get", &events);
        }
        assert_valid(
            P_NOTES,
            "get",
            &ok(&app, &format!("{LIST}/{id}/notes")).await,
        );
        for n in e.notes.iter().filter_map(|n| n.id.as_ref()) {
            assert_valid(
                P_NOTE,
                "get",
                &ok(&app, &format!("{LIST}/{id}/notes/{n}")).await,
            );
        }
        if !e.recordings.is_empty() {
            let r = ok(
                &app,
                &format!("{LIST}/{id}/recordings?from=2024-06-01T00:00:00Z&to=2024-06-30T23:59:59Z&page_size=2"),
            )
            .await;
            recordings += r["recordings"].as_array().unwrap().len();
            assert_valid(P_RECORDINGS, "get", &r);
            let (status, s) = get(&app, &format!("{LIST}/{id}/recordings/status")).await;
            if status == 200 {
                statuses += 1;
                assert_valid(P_STATUS, "get", &s);
            }
        }
    }
    assert!(recordings > 0 && statuses > 0, "{recordings} {statuses}");
    let mut token = String::new();
    let mut notes = 0;
    loop {
        let q = if token.is_empty() {
            format!("{LIST}/notes?page_size=300")
        } else {
            with_token(&format!("{LIST}/notes?page_size=300"), &token)
        };
        let page = ok(&app, &q).await;
        assert_valid(P_ALL_NOTES, "get", &page);
        notes += page["notes"].as_array().unwrap().len();
        token = page["next_page_token"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert!(notes > 0);
}

/// Zoom's error envelope (its errors page; the OpenAPI document has no error schemas).
#[tokio::test]
async fn error_bodies_have_zoom_s_shape() {
    let app = app().await;
    let schema = json!({
        "type": "object",
        "required": ["code", "message"],
        "additionalProperties": false,
        "properties": {
            "code": {"type": "integer"},
            "message": {"type": "string", "minLength": 1},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["field", "message"], "additionalProperties": false,
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
            }}
        }
    });
    let v = jsonschema::validator_for(&schema).unwrap();
    let t = admin_token(&app);
    for (path, token) in [
        (format!("{LIST}?page_size=0"), t.as_str()),
        (format!("{LIST}/nope"), t.as_str()),
        (format!("{LIST}?queue_id=nope"), t.as_str()),
        (LIST.to_owned(), "bad"),
        (LIST.to_owned(), app.admin.as_str()),
    ] {
        let r = call(&app, Method::GET, &path, token, None).await;
        assert!(r.status().is_client_error());
        let body: Value = r.json().await.unwrap();
        let errors = errors_of(&v, &body);
        assert!(errors.is_empty(), "{path}: {errors:?} {body}");
    }
}

/// The validation is strict enough to fail: mutated answers are refused.
#[tokio::test]
async fn the_validation_catches_what_zoom_would_not_send() {
    let app = app().await;
    app.seed(vec![full("e1", "2024-06-21T10:00:00Z")]).await;
    let good = ok(&app, &format!("{LIST}?from=2024-06-01&to=2024-06-30")).await;
    assert_valid(P_LIST, "get", &good);
    let list = validator(P_LIST, "get", "200");
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "an unknown field",
            Box::new(|d| d["engagements"][0]["colour"] = json!("red")),
        ),
        (
            "a duration as text",
            Box::new(|d| d["engagements"][0]["duration"] = json!("600")),
        ),
        (
            "a time that is not one",
            Box::new(|d| d["engagements"][0]["start_time"] = json!("yesterday")),
        ),
        (
            "a channel outside the enum",
            Box::new(|d| d["engagements"][0]["channels"][0]["channel"] = json!("fax")),
        ),
        (
            "a queue_id in a list item",
            Box::new(|d| d["engagements"][0]["queues"][0]["queue_id"] = json!("q")),
        ),
        ("an envelope field", Box::new(|d| d["cursor"] = json!("x"))),
    ];
    for (what, mutate) in mutations {
        let mut doc = good.clone();
        mutate(&mut doc);
        assert!(!errors_of(&list, &doc).is_empty(), "{what} passed");
    }
    let one = ok(&app, &format!("{LIST}/e1")).await;
    let get_v = validator(P_GET, "get", "200");
    assert!(errors_of(&get_v, &one).is_empty());
    let mut internal = one.clone();
    internal["direction"] = json!("internal");
    assert!(!errors_of(&get_v, &internal).is_empty());
    let mut counted = one;
    counted["transfer_count"] = json!(1);
    assert!(!errors_of(&get_v, &counted).is_empty());
}

#[test]
fn nullable_is_honoured() {
    let s = to_json_schema(&json!({"type": "object", "properties": {
        "a": {"type": "string", "nullable": true, "enum": ["x"]}, "b": {"type": "integer"}}}));
    let v = jsonschema::validator_for(&s).unwrap();
    assert!(v.is_valid(&json!({"a": null, "b": 1})));
    assert!(v.is_valid(&json!({"a": "x"})));
    assert!(!v.is_valid(&json!({"b": null})));
    assert!(!v.is_valid(&json!({"c": 1})));
}
