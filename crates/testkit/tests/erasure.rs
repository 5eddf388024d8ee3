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
    // The phone, the email linked with it, and the contact id that appears with the phone.
    assert_eq!(receipt["identifiers"].as_array().unwrap().len(), 3);
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

/// Engagements of one customer known by a phone and an email, and of another.
async fn seed_people(app: &TestApp) {
    let e = |v: Value| {
        let mut e: interlog_model::Engagement = serde_json::from_value(v).unwrap();
        e.normalize();
        e
    };
    app.store
        .upsert_many(
            &app.tenant,
            vec![
                e(json!({"id": "both", "started_at": "2024-05-01T10:00:00Z",
                    "participants": [{"role": "customer", "display_name": "Melinda Rasetest"}],
                    "customer": {"phones": ["+353 1 555 0199"], "emails": ["Melinda.Rasetest@example.org"],
                                 "contact_id": "cust-rasetest-77"}})),
                e(json!({"id": "phone-only", "started_at": "2024-05-02T10:00:00Z",
                    "customer": {"phones": ["01 555 0199"]}})),
                e(json!({"id": "account", "started_at": "2024-05-03T10:00:00Z",
                    "customer": {"account_ids": ["ACC-RASETEST"]}})),
                e(json!({"id": "someone-else", "started_at": "2024-05-04T10:00:00Z",
                    "customer": {"emails": ["someone.else@example.org"], "phones": ["+353 1 555 0100"]}})),
            ],
        )
        .await
        .unwrap();
    app.store
        .link_identifiers(
            &app.tenant,
            &[
                Identifier::new(Some("phone"), "+353 1 555 0199"),
                Identifier::new(Some("account"), "ACC-RASETEST"),
            ],
        )
        .await
        .unwrap();
}

