//! Erasure: after a customer is erased by one identifier, no API — native, the four
//! dialects, the change feed beyond its tombstones — returns anything of that customer,
//! across every linked identifier; the receipt keeps no erased data; running it again is
//! harmless.

use base64::Engine;
use interlog_store::{ClientRole, Identifier, NewTenant};
use interlog_testkit::*;
use reqwest::Method;
use serde_json::{json, Value};

const PHONE: &str = "+353 19 718 0171";
const EMAIL: &str = "melinda@example.org";
const CONTACT: &str = "cust-77";
const APP: &str = "the-application-key";

/// The answers of every API about the customer, as text.
async fn everything(app: &TestApp, tokens: &Tokens) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut text = |name: &str, t: String| out.push((name.to_owned(), t));
    let get = |path: String, token: &str| {
        let req = app.http.get(app.url(&path)).bearer_auth(token);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    for q in [
        format!("customer={PHONE}"),
        format!("customer={EMAIL}"),
        String::new(),
    ] {
        text(
            "native list",
            get(
                format!("/api/v1/tenants/acmeax/engagements?{q}"),
                &tokens.native,
            )
            .await,
        );
    }
    for id in ["m1", "m2", "m3"] {
        text(
            "native get",
            get(
                format!("/api/v1/tenants/acmeax/engagements/{id}"),
                &tokens.native,
            )
            .await,
        );
    }
    text(
        "feed",
        get("/api/v1/tenants/acmeax/changes".into(), &tokens.native).await,
    );
    text(
        "oracle",
        get("/v1/engagements/acmeax?status=all".into(), &tokens.native).await,
    );
    text(
        "zoom",
        get("/v2/contact_center/engagements".into(), &tokens.zoom).await,
    );
    for id in ["m1", "m2"] {
        text(
            "zoom get",
            get(format!("/v2/contact_center/engagements/{id}"), &tokens.zoom).await,
        );
    }
    let axp = app
        .http
        .post(app.url("/api/journey/v1/accounts/ACMEAX/journeys:search"))
        .bearer_auth(&tokens.axp)
        .header("appkey", APP)
        .json(&json!({"identifiers": {"phoneNumbers": [PHONE]}}))
        .send()
        .await
        .unwrap();
    text("avaya", axp.text().await.unwrap());
    let gws = app
        .http
        .get(app.url(&format!("/api/v2/ucs/interactions?contactId={CONTACT}")))
        .header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("acmeax/agent:{SECRET}"))
            ),
        )
        .send()
        .await
        .unwrap();
    text("genesys", gws.text().await.unwrap());
    out
}

struct Tokens {
    native: String,
    zoom: String,
    axp: String,
}

