//! Every response of every operation, successes and errors, validated against Avaya's own
//! OpenAPI documents (Customer Journey 1.1.1 and Auth 1.0.2).
//!
//! The OpenAPI 3.0 schemas are turned into JSON Schema (draft 7): `$ref`s into
//! `components/schemas` resolve within the document, `nullable` becomes a `null` type,
//! the boolean `exclusiveMaximum` of 3.0 becomes draft 7's numeric one, and formats
//! (`date-time`, `uri`) are checked. A status the operation does not declare must still be
//! an RFC 7807 problem of Avaya's `Problem` schema. Any mismatch fails the test.

mod common;

use common::*;
use interlog_generate::{Generator, GeneratorConfig};
use reqwest::Method;
use serde_json::{json, Map, Value};

/// One of Avaya's OpenAPI documents, committed in `tests/fixtures/` (see its README).
fn spec(name: &str) -> Value {
    let text = match name {
        "avaya-axp-customer-journey-openapi.json" => {
            include_str!("fixtures/avaya-axp-customer-journey-openapi.json")
        }
        "avaya-axp-auth-openapi.json" => include_str!("fixtures/avaya-axp-auth-openapi.json"),
        other => panic!("no such fixture: {other}"),
    };
    serde_json::from_str(text).unwrap()
}

/// OpenAPI 3.0 schema keywords as JSON Schema draft 7.
fn convert(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(convert).collect()),
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, val) in o {
                match k.as_str() {
                    "$ref" => {
                        let r = val
                            .as_str()
                            .unwrap()
                            .replace("#/components/schemas/", "#/definitions/");
                        out.insert(k.clone(), Value::String(r));
                    }
                    "nullable" | "discriminator" | "example" | "deprecated" | "readOnly"
                    | "writeOnly" => {}
                    "exclusiveMaximum" | "exclusiveMinimum" if val.is_boolean() => {}
                    _ => {
                        out.insert(k.clone(), convert(val));
                    }
                }
            }
            for (flag, bound) in [
                ("exclusiveMaximum", "maximum"),
                ("exclusiveMinimum", "minimum"),
            ] {
                if o.get(flag) == Some(&Value::Bool(true)) {
                    if let Some(b) = out.remove(bound) {
                        out.insert(flag.into(), b);
                    }
                }
            }
            if o.get("nullable") == Some(&Value::Bool(true)) {
                let inner = Value::Object(out);
                return json!({"anyOf": [inner, {"type": "null"}]});
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

struct Spec {
    doc: Value,
    definitions: Value,
}

impl Spec {
    fn load(name: &str) -> Spec {
        let doc = spec(name);
        let definitions = convert(&doc["components"]["schemas"]);
        Spec { doc, definitions }
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.trim_start_matches('#');
                self.doc
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("unresolved {r}"))
            }
            None => v,
        }
    }

    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = convert(schema);
        root.as_object_mut()
            .unwrap()
            .insert("definitions".into(), self.definitions.clone());
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema does not compile: {e}"))
    }

    /// Checks one real response of operation (`template`, `method`).
    fn check(&self, template: &str, method: &str, a: &Answer) {
        let op = self.doc["paths"][template]
            .get(method)
            .unwrap_or_else(|| panic!("the spec has no {method} {template}"));
        let status = a.status.to_string();
        let declared = op["responses"].get(&status).map(|r| self.resolve(r));
        let what = format!("{method} {template} -> {status}: {}", a.text);
        let (content_type, schema) = match declared {
            Some(r) => match r.get("content").and_then(Value::as_object) {
                Some(content) => {
                    let (ct, media) = content.iter().next().unwrap();
                    (ct.clone(), media["schema"].clone())
                }
                None => {
                    assert!(a.text.is_empty(), "{what}: the spec declares no body");
                    return;
                }
            },
            None => {
                assert!(a.status >= 400, "{what}: an undeclared success");
                (
                    "application/problem+json".to_owned(),
                    json!({"$ref": "#/components/schemas/Problem"}),
                )
            }
        };
        assert_eq!(
            a.content_type.as_deref(),
            Some(content_type.as_str()),
            "{what}"
        );
        let instance: Value =
            serde_json::from_str(&a.text).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        let v = self.validator(&schema);
        let errors: Vec<String> = v
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{what}\n{}", errors.join("\n"));
    }
}