async fn erase(app: &TestApp, body: Value) -> (u16, Value) {
    let r = app
        .call(
            Method::POST,
            "/api/v1/tenants/acme/erasures",
            Some(&app.admin),
            Some(body),
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_reaches_identifiers_that_appear_together_and_a_dry_run_erases_nothing() {
    let app = spawn_app().await;
    seed_people(&app).await;
    // By the email: the email's engagement carries the phone, the phone is linked with the
    // account; all three engagements are the customer's.
    let (status, dry) = erase(
        &app,
        json!({"identifier": "melinda.rasetest@example.org", "dry_run": true}),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["engagements"], 3, "{dry}");
    let by_identifier: Vec<(String, u64)> = dry["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["identifier"].as_str().unwrap().to_owned(),
                i["engagements"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_identifier.len(),
        4,
        "email, phone, contact id, account: {dry}"
    );
    assert!(
        by_identifier.contains(&("+353 1 555 0199".into(), 2)),
        "{dry}"
    );
    assert!(by_identifier.contains(&("ACC-RASETEST".into(), 1)), "{dry}");
    for id in ["both", "phone-only", "account"] {
        let (status, _) = app
            .get_json_as(
                &format!("/api/v1/tenants/acme/engagements/{id}"),
                &app.admin,
            )
            .await;
        assert_eq!(status, 200, "the dry run erased {id}");
    }

    let (status, receipt) =
        erase(&app, json!({"identifier": "melinda.rasetest@example.org"})).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["state"], "completed");
    assert_eq!(receipt["engagements_erased"], 3, "{receipt}");
    assert_eq!(receipt["identifiers"].as_array().unwrap().len(), 4);
    assert!(!receipt.to_string().to_lowercase().contains("rasetest"));
    for (id, status) in [
        ("both", 404),
        ("phone-only", 404),
        ("account", 404),
        ("someone-else", 200),
    ] {
        let (got, _) = app
            .get_json_as(
                &format!("/api/v1/tenants/acme/engagements/{id}"),
                &app.admin,
            )
            .await;
        assert_eq!(got, status, "{id}");
    }
    let (status, again) = app
        .get_json_as(
            &format!(
                "/api/v1/tenants/acme/erasures/{}",
                receipt["id"].as_str().unwrap()
            ),
            &app.admin,
        )
        .await;
    assert_eq!((status, &again), (200, &receipt));
    let (status, p) = erase(&app, json!({"identifier": " "})).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "identifier");
}

/// Every text an SQLite file holds in any column of any table, and its raw bytes.
fn database_contents(path: &std::path::Path) -> (String, Vec<u8>) {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut text = String::new();
    for t in tables {
        let columns: Vec<String> = db
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for c in columns {
            let mut s = db
                .prepare(&format!("SELECT CAST(\"{c}\" AS BLOB) FROM \"{t}\""))
                .unwrap();
            let values = s.query_map([], |r| r.get::<_, Option<Vec<u8>>>(0)).unwrap();
            for v in values.flatten().flatten() {
                text.push_str(&String::from_utf8_lossy(&v));
                text.push('\n');
            }
        }
    }
    drop(db);
    let mut bytes = std::fs::read(path).unwrap();
    for suffix in ["-wal", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(more) = std::fs::read(std::path::Path::new(&p)) {
            bytes.extend(more);
        }
    }
    (text, bytes)
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_files_keep_nothing_of_an_erased_customer() {
    let app = spawn_app().await;
    let interlog_app::StoreUrl::Sqlite(path) = app.config.store.clone() else {
        return; // The files of a PostgreSQL server are not the test's to read.
    };
    seed_people(&app).await;
    // Also through the API, so the log holds the customer too.
    let r = app
        .call(
            Method::PUT,
            "/api/v1/tenants/acme/engagements/api-written",
            Some(&app.admin),
            Some(
                json!({"id": "api-written", "started_at": "2024-05-05T10:00:00Z",
                        "customer": {"emails": ["melinda.rasetest@example.org"]}}),
            ),
        )
        .await;
    assert!(r.status().is_success());
    let needles = ["rasetest", "5550199", "cust-rasetest"];
    let (text, bytes) = database_contents(&path);
    for n in needles {
        assert!(
            text.to_lowercase().contains(n) || holds(&bytes, n),
            "{n} is in the store before the erasure (else this test proves nothing)"
        );
    }
    assert!(
        text.contains("rasetest@example.org"),
        "term values hold the email"
    );

    let (status, receipt) = erase(&app, json!({"identifier": "+353 1 555 0199"})).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["engagements_erased"], 4, "{receipt}");
    let (text, bytes) = database_contents(&path);
    for n in needles {
        assert!(!text.to_lowercase().contains(n), "{n} is still in a table");
        assert!(
            !holds(&bytes, n),
            "{n} is still in the database files' bytes"
        );
    }
    assert!(
        text.contains("someone.else@example.org"),
        "another customer stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identifier_many_customers_share_is_refused_and_nothing_is_erased() {
    let app = spawn_app().await;
    // A switchboard number on every engagement, each with a customer email of its own.
    let engagements: Vec<interlog_model::Engagement> = (0..1001)
        .map(|i| {
            let mut e: interlog_model::Engagement = serde_json::from_value(json!({
                "id": format!("s{i}"), "started_at": "2024-05-01T10:00:00Z",
                "customer": {"phones": ["+353 1 555 0000"], "emails": [format!("c{i}@example.org")]}
            }))
            .unwrap();
            e.normalize();
            e
        })
        .collect();
    app.store
        .upsert_many(&app.tenant, engagements)
        .await
        .unwrap();
    for dry_run in [true, false] {
        let (status, p) = erase(
            &app,
            json!({"identifier": "c7@example.org", "dry_run": dry_run}),
        )
        .await;
        assert_eq!(status, 422, "{p}");
        assert_eq!(p["errors"][0]["field"], "identifier", "{p}");
        assert!(p["detail"].as_str().unwrap().contains("1000"), "{p}");
    }
    let (_, page) = app
        .get_json_as(
            "/api/v1/tenants/acme/engagements?limit=1&count=exact",
            &app.admin,
        )
        .await;
    assert_eq!(page["total"], 1001, "nothing erased");
    // No record of the refused erasure is left to be tried again.
    assert!(app
        .store
        .settings_in(&app.tenant, "erasure-jobs")
        .await
        .unwrap()
        .is_empty());
}