fn mentions_customer(text: &str) -> bool {
    ["197180171", EMAIL, CONTACT, "\"m1\"", "\"m2\""]
        .iter()
        .any(|needle| text.contains(needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_erasure_no_api_returns_anything_of_the_customer() {
    let app = spawn_app().await;
    let t = app
        .store
        .create_tenant(NewTenant {
            key: "acmeax".into(),
            name: "Acme AX".into(),
            time_zone: "Europe/Dublin".into(),
            country_code: Some("353".into()),
            aliases: vec![],
        })
        .await
        .unwrap();
    app.create_client_with_app_key(&t, "axp-client", APP).await;
    app.create_user(&t, "agent", SECRET, ClientRole::Agent)
        .await;
    let now = jiff::Timestamp::now();
    let started = |h: i64| (now - std::time::Duration::from_secs(h as u64 * 3600)).to_string();
    let ended = |h: i64| (now - std::time::Duration::from_secs(h as u64 * 3600 - 600)).to_string();
    let engagements = vec![
        json!({"id": "m1", "started_at": started(3), "ended_at": ended(3), "channels": [{"type": "voice"}],
               "customer": {"phones": ["019 718 0171"], "contact_id": CONTACT}}),
        json!({"id": "m2", "started_at": started(2), "ended_at": ended(2), "channels": [{"type": "email"}],
               "customer": {"emails": ["Melinda@Example.org"]}}),
        json!({"id": "keep", "started_at": started(1), "ended_at": ended(1), "channels": [{"type": "chat"}],
               "customer": {"emails": ["someone.else@example.org"]}}),
    ];
    let mut es = Vec::new();
    for v in engagements {
        let mut e: interlog_model::Engagement = serde_json::from_value(v).unwrap();
        e.normalize();
        es.push(e);
    }
    app.store.upsert_many(&t, es).await.unwrap();
    app.store
        .link_identifiers(&t, &[Identifier::new(Some("phone"), PHONE), EMAIL.into()])
        .await
        .unwrap();

    let iat = now.as_second();
    let tokens = Tokens {
        native: mint_token(&app.signer, "acmeax", ClientRole::Admin, 3600),
        zoom: app.signer.jwt(&json!({
            "tenant": "acmeax", "sub": "axp-client", "kind": "client", "role": "admin",
            "scopes": ["contact_center_engagement:read:admin"], "iat": iat, "exp": iat + 3600,
        })),
        axp: app.signer.jwt(&json!({
            "tenant": "acmeax", "sub": "axp-client", "kind": "client", "role": "admin",
            "iat": iat, "exp": iat + 3600, "azp": "axp-client",
        })),
    };
    let before = everything(&app, &tokens).await;
    for api in ["native list", "feed", "oracle", "zoom", "avaya", "genesys"] {
        assert!(
            before.iter().any(|(n, t)| n == api && mentions_customer(t)),
            "{api} shows the customer before the erasure: {before:?}"
        );
    }

    let r = app
        .http
        .post(app.url("/api/v1/tenants/acmeax/erasures"))
        .bearer_auth(&tokens.native)
        .json(&json!({"identifier": PHONE}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["engagements_erased"], 2, "{receipt}");
    assert_eq!(receipt["identifiers"].as_array().unwrap().len(), 2);
    assert!(receipt["completed_at"].as_str().is_some());
    assert!(
        !mentions_customer(&receipt.to_string()),
        "the receipt keeps no erased data"
    );

    let after = everything(&app, &tokens).await;
    for (api, text) in &after {
        // The feed keeps tombstones: the ids, and nothing else of the engagements.
        let shown = if api == "feed" {
            ["197180171", EMAIL, CONTACT]
                .iter()
                .any(|n| text.contains(n))
        } else {
            mentions_customer(text)
        };
        assert!(!shown, "{api} still shows the customer: {text}");
    }
    let feed = after.iter().find(|(n, _)| n == "feed").unwrap().1.clone();
    let feed: Value = serde_json::from_str(&feed).unwrap();
    let erased: Vec<&Value> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["reason"] == "erased")
        .collect();
    assert_eq!(erased.len(), 2, "two tombstones: {feed}");
    assert!(erased.iter().all(|c| c.get("engagement").is_none()));
    let (status, _) = app
        .get_json_as("/api/v1/tenants/acmeax/engagements/keep", &tokens.native)
        .await;
    assert_eq!(status, 200, "another customer's engagement stays");
    let linked = app.store.linked_identifiers(&t, EMAIL).await.unwrap();
    assert_eq!(linked.len(), 1, "the links are gone: {linked:?}");

    let id = receipt["id"].as_str().unwrap();
    let (status, again) = app
        .get_json_as(
            &format!("/api/v1/tenants/acmeax/erasures/{id}"),
            &tokens.native,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(again, receipt);
    let r = app
        .http
        .post(app.url("/api/v1/tenants/acmeax/erasures"))
        .bearer_auth(&tokens.native)
        .json(&json!({"identifier": "019 718 0171"}))
        .send()
        .await
        .unwrap();
    let rerun: Value = r.json().await.unwrap();
    assert_eq!(
        rerun["engagements_erased"], 0,
        "running it again is harmless"
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/tenants/acmeax/erasures",
            Some(&mint_token(&app.signer, "acmeax", ClientRole::Agent, 60)),
            Some(json!({"identifier": PHONE})),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;
}
