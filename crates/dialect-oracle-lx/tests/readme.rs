//! The examples written in the crate's README are what the server answers, byte for byte.

mod common;

use common::*;

const README: &str = include_str!("../README.md");

/// The first backquoted span of the README that starts with `prefix`.
fn example(prefix: &str) -> String {
    README
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|s| s.starts_with(prefix))
        .unwrap_or_else(|| panic!("the README has no example starting with {prefix}"))
        .to_owned()
}

#[tokio::test]
async fn the_documented_error_and_count_bodies_are_the_real_ones() {
    let app = app().await;
    let r = get_as_reader(&app, &format!("{LIST}?limit=101"), "application/json").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().await.unwrap(), example("{\"status\":400"));

    app.seed(
        (0..42)
            .map(|i| {
                let mut e = interlog_testkit::engagement(&format!("c{i}"), "2024-01-01T00:00:00Z");
                e.outcome = Some(interlog_model::Outcome::Successful);
                e
            })
            .collect(),
    )
    .await;
    let r = get_as_reader(&app, COUNT, "application/json").await;
    assert_eq!(r.text().await.unwrap(), example("{\"count\":"));
    let r = get_as_reader(&app, COUNT, "application/xml").await;
    let xml = example("<?xml …?><countV1>")
        .replace("<?xml …?>", interlog_dialect_oracle_lx::xml::DECLARATION);
    assert_eq!(r.text().await.unwrap(), xml);
}

#[tokio::test]
async fn the_documented_token_answer_has_the_documented_keys() {
    let app = app().await;
    let r = app
        .http
        .get(app.url("/v1/auth/acme"))
        .basic_auth(&app.client_id, Some(interlog_testkit::SECRET))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    let documented = example("{\"access_token\"");
    assert_eq!(keys(&text), keys(&documented));
    let got: serde_json::Value = serde_json::from_str(&text).unwrap();
    let want: serde_json::Value = serde_json::from_str(&documented).unwrap();
    assert_eq!(got["token_type"], want["token_type"]);
    assert_eq!(got["expires_in"], want["expires_in"]);
}