#[test]
fn the_checker_itself_refuses_what_breaks_avayas_schema() {
    let s = Spec::load("avaya-axp-customer-journey-openapi.json");
    let template = "/accounts/{accountId}/engagements/{engagementId}";
    let answer = |text: &str| Answer {
        status: 200,
        content_type: Some("application/json".into()),
        text: text.into(),
    };
    s.check(template, "get", &answer(&seed_json()));
    for bad in [
        r#"{"id":"a","status":"DONE"}"#,
        r#"{"id":"a","startDate":"yesterday"}"#,
        r#"{"id":"a","queues":[{"queueId":"q","channelId":"Voice","priority":1}]}"#,
        r#"{"id":"a","transfers":[{"transferType":"TRANSFER_TO_AGENT"}]}"#,
        r#"{"id":"a","identifiers":{"phoneNumbers":["1","2","3","4","5","6"]}}"#,
    ] {
        let r = std::panic::catch_unwind(|| s.check(template, "get", &answer(bad)));
        assert!(r.is_err(), "accepted {bad}");
    }
    let problem = Answer {
        status: 400,
        content_type: Some("application/problem+json".into()),
        text: r#"{"type":"x","title":"t","status":600,"detail":"d"}"#.into(),
    };
    assert!(std::panic::catch_unwind(|| s.check(template, "get", &problem)).is_err());
}

