//! Get, List, Create, `:update`, `:appendIdentifiers`, participants and agent notes, with
//! their validation rules, and writes reading back through the native API.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn get_validates_the_account_and_the_engagement_id() {
    let axp = spawn().await;
    let r = axp.get(&format!("{JOURNEY}/engagements/not-a-uuid")).await;
    let p = r.violations(&[("engagementId", 20006)]);
    assert_eq!(
        p["violations"][0]["message"],
        "must match \"^[0-9a-fA-F]{8}\\-[0-9a-fA-F]{4}\\-[0-9a-fA-F]{4}\\-[0-9a-fA-F]{4}\\-[0-9a-fA-F]{12}$\""
    );
    let p = axp
        .get(&format!(
            "/api/journey/v1/accounts/ACME12/engagements/{}",
            new_id()
        ))
        .await
        .violations(&[("accountId", 20006)]);
    // Exactly Avaya's example body.
    assert_eq!(
        p,
        json!({"type":"https://developers.avayacloud.com/avaya-experience-platform/docs/error-handling#constraint-violation","title":"Constraint Violation","status":400,"detail":"A problem that indicates a syntactically correct, yet semantically illegal request. The Server can not process this request until the client resolves the semantic errors described in the violations section.","violations":[{"field":"accountId","message":"must match \"^[a-zA-Z]{6}$\"","code":20006}]})
    );
    let p = axp
        .get(&format!("{JOURNEY}/engagements/{}", new_id()))
        .await
        .problem(404);
    assert_eq!(
        p,
        json!({"type":"https://developers.avayacloud.com/avaya-experience-platform/docs/error-handling#resource-not-found","title":"Resource Not Found","status":404,"detail":"Resource not found."})
    );
}

#[tokio::test]
async fn list_keeps_the_order_of_the_ids_skips_missing_ones_and_pages() {
    let axp = spawn().await;
    let ids: Vec<String> = (0..4).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        axp.create(
            id,
            &format!("2024-01-0{}T10:00:00Z", i + 1),
            json!({"phoneNumbers": ["087 1"]}),
        )
        .await;
    }
    let missing = new_id();
    // Comma-separated, in an order of the client's choosing, one id missing.
    let q = format!("{},{},{},{}", ids[2], missing, ids[0], ids[3]);
    let body = axp
        .get(&format!("{JOURNEY}/engagements?engagementIds={q}"))
        .await
        .ok(200);
    assert_eq!(
        interlog_testkit::ids(&body),
        [ids[2].as_str(), ids[0].as_str(), ids[3].as_str()]
    );
    assert_eq!(
        body["pagination"],
        json!({"pageNumber": 1, "pageSize": 50, "total": 3})
    );
    // Repeated keys, paged two at a time to the end.
    let q = format!(
        "engagementIds={}&engagementIds={}&engagementIds={}",
        ids[1], ids[3], ids[0]
    );
    let p1 = axp
        .get(&format!("{JOURNEY}/engagements?{q}&pageSize=2"))
        .await
        .ok(200);
    let p2 = axp
        .get(&format!(
            "{JOURNEY}/engagements?{q}&pageSize=2&pageNumber=2"
        ))
        .await
        .ok(200);
    let p3 = axp
        .get(&format!(
            "{JOURNEY}/engagements?{q}&pageSize=2&pageNumber=3"
        ))
        .await
        .ok(200);
    let ids_of = interlog_testkit::ids;
    assert_eq!(ids_of(&p1), [ids[1].clone(), ids[3].clone()]);
    assert_eq!(ids_of(&p2), [ids[0].clone()]);
    assert!(ids_of(&p3).is_empty());
    assert_eq!(p3["pagination"]["total"], 3);
    // None found: 404.
    axp.get(&format!("{JOURNEY}/engagements?engagementIds={missing}"))
        .await
        .problem(404);
}

