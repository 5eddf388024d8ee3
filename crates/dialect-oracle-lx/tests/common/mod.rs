//! Shared by the dialect's black-box tests: the server with this dialect, requests in its
//! shapes, and the key/element skeletons the seed examples are compared with.
#![allow(dead_code)]

use interlog_dialect_oracle_lx::xml::{self, Element};
use interlog_testkit::*;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

pub const LIST: &str = "/v1/engagements/acme";
pub const COUNT: &str = "/v1/engagements/count/acme";

pub async fn app() -> TestApp {
    spawn_app().await
}

/// A GET with a bearer token and an `Accept` header.
pub async fn get(app: &TestApp, path: &str, token: &str, accept: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .bearer_auth(token)
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

/// A GET as the reader, with an `Accept` header.
pub async fn get_as_reader(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    get(app, path, &app.reader, accept).await
}

/// A JSON GET as the reader: (status, body).
pub async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let r = get_as_reader(app, path, "application/json").await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The ids of a JSON listing, with its `hasMore`.
pub async fn ids(app: &TestApp, query: &str) -> (Vec<String>, bool) {
    let (status, body) = get_json(app, &format!("{LIST}?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    (
        interlog_testkit::ids(&body),
        body["hasMore"].as_bool().unwrap(),
    )
}

/// The count for a query string.
pub async fn count(app: &TestApp, query: &str) -> u64 {
    let (status, body) = get_json(app, &format!("{COUNT}?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body["count"].as_u64().unwrap()
}

/// Posts a bulk body in the `oracle_lx` format; returns the ingest summary.
pub async fn ingest(app: &TestApp, body: String, content_type: &str) -> Value {
    let r = app.ingest_as("oracle_lx", content_type, body).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Asserts the dialect's JSON error body; returns it.
pub async fn assert_lx_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/json",
        "error content type"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    body
}

/// The skeleton of a JSON document: keys in order, and each value's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Object(Vec<(String, Shape)>),
    Array(Vec<Shape>),
    String,
    Number,
    Bool,
    Null,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape::String)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::Number)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::Number)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::Number)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::Bool)
            }
            fn visit_unit<E>(self) -> Result<Shape, E> {
                Ok(Shape::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
                let mut items = Vec::new();
                while let Some(s) = a.next_element()? {
                    items.push(s);
                }
                Ok(Shape::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
                let mut keys = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Shape>()? {
                    keys.push((k, v));
                }
                Ok(Shape::Object(keys))
            }
        }
        d.deserialize_any(V)
    }
}

pub fn shape(json: &str) -> Shape {
    serde_json::from_str(json).unwrap()
}

/// The keys of a JSON object, in order.
pub fn keys(json: &str) -> Vec<String> {
    match shape(json) {
        Shape::Object(k) => k.into_iter().map(|(k, _)| k).collect(),
        other => panic!("not an object: {other:?}"),
    }
}

/// The keys of each engagement of an `EngagementListV1` text, in order.
pub fn engagement_keys(list: &str) -> Vec<Vec<String>> {
    let Shape::Object(top) = shape(list) else {
        panic!("not an object: {list}")
    };
    let Some((_, Shape::Array(es))) = top.into_iter().find(|(k, _)| k == "engagements") else {
        panic!("no engagements array: {list}")
    };
    es.into_iter()
        .map(|e| match e {
            Shape::Object(k) => k.into_iter().map(|(k, _)| k).collect(),
            other => panic!("not an object: {other:?}"),
        })
        .collect()
}

/// The element names of a tree, depth first, with their depth: its skeleton.
pub fn skeleton(el: &Element) -> Vec<(usize, String)> {
    fn walk(el: &Element, depth: usize, out: &mut Vec<(usize, String)>) {
        out.push((depth, el.name.clone()));
        for c in &el.children {
            walk(c, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(el, 0, &mut out);
    out
}

/// The text of the first child of `el` named `name`.
pub fn child_text(el: &Element, name: &str) -> String {
    el.children
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} in {}", el.name))
        .text
        .clone()
}

pub fn parse_xml(text: &str) -> Element {
    xml::parse(text.as_bytes()).unwrap()
}

/// The seed examples, extracted from the seeds in `tests/seeds/` (see
/// `seeds::the_extracted_seed_examples_match_the_seeds`).
pub fn seed_json() -> &'static str {
    include_str!("../seeds/EngagementListV1.json")
}

pub fn seed_xml() -> &'static str {
    include_str!("../seeds/engagementV1.xml")
}
