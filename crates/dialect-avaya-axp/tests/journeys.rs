//! Search Journeys, journeys as linked identities (link, unlink), and List Agents.

mod common;

use common::*;
use interlog_testkit::ids;
use serde_json::{json, Value};
use std::collections::HashSet;

async fn search(axp: &Axp, query: &str, body: Value) -> Answer {
    axp.post(&format!("{JOURNEY}/journeys:search{query}"), body)
        .await
}

/// Ingests `n` engagements one minute apart for one phone number; returns their ids,
/// newest first.
async fn journey(axp: &Axp, n: u32, identifiers: Value) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|_| new_id()).collect();
    let lines: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| axp_engagement(id, i as u32, identifiers.clone()))
        .collect();
    axp.ingest(&lines).await;
    ids.into_iter().rev().collect()
}

#[tokio::test]
async fn search_finds_a_phone_number_in_any_spelling_newest_first() {
    let axp = spawn().await;
    let mine = journey(&axp, 3, json!({"phoneNumbers": ["019 718 0171"]})).await;
    journey(&axp, 2, json!({"phoneNumbers": ["087 999 9999"]})).await;
    for spelling in [
        "019 718 0171",
        "0197180171",
        "(019) 718-0171",
        "+353 19 718 0171",
    ] {
        let body = search(
            &axp,
            "",
            json!({"identifiers": {"phoneNumbers": [spelling]}}),
        )
        .await
        .ok(200);
        assert_eq!(ids(&body), mine, "{spelling}");
        assert_eq!(
            body["pagination"],
            json!({"pageNumber": 1, "pageSize": 50, "total": 3})
        );
        assert_eq!(body["identifiers"], json!({"phoneNumbers": [spelling]}));
    }
    // Nobody with that number: 404.
    search(
        &axp,
        "",
        json!({"identifiers": {"phoneNumbers": ["021 000 0000"]}}),
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn paging_walks_a_journey_to_its_end() {
    let axp = spawn().await;
    let all = journey(
        &axp,
        7,
        json!({"phoneNumbers": ["087 1234567"], "emailAddresses": ["pager@example.org"]}),
    )
    .await;
    // One identifier (the store pages) and two (the journey is walked): the same pages.
    for identifiers in [
        json!({"phoneNumbers": ["087 1234567"]}),
        json!({"phoneNumbers": ["087 1234567"], "emailAddresses": ["pager@example.org"]}),
    ] {
        let mut seen = Vec::new();
        for page in 1..=4 {
            let body = search(
                &axp,
                &format!("?pageSize=2&pageNumber={page}"),
                json!({"identifiers": identifiers}),
            )
            .await
            .ok(200);
            assert_eq!(
                body["pagination"],
                json!({"pageNumber": page, "pageSize": 2, "total": 7})
            );
            let got = ids(&body);
            assert_eq!(got.len(), if page == 4 { 1 } else { 2 });
            seen.extend(got);
        }
        assert_eq!(seen, all);
        let past = search(
            &axp,
            "?pageSize=2&pageNumber=5",
            json!({"identifiers": identifiers}),
        )
        .await
        .ok(200);
        assert!(ids(&past).is_empty());
        assert_eq!(past["pagination"]["total"], 7);
    }
}

#[tokio::test]
async fn search_filters_narrow_the_journey() {
    let axp = spawn().await;
    let phone = json!({"phoneNumbers": ["087 7654321"]});
    let [a, b, c, d] = [new_id(), new_id(), new_id(), new_id()];
    let line = |id: &str, start: &str, channel: &str, conversation: &str, agent: &str| {
        json!({
            "id": id, "startDate": start, "identifiers": phone,
            "channels": [{"id": channel, "type": channel.to_uppercase()}],
            "conversations": [conversation],
            "participants": [{"id": agent, "type": "AGENT", "channelId": channel}]
        })
        .to_string()
    };
    axp.ingest(&[
        line(
            &a,
            "2019-07-23T17:45:21.001Z",
            "Voice",
            "Mortgage Application",
            "agent-1",
        ),
        line(
            &b,
            "2019-08-01T10:00:00Z",
            "Chat",
            "Mortgage Application",
            "agent-2",
        ),
        line(
            &c,
            "2020-07-23T17:45:21.001Z",
            "Email",
            "Car Loan",
            "agent-1",
        ),
        line(&d, "2021-01-01T00:00:00Z", "Voice", "Car Loan", "agent-2"),
    ])
    .await;
    let run = |extra: Value| {
        let mut body = json!({"identifiers": phone});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // Both ends of the range are inclusive.
    let r = search(
        &axp,
        "",
        run(
            json!({"startDate": "2019-07-23T17:45:21.001Z", "endDate": "2020-07-23T17:45:21.001Z"}),
        ),
    )
    .await
    .ok(200);
    assert_eq!(ids(&r), [c.clone(), b.clone(), a.clone()]);
    let r = search(
        &axp,
        "",
        run(json!({"startDate": "2019-07-23T17:45:21.002Z", "endDate": "2020-07-23T17:45:21Z"})),
    )
    .await
    .ok(200);
    assert_eq!(ids(&r), std::slice::from_ref(&b));
    let r = search(&axp, "", run(json!({"endDate": "2019-08-01T10:00:00Z"})))
        .await
        .ok(200);
    assert_eq!(ids(&r), [b.clone(), a.clone()]);
    let r = search(&axp, "", run(json!({"conversation": "car loan"})))
        .await
        .ok(200);
    assert_eq!(ids(&r), [d.clone(), c.clone()]);
    assert_eq!(r["pagination"]["total"], 2);
    let r = search(&axp, "", run(json!({"agentId": "agent-1"})))
        .await
        .ok(200);
    assert_eq!(ids(&r), [c.clone(), a.clone()]);
    let r = search(&axp, "", run(json!({"channelIds": ["Voice", "Email"]})))
        .await
        .ok(200);
    assert_eq!(ids(&r), [d.clone(), c.clone(), a.clone()]);
    let r = search(&axp, "", run(json!({"channelIds": ["Voice"], "conversation": "Mortgage Application", "startDate": null}))).await.ok(200);
    assert_eq!(ids(&r), std::slice::from_ref(&a));
    // Nothing left after the filters: 404.
    search(&axp, "", run(json!({"channelIds": ["Video"]})))
        .await
        .problem(404);
    search(
        &axp,
        "",
        run(json!({"startDate": "2022-01-01T00:00:00Z", "endDate": "2021-01-01T00:00:00Z"})),
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn search_checks_its_query_and_body() {
    let axp = spawn().await;
    search(&axp, "", json!({}))
        .await
        .violations(&[("identifiers", 20002)]);
    search(
        &axp,
        "",
        json!({"agentId": "4dd8a4a4-09f4-4dab-a503-91cefc4604e0"}),
    )
    .await
    .violations(&[("identifiers", 20002)]);
    let p = search(&axp, "", json!({"identifiers": {"phoneNumbers": []}}))
        .await
        .violations(&[("identifiers", 20002)]);
    assert_eq!(
        p["violations"][0]["message"],
        "Invalid input, 'Identifiers' must not be empty"
    );
    search(
        &axp,
        "?pageSize=0&pageNumber=x",
        json!({"identifiers": {"phoneNumbers": ["087 1"]}}),
    )
    .await
    .violations(&[("pageSize", 20006), ("pageNumber", 20006)]);
    search(
        &axp,
        "",
        json!({"identifiers": {"phoneNumbers": ["087 1"]}, "startDate": "2019-07-23", "conversation": "ab", "agentId": "a", "channelIds": []}),
    )
    .await
    .violations(&[("startDate", 20006), ("conversation", 20006), ("agentId", 20006), ("channelIds", 20006)]);
    search(
        &axp,
        "",
        json!({"identifiers": {"phoneNumbers": ["087 1"]}, "channelIds": ["Voice", "Voice"]}),
    )
    .await
    .violations(&[("channelIds[1]", 20006)]);
    search(&axp, "", json!({"identifiers": "087 1"}))
        .await
        .violations(&[("identifiers", 20006)]);
}

#[tokio::test]
async fn linked_identifiers_form_one_journey_until_unlinked() {
    let axp = spawn().await;
    let by_phone = journey(&axp, 2, json!({"phoneNumbers": ["087 12345"]})).await;
    let by_email = journey(
        &axp,
        1,
        json!({"emailAddresses": ["melinda14@example.org"]}),
    )
    .await;
    let by_account = journey(
        &axp,
        1,
        json!({"accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"]}),
    )
    .await;
    // Avaya's journey-create example, then the phone number joins the same customer.
    axp.post(&format!("{JOURNEY}/journeys"), json!({"identifiers": {"accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"], "emailAddresses": ["melinda14@example.org"]}}))
        .await
        .ok(202);
    axp.post(&format!("{JOURNEY}/journeys"), json!({"identifiers": {"phoneNumbers": ["087 12345"], "emailAddresses": ["Melinda14@example.org"]}}))
        .await
        .ok(202);
    let found = search(
        &axp,
        "",
        json!({"identifiers": {"phoneNumbers": ["08712345"]}}),
    )
    .await
    .ok(200);
    let got: HashSet<String> = ids(&found).into_iter().collect();
    let want: HashSet<String> = by_phone
        .iter()
        .chain(&by_email)
        .chain(&by_account)
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert_eq!(found["pagination"]["total"], 4);
    // The merged identity, typed and spelled as it was linked.
    assert_eq!(
        found["identifiers"],
        json!({"phoneNumbers": ["08712345"], "accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"], "emailAddresses": ["melinda14@example.org"]})
    );
    // Avaya's unlink example: the email leaves the customer.
    let r = axp
        .post(
            &format!("{JOURNEY}/journeys:unlinkIdentifier"),
            json!({"identifiers": {"accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"], "emailAddresses": ["melinda14@example.org"], "phoneNumbers": ["087 12345"]}, "unlinkIdentifier": {"emailAddresses": "melinda14@example.org"}}),
        )
        .await
        .ok(200);
    assert_eq!(
        r,
        json!({"identifiers": {"accountIds": ["d1482af8-d865-4df0-932d-f9559f25086d"], "phoneNumbers": ["087 12345"]}})
    );
    let found = search(
        &axp,
        "",
        json!({"identifiers": {"phoneNumbers": ["087 12345"]}}),
    )
    .await
    .ok(200);
    let got: HashSet<String> = ids(&found).into_iter().collect();
    let want: HashSet<String> = by_phone.iter().chain(&by_account).cloned().collect();
    assert_eq!(got, want);
    // The unlinked email is still searchable on its own.
    let alone = search(
        &axp,
        "",
        json!({"identifiers": {"emailAddresses": ["melinda14@example.org"]}}),
    )
    .await
    .ok(200);
    assert_eq!(ids(&alone), by_email);
    // Rules.
    axp.post(&format!("{JOURNEY}/journeys"), json!({}))
        .await
        .violations(&[("identifiers", 20002)]);
    axp.post(
        &format!("{JOURNEY}/journeys"),
        json!({"identifiers": {"phoneNumbers": []}}),
    )
    .await
    .violations(&[("identifiers", 20006)]);
    axp.post(
        &format!("{JOURNEY}/journeys:unlinkIdentifier"),
        json!({"identifiers": {"phoneNumbers": ["087 1"]}}),
    )
    .await
    .violations(&[("unlinkIdentifier", 20002)]);
    axp.post(&format!("{JOURNEY}/journeys:unlinkIdentifier"), json!({"identifiers": {"phoneNumbers": ["087 1"]}, "unlinkIdentifier": {"a": "1", "b": "2"}}))
        .await
        .violations(&[("unlinkIdentifier", 20006)]);
}

#[tokio::test]
async fn list_agents_orders_who_handled_the_customer_by_when_they_left() {
    let axp = spawn().await;
    let phone = json!({"phoneNumbers": ["+35387643526236"]});
    let provider = "aba84546-1ac2-478e-b225-cadc7e8a2862";
    let engagement = |start: &str, agents: &[(&str, Option<&str>)], channel: &str| {
        let participants: Vec<Value> = agents
            .iter()
            .map(|(id, left)| {
                let mut p = json!({"id": id, "type": "AGENT", "channelId": channel, "channelType": channel.to_uppercase(), "joinedAt": start});
                if let Some(l) = left {
                    p["leftAt"] = json!(l);
                }
                p
            })
            .collect();
        json!({"id": new_id(), "startDate": start, "identifiers": phone, "participants": participants,
               "transfers": [{"channelProviderId": provider, "destinationAgentId": agents[0].0, "transferType": "TRANSFER_TO_AGENT"}]})
        .to_string()
    };
    axp.ingest(&[
        engagement(
            "2020-07-19T10:00:00Z",
            &[(
                "faa542cb-1611-4ba5-a3db-1b6b1f560325",
                Some("2020-07-19T10:45:22.589Z"),
            )],
            "Voice",
        ),
        engagement(
            "2020-07-23T18:00:00Z",
            &[
                (
                    "c5e92685-921e-4dd3-b856-66b9fdadaca1",
                    Some("2020-07-23T18:12:34.246Z"),
                ),
                ("still-active", None),
            ],
            "Voice",
        ),
        engagement(
            "2020-07-26T13:00:00Z",
            &[(
                "0f28895a-2855-4e02-b00c-52fe93d671f2",
                Some("2020-07-26T13:24:52.13Z"),
            )],
            "Voice",
        ),
        engagement(
            "2020-07-27T13:00:00Z",
            &[("chat-agent", Some("2020-07-27T13:30:00Z"))],
            "Chat",
        ),
        engagement(
            "2019-01-01T13:00:00Z",
            &[("long-ago", Some("2019-01-01T13:30:00Z"))],
            "Voice",
        ),
    ])
    .await;
    let path = format!("{JOURNEY}/journeys:listAgents");
    let body = json!({"identifiers": phone, "startDate": "2019-07-23T17:45:21.001Z", "channelId": "VOICE"});
    let r = axp
        .post(&format!("{path}?pageSize=10"), body.clone())
        .await
        .ok(200);
    assert_eq!(
        r,
        json!([
            {"agentId": "0f28895a-2855-4e02-b00c-52fe93d671f2", "channelProviderId": provider, "leftAt": "2020-07-26T13:24:52.13Z"},
            {"agentId": "c5e92685-921e-4dd3-b856-66b9fdadaca1", "channelProviderId": provider, "leftAt": "2020-07-23T18:12:34.246Z"},
            {"agentId": "faa542cb-1611-4ba5-a3db-1b6b1f560325", "channelProviderId": provider, "leftAt": "2020-07-19T10:45:22.589Z"}
        ])
    );
    // Default page size 1; ascending order.
    let one = axp.post(&path, body.clone()).await.ok(200);
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["agentId"], "0f28895a-2855-4e02-b00c-52fe93d671f2");
    let asc = axp
        .post(&format!("{path}?pageSize=2&orderBy=asc"), body.clone())
        .await
        .ok(200);
    assert_eq!(asc[0]["agentId"], "faa542cb-1611-4ba5-a3db-1b6b1f560325");
    assert_eq!(asc.as_array().unwrap().len(), 2);
    // By default only the last 30 days count: these are years old.
    let recent = axp
        .post(
            &format!("{path}?pageSize=10"),
            json!({"identifiers": phone, "channelId": "Voice"}),
        )
        .await;
    assert_eq!(recent.ok(200), json!([]));
    // Rules, and a customer without engagements.
    axp.post(&format!("{path}?pageSize=11&orderBy=up"), body.clone())
        .await
        .violations(&[("pageSize", 20006), ("orderBy", 20006)]);
    axp.post(&path, json!({"identifiers": phone}))
        .await
        .violations(&[("channelId", 20002)]);
    axp.post(
        &path,
        json!({"identifiers": {"phoneNumbers": ["021 1111111"]}, "channelId": "Voice"}),
    )
    .await
    .problem(404);
}
