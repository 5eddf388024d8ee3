//! The AXP token endpoint (every grant, single-use refresh tokens, revocation), the appkey
//! and bearer checks, the role map, and account isolation.

mod common;

use common::*;
use interlog_http::auth::hash_secret;
use interlog_store::{ClientRole, NewUser};
use reqwest::Method;
use serde_json::{json, Value};

const TOKEN_PATH: &str = "/api/auth/v1/ACMEAC/protocol/openid-connect/token";
const AUTH_BASE: &str = "https://developers.avayacloud.com/onecloud-ccaas/docs/error-handling";

async fn token_request(
    axp: &Axp,
    path: &str,
    app_key: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let mut req = axp.app.http.post(axp.app.url(path)).form(form);
    if let Some(k) = app_key {
        req = req.header("appkey", k);
    }
    Answer::from(req.send().await.unwrap()).await
}

fn client_form<'a>(id: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("client_id", id), ("client_secret", SECRET)];
    f.extend_from_slice(extra);
    f
}

/// The refresh token of a client-credentials grant of `client`.
async fn refresh_token_of(axp: &Axp, client: &str) -> String {
    let form = client_form(client, &[("grant_type", "client_credentials")]);
    token_request(axp, TOKEN_PATH, Some(APP_KEY), &form)
        .await
        .ok(200)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A refresh-token grant of `client` at the token endpoint.
async fn refresh(axp: &Axp, client: &str, refresh_token: &str) -> Answer {
    let grant = client_form(
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    );
    token_request(axp, TOKEN_PATH, Some(APP_KEY), &grant).await
}

async fn search_with(axp: &Axp, token: &str) -> Answer {
    axp.call(
        Method::POST,
        &format!("{JOURNEY}/journeys:search"),
        token,
        Some(json!({"identifiers": {"phoneNumbers": ["087 12345"]}})),
    )
    .await
}

#[tokio::test]
async fn client_credentials_give_a_token_that_works_with_the_app_key() {
    let axp = spawn().await;
    let form = client_form("acme-ac-agent", &[("grant_type", "client_credentials")]);
    let r = token_request(&axp, TOKEN_PATH, Some(APP_KEY), &form).await;
    let body = r.ok(200);
    assert_eq!(body["expires_in"], 900);
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 3, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert!(body["refresh_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 32));
    axp.create(
        &new_id(),
        "2024-01-01T10:00:00Z",
        json!({"phoneNumbers": ["087 12345"]}),
    )
    .await;
    search_with(&axp, access).await.ok(200);
    // Without the application key, or with another, the same token is refused.
    for key in [None, Some("wrong-key"), Some("")] {
        let r = axp
            .call_with(
                Method::POST,
                &format!("{JOURNEY}/journeys:search"),
                Some(access),
                key,
                Some(json!({"identifiers": {"phoneNumbers": ["087 12345"]}})),
            )
            .await;
        let p = r.problem(401);
        assert_eq!(p["type"], format!("{PROBLEM_BASE}#unauthorized"));
        assert_eq!(p["title"], "Unauthorized");
    }
    // HTTP Basic client authentication works too.
    let r = axp
        .app
        .http
        .post(axp.app.url(TOKEN_PATH))
        .basic_auth("acme-ac-reader", Some(SECRET))
        .header("appkey", APP_KEY)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn refresh_tokens_are_single_use_and_rotate() {
    let axp = spawn().await;
    let form = client_form("acme-ac-admin", &[("grant_type", "client_credentials")]);
    let first = token_request(&axp, TOKEN_PATH, Some(APP_KEY), &form)
        .await
        .ok(200);
    let refresh_token = first["refresh_token"].as_str().unwrap().to_owned();
    let second = refresh(&axp, "acme-ac-admin", &refresh_token).await.ok(200);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], Value::Null);
    // The used refresh token is gone.
    let again = refresh(&axp, "acme-ac-admin", &refresh_token).await;
    let p = again.violations_in(AUTH_BASE, &[("refresh_token", 20006)]);
    assert_eq!(p["type"], format!("{AUTH_BASE}#constraint-violation"));
    // A refresh token is bound to its client.
    let next = second["refresh_token"].as_str().unwrap();
    refresh(&axp, "acme-ac-reader", next)
        .await
        .violations_in(AUTH_BASE, &[("refresh_token", 20006)]);
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_succeed_once() {
    let axp = spawn().await;
    let refresh_token = refresh_token_of(&axp, "acme-ac-agent").await;
    let (a, b) = tokio::join!(
        refresh(&axp, "acme-ac-agent", &refresh_token),
        refresh(&axp, "acme-ac-agent", &refresh_token)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
}

#[tokio::test]
async fn revoked_refresh_tokens_no_longer_refresh() {
    let axp = spawn().await;
    let refresh_token = refresh_token_of(&axp, "acme-ac-agent").await;
    let revoke_path = "/api/auth/v1/ACMEAC/protocol/openid-connect/revoke";
    // Another client cannot revoke it.
    let other = client_form("acme-ac-reader", &[("token", &refresh_token)]);
    assert_eq!(
        token_request(&axp, revoke_path, Some(APP_KEY), &other)
            .await
            .status,
        200
    );
    let refreshed = refresh(&axp, "acme-ac-agent", &refresh_token).await.ok(200);
    let current = refreshed["refresh_token"].as_str().unwrap();
    let own = client_form("acme-ac-agent", &[("token", current)]);
    assert_eq!(
        token_request(&axp, revoke_path, Some(APP_KEY), &own)
            .await
            .status,
        200
    );
    refresh(&axp, "acme-ac-agent", current)
        .await
        .violations_in(AUTH_BASE, &[("refresh_token", 20006)]);
}

#[tokio::test]
async fn password_grants_act_as_the_user_with_the_users_role() {
    let axp = spawn().await;
    axp.app
        .store
        .create_user(
            &axp.tenant,
            NewUser {
                username: "jsmith".into(),
                password_hash: hash_secret("pw-1"),
                email: None,
                display_name: Some("John Smith".into()),
                role: ClientRole::Agent,
            },
        )
        .await
        .unwrap();
    let form = client_form(
        "acme-ac-reader",
        &[
            ("grant_type", "password"),
            ("username", "jsmith"),
            ("password", "pw-1"),
        ],
    );
    let body = token_request(&axp, TOKEN_PATH, Some(APP_KEY), &form)
        .await
        .ok(200);
    let user_token = body["access_token"].as_str().unwrap().to_owned();
    let id = axp.new_engagement("2024-01-01T10:00:00Z").await;
    // The user is an agent, although the client it came through is a reader.
    let note = axp
        .call(
            Method::POST,
            &format!("{JOURNEY}/engagements/{id}/agent-note"),
            &user_token,
            Some(json!({"note": "called back"})),
        )
        .await
        .ok(201);
    assert_eq!(note["createdBy"]["name"], "John Smith");
    // The refresh of a user token is again the user's.
    let refreshed = refresh(
        &axp,
        "acme-ac-reader",
        body["refresh_token"].as_str().unwrap(),
    )
    .await
    .ok(200);
    let r = axp
        .call(
            Method::PUT,
            &format!(
                "{JOURNEY}/engagements/{id}/agent-note/{}",
                note["id"].as_str().unwrap()
            ),
            refreshed["access_token"].as_str().unwrap(),
            Some(json!({"note": "called back twice"})),
        )
        .await
        .ok(200);
    assert_eq!(r["updatedBy"]["name"], "John Smith");
    // A wrong password is 401.
    let wrong = client_form(
        "acme-ac-reader",
        &[
            ("grant_type", "password"),
            ("username", "jsmith"),
            ("password", "nope"),
        ],
    );
    token_request(&axp, TOKEN_PATH, Some(APP_KEY), &wrong)
        .await
        .problem(401);
}

#[tokio::test]
async fn token_requests_are_checked_before_anything_is_issued() {
    let axp = spawn().await;
    let good = client_form("acme-ac-agent", &[("grant_type", "client_credentials")]);
    // No appkey, or a wrong one.
    let p = token_request(&axp, TOKEN_PATH, None, &good)
        .await
        .problem(401);
    assert_eq!(p["type"], format!("{AUTH_BASE}#unauthorized"));
    token_request(&axp, TOKEN_PATH, Some("wrong"), &good)
        .await
        .problem(401);
    // Wrong secret, unknown client, client of another account.
    let wrong = [
        ("grant_type", "client_credentials"),
        ("client_id", "acme-ac-agent"),
        ("client_secret", "x"),
    ];
    token_request(&axp, TOKEN_PATH, Some(APP_KEY), &wrong)
        .await
        .problem(401);
    let (_, _) = add_account(&axp.app, "globex", "GLOBEX").await;
    let foreign = client_form("globex-agent", &[("grant_type", "client_credentials")]);
    token_request(&axp, TOKEN_PATH, Some(APP_KEY), &foreign)
        .await
        .problem(401);
    token_request(
        &axp,
        "/api/auth/v1/GLOBEX/protocol/openid-connect/token",
        Some(APP_KEY),
        &foreign,
    )
    .await
    .ok(200);
    // A client without an application key cannot use AXP.
    create_client(&axp.app, &axp.tenant, "no-key", ClientRole::Admin, false).await;
    let nokey = client_form("no-key", &[("grant_type", "client_credentials")]);
    token_request(&axp, TOKEN_PATH, Some(APP_KEY), &nokey)
        .await
        .problem(401);
    // Missing fields, unknown grants, a bad account id, an unknown account.
    token_request(&axp, TOKEN_PATH, Some(APP_KEY), &[("client_id", "x")])
        .await
        .violations_in(AUTH_BASE, &[("grant_type", 20002)]);
    token_request(
        &axp,
        TOKEN_PATH,
        Some(APP_KEY),
        &[("grant_type", "password"), ("client_id", "acme-ac-agent")],
    )
    .await
    .violations_in(
        AUTH_BASE,
        &[
            ("client_secret", 20002),
            ("username", 20002),
            ("password", 20002),
        ],
    );
    token_request(
        &axp,
        TOKEN_PATH,
        Some(APP_KEY),
        &[("grant_type", "implicit")],
    )
    .await
    .violations_in(AUTH_BASE, &[("grant_type", 20006)]);
    let p = token_request(
        &axp,
        "/api/auth/v1/ACME1/protocol/openid-connect/token",
        Some(APP_KEY),
        &good,
    )
    .await
    .violations_in(AUTH_BASE, &[("accountId", 20006)]);
    assert_eq!(
        p["violations"][0]["message"],
        "must match \"^[a-zA-Z]{6}$\""
    );
    token_request(
        &axp,
        "/api/auth/v1/NOSUCH/protocol/openid-connect/token",
        Some(APP_KEY),
        &good,
    )
    .await
    .problem(401);
    // Not a form: 415 with Avaya's body for it.
    let r = axp
        .app
        .http
        .post(axp.app.url(TOKEN_PATH))
        .header("appkey", APP_KEY)
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    let p = Answer::from(r).await.problem(415);
    assert_eq!(p["title"], "Conflict");
    // GET is not a token request.
    let r = axp
        .app
        .http
        .get(axp.app.url(TOKEN_PATH))
        .send()
        .await
        .unwrap();
    Answer::from(r).await.problem(405);
}

#[tokio::test]
async fn bearer_tokens_are_required_and_checked() {
    let axp = spawn().await;
    let path = format!("{JOURNEY}/engagements/{}", new_id());
    for token in [None, Some("not-a-token"), Some(axp.app.reader.as_str())] {
        // The testkit's native token names no client with an application key.
        let r = axp
            .call_with(Method::GET, &path, token, Some(APP_KEY), None)
            .await;
        assert_eq!(r.problem(401)["detail"], "This operation requires authentication. See https://developers.avayacloud.com/avaya-experience-platform/docs/how-to-authenticate-with-ccaas-apis");
    }
    // An expired token.
    let now = jiff::Timestamp::now().as_second();
    let expired = axp.app.signer.jwt(&interlog_dialect_avaya_axp::AxpClaims {
        tenant: "acme-ac".into(),
        sub: "acme-ac-reader".into(),
        kind: interlog_http::auth::SubjectKind::Client,
        role: ClientRole::Reader,
        scopes: vec![],
        iat: now - 1000,
        exp: now - 100,
        azp: Some("acme-ac-reader".into()),
        name: None,
    });
    axp.call(Method::GET, &path, &expired, None)
        .await
        .problem(401);
    // A native client token works when that client has the application key.
    let native = interlog_testkit::mint_token(&axp.app.signer, "acme-ac", ClientRole::Reader, 60);
    let claims: Value = axp.app.signer.verify_jwt(&native).unwrap();
    assert_eq!(claims["sub"], "test-reader");
    create_client(
        &axp.app,
        &axp.tenant,
        "test-reader",
        ClientRole::Reader,
        true,
    )
    .await;
    axp.call(Method::GET, &path, &native, None)
        .await
        .problem(404);
}

#[tokio::test]
async fn roles_map_onto_avayas() {
    let axp = spawn().await;
    let id = axp.new_engagement("2024-01-01T10:00:00Z").await;
    // Reads (Avaya's Agent role) are open to readers.
    axp.call(
        Method::GET,
        &format!("{JOURNEY}/engagements/{id}"),
        &axp.reader,
        None,
    )
    .await
    .ok(200);
    search_with(&axp, &axp.reader).await.ok(200);
    axp.call(
        Method::GET,
        &format!("{JOURNEY}/engagements/{id}/agent-notes"),
        &axp.reader,
        None,
    )
    .await
    .ok(200);
    // Writes need an agent.
    let forbidden = [
        (
            Method::POST,
            format!("{JOURNEY}/engagements"),
            json!({"id": new_id(), "startDate": "2024-01-01T10:00:00Z", "identifiers": {"phoneNumbers": ["087 1"]}}),
        ),
        (
            Method::POST,
            format!("{JOURNEY}/engagements/{id}:update"),
            json!({"timestamp": "2024-01-01T10:00:00Z"}),
        ),
        (
            Method::POST,
            format!("{JOURNEY}/engagements/{id}:appendIdentifiers"),
            json!({"identifiers": {"phoneNumbers": ["087 2"]}}),
        ),
        (
            Method::POST,
            format!("{JOURNEY}/engagements/{id}/agent-note"),
            json!({"note": "x"}),
        ),
        (
            Method::POST,
            format!("{JOURNEY}/journeys"),
            json!({"identifiers": {"phoneNumbers": ["087 2"]}}),
        ),
        (
            Method::POST,
            format!("{JOURNEY}/identifiers"),
            json!({"name": "loyaltyCards", "identifierStrength": "WEAK"}),
        ),
    ];
    for (m, path, body) in &forbidden {
        let p = axp
            .call(m.clone(), path, &axp.reader, Some(body.clone()))
            .await
            .problem(403);
        assert_eq!(p["type"], format!("{PROBLEM_BASE}#forbidden"));
    }
    // Identifier configuration (Account Administrator) needs an admin.
    for token in [&axp.reader, &axp.agent] {
        axp.call(Method::GET, &format!("{JOURNEY}/identifiers"), token, None)
            .await
            .problem(403);
    }
    axp.as_admin(Method::GET, &format!("{JOURNEY}/identifiers"), None)
        .await
        .ok(200);
    axp.call(
        Method::POST,
        &forbidden[0].1,
        &axp.agent,
        Some(forbidden[0].2.clone()),
    )
    .await
    .ok(202);
}

#[tokio::test]
async fn another_accounts_data_is_not_found() {
    let axp = spawn().await;
    let (_, [globex_admin, _, _]) = add_account(&axp.app, "globex", "GLOBEX").await;
    let id = axp.new_engagement("2024-01-01T10:00:00Z").await;
    // Globex's token on ACMEAC's paths, and ACMEAC's token on GLOBEX's: 404 either way.
    let r = axp
        .call(
            Method::GET,
            &format!("{JOURNEY}/engagements/{id}"),
            &globex_admin,
            None,
        )
        .await;
    assert_eq!(r.problem(404)["title"], "Resource Not Found");
    axp.as_admin(
        Method::GET,
        &format!("/api/journey/v1/accounts/GLOBEX/engagements/{id}"),
        None,
    )
    .await
    .problem(404);
    // Globex cannot find it in its own account either.
    axp.call(
        Method::GET,
        &format!("/api/journey/v1/accounts/GLOBEX/engagements/{id}"),
        &globex_admin,
        None,
    )
    .await
    .problem(404);
    // An account id nobody answers to.
    axp.as_admin(
        Method::GET,
        &format!("/api/journey/v1/accounts/NOBODY/engagements/{id}"),
        None,
    )
    .await
    .problem(404);
    // The account id is matched in capitals too.
    axp.as_admin(
        Method::GET,
        &format!("/api/journey/v1/accounts/acmeac/engagements/{id}"),
        None,
    )
    .await
    .ok(200);
}

/// A refresh token stays single-use across instances on one store: used on one, it is
/// gone on the other, and two instances refreshing it at once give it to one.
#[tokio::test]
async fn refresh_tokens_are_single_use_across_instances() {
    let axp = spawn().await;
    let second = axp.app.second_instance().await;
    let other = format!("http://{}{TOKEN_PATH}", second.addr);
    let on_second = |form: Vec<(&'static str, String)>| {
        let req = axp
            .app
            .http
            .post(&other)
            .header("appkey", APP_KEY)
            .form(&form);
        async move { Answer::from(req.send().await.unwrap()).await }
    };
    for _ in 0..5 {
        let refresh = refresh_token_of(&axp, "acme-ac-agent").await;
        let grant: Vec<(&'static str, String)> = vec![
            ("client_id", "acme-ac-agent".into()),
            ("client_secret", SECRET.into()),
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh.clone()),
        ];
        let borrowed: Vec<(&str, &str)> = grant.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (a, b) = tokio::join!(
            token_request(&axp, TOKEN_PATH, Some(APP_KEY), &borrowed),
            on_second(grant.clone())
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "exactly one instance refreshes");
        // Neither may use it again.
        assert_eq!(on_second(grant.clone()).await.status, 400);
        assert_eq!(
            token_request(&axp, TOKEN_PATH, Some(APP_KEY), &borrowed)
                .await
                .status,
            400
        );
    }
    second.stop().await.unwrap();
}

/// A tenant whose key has the shape of an AXP account id (six letters) answers as that
/// account, in capitals, without an alias: the token endpoint and the journey API.
#[tokio::test]
async fn a_tenant_keyed_like_an_account_answers_as_it_without_an_alias() {
    let axp = spawn().await;
    let tenant = axp
        .app
        .store
        .create_tenant(interlog_store::NewTenant {
            key: "acmexy".into(),
            name: "Acme XY".into(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: vec![],
        })
        .await
        .unwrap();
    create_client(&axp.app, &tenant, "acmexy-agent", ClientRole::Agent, true).await;
    let form = client_form("acmexy-agent", &[("grant_type", "client_credentials")]);
    let body = token_request(
        &axp,
        "/api/auth/v1/ACMEXY/protocol/openid-connect/token",
        Some(APP_KEY),
        &form,
    )
    .await
    .ok(200);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let id = new_id();
    axp.call(
        Method::POST,
        "/api/journey/v1/accounts/ACMEXY/engagements",
        &token,
        Some(json!({"id": id, "startDate": "2024-01-01T10:00:00Z",
                    "identifiers": {"emailAddresses": ["xy@acme.test"]}})),
    )
    .await
    .ok(202);
    let e = axp
        .call(
            Method::GET,
            &format!("/api/journey/v1/accounts/ACMEXY/engagements/{id}"),
            &token,
            None,
        )
        .await
        .ok(200);
    assert_eq!(e["id"], id.as_str());
    // The stored engagement is the tenant's.
    assert!(axp.app.store.get(&tenant, &id).await.unwrap().is_some());
    // Another tenant's account is still not found with this token.
    axp.call(
        Method::GET,
        &format!("{JOURNEY}/engagements/{id}"),
        &token,
        None,
    )
    .await
    .problem(404);
}
