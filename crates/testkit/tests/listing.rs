//! The native listing over HTTP: filters, sorts, cursors and bad parameters.

use interlog_model::Engagement;
use interlog_testkit::*;
use serde_json::{json, Value};
use std::collections::HashSet;

const BASE: &str = "/api/v1/tenants/acme/engagements";

fn rich(id: &str, started: &str, agent: &str, channel: &str, phone: &str) -> Engagement {
    serde_json::from_value(json!({
        "id": id,
        "started_at": started,
        "direction": "inbound",
        "channels": [{"type": channel}],
        "participants": [{"role": "agent", "id": format!("id-{agent}"), "email": format!("{agent}@acme.test")}],
        "customer": {"phones": [phone]},
        "data": {"tier": "gold"}
    }))
    .unwrap()
}

async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = app.get_json(&format!("{BASE}?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    ids(&body)
}

#[tokio::test]
async fn filters_combine_and_phone_numbers_match_in_any_format() {
    let app = spawn_app().await;
    app.seed(vec![
        rich("a", "2024-03-01T10:00:00Z", "ann", "voice", "019 718 0171"),
        rich(
            "b",
            "2024-03-02T10:00:00Z",
            "bob",
            "chat",
            "+353 19 718 0171",
        ),
        rich("c", "2024-04-01T10:00:00Z", "ann", "voice", "0861234567"),
        rich("d", "2024-04-02T10:00:00Z", "ann", "chat", "0861234567"),
    ])
    .await;
    assert_eq!(listed(&app, "").await, ["d", "c", "b", "a"]);
    assert_eq!(listed(&app, "agent=ANN@acme.test").await, ["d", "c", "a"]);
    assert_eq!(
        listed(&app, "agent=id-ann&channel_type=voice").await,
        ["c", "a"]
    );
    assert_eq!(
        listed(&app, "agent=ann@acme.test&channel_type=voice&started_from=2024-03-01T00:00:00Z&started_to=2024-04-01T00:00:00Z").await,
        ["a"]
    );
    // The tenant's country code (353) makes national and international spellings one number.
    assert_eq!(listed(&app, "customer=(019)%20718-0171").await, ["b", "a"]);
    assert_eq!(
        listed(&app, "channel_type=chat,voice&sort=started_at&limit=2").await,
        ["a", "b"]
    );
    assert_eq!(
        listed(&app, "data.tier=gold&agent=bob@acme.test").await,
        ["b"]
    );
    assert_eq!(listed(&app, "data.tier=silver").await, Vec::<String>::new());
    let (_, body) = app
        .get_json(&format!("{BASE}?agent=ann@acme.test&count=exact&limit=1"))
        .await;
    assert_eq!(body["total"], 3);
}

#[tokio::test]
async fn cursors_page_to_the_end_without_gaps_or_duplicates() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for i in 0..95 {
        // Pairs share a start time, so the id breaks ties.
        let started = jiff::Timestamp::from_second(1_700_000_000 + (i / 2) * 60).unwrap();
        all.push(engagement(&format!("e{i:03}"), &started.to_string()));
    }
    app.seed(all).await;
    for sort in ["-started_at", "started_at", "duration", "-updated_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("{BASE}?limit=10&sort={sort}&cursor={c}"),
                None => format!("{BASE}?limit=10&sort={sort}"),
            };
            let (status, body) = app.get_json(&q).await;
            assert_eq!(status, 200, "{body}");
            seen.extend(ids(&body));
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 95, "{sort}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 95, "{sort}");
    }
    let newest_first = listed(&app, "limit=3").await;
    assert_eq!(newest_first, ["e094", "e093", "e092"]);
}

#[tokio::test]
async fn forged_or_foreign_cursors_are_refused() {
    let app = spawn_app().await;
    app.seed(
        (0..5)
            .map(|i| engagement(&format!("c{i}"), &format!("2024-01-0{}T00:00:00Z", i + 1)))
            .collect(),
    )
    .await;
    let (_, body) = app.get_json(&format!("{BASE}?limit=2")).await;
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .get(&format!("{BASE}?limit=2&cursor={cursor}&direction=inbound"))
        .await;
    let p = assert_problem(r, 400, "bad_parameter").await;
    assert_eq!(p["parameter"], "cursor");
    let mut forged = cursor.clone();
    forged.insert(5, 'x');
    assert_problem(
        app.get(&format!("{BASE}?limit=2&cursor={forged}")).await,
        400,
        "bad_parameter",
    )
    .await;
    assert_problem(
        app.get(&format!("{BASE}?cursor=%00%01")).await,
        400,
        "bad_parameter",
    )
    .await;
}

