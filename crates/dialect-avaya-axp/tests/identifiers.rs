//! Identifier configuration (Account Administrator) and its effect on writes; custom
//! method routing.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn identifier_types_are_configured_per_account() {
    let axp = spawn().await;
    let path = format!("{JOURNEY}/identifiers");
    let defaults = axp.as_admin(Method::GET, &path, None).await.ok(200);
    let names: Vec<&str> = defaults
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["phoneNumbers", "emailAddresses", "accountIds"]);
    let phone = &defaults[0];
    assert_eq!(
        phone["url"],
        format!(
            "/api/journey/v1/accounts/ACMEAC/identifiers/{}",
            phone["identifierId"].as_str().unwrap()
        )
    );
    // The defaults have the same ids on every read (and every instance).
    assert_eq!(
        axp.as_admin(Method::GET, &path, None).await.ok(200),
        defaults
    );

    // Avaya's create example, under another name.
    let created = axp
        .as_admin(Method::POST, &path, Some(json!({"name": "twitterHandles", "displayName": "Twitter Handles", "identifierStrength": "WEAK"})))
        .await
        .ok(200);
    let id = created["identifierId"].as_str().unwrap().to_owned();
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5);
    assert_eq!(
        created["url"],
        format!("/api/journey/v1/accounts/ACMEAC/identifiers/{id}")
    );
    // Writes now collect twitterHandles.
    let eid = new_id();
    axp.create(
        &eid,
        "2024-01-01T10:00:00Z",
        json!({"twitterHandles": ["@melinda"]}),
    )
    .await;
    let e = axp
        .get(&format!("{JOURNEY}/engagements/{eid}"))
        .await
        .ok(200);
    assert_eq!(e["identifiers"], json!({"twitterHandles": ["@melinda"]}));
    // Duplicates and bad fields.
    let p = axp
        .as_admin(
            Method::POST,
            &path,
            Some(json!({"name": "twitterHandles", "identifierStrength": "WEAK"})),
        )
        .await
        .violations(&[("name", 20006)]);
    assert_eq!(
        p["violations"][0]["message"],
        "identifier 'twitterHandles' already exists for account 'ACMEAC'"
    );
    axp.as_admin(
        Method::POST,
        &path,
        Some(json!({"name": "no spaces", "displayName": "ab", "identifierStrength": "MEDIUM"})),
    )
    .await
    .violations(&[
        ("name", 20006),
        ("displayName", 20006),
        ("identifierStrength", 20006),
    ]);
    axp.as_admin(Method::POST, &path, Some(json!({})))
        .await
        .violations(&[("name", 20002), ("identifierStrength", 20002)]);

    // Get and update one.
    let one = format!("{path}/{id}");
    assert_eq!(axp.as_admin(Method::GET, &one, None).await.ok(200), created);
    let updated = axp
        .as_admin(Method::PUT, &one, Some(json!({"identifierStrength": "STRONG", "name": "xHandles", "displayName": "X Handles"})))
        .await
        .ok(200);
    assert_eq!(updated["identifierId"], id.as_str());
    assert_eq!(updated["name"], "xHandles");
    axp.as_admin(
        Method::PUT,
        &one,
        Some(json!({"identifierStrength": "STRONG", "name": "phoneNumbers"})),
    )
    .await
    .violations(&[("name", 20006)]);
    axp.as_admin(Method::GET, &format!("{path}/{}", new_id()), None)
        .await
        .problem(404);
    axp.as_admin(Method::GET, &format!("{path}/not-a-uuid"), None)
        .await
        .violations(&[("identifierId", 20006)]);

    // Delete by id and by name; then such identifiers are refused on writes.
    let delete = format!("{JOURNEY}/identifiers:delete");
    let r = axp
        .as_admin(Method::POST, &delete, Some(json!([id, "emailAddresses"])))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.text.is_empty());
    let left = axp.as_admin(Method::GET, &path, None).await.ok(200);
    let names: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["phoneNumbers", "accountIds"]);
    axp.post(&format!("{JOURNEY}/engagements"), json!({"id": new_id(), "startDate": "2024-01-01T10:00:00Z", "identifiers": {"emailAddresses": ["a@b.org"]}}))
        .await
        .violations(&[("identifiers.emailAddresses", 20006)]);
    // What engagements already hold stays, and stays searchable.
    axp.post(
        &format!("{JOURNEY}/journeys:search"),
        json!({"identifiers": {"xHandles": ["@melinda"], "twitterHandles": ["@melinda"]}}),
    )
    .await
    .ok(200);
    axp.as_admin(Method::POST, &delete, Some(json!(["nothingLikeThis"])))
        .await
        .problem(404);
    axp.as_admin(Method::POST, &delete, Some(json!([])))
        .await
        .violations(&[("body", 20006)]);
    axp.as_admin(Method::POST, &delete, Some(json!({"name": "x"})))
        .await
        .violations(&[("body", 20006)]);
    // With nothing configured, no identifiers are collected.
    axp.as_admin(
        Method::POST,
        &delete,
        Some(json!(["phoneNumbers", "accountIds"])),
    )
    .await
    .ok(200);
    let p = axp
        .post(&format!("{JOURNEY}/engagements"), json!({"id": new_id(), "startDate": "2024-01-01T10:00:00Z", "identifiers": {"phoneNumbers": ["087 1"]}}))
        .await
        .violations(&[("identifiers", 20006)]);
    assert_eq!(
        p["violations"][0]["message"],
        "No valid identifiers configured for account"
    );
}