#[tokio::test]
async fn every_response_validates_against_avayas_openapi_documents() {
    let journey = Spec::load("avaya-axp-customer-journey-openapi.json");
    let auth = Spec::load("avaya-axp-auth-openapi.json");
    let axp = spawn().await;
    let a = JOURNEY;

    // Data from AXP (the seed) and from elsewhere (generated canonical engagements).
    axp.ingest(&[seed_json()]).await;
    let end = "2024-06-01T00:00:00Z".parse().unwrap();
    let generated: Vec<_> =
        Generator::new(GeneratorConfig::new(7, 300, end).with_tenant("acme-ac")).collect();
    let ndjson: String = generated
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    let r = axp
        .app
        .http
        .post(axp.app.url("/api/v1/tenants/acme-ac/ingest"))
        .bearer_auth(&axp.agent)
        .body(ndjson)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seed_id = "8e557fd6-580a-43b3-8cf9-db8169f4af5a";

    let mut calls: Vec<(&str, &str, Answer)> = Vec::new();
    let ax = &axp;
    let g = move |p: String| async move { ax.get(&p).await };
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}",
        "get",
        g(format!("{a}/engagements/{seed_id}")).await,
    ));
    for e in &generated {
        let r = g(format!("{a}/engagements/{}", e.id)).await;
        assert_eq!(r.status, 200);
        calls.push(("/accounts/{accountId}/engagements/{engagementId}", "get", r));
    }
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}",
        "get",
        g(format!("{a}/engagements/nope")).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}",
        "get",
        g(format!("{a}/engagements/{}", new_id())).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}",
        "get",
        axp.call_with(
            Method::GET,
            &format!("{a}/engagements/{seed_id}"),
            None,
            None,
            None,
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}",
        "get",
        g("/api/journey/v1/accounts/AB/engagements/x".to_owned()).await,
    ));
    let ids: Vec<String> = generated.iter().take(50).map(|e| e.id.clone()).collect();
    calls.push((
        "/accounts/{accountId}/engagements",
        "get",
        g(format!("{a}/engagements?engagementIds={}", ids.join(","))).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements",
        "get",
        g(format!("{a}/engagements?engagementIds={}", new_id())).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements",
        "get",
        g(format!("{a}/engagements?engagementIds=x&pageSize=99")).await,
    ));

    // Searches over the generated customers: every customer with a phone number.
    let phones: Vec<String> = generated
        .iter()
        .filter_map(|e| e.customer.phones.first().cloned())
        .take(40)
        .collect();
    for p in &phones {
        let r = axp
            .post(
                &format!("{a}/journeys:search"),
                json!({"identifiers": {"phoneNumbers": [p]}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        calls.push(("/accounts/{accountId}/journeys:search", "post", r));
    }
    calls.push(("/accounts/{accountId}/journeys:search", "post", axp.post(&format!("{a}/journeys:search?pageSize=1"), json!({"identifiers": {"phoneNumbers": ["019 718 0171"], "emailAddresses": ["cmartin@example.org"]}, "conversation": "Mortgage Application", "channelIds": ["Voice"]})).await));
    calls.push((
        "/accounts/{accountId}/journeys:search",
        "post",
        axp.post(&format!("{a}/journeys:search"), json!({})).await,
    ));
    calls.push((
        "/accounts/{accountId}/journeys:search",
        "post",
        axp.post(
            &format!("{a}/journeys:search"),
            json!({"identifiers": {"phoneNumbers": ["021 0000000"]}}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/journeys:search",
        "post",
        axp.call(
            Method::POST,
            &format!("{a}/journeys:search"),
            &axp.reader,
            Some(json!({"identifiers": {"phoneNumbers": ["019 718 0171"]}})),
        )
        .await,
    ));

    // Writes.
    let id = new_id();
    calls.push(("/accounts/{accountId}/engagements", "post", axp.post(&format!("{a}/engagements"), json!({"id": id, "startDate": "2024-02-16T18:00:00.002Z", "identifiers": {"phoneNumbers": ["0123456789"]}, "data": {"referenceNumber": "ref-1"}})).await));
    calls.push(("/accounts/{accountId}/engagements", "post", axp.post(&format!("{a}/engagements"), json!({"id": id, "startDate": "2024-02-16T18:00:00.002Z", "identifiers": {"phoneNumbers": ["0123456789"]}})).await));
    calls.push((
        "/accounts/{accountId}/engagements",
        "post",
        axp.post(&format!("{a}/engagements"), json!({})).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements",
        "post",
        axp.call(
            Method::POST,
            &format!("{a}/engagements"),
            &axp.reader,
            Some(json!({})),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}:update",
        "post",
        axp.post(
            &format!("{a}/engagements/{id}:update"),
            json!({"timestamp": "2024-02-16T18:05:00Z", "conversations": ["Car Loan"]}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}:update",
        "post",
        axp.post(
            &format!("{a}/engagements/{}:update", new_id()),
            json!({"timestamp": "2024-02-16T18:05:00Z"}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}:update",
        "post",
        axp.post(&format!("{a}/engagements/{id}:update"), json!({}))
            .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}:appendIdentifiers",
        "post",
        axp.post(
            &format!("{a}/engagements/{id}:appendIdentifiers"),
            json!({"identifiers": {"emailAddresses": ["melinda14@example.org"]}}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}:appendIdentifiers",
        "post",
        axp.post(
            &format!("{a}/engagements/{id}:appendIdentifiers"),
            json!({"identifiers": []}),
        )
        .await,
    ));
    let pa = "/accounts/{accountId}/engagements/{engagementId}/participants/{participantId}:add";
    let pr = "/accounts/{accountId}/engagements/{engagementId}/participants/{participantId}:remove";
    calls.push((pa, "post", axp.post(&format!("{a}/engagements/{id}/participants/agent-1:add"), json!({"type": "AGENT", "channelId": "Voice", "channelType": "VOICE", "extension": "ext/1234", "timestamp": "2024-02-16T18:01:00Z", "dialogId": "57f78d8e-5579-47de-b3d0-8aee161039c0"})).await));
    calls.push((
        pa,
        "post",
        axp.post(
            &format!("{a}/engagements/{id}/participants/agent-1:add"),
            json!({"type": "AGENT"}),
        )
        .await,
    ));
    calls.push((
        pr,
        "post",
        axp.post(
            &format!("{a}/engagements/{id}/participants/agent-1:remove"),
            json!({}),
        )
        .await,
    ));
    calls.push((
        pr,
        "post",
        axp.post(
            &format!("{a}/engagements/{id}/participants/nobody:remove"),
            json!({}),
        )
        .await,
    ));
    let note = axp
        .post(
            &format!("{a}/engagements/{id}/agent-note"),
            json!({"note": "The Agent Note Text"}),
        )
        .await;
    let note_id = note.json()["id"].as_str().unwrap().to_owned();
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-note",
        "post",
        note,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-note",
        "post",
        axp.post(
            &format!("{a}/engagements/{id}/agent-note"),
            json!({"note": "second"}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-note",
        "post",
        axp.post(&format!("{a}/engagements/{id}/agent-note"), json!({}))
            .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-note/{noteId}",
        "put",
        axp.put(
            &format!("{a}/engagements/{id}/agent-note/{note_id}"),
            json!({"note": "Edited"}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-note/{noteId}",
        "put",
        axp.put(
            &format!("{a}/engagements/{id}/agent-note/x"),
            json!({"note": "Edited"}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-notes",
        "get",
        g(format!("{a}/engagements/{id}/agent-notes")).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-notes",
        "get",
        g(format!("{a}/engagements/x/agent-notes")).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}",
        "get",
        g(format!("{a}/engagements/{id}")).await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-note/{agentNoteId}",
        "delete",
        axp.call(
            Method::DELETE,
            &format!("{a}/engagements/{id}/agent-note/{note_id}"),
            &axp.agent,
            None,
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/engagements/{engagementId}/agent-note/{agentNoteId}",
        "delete",
        axp.call(
            Method::DELETE,
            &format!("{a}/engagements/{id}/agent-note/{note_id}"),
            &axp.agent,
            None,
        )
        .await,
    ));

    // Journeys.
    calls.push(("/accounts/{accountId}/journeys", "post", axp.post(&format!("{a}/journeys"), json!({"identifiers": {"accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"], "emailAddresses": ["melinda14@example.org"], "phoneNumbers": ["019 718 0171"]}})).await));
    calls.push((
        "/accounts/{accountId}/journeys",
        "post",
        axp.post(&format!("{a}/journeys"), json!({"identifiers": 1}))
            .await,
    ));
    calls.push((
        "/accounts/{accountId}/journeys:search",
        "post",
        axp.post(
            &format!("{a}/journeys:search"),
            json!({"identifiers": {"accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"]}}),
        )
        .await,
    ));
    calls.push(("/accounts/{accountId}/journeys:unlinkIdentifier", "post", axp.post(&format!("{a}/journeys:unlinkIdentifier"), json!({"identifiers": {"accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"], "emailAddresses": ["melinda14@example.org"]}, "unlinkIdentifier": {"emailAddresses": "melinda14@example.org"}})).await));
    calls.push((
        "/accounts/{accountId}/journeys:unlinkIdentifier",
        "post",
        axp.post(&format!("{a}/journeys:unlinkIdentifier"), json!({}))
            .await,
    ));
    for p in phones.iter().take(10) {
        calls.push(("/accounts/{accountId}/journeys:listAgents", "post", axp.post(&format!("{a}/journeys:listAgents?pageSize=10"), json!({"identifiers": {"phoneNumbers": [p]}, "channelId": "Voice", "startDate": "2020-01-01T00:00:00Z"})).await));
    }
    calls.push((
        "/accounts/{accountId}/journeys:listAgents",
        "post",
        axp.post(
            &format!("{a}/journeys:listAgents?orderBy=sideways"),
            json!({}),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/journeys:listAgents",
        "post",
        axp.post(
            &format!("{a}/journeys:listAgents"),
            json!({"identifiers": {"phoneNumbers": ["021 0000000"]}, "channelId": "Voice"}),
        )
        .await,
    ));

    // Identifier configuration.
    let admin = move |m: Method, p: String, b: Option<Value>| async move {
        ax.call(m, &p, &ax.admin, b).await
    };
    calls.push((
        "/accounts/{accountId}/identifiers",
        "get",
        admin(Method::GET, format!("{a}/identifiers"), None).await,
    ));
    calls.push((
        "/accounts/{accountId}/identifiers",
        "get",
        axp.call(Method::GET, &format!("{a}/identifiers"), &axp.reader, None)
            .await,
    ));
    let created = admin(Method::POST, format!("{a}/identifiers"), Some(json!({"name": "universalIds", "displayName": "Universal ids", "identifierStrength": "STRONG"}))).await;
    let iid = created.json()["identifierId"].as_str().unwrap().to_owned();
    calls.push(("/accounts/{accountId}/identifiers", "post", created));
    calls.push((
        "/accounts/{accountId}/identifiers",
        "post",
        admin(
            Method::POST,
            format!("{a}/identifiers"),
            Some(json!({"name": "universalIds", "identifierStrength": "STRONG"})),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/identifiers/{identifierId}",
        "get",
        admin(Method::GET, format!("{a}/identifiers/{iid}"), None).await,
    ));
    calls.push((
        "/accounts/{accountId}/identifiers/{identifierId}",
        "get",
        admin(Method::GET, format!("{a}/identifiers/{}", new_id()), None).await,
    ));
    calls.push(("/accounts/{accountId}/identifiers/{identifierId}", "put", admin(Method::PUT, format!("{a}/identifiers/{iid}"), Some(json!({"identifierStrength": "WEAK", "name": "universalIds", "displayName": "Universal ids"}))).await));
    calls.push((
        "/accounts/{accountId}/identifiers/{identifierId}",
        "put",
        admin(
            Method::PUT,
            format!("{a}/identifiers/{iid}"),
            Some(json!({"name": "x"})),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/identifiers:delete",
        "post",
        admin(
            Method::POST,
            format!("{a}/identifiers:delete"),
            Some(json!([iid])),
        )
        .await,
    ));
    calls.push((
        "/accounts/{accountId}/identifiers:delete",
        "post",
        admin(
            Method::POST,
            format!("{a}/identifiers:delete"),
            Some(json!([iid])),
        )
        .await,
    ));

    for (template, method, answer) in &calls {
        journey.check(template, method, answer);
    }
    let statuses: std::collections::BTreeSet<u16> =
        calls.iter().map(|(_, _, a)| a.status).collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        [200, 201, 202, 204, 400, 401, 403, 404, 409, 422]
    );

    // The token endpoint against the Auth document.
    let token = "/{accountId}/protocol/openid-connect/token";
    let post = |form: Vec<(&'static str, String)>, key: Option<&'static str>| {
        let mut req = axp
            .app
            .http
            .post(
                axp.app
                    .url("/api/auth/v1/ACMEAC/protocol/openid-connect/token"),
            )
            .form(&form);
        if let Some(k) = key {
            req = req.header("appkey", k);
        }
        async move { Answer::from(req.send().await.unwrap()).await }
    };
    let creds = |grant: &str| {
        vec![
            ("grant_type", grant.to_owned()),
            ("client_id", "acme-ac-agent".to_owned()),
            ("client_secret", SECRET.to_owned()),
        ]
    };
    let ok = post(creds("client_credentials"), Some(APP_KEY)).await;
    let refresh = ok.json()["refresh_token"].as_str().unwrap().to_owned();
    auth.check(token, "post", &ok);
    let mut again = creds("refresh_token");
    again.push(("refresh_token", refresh));
    auth.check(token, "post", &post(again, Some(APP_KEY)).await);
    auth.check(
        token,
        "post",
        &post(creds("client_credentials"), None).await,
    );
    auth.check(token, "post", &post(vec![], Some(APP_KEY)).await);
    auth.check(token, "post", &post(creds("implicit"), Some(APP_KEY)).await);
}