#[tokio::test]
async fn list_checks_its_parameters() {
    let axp = spawn().await;
    let id = new_id();
    axp.get(&format!("{JOURNEY}/engagements"))
        .await
        .violations(&[("engagementIds", 20002)]);
    axp.get(&format!("{JOURNEY}/engagements?engagementIds=x,{id}"))
        .await
        .violations(&[("engagementIds[0]", 20006)]);
    axp.get(&format!("{JOURNEY}/engagements?engagementIds={id},{id}"))
        .await
        .violations(&[("engagementIds[1]", 20006)]);
    let many: Vec<String> = (0..51).map(|_| new_id()).collect();
    axp.get(&format!(
        "{JOURNEY}/engagements?engagementIds={}",
        many.join(",")
    ))
    .await
    .violations(&[("engagementIds", 20006)]);
    let p = axp
        .get(&format!(
            "{JOURNEY}/engagements?engagementIds={id}&pageSize=51&pageNumber=0"
        ))
        .await
        .violations(&[("pageSize", 20006), ("pageNumber", 20006)]);
    assert_eq!(p["violations"][0]["message"], "must be between 1 and 50");
    axp.get(&format!(
        "{JOURNEY}/engagements?engagementIds={id}&pageSize=abc"
    ))
    .await
    .violations(&[("pageSize", 20006)]);
}

