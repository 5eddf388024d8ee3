//! The interaction history over HTTP: the seed round trip, every parameter of the GET
//! form and of the POST operations (their results read over CometD), the envelope's
//! status codes, dates in a zone with DST, and the ingest format.

mod common;

use common::*;
use interlog_testkit::{mint_token, TestApp};
use jiff::{Timestamp, ToSpan};
use serde_json::{json, Value};

const SEED: &str = include_str!("fixtures/seed_interaction.json");

fn at(now: Timestamp, days_ago: i64) -> Timestamp {
    now.checked_sub((days_ago * 24).hours()).unwrap()
}

struct World {
    gw: Gw,
    agent1: String,
    agent2: String,
    s1: Session,
    now: Timestamp,
}

/// Tenant acme (Europe/Dublin) with a 30-day hot window, two agents, and engagements on
/// every kind of channel.
async fn world() -> World {
    let gw = spawn("hot_window_days = 30").await;
    let app = &gw.app;
    let agent1 = user(app, &app.tenant, "agent1", Some("agent1@acme.test")).await;
    let agent2 = user(app, &app.tenant, "agent2", None).await;
    let now = Timestamp::now();
    let owner = |id: &str, name: &str| {
        json!({"role": "agent", "id": id, "username": name, "email": format!("{name}@acme.test"),
               "first_name": "First", "last_name": name, "owner": true})
    };
    let e = |id: &str, days: i64, channel: Value, who: Value, extra: Value| {
        let mut v = json!({
            "id": id,
            "started_at": at(now, days).to_string(),
            "direction": "inbound",
            "channels": [channel],
            "participants": [who],
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        engagement(v)
    };
    let a1 = owner(&agent1, "agent1");
    let a2 = owner(&agent2, "agent2");
    seed_into(
        app,
        &app.tenant,
        vec![
            e(
                "call1",
                2,
                json!({"type": "voice", "source": "pstn"}),
                a1.clone(),
                json!({
                    "ended_at": at(now, 2).checked_add(5.minutes()).unwrap().to_string(),
                    "customer": {"contact_id": "C1", "phones": ["+353 1 555 0101"]},
                    "data": {"SearchId": "123456", "CustomerId": "a21d4c3"},
                    "subject": "Billing",
                    "notes": [{"text": "called back"}],
                }),
            ),
            e(
                "video1",
                3,
                json!({"type": "video"}),
                a2.clone(),
                json!({"customer": {"contact_id": "C2"}, "ended_at": at(now, 3).checked_add(1.minutes()).unwrap().to_string()}),
            ),
            e(
                "chat1",
                4,
                json!({"type": "chat", "source": "web_chat"}),
                a1.clone(),
                json!({
                    "state": "active",
                    "customer": {"contact_id": "C1"},
                    "data": {"SearchId": "999"},
                    "messages": [
                        {"index": 1, "at": at(now, 4).to_string(), "type": "ParticipantJoined", "visibility": "All",
                         "sender": {"nickname": "You", "role": "customer", "participant_id": "P1"}},
                        {"index": 2, "at": at(now, 4).checked_add(3.seconds()).unwrap().to_string(), "type": "Message", "text": "Hello", "visibility": "All",
                         "sender": {"nickname": "agent1", "role": "agent", "participant_id": "P2"}},
                    ],
                }),
            ),
            e("fb1", 5, json!({"type": "social", "source": "facebook"}), a2.clone(), json!({})),
            e("fbs1", 6, json!({"type": "messaging", "source": "facebook_messenger"}), a1.clone(), json!({})),
            e("wa1", 7, json!({"type": "messaging", "source": "whatsapp"}), a2.clone(), json!({})),
            e("old1", 45, json!({"type": "voice"}), a1.clone(), json!({"customer": {"contact_id": "C1"}})),
        ],
    )
    .await;
    let s1 = login(app, "acme/agent1", PASSWORD).await;
    World {
        gw,
        agent1,
        agent2,
        s1,
        now,
    }
}

async fn list(app: &TestApp, s: &Session, query: &str) -> Vec<String> {
    let (status, body) = s
        .get(app, &format!("/api/v2/ucs/interactions{query}"))
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    assert_eq!(body["statusCode"], 0);
    ids(&body["interactions"])
}

async fn code_of(app: &TestApp, s: &Session, query: &str) -> (u16, Value) {
    s.get(app, &format!("/api/v2/ucs/interactions{query}"))
        .await
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_seed_resource_round_trips_exactly() {
    let gw = spawn("base_url = \"http://localhost:8080\"\nhot_window_days = 36500").await;
    let app = &gw.app;
    // The seed's +0200 in November is Eastern European Time.
    let t = tenant(app, "helsinki", "Europe/Helsinki", &[]).await;
    user(app, &t, "ksippo", None).await;
    let token = mint_token(
        &app.signer,
        "helsinki",
        interlog_store::ClientRole::Admin,
        60,
    );
    let r = app
        .http
        .post(app.url("/api/v1/tenants/helsinki/ingest?format=genesys_gws"))
        .bearer_auth(token)
        .header("content-type", "application/x-ndjson")
        .body(format!("{}\n", SEED.trim()))
        .send()
        .await
        .unwrap();
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["created"], 1, "{summary}");

    let s = login(app, "helsinki/ksippo", PASSWORD).await;
    let r = app
        .http
        .get(app.url("/api/v2/ucs/interactions?fromDate=2013-11-25&toDate=2013-11-25"))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert_eq!(
        text,
        format!("{{\"statusCode\":0,\"interactions\":[{}]}}", SEED.trim())
    );

    // The same resource through the POST operation and CometD.
    let client = s.cometd(app).await;
    let (status, ack) = s
        .post(
            app,
            "/api/v2/ucs/interactions",
            json!({"operationName": "RetrieveInteractionHistory", "fromDate": "2013-11-25", "toDate": "2013-11-25"}),
        )
        .await;
    assert_eq!(status, 200, "{ack}");
    let reference = ack["referenceId"].as_u64().unwrap();
    let data = s.notification(app, &client, reference).await;
    assert_eq!(data["messageType"], "GetInteractionsHistoryMessage");
    let seed: Value = serde_json::from_str(SEED).unwrap();
    assert_eq!(data["interactions"], json!([seed]));
}

#[tokio::test]
async fn every_parameter_of_the_get_form() {
    let w = world().await;
    let (app, s) = (&w.gw.app, &w.s1);
    let all = ["call1", "video1", "chat1", "fb1", "fbs1", "wa1"];
    assert_eq!(
        list(app, s, "").await,
        all,
        "newest first, last month, main only"
    );
    let mut asc = all.to_vec();
    asc.reverse();
    assert_eq!(list(app, s, "?sort=asc").await, asc);
    assert_eq!(list(app, s, "?sort=DESC").await, all);
    assert_eq!(list(app, s, "?maxSize=2").await, ["call1", "video1"]);
    assert_eq!(list(app, s, "?maxSize=2&sort=asc").await, ["wa1", "fbs1"]);

    for (media, want) in [
        ("call", vec!["call1", "video1"]),
        ("CALL", vec!["call1", "video1"]),
        ("chat", vec!["chat1"]),
        ("facebook", vec!["fb1"]),
        ("facebooksession", vec!["fbs1"]),
        ("openmedia", vec!["wa1"]),
        ("email", vec![]),
        ("webform", vec![]),
    ] {
        assert_eq!(
            list(app, s, &format!("?mediaType={media}")).await,
            want,
            "{media}"
        );
    }
    assert_eq!(
        list(app, s, &format!("?userId={}", w.agent1)).await,
        ["call1", "chat1", "fbs1"]
    );
    assert_eq!(
        list(app, s, "?userId=agent1%40acme.test").await,
        ["call1", "chat1", "fbs1"],
        "an agent's email finds them too"
    );
    assert_eq!(
        list(app, s, &format!("?userId={}&mediaType=call", w.agent2)).await,
        ["video1"]
    );
    assert_eq!(list(app, s, "?contactId=C1").await, ["call1", "chat1"]);
    assert_eq!(list(app, s, "?contactId=c1").await, ["call1", "chat1"]);

    // fromDate/toDate as date-times, in both spellings GWS writes.
    let from = at(w.now, 4).checked_sub(1.hours()).unwrap();
    let to = at(w.now, 3).checked_add(1.hours()).unwrap();
    let q = format!(
        "?fromDate={}&toDate={}",
        enc(&from.to_string()),
        enc(&to.to_string())
    );
    assert_eq!(list(app, s, &q).await, ["video1", "chat1"]);
    let tz = jiff::tz::TimeZone::get("Europe/Dublin").unwrap();
    let gws_from = interlog_dialect_genesys_gws::dates::format(from, &tz);
    let q = format!(
        "?fromDate={}&toDate={}",
        enc(&gws_from),
        enc(&to.to_string())
    );
    assert_eq!(list(app, s, &q).await, ["video1", "chat1"]);
    // Only fromDate: up to today. Only toDate: the month before it.
    let q = format!("?fromDate={}", enc(&from.to_string()));
    assert_eq!(list(app, s, &q).await, ["call1", "video1", "chat1"]);
    let q = format!("?toDate={}", enc(&to.to_string()));
    assert_eq!(
        list(app, s, &q).await,
        ["video1", "chat1", "fb1", "fbs1", "wa1"]
    );

    // The archive holds what started before the 30-day hot window.
    let since = at(w.now, 60).to_string();
    let q = format!("?fromDate={}", enc(&since));
    assert_eq!(list(app, s, &q).await, all, "main stops at the hot window");
    assert_eq!(list(app, s, &format!("{q}&source=archive")).await, ["old1"]);
    assert_eq!(list(app, s, "?source=archive").await, Vec::<String>::new());

    // customAttributes: only those asked for; userData: all attached data.
    let (_, body) = code_of(app, s, "?customAttributes=SearchId,Missing&maxSize=3").await;
    let items = body["interactions"].as_array().unwrap();
    assert_eq!(items[0]["customAttributes"], json!({"SearchId": "123456"}));
    assert_eq!(
        items[0]["userData"],
        json!({"SearchId": "123456", "CustomerId": "a21d4c3"})
    );
    assert!(
        items[1].get("customAttributes").is_none(),
        "none asked for is present"
    );
    assert_eq!(items[2]["customAttributes"], json!({"SearchId": "999"}));
    let (_, body) = code_of(app, s, "?maxSize=1").await;
    assert!(body["interactions"][0].get("customAttributes").is_none());

    assert_eq!(
        list(app, s, "?searchCustomAttributes=SearchId:123456").await,
        ["call1"]
    );
    let q = format!("?searchCustomAttributes={}", enc(r#"{"SearchId":"999"}"#));
    assert_eq!(list(app, s, &q).await, ["chat1"]);
    let q = format!(
        "?searchCustomAttributes=SearchId:123456&searchCustomAttributes={}",
        enc(r#"{"CustomerId":"a21d4c3"}"#)
    );
    assert_eq!(list(app, s, &q).await, ["call1"], "every pair must match");
    assert_eq!(
        list(app, s, "?searchCustomAttributes=SearchId:1").await,
        Vec::<String>::new()
    );

    // Bad requests: the documented codes, nothing else in the body.
    for (q, code) in [
        ("?limit=5", 2),
        ("?sort=asc&sort=desc", 2),
        ("?maxSize=0", 10),
        ("?maxSize=1001", 10),
        ("?maxSize=x", 10),
        ("?sort=sideways", 10),
        ("?source=attic", 10),
        ("?fromDate=2024-02-30", 10),
        ("?fromDate=yesterday", 10),
        ("?fromDate=2024-03-02&toDate=2024-03-01", 10),
        ("?mediaType=a%20b", 10),
        ("?searchCustomAttributes=nocolon", 10),
    ] {
        let (status, body) = code_of(app, s, q).await;
        assert_eq!(status, 400, "{q}");
        assert_eq!(body["statusCode"], code, "{q}: {body}");
        assert!(body["statusMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    }
}

#[tokio::test]
async fn the_resource_carries_each_field_when_present() {
    let w = world().await;
    let (app, s) = (&w.gw.app, &w.s1);
    let (_, body) = code_of(app, s, "?maxSize=3").await;
    let call = &body["interactions"][0];
    assert_eq!(
        call["uri"],
        format!("{}/api/v2/interactions/call1", app.base)
    );
    assert_eq!(call["path"], "/interactions/call1");
    assert_eq!(call["mediaType"], "call");
    assert_eq!(call["typeId"], "Inbound");
    assert_eq!(call["state"], "Stopped");
    assert_eq!(call["subject"], "Billing");
    assert_eq!(call["comment"], "called back");
    assert_eq!(call["contactId"], "C1");
    assert_eq!(call["phoneNumber"], "+353 1 555 0101");
    assert_eq!(call["callDuration"], 300);
    assert_eq!(
        call["ownerInformation"],
        json!({"userName": "agent1", "lastName": "agent1", "id": w.agent1, "firstName": "First"})
    );
    let tz = jiff::tz::TimeZone::get("Europe/Dublin").unwrap();
    assert_eq!(
        call["startDate"],
        interlog_dialect_genesys_gws::dates::format(
            Timestamp::from_millisecond(at(w.now, 2).as_millisecond()).unwrap(),
            &tz
        )
    );
    let chat = &body["interactions"][2];
    assert_eq!(chat["state"], "InProcess");
    for absent in [
        "endDate",
        "phoneNumber",
        "callDuration",
        "comment",
        "parentId",
        "subject",
    ] {
        assert!(chat.get(absent).is_none(), "{absent} in {chat}");
    }
    let video = &body["interactions"][1];
    assert_eq!(video["mediaType"], "call");
    assert_eq!(video["callDuration"], 60);
    assert!(video.get("phoneNumber").is_none());
}

#[tokio::test]
async fn the_post_operations_answer_over_cometd() {
    let w = world().await;
    let (app, s) = (&w.gw.app, &w.s1);
    let client = s.cometd(app).await;

    let post = |path: &str, body: Value| {
        let path = path.to_owned();
        async move {
            let (status, ack) = s.post(app, &path, body).await;
            assert_eq!(status, 200, "{ack}");
            assert_eq!(ack.as_object().unwrap().len(), 2, "{ack}");
            assert_eq!(ack["statusCode"], 0);
            ack["referenceId"].as_u64().unwrap()
        }
    };

    // RetrieveInteractionHistory with the documented sample's parameters.
    let r = post(
        "/api/v2/ucs/interactions",
        json!({"operationName": "RetrieveInteractionHistory", "userId": w.agent1, "sort": "asc",
               "searchCustomAttributes": {"SearchId": "123456"}, "customAttributes": ["SearchId", "CustomerId"]}),
    )
    .await;
    let d = s.notification(app, &client, r).await;
    assert_eq!(d["messageType"], "GetInteractionsHistoryMessage");
    assert_eq!(ids(&d["interactions"]), ["call1"]);
    assert_eq!(
        d["interactions"][0]["customAttributes"],
        json!({"SearchId": "123456", "CustomerId": "a21d4c3"})
    );

    // RetrieveAgentHistory: without userId, the caller's own.
    let r = post(
        "/api/v2/ucs/interactions",
        json!({"operationName": "RetrieveAgentHistory", "maxSize": "2"}),
    )
    .await;
    assert_eq!(
        ids(&s.notification(app, &client, r).await["interactions"]),
        ["call1", "chat1"]
    );
    let r = post(
        "/api/v2/ucs/interactions",
        json!({"operationName": "RetrieveAgentHistory", "userId": w.agent2, "mediaType": "call", "sort": "desc"}),
    )
    .await;
    assert_eq!(
        ids(&s.notification(app, &client, r).await["interactions"]),
        ["video1"]
    );

    // RetrieveContactHistory: the contact in the path; every result, not 100.
    let r = post(
        "/api/v2/ucs/contacts/C1/interactions",
        json!({"operationName": "RetrieveContactHistory", "fromDate": at(w.now, 60).to_string()}),
    )
    .await;
    assert_eq!(
        ids(&s.notification(app, &client, r).await["interactions"]),
        ["call1", "chat1"]
    );
    let r = post(
        "/api/v2/ucs/contacts/C1/interactions",
        json!({"operationName": "RetrieveContactHistory", "fromDate": at(w.now, 60).to_string(), "source": "archive"}),
    )
    .await;
    assert_eq!(
        ids(&s.notification(app, &client, r).await["interactions"]),
        ["old1"]
    );

    // GetInteractionContent: the transcript of a chat; none for a call; errors for others.
    let r = post(
        "/api/v2/ucs/interactions/chat1",
        json!({"operationName": "GetInteractionContent"}),
    )
    .await;
    let d = s.notification(app, &client, r).await;
    assert_eq!(d["messageType"], "GetInteractionContentMessage");
    assert_eq!(d["interaction"]["id"], "chat1");
    let m = &d["messages"];
    assert_eq!(m.as_array().unwrap().len(), 2);
    assert_eq!(
        m[0]["from"],
        json!({"nickname": "You", "type": "Customer", "participantId": "P1"})
    );
    assert_eq!(m[0]["type"], "ParticipantJoined");
    assert_eq!(m[1]["text"], "Hello");
    assert_eq!(
        m[0]["timestampSeconds"].as_i64().unwrap(),
        at(w.now, 4).as_millisecond()
    );
    let r = post(
        "/api/v2/ucs/interactions/call1",
        json!({"operationName": "GetInteractionContent", "source": "main"}),
    )
    .await;
    let d = s.notification(app, &client, r).await;
    assert_eq!(d["interaction"]["id"], "call1");
    assert!(d.get("messages").is_none());
    for (id, source) in [("nope", "main"), ("chat1", "archive"), ("old1", "main")] {
        let r = post(
            &format!("/api/v2/ucs/interactions/{id}"),
            json!({"operationName": "GetInteractionContent", "source": source}),
        )
        .await;
        let d = s.notification(app, &client, r).await;
        assert!(
            d["errorMessage"]
                .as_str()
                .is_some_and(|m| m.contains("not found")),
            "{d}"
        );
        assert!(d.get("interaction").is_none());
    }

    // Reference ids are distinct; bad operations fail on the HTTP response.
    for (path, body, code) in [
        ("/api/v2/ucs/interactions", json!({}), 1),
        (
            "/api/v2/ucs/interactions",
            json!({"operationName": "GetInteractionContent"}),
            2,
        ),
        (
            "/api/v2/ucs/interactions",
            json!({"operationName": "RetrieveAgentHistory", "maxSize": 0}),
            10,
        ),
        (
            "/api/v2/ucs/interactions/chat1",
            json!({"operationName": "GetInteractionContent", "maxSize": 3}),
            2,
        ),
        (
            "/api/v2/ucs/contacts/C1/interactions",
            json!({"operationName": "RetrieveInteractionHistory"}),
            2,
        ),
        ("/api/v2/ucs/interactions", json!([1, 2]), 2),
    ] {
        let (status, b) = s.post(app, path, body).await;
        assert_eq!(status, 400, "{path} {b}");
        assert_eq!(b["statusCode"], code, "{path} {b}");
    }
    let r = app
        .http
        .delete(app.url("/api/v2/ucs/interactions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["statusCode"], 3);
}

#[tokio::test]
async fn dates_follow_the_tenant_zone_with_its_summer_time() {
    let gw = spawn("hot_window_days = 36500").await;
    let app = &gw.app;
    user(app, &app.tenant, "agent1", None).await;
    let e = |id: &str, start: &str| {
        engagement(json!({"id": id, "started_at": start, "channels": [{"type": "chat"}]}))
    };
    // Europe/Dublin springs forward at 01:00 UTC on 2024-03-31 and falls back at 01:00
    // UTC on 2024-10-27.
    seed_into(
        app,
        &app.tenant,
        vec![
            e("winter", "2024-01-15T12:00:00.250Z"),
            e("lastOfMarch31", "2024-03-31T22:59:59.999Z"),
            e("firstOfApril1", "2024-03-31T23:00:00Z"),
            e("summer", "2024-07-01T12:00:00Z"),
            e("foldEarly", "2024-10-27T00:30:00Z"),
            e("foldLate", "2024-10-27T01:30:00Z"),
        ],
    )
    .await;
    let s = login(app, "acme/agent1", PASSWORD).await;
    let get = |q: &'static str| {
        let s = s.clone();
        async move {
            let (status, body) = s
                .get(app, &format!("/api/v2/ucs/interactions?sort=asc&{q}"))
                .await;
            assert_eq!(status, 200, "{body}");
            body["interactions"].clone()
        }
    };
    let year = get("fromDate=2024-01-01&toDate=2024-12-31").await;
    let starts: Vec<(&str, &str)> = year
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["startDate"].as_str().unwrap()))
        .collect();
    assert_eq!(
        starts,
        [
            ("winter", "2024-01-15 12:00:00.250+0000"),
            ("lastOfMarch31", "2024-03-31 23:59:59.999+0100"),
            ("firstOfApril1", "2024-04-01 00:00:00.000+0100"),
            ("summer", "2024-07-01 13:00:00.000+0100"),
            ("foldEarly", "2024-10-27 01:30:00.000+0100"),
            ("foldLate", "2024-10-27 01:30:00.000+0000"),
        ]
    );
    // A day is the tenant's local day: 31 March is 23 hours long.
    assert_eq!(
        ids(&get("fromDate=2024-03-31&toDate=2024-03-31").await),
        ["lastOfMarch31"]
    );
    assert_eq!(
        ids(&get("fromDate=2024-04-01&toDate=2024-04-01").await),
        ["firstOfApril1"]
    );
    // 27 October is 25 hours long and holds both 01:30s.
    assert_eq!(
        ids(&get("fromDate=2024-10-27&toDate=2024-10-27").await),
        ["foldEarly", "foldLate"]
    );
    // A local date-time in the fold means the earlier 01:30; with its offset, exactly that.
    assert_eq!(
        ids(&get("fromDate=2024-10-27T01:30:00&toDate=2024-10-27T01:30:00").await),
        ["foldEarly"]
    );
    assert_eq!(
        ids(&get("fromDate=2024-10-27%2001:30:00.000%2B0000&toDate=2024-10-27T01:30:00Z").await),
        ["foldLate"]
    );
    // A startDate read back as fromDate finds the same interaction first.
    assert_eq!(
        ids(&get("fromDate=2024-03-31%2023:59:59.999%2B0100&toDate=2024-04-01").await),
        ["lastOfMarch31", "firstOfApril1"]
    );
}

#[tokio::test]
async fn interaction_resources_with_transcripts_import_and_read_back() {
    let gw = spawn("hot_window_days = 36500").await;
    let app = &gw.app;
    user(app, &app.tenant, "agent1", None).await;
    let lines = [
        r#"{"id":"00016aB14RQD003N","mediaType":"Chat","typeId":"Inbound","state":"InProcess","startDate":"2015-10-01 16:02:07.000+0300","contactId":"00012aB0T770000M","subject":"Customer support","customAttributes":{"SearchId":"123456"},"userData":{"Lang":"en"},"messages":[{"index":1,"from":{"nickname":"You","type":"Customer","participantId":"00AF52939EBE5BC4"},"timestamp":"2015-10-01 16:02:07.000+0300","visibility":"All","type":"ParticipantJoined","timestampSeconds":1443704527000}]}"#,
        r#"{"id":"CALL0001","mediaType":"call","typeId":"Outbound","state":"Stopped","startDate":"2015-10-02T10:00:00Z","endDate":"2015-10-02T10:01:30Z","phoneNumber":"+353 1 555 0199","callDuration":90,"comment":"left a message","parentId":"00016aB14RQD003N"}"#,
        r#"{"id":"BAD","startDate":"2015-10-02"}"#,
        r#"not json"#,
    ];
    let r = app
        .http
        .post(app.url("/api/v1/tenants/acme/ingest?format=genesys_gws"))
        .bearer_auth(&app.admin)
        .body(lines.join("\n"))
        .send()
        .await
        .unwrap();
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["created"], 2, "{summary}");
    assert_eq!(summary["rejected"], 2, "{summary}");
    assert_eq!(summary["problems"][0]["line"], 3);

    // The canonical form, through the native API.
    let (_, native) = app
        .get_json("/api/v1/tenants/acme/engagements/00016aB14RQD003N")
        .await;
    assert_eq!(native["source"], "genesys_gws");
    assert_eq!(native["channels"][0]["type"], "chat");
    assert_eq!(native["customer"]["contact_id"], "00012aB0T770000M");
    assert_eq!(native["data"], json!({"Lang": "en", "SearchId": "123456"}));
    assert_eq!(native["messages"][0]["sender"]["role"], "customer");

    let s = login(app, "acme/agent1", PASSWORD).await;
    let (_, body) = s
        .get(app, "/api/v2/ucs/interactions?fromDate=2015-10-01&toDate=2015-10-03&sort=asc&customAttributes=SearchId")
        .await;
    let list = body["interactions"].as_array().unwrap();
    assert_eq!(list[0]["mediaType"], "chat");
    assert_eq!(list[0]["startDate"], "2015-10-01 14:02:07.000+0100");
    assert_eq!(list[0]["customAttributes"], json!({"SearchId": "123456"}));
    assert_eq!(list[1]["typeId"], "Outbound");
    assert_eq!(list[1]["callDuration"], 90);
    assert_eq!(list[1]["phoneNumber"], "+353 1 555 0199");
    assert_eq!(list[1]["comment"], "left a message");
    assert_eq!(list[1]["parentId"], "00016aB14RQD003N");
    assert_eq!(list[1]["endDate"], "2015-10-02 11:01:30.000+0100");

    let client = s.cometd(app).await;
    let (_, ack) = s
        .post(
            app,
            "/api/v2/ucs/interactions/00016aB14RQD003N",
            json!({"operationName": "GetInteractionContent"}),
        )
        .await;
    let d = s
        .notification(app, &client, ack["referenceId"].as_u64().unwrap())
        .await;
    assert_eq!(
        d["messages"][0],
        json!({"index": 1, "from": {"nickname": "You", "type": "Customer", "participantId": "00AF52939EBE5BC4"},
               "timestamp": "2015-10-01 14:02:07.000+0100", "visibility": "All", "type": "ParticipantJoined",
               "timestampSeconds": 1443704527000i64})
    );
}

#[tokio::test]
async fn a_tenant_never_sees_another_tenants_interactions() {
    let w = world().await;
    let app = &w.gw.app;
    let other = tenant(app, "globex", "UTC", &[]).await;
    user(app, &other, "agent1", None).await;
    seed_into(
        app,
        &other,
        vec![engagement(json!({"id": "g1", "started_at": at(w.now, 1).to_string(), "channels": [{"type": "chat"}]}))],
    )
    .await;
    let g = login(app, "globex/agent1", PASSWORD).await;
    assert_eq!(list(app, &g, "").await, ["g1"]);
    assert_eq!(list(app, &w.s1, "?contactId=C1").await, ["call1", "chat1"]);
    assert!(!list(app, &w.s1, "").await.contains(&"g1".to_owned()));
    let client = g.cometd(app).await;
    let (_, ack) = g
        .post(
            app,
            "/api/v2/ucs/interactions/call1",
            json!({"operationName": "GetInteractionContent"}),
        )
        .await;
    let d = g
        .notification(app, &client, ack["referenceId"].as_u64().unwrap())
        .await;
    assert!(d.get("interaction").is_none(), "{d}");
    let _ = w.agent2;
}

#[tokio::test]
async fn a_body_with_a_key_given_twice_is_refused_naming_it() {
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "agent1", None).await;
    let s = login(app, "acme/agent1", PASSWORD).await;
    let r = app
        .http
        .post(app.url("/api/v2/ucs/interactions"))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("content-type", "application/json")
        .body(r#"{"operationName":"RetrieveInteractionHistory","operationName":"RetrieveContactHistory"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["statusMessage"]
            .as_str()
            .unwrap()
            .contains("duplicate key \"operationName\""),
        "{body}"
    );
}