#[tokio::test]
async fn custom_methods_after_the_colon_are_routed_and_unknown_ones_are_404() {
    let axp = spawn().await;
    let id = new_id();
    for path in [
        format!("{JOURNEY}/journeys:explode"),
        format!("{JOURNEY}/journeys:"),
        format!("{JOURNEY}/journeys:search:now"),
        format!("{JOURNEY}/identifiers:purge"),
        format!("{JOURNEY}/engagements:update"),
        format!("{JOURNEY}/something"),
        format!("{JOURNEY}/engagements/{id}:delete"),
        format!("{JOURNEY}/engagements/{id}/participants/p1:kick"),
        format!("{JOURNEY}/engagements/{id}/participants/p1"),
        format!("/api/journey/v1/accounts/{ACCOUNT}/engagements/{id}/nowhere"),
        "/api/journey/v1/nowhere".to_owned(),
    ] {
        let r = axp.as_admin(Method::POST, &path, Some(json!({}))).await;
        assert_eq!(r.problem(404)["title"], "Resource Not Found", "{path}");
    }
    // Percent-encoded colons are the same path.
    axp.call(
        Method::POST,
        &format!("{JOURNEY}/journeys%3Asearch"),
        &axp.reader,
        Some(json!({})),
    )
    .await
    .violations(&[("identifiers", 20002)]);
    // Known resources with a method they do not take.
    for (m, path) in [
        (Method::GET, format!("{JOURNEY}/journeys:search")),
        (Method::DELETE, format!("{JOURNEY}/engagements")),
        (Method::GET, format!("{JOURNEY}/engagements/{id}:update")),
        (Method::PUT, format!("{JOURNEY}/engagements/{id}")),
        (
            Method::GET,
            format!("{JOURNEY}/engagements/{id}/participants/p1:add"),
        ),
        (
            Method::POST,
            format!("{JOURNEY}/engagements/{id}/agent-notes"),
        ),
        (
            Method::GET,
            format!("{JOURNEY}/engagements/{id}/agent-note"),
        ),
        (
            Method::POST,
            format!("{JOURNEY}/engagements/{id}/agent-note/{}", "a".repeat(20)),
        ),
        (Method::DELETE, format!("{JOURNEY}/identifiers")),
        (Method::DELETE, format!("{JOURNEY}/identifiers/{id}")),
    ] {
        let r = axp.as_admin(m.clone(), &path, None).await;
        assert_eq!(r.problem(405)["title"], "Method Not Allowed", "{m} {path}");
    }
    // The native API is untouched by the dialect's routes.
    let r = axp
        .app
        .http
        .get(axp.app.url("/api/v1/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn a_405_names_the_methods_the_path_takes_and_head_is_answered_as_get() {
    let axp = spawn().await;
    let id = axp.new_engagement("2024-01-01T10:00:00Z").await;
    // A custom method is a path of its own: `{id}:update` takes POST, `{id}` GET.
    for (m, path, allow) in [
        (
            Method::PUT,
            format!("{JOURNEY}/engagements/{id}"),
            "GET,HEAD",
        ),
        (
            Method::GET,
            format!("{JOURNEY}/engagements/{id}:update"),
            "POST",
        ),
        (Method::GET, format!("{JOURNEY}/journeys:search"), "POST"),
        (
            Method::DELETE,
            format!("{JOURNEY}/engagements"),
            "GET,HEAD,POST",
        ),
        (
            Method::GET,
            format!("{JOURNEY}/engagements/{id}/participants/p1:remove"),
            "POST",
        ),
    ] {
        let r = axp
            .app
            .http
            .request(m.clone(), axp.app.url(&path))
            .bearer_auth(&axp.admin)
            .header("appkey", APP_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["allow"], allow, "{m} {path}");
        Answer::from(r).await.problem(405);
    }
    let head = axp
        .app
        .http
        .head(axp.app.url(&format!("{JOURNEY}/engagements/{id}")))
        .bearer_auth(&axp.reader)
        .header("appkey", APP_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    assert_eq!(head.text().await.unwrap(), "");
}