#[tokio::test]
async fn create_stores_what_avaya_lets_a_client_write() {
    let axp = spawn().await;
    let id = new_id();
    let body = json!({
        "id": id,
        "startDate": "2024-02-16T18:00:00.002+01:00",
        "identifiers": {"phoneNumbers": ["0123456789"], "emailAddresses": ["a@example.org"]},
        "conversations": ["Mortgage Application"],
        "data": {"zeta": "last", "alpha": "first"},
        "status": "COMPLETED",
        "endDate": "2024-02-16T19:00:00Z"
    });
    // Sent as text: the order of the data keys is part of what must come back.
    let text = body.to_string().replace(
        r#"{"alpha":"first","zeta":"last"}"#,
        r#"{"zeta":"last","alpha":"first"}"#,
    );
    assert!(text.contains(r#"{"zeta":"last","alpha":"first"}"#));
    let r = axp
        .post_raw(&format!("{JOURNEY}/engagements"), "application/json", text)
        .await;
    assert_eq!(r.status, 202);
    assert!(r.text.is_empty());
    let text = axp.get(&format!("{JOURNEY}/engagements/{id}")).await;
    let e = text.ok(200);
    assert_eq!(e["status"], "CREATED");
    assert_eq!(e["startDate"], "2024-02-16T17:00:00.002Z");
    assert!(e.get("endDate").is_none(), "endDate is read-only");
    assert_eq!(
        e["identifiers"],
        json!({"phoneNumbers": ["0123456789"], "emailAddresses": ["a@example.org"]})
    );
    assert_eq!(e["conversations"], json!(["Mortgage Application"]));
    assert!(text.text.find("\"zeta\"").unwrap() < text.text.find("\"alpha\"").unwrap());
    let n = axp.native(&id).await;
    assert_eq!(n["source"], "avaya_axp");
    assert_eq!(n["customer"]["phones"], json!(["0123456789"]));
    // The same id again is a conflict.
    let p = axp
        .post(&format!("{JOURNEY}/engagements"), body)
        .await
        .problem(409);
    assert_eq!(p["title"], "Conflict");
}

#[tokio::test]
async fn create_checks_every_field() {
    let axp = spawn().await;
    let path = format!("{JOURNEY}/engagements");
    axp.post(&path, json!({})).await.violations(&[
        ("id", 20002),
        ("startDate", 20002),
        ("identifiers", 20002),
    ]);
    axp.post(
        &path,
        json!({
            "id": "nope",
            "startDate": "yesterday",
            "identifiers": {},
            "conversations": ["ab"],
            "data": {"k": "xy", "n": 5}
        }),
    )
    .await
    .violations(&[
        ("id", 20006),
        ("startDate", 20006),
        ("identifiers", 20006),
        ("conversations[0]", 20006),
        ("data.k", 20006),
        ("data.n", 20006),
    ]);
    let too_many: Vec<String> = (0..11).map(|i| format!("topic {i}")).collect();
    axp.post(
        &path,
        json!({"id": new_id(), "startDate": "2024-01-01T00:00:00Z", "identifiers": {"phoneNumbers": ["087 1", "087 2", "087 3", "087 4", "087 5", "087 6"]}, "conversations": too_many}),
    )
    .await
    .violations(&[("identifiers.phoneNumbers", 20006), ("conversations", 20006)]);
    // Identifier types the account does not collect.
    let p = axp
        .post(&path, json!({"id": new_id(), "startDate": "2024-01-01T00:00:00Z", "identifiers": {"twitterHandles": ["@a"]}}))
        .await
        .violations(&[("identifiers.twitterHandles", 20006)]);
    assert_eq!(
        p["violations"][0]["message"],
        "Invalid customerIds type in the request [twitterHandles]"
    );
    // Not JSON, not an object, not JSON by its content type.
    let r = axp.post_raw(&path, "application/json", "{\"id\":").await;
    assert_eq!(r.problem(400)["title"], "Bad Request");
    axp.post(&path, json!([1, 2])).await.problem(400);
    axp.post_raw(&path, "text/plain", "{}").await.problem(415);
}

#[tokio::test]
async fn update_replaces_given_types_and_lists_and_merges_data() {
    let axp = spawn().await;
    let id = new_id();
    axp.post(
        &format!("{JOURNEY}/engagements"),
        json!({"id": id, "startDate": "2024-01-01T10:00:00Z", "identifiers": {"phoneNumbers": ["087 1"], "emailAddresses": ["a@b.org"]}, "conversations": ["One"], "data": {"a": "one", "b": "two"}}),
    )
    .await
    .ok(202);
    let path = format!("{JOURNEY}/engagements/{id}:update");
    axp.post(
        &path,
        json!({"timestamp": "2030-07-23T17:48:21.002Z", "identifiers": {"accountIds": ["acc-1"], "emailAddresses": ["c@d.org"]}, "conversations": ["Two", "Three"], "data": {"b": "deux", "c": "three"}}),
    )
    .await
    .ok(202);
    let e = axp
        .get(&format!("{JOURNEY}/engagements/{id}"))
        .await
        .ok(200);
    assert_eq!(
        e["identifiers"],
        json!({"phoneNumbers": ["087 1"], "emailAddresses": ["c@d.org"], "accountIds": ["acc-1"]})
    );
    assert_eq!(e["conversations"], json!(["Two", "Three"]));
    assert_eq!(e["data"], json!({"a": "one", "b": "deux", "c": "three"}));
    assert_eq!(e["updateDate"], "2030-07-23T17:48:21.002Z");
    // An older timestamp still applies the update, and updateDate keeps the later time.
    axp.post(
        &path,
        json!({"timestamp": "2024-01-01T10:00:00Z", "conversations": ["Four"]}),
    )
    .await
    .ok(202);
    let e = axp
        .get(&format!("{JOURNEY}/engagements/{id}"))
        .await
        .ok(200);
    assert_eq!(e["conversations"], json!(["Four"]));
    assert_eq!(e["updateDate"], "2030-07-23T17:48:21.002Z");
    // Rules.
    axp.post(&path, json!({}))
        .await
        .violations(&[("timestamp", 20002)]);
    axp.post(
        &format!("{JOURNEY}/engagements/{}:update", new_id()),
        json!({"timestamp": "2024-01-01T10:00:00Z"}),
    )
    .await
    .problem(404);
    axp.post(
        &format!("{JOURNEY}/engagements/x:update"),
        json!({"timestamp": "2024-01-01T10:00:00Z"}),
    )
    .await
    .violations(&[("engagementId", 20006)]);
}

#[tokio::test]
async fn append_identifiers_adds_only_what_is_new() {
    let axp = spawn().await;
    let id = new_id();
    axp.create(
        &id,
        "2024-01-01T10:00:00Z",
        json!({"phoneNumbers": ["019 718 0171"]}),
    )
    .await;
    let path = format!("{JOURNEY}/engagements/{id}:appendIdentifiers");
    axp.post(&path, json!({"identifiers": {"phoneNumbers": ["019-718-0171", "087 555"], "emailAddresses": ["melinda14@example.org"]}}))
        .await
        .ok(202);
    let e = axp
        .get(&format!("{JOURNEY}/engagements/{id}"))
        .await
        .ok(200);
    assert_eq!(
        e["identifiers"],
        json!({"phoneNumbers": ["019 718 0171", "087 555"], "emailAddresses": ["melinda14@example.org"]})
    );
    // Searchable by the appended email at once.
    let found = axp
        .post(
            &format!("{JOURNEY}/journeys:search"),
            json!({"identifiers": {"emailAddresses": ["Melinda14@Example.org"]}}),
        )
        .await
        .ok(200);
    assert_eq!(found["engagements"][0]["id"], id.as_str());
    axp.post(&path, json!({}))
        .await
        .violations(&[("identifiers", 20002)]);
    axp.post(
        &format!("{JOURNEY}/engagements/{}:appendIdentifiers", new_id()),
        json!({"identifiers": {"phoneNumbers": ["087 1"]}}),
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn participants_are_added_by_type_and_removed_by_leaving() {
    let axp = spawn().await;
    let id = axp.new_engagement("2019-07-23T17:45:00Z").await;
    let base = format!("{JOURNEY}/engagements/{id}/participants");
    let dialog = "67ec5131-259c-4924-bb08-d87cf315e5e3";
    axp.post(
        &format!("{base}/cust-1:add"),
        json!({"type": "EXTERNAL", "channelId": "Voice", "channelType": "VOICE", "callingNumber": "087 12345", "dialledNumber": "1590 12345", "timestamp": "2019-07-23T17:45:21.001Z", "dialogId": dialog}),
    )
    .await
    .ok(202);
    axp.post(
        &format!("{base}/agent-1:add"),
        json!({"type": "AGENT", "channelId": "Voice", "channelType": "VOICE", "extension": "ext/1234", "timestamp": "2019-07-23T17:45:21.003Z", "dialogId": dialog}),
    )
    .await
    .ok(202);
    axp.post(
        &format!("{base}/bot-1:add"),
        json!({"type": "TREATMENT", "channelId": "Voice", "channelType": "VOICE", "automationType": "SELF_SERVICE", "timestamp": "2019-07-23T17:45:21.002Z", "dialogId": dialog}),
    )
    .await
    .ok(202);
    axp.call(
        Method::POST,
        &format!("{base}/agent-1:remove"),
        &axp.agent,
        Some(json!({"timestamp": "2019-07-23T17:55:00Z"})),
    )
    .await
    .ok(202);
    let e = axp
        .get(&format!("{JOURNEY}/engagements/{id}"))
        .await
        .ok(200);
    let p = e["participants"].as_array().unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(
        p[0],
        json!({"id": "cust-1", "joinedAt": "2019-07-23T17:45:21.001Z", "type": "EXTERNAL", "channelId": "Voice", "channelType": "VOICE", "callingNumber": "087 12345", "dialledNumber": "1590 12345", "dialogId": dialog})
    );
    assert_eq!(
        p[1],
        json!({"id": "agent-1", "joinedAt": "2019-07-23T17:45:21.003Z", "leftAt": "2019-07-23T17:55:00Z", "type": "AGENT", "channelId": "Voice", "channelType": "VOICE", "extension": "ext/1234", "dialogId": dialog})
    );
    assert_eq!(p[2]["automationType"], "SELF_SERVICE");
    // A remove without a body sets leftAt to now.
    let r = axp
        .app
        .http
        .post(axp.app.url(&format!("{base}/bot-1:remove")))
        .bearer_auth(&axp.agent)
        .header("appkey", APP_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let n = axp.native(&id).await;
    assert!(n["participants"][2]["left_at"].is_string());
    assert_eq!(n["participants"][1]["role"], "agent");
    // Rules per type, unknown participants, a bad participant id.
    axp.post(&format!("{base}/x:add"), json!({"type": "AGENT"}))
        .await
        .violations(&[
            ("dialogId", 20002),
            ("channelId", 20002),
            ("channelType", 20002),
            ("timestamp", 20002),
            ("extension", 20002),
        ]);
    axp.post(&format!("{base}/x:add"), json!({"type": "EXTERNAL", "channelId": "Voice", "channelType": "VOICE", "timestamp": "2019-07-23T17:45:21Z", "dialogId": dialog}))
        .await
        .violations(&[("callingNumber", 20002), ("dialledNumber", 20002)]);
    axp.post(&format!("{base}/x:add"), json!({"type": "ROBOT", "channelId": "Voice", "channelType": "VOICE", "timestamp": "2019-07-23T17:45:21Z", "dialogId": "no"}))
        .await
        .violations(&[("type", 20006), ("dialogId", 20006)]);
    axp.post(&format!("{base}/nobody:remove"), json!({}))
        .await
        .problem(404);
    axp.post(&format!("{base}/{}:add", "p".repeat(37)), json!({}))
        .await
        .violations(&[("participantId", 20006)]);
    axp.post(&format!("{base}/x:join"), json!({}))
        .await
        .problem(404);
}

#[tokio::test]
async fn one_agent_note_per_engagement_which_can_be_edited_and_deleted() {
    let axp = spawn().await;
    let id = axp.new_engagement("2024-01-01T10:00:00Z").await;
    let notes = format!("{JOURNEY}/engagements/{id}/agent-notes");
    assert_eq!(axp.get(&notes).await.ok(200), json!({"agentNotes": []}));
    let created = axp
        .post(
            &format!("{JOURNEY}/engagements/{id}/agent-note"),
            json!({"note": "The Agent Note Text"}),
        )
        .await
        .ok(201);
    let note_id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(note_id.len(), 20);
    assert_eq!(created["engagementId"], id.as_str());
    assert_eq!(created["note"], "The Agent Note Text");
    assert_eq!(
        created["createdBy"],
        json!({"id": "acme-ac-agent", "name": "acme-ac-agent name"})
    );
    assert!(created.get("updatedBy").is_none());
    // The second note is refused with Avaya's 422.
    let p = axp
        .post(
            &format!("{JOURNEY}/engagements/{id}/agent-note"),
            json!({"note": "again"}),
        )
        .await
        .problem(422);
    assert_eq!(
        p["violations"][0],
        json!({"field": "Engagement", "message": format!("You cannot create second note for accountId = ACMEAC and engagementId = {id}")})
    );
    assert!(p["violations"][0].get("code").is_none());
    // Update, list, and the note inside the engagement.
    let updated = axp
        .as_admin(
            Method::PUT,
            &format!("{JOURNEY}/engagements/{id}/agent-note/{note_id}"),
            Some(json!({"note": "Edited"})),
        )
        .await
        .ok(200);
    assert_eq!(updated["updatedBy"]["id"], "acme-ac-admin");
    assert!(updated["updatedAt"].is_string());
    let listed = axp.get(&notes).await.ok(200);
    assert_eq!(listed["agentNotes"][0]["note"], "Edited");
    let e = axp
        .get(&format!("{JOURNEY}/engagements/{id}"))
        .await
        .ok(200);
    assert_eq!(e["agentNotes"][0]["id"], note_id.as_str());
    assert_eq!(axp.native(&id).await["notes"][0]["text"], "Edited");
    // Rules.
    axp.post(
        &format!("{JOURNEY}/engagements/{id}/agent-note"),
        json!({"note": ""}),
    )
    .await
    .violations(&[("note", 20006)]);
    axp.post(
        &format!("{JOURNEY}/engagements/{id}/agent-note"),
        json!({"note": "x".repeat(513)}),
    )
    .await
    .violations(&[("note", 20006)]);
    axp.put(
        &format!("{JOURNEY}/engagements/{id}/agent-note/short"),
        json!({"note": "x"}),
    )
    .await
    .violations(&[("noteId", 20006)]);
    axp.put(
        &format!("{JOURNEY}/engagements/{id}/agent-note/{}", "a".repeat(20)),
        json!({"note": "x"}),
    )
    .await
    .problem(404);
    // Delete, then a new note may be made.
    let r = axp
        .call(
            Method::DELETE,
            &format!("{JOURNEY}/engagements/{id}/agent-note/{note_id}"),
            &axp.agent,
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    axp.call(
        Method::DELETE,
        &format!("{JOURNEY}/engagements/{id}/agent-note/{note_id}"),
        &axp.agent,
        None,
    )
    .await
    .problem(404);
    axp.post(
        &format!("{JOURNEY}/engagements/{id}/agent-note"),
        json!({"note": "fresh"}),
    )
    .await
    .ok(201);
    axp.post(
        &format!("{JOURNEY}/engagements/{}/agent-note", new_id()),
        json!({"note": "x"}),
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn read_only_notes_from_elsewhere_cannot_be_changed() {
    let axp = spawn().await;
    let id = new_id();
    let line = json!({"id": id, "startDate": "2024-01-01T10:00:00Z", "agentNotes": [{"id": "Isfgy40BJ8Ew1LrQxUJy", "note": "locked", "readOnly": true}]}).to_string();
    axp.ingest(&[line]).await;
    let path = format!("{JOURNEY}/engagements/{id}/agent-note/Isfgy40BJ8Ew1LrQxUJy");
    axp.put(&path, json!({"note": "x"})).await.problem(403);
    axp.call(Method::DELETE, &path, &axp.agent, None)
        .await
        .problem(403);
    let listed = axp
        .get(&format!("{JOURNEY}/engagements/{id}/agent-notes"))
        .await
        .ok(200);
    assert_eq!(listed["agentNotes"][0]["readOnly"], true);
}

#[tokio::test]
async fn native_writes_read_back_through_axp() {
    let axp = spawn().await;
    let id = new_id();
    let body = json!({
        "id": id,
        "started_at": "2024-05-01T09:00:00.250Z",
        "ended_at": "2024-05-01T09:04:10Z",
        "direction": "outbound",
        "channels": [{"type": "chat", "id": "Chat"}],
        "customer": {"phones": ["+353 87 111 2222"], "custom": {"twitterHandles": ["@melinda"]}},
        "participants": [{"role": "agent", "id": "a1", "display_name": "Ann", "channel_type": "chat"}],
        "topics": ["Billing"],
        "data": {"n": 5}
    });
    let r = axp
        .app
        .http
        .post(axp.app.url("/api/v1/tenants/acme-ac/engagements"))
        .bearer_auth(&axp.agent)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let e = axp
        .get(&format!("{JOURNEY}/engagements/{id}"))
        .await
        .ok(200);
    assert_eq!(e["status"], "COMPLETED");
    assert_eq!(e["direction"], "OUTBOUND");
    assert_eq!(e["startDate"], "2024-05-01T09:00:00.25Z");
    assert_eq!(e["endDate"], "2024-05-01T09:04:10Z");
    assert_eq!(e["channels"], json!([{"id": "Chat", "type": "CHAT"}]));
    assert_eq!(
        e["identifiers"],
        json!({"phoneNumbers": ["+353 87 111 2222"], "twitterHandles": ["@melinda"]})
    );
    assert_eq!(
        e["participants"][0],
        json!({"id": "a1", "agentDisplayName": "Ann", "type": "AGENT", "channelType": "CHAT"})
    );
    assert_eq!(e["data"], json!({"n": "5"}));
    let found = axp
        .post(
            &format!("{JOURNEY}/journeys:search"),
            json!({"identifiers": {"phoneNumbers": ["087 111 2222"]}}),
        )
        .await
        .ok(200);
    assert_eq!(found["engagements"][0]["id"], id.as_str());
}

#[tokio::test]
async fn a_body_with_a_key_given_twice_is_refused_naming_it() {
    let axp = spawn().await;
    let r = axp
        .post_raw(
            &format!("{JOURNEY}/engagements"),
            "application/json",
            r#"{"engagementId":"x","engagementId":"y"}"#,
        )
        .await;
    let p = r.problem(400);
    assert!(
        p.to_string().contains("duplicate key \\\"engagementId\\\""),
        "{p}"
    );
}