#[tokio::test]
async fn another_tenants_cursor_is_refused_as_one_never_issued() {
    let app = spawn_app().await;
    app.seed(
        (0..5)
            .map(|i| engagement(&format!("a{i}"), &format!("2024-01-0{}T00:00:00Z", i + 1)))
            .collect(),
    )
    .await;
    let (globex, globex_token) = app.other_tenant("globex").await;
    let theirs: Vec<Engagement> = (0..5)
        .map(|i| engagement(&format!("g{i}"), &format!("2024-02-0{}T00:00:00Z", i + 1)))
        .collect();
    app.store.upsert_many(&globex, theirs).await.unwrap();
    // The same query in both tenants: only the tenant binds the cursor.
    let (_, body) = app.get_json(&format!("{BASE}?limit=2")).await;
    let acme_cursor = body["next_cursor"].as_str().unwrap().to_owned();
    let globex_list = "/api/v1/tenants/globex/engagements";
    let r = app
        .call(
            reqwest::Method::GET,
            &format!("{globex_list}?limit=2&cursor={acme_cursor}"),
            Some(&globex_token),
            None,
        )
        .await;
    let p = assert_problem(r, 400, "bad_parameter").await;
    assert_eq!(p["parameter"], "cursor");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("not a cursor this server issued"),
        "{p}"
    );
    // Its own cursor pages on.
    let r = app
        .call(
            reqwest::Method::GET,
            &format!("{globex_list}?limit=2"),
            Some(&globex_token),
            None,
        )
        .await;
    let body: Value = r.json().await.unwrap();
    let own = body["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .call(
            reqwest::Method::GET,
            &format!("{globex_list}?limit=2&cursor={own}"),
            Some(&globex_token),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn bad_parameters_name_the_parameter_and_what_it_accepts() {
    let app = spawn_app().await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("started_from=2024-01-01", "started_from"),
        ("started_from=2024-02-30T00:00:00Z", "started_from"),
        (
            "started_from=2024-02-01T00:00:00Z&started_to=2024-01-01T00:00:00Z",
            "started_to",
        ),
        ("direction=sideways", "direction"),
        ("channel_type=carrier-pigeon", "channel_type"),
        ("sort=loudest", "sort"),
        ("count=approximate", "count"),
        ("colour=red", "colour"),
        ("limit=1&limit=2", "limit"),
        ("min_duration_ms=10&max_duration_ms=5", "max_duration_ms"),
    ];
    for (q, param) in cases {
        let r = app.get(&format!("{BASE}?{q}")).await;
        let p = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(p["parameter"], param, "{q}: {p}");
    }
    let p = assert_problem(
        app.get(&format!("{BASE}?direction=sideways")).await,
        400,
        "bad_parameter",
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("inbound, outbound"),
        "{p}"
    );
}

#[tokio::test]
async fn listing_body_is_the_documented_envelope() {
    let app = spawn_app().await;
    app.seed(vec![engagement("only", "2024-01-01T00:00:00Z")])
        .await;
    let r = app.get(&format!("{BASE}?count=exact")).await;
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["next_cursor"], Value::Null);
    assert_eq!(body["total"], 1);
    assert_eq!(body["engagements"][0]["id"], "only");
    let (_, without) = app.get_json(BASE).await;
    assert!(without.get("total").is_none());
}

#[tokio::test]
async fn every_repeated_filter_is_capped_with_a_400_naming_it() {
    let app = spawn_app().await;
    let repeat =
        |pair: &dyn Fn(usize) -> String, n: usize| (0..n).map(pair).collect::<Vec<_>>().join("&");
    for (query, parameter) in [
        (repeat(&|i| format!("data.k{i}=v"), 1000), "data."),
        (repeat(&|i| format!("queue_id=q{i}"), 101), "queue_id"),
        (repeat(&|_| "state=active".to_owned(), 101), "state"),
        (repeat(&|i| format!("customer=c{i}"), 101), "customer"),
    ] {
        let r = app
            .get(&format!("/api/v1/tenants/acme/engagements?{query}"))
            .await;
        let body = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(body["parameter"], parameter, "{body}");
    }
    let at_limit = repeat(&|i| format!("data.k{i}=v"), 100);
    let (status, _) = app
        .get_json(&format!("/api/v1/tenants/acme/engagements?{at_limit}"))
        .await;
    assert_eq!(status, 200, "100 data pairs are served");
}
