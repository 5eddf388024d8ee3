//! Names on the native API: the suggestion endpoint (`GET …/names`), names accepted by the
//! listing's filters (queue, agent, team, disposition), the end of a phone number accepted
//! by `customer`, cursors across them, tenant isolation and bad parameters.

use interlog_model::Engagement;
use interlog_testkit::*;
use serde_json::{json, Value};

const NAMES: &str = "/api/v1/tenants/acme/names";
const LIST: &str = "/api/v1/tenants/acme/engagements";

fn handled(
    id: &str,
    minute: u32,
    queue: (&str, &str),
    agent: (&str, &str),
    phone: &str,
) -> Engagement {
    serde_json::from_value(json!({
        "id": id,
        "started_at": format!("2026-11-02T10:{minute:02}:00Z"),
        "team": if minute.is_multiple_of(2) { "Tier One" } else { "Tier Two" },
        "queues": [{"id": queue.0, "name": queue.1}],
        "participants": [
            {"role": "agent", "id": agent.0, "display_name": agent.1},
            {"role": "customer", "calling_number": phone}
        ],
        "dispositions": [{"id": "D-7", "name": "Rappel demandé"}]
    }))
    .unwrap()
}

/// | id | queue               | agent                | phone             |
/// |----|---------------------|----------------------|-------------------|
/// | e1 | Q-17 Billing        | A-1 Niall Campbell   | +353 1 218 3800   |
/// | e2 | Q-17 Billing        | A-2 Zoë Bíll         | +44 20 7946 0958  |
/// | e3 | Q-18 Billing EMEA   | A-1 Niall Campbell   | +353 1 218 3800   |
/// | e4 | Q-19 Sales          | A-2 Zoë Bíll         | +1 (212) 555-3800 |
fn seeded() -> Vec<Engagement> {
    let billing = ("Q-17", "Billing");
    let (niall, zoe) = (("A-1", "Niall Campbell"), ("A-2", "Zoë Bíll"));
    vec![
        handled("e1", 1, billing, niall, "+353 1 218 3800"),
        handled("e2", 2, billing, zoe, "+44 20 7946 0958"),
        handled("e3", 3, ("Q-18", "Billing EMEA"), niall, "+353 1 218 3800"),
        handled("e4", 4, ("Q-19", "Sales"), zoe, "+1 (212) 555-3800"),
    ]
}

async fn suggested(app: &TestApp, query: &str) -> Vec<(String, String, u64)> {
    let (status, body) = app.get_json(&format!("{NAMES}?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_owned(),
                n["name"].as_str().unwrap().to_owned(),
                n["engagements"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn named(id: &str, name: &str, n: u64) -> (String, String, u64) {
    (id.into(), name.into(), n)
}

async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = app.get_json(&format!("{LIST}?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    ids(&body)
}

#[tokio::test]
async fn names_are_suggested_as_typed_with_their_ids() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    assert_eq!(
        suggested(&app, "kind=queue&prefix=bil").await,
        vec![
            named("Q-17", "Billing", 2),
            named("Q-18", "Billing EMEA", 1)
        ]
    );
    assert_eq!(
        suggested(&app, "kind=agent&prefix=BILL").await,
        vec![named("A-2", "Zoë Bíll", 2)]
    );
    assert_eq!(
        suggested(
            &app,
            &format!("kind=agent&prefix={}", query_value("niall camp"))
        )
        .await,
        vec![named("A-1", "Niall Campbell", 2)]
    );
    assert_eq!(
        suggested(&app, "kind=team").await,
        vec![
            named("Tier One", "Tier One", 2),
            named("Tier Two", "Tier Two", 2)
        ]
    );
    assert_eq!(
        suggested(&app, "kind=disposition&prefix=demande").await,
        vec![named("D-7", "Rappel demandé", 4)]
    );
    assert_eq!(
        suggested(&app, "kind=queue&prefix=bil&limit=1").await.len(),
        1
    );
    assert_eq!(suggested(&app, "kind=queue&prefix=zzz").await, vec![]);
    let (_, body) = app
        .get_json(&format!("{NAMES}?kind=queue&prefix=sales"))
        .await;
    assert_eq!(body["names"][0]["kind"], "queue");
    assert_eq!(body["names"][0]["last_seen"], "2026-11-02T10:04:00Z");

    // Another tenant's names are never offered, and its token cannot read these.
    let (_, other_token) = app.other_tenant("other").await;
    let (status, body) = app
        .get_json_as("/api/v1/tenants/other/names?kind=queue", &other_token)
        .await;
    assert_eq!((status, body["names"].clone()), (200, json!([])));
    let (status, _) = app
        .get_json_as(&format!("{NAMES}?kind=queue"), &other_token)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_suggestion_parameters_are_named() {
    let app = spawn_app().await;
    for (query, parameter) in [
        ("", "kind"),
        ("kind=phone", "kind"),
        ("kind=queues", "kind"),
        ("kind=queue&limit=0", "limit"),
        ("kind=queue&limit=101", "limit"),
        ("kind=queue&limit=ten", "limit"),
        ("kind=queue&nope=1", "nope"),
        ("kind=queue&kind=agent", "kind"),
    ] {
        let r = app.get(&format!("{NAMES}?{query}")).await;
        let body = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(body["parameter"], parameter, "{query}: {body}");
    }
    let long = "a".repeat(201);
    let r = app.get(&format!("{NAMES}?kind=queue&prefix={long}")).await;
    let body = assert_problem(r, 400, "bad_parameter").await;
    assert_eq!(body["parameter"], "prefix");
    let r = app
        .call(
            reqwest::Method::GET,
            &format!("{NAMES}?kind=queue"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_listing_takes_names_where_it_takes_ids() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    // By name, any case or accents; the id still works; queue is queue_id's other name.
    assert_eq!(listed(&app, "queue=billing").await, ["e2", "e1"]);
    assert_eq!(listed(&app, "queue_id=Billing").await, ["e2", "e1"]);
    assert_eq!(listed(&app, "queue_id=Q-17").await, ["e2", "e1"]);
    assert_eq!(
        listed(&app, "queue=Billing&queue=Sales").await,
        ["e4", "e2", "e1"]
    );
    assert_eq!(listed(&app, "queue=Bill").await, Vec::<String>::new());
    assert_eq!(
        listed(&app, &format!("agent={}", query_value("niall CAMPBELL"))).await,
        ["e3", "e1"]
    );
    assert_eq!(
        listed(&app, &format!("agent={}", query_value("Zoe Bill"))).await,
        ["e4", "e2"]
    );
    assert_eq!(listed(&app, "agent=A-2").await, ["e4", "e2"]);
    assert_eq!(
        listed(&app, &format!("team={}", query_value("tier one"))).await,
        ["e4", "e2"]
    );
    assert_eq!(
        listed(
            &app,
            &format!("disposition={}", query_value("rappel demande"))
        )
        .await
        .len(),
        4
    );
    // Names combine with the other filters and with each other.
    assert_eq!(
        listed(
            &app,
            &format!("queue=billing&agent={}", query_value("Niall Campbell"))
        )
        .await,
        ["e1"]
    );
    // A cursor of a search by name pages on.
    let (status, first) = app
        .get_json(&format!("{LIST}?queue=billing&limit=1&count=exact"))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (ids(&first), first["total"].clone()),
        (vec!["e2".to_owned()], json!(2))
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let next = listed(
        &app,
        &format!("queue=billing&limit=1&cursor={}", query_value(cursor)),
    )
    .await;
    assert_eq!(next, ["e1"]);
    // Analytics takes the names too.
    let (status, report) = app
        .get_json("/api/v1/tenants/acme/analytics?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&queue=billing")
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["groups"][0]["buckets"][0]["offered"], 2, "{report}");
}

#[tokio::test]
async fn customer_takes_the_end_of_a_phone_number() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    for (value, expected) in [
        ("218 3800", vec!["e3", "e1"]),
        ("(218) 38-00", vec!["e3", "e1"]),
        ("2183800", vec!["e3", "e1"]),
        ("3800", vec!["e4", "e3", "e1"]),
        ("7946 0958", vec!["e2"]),
        ("+353 1 218 3800", vec!["e3", "e1"]),
        ("1234", vec![]),
    ] {
        assert_eq!(
            listed(&app, &format!("customer={}", query_value(value))).await,
            expected,
            "{value}"
        );
    }
    // Three digits are not the end of a number.
    assert_eq!(listed(&app, "customer=800").await, Vec::<String>::new());
}

#[tokio::test]
async fn an_end_of_too_many_numbers_asks_for_more_digits() {
    let app = spawn_app().await;
    let many: Vec<Engagement> = (0..101)
        .map(|i| {
            let mut e = engagement(&format!("m{i:03}"), "2026-11-02T10:00:00Z");
            e.customer.phones = vec![format!("+353 1 {i:03} 4242")];
            e
        })
        .collect();
    app.seed(many).await;
    let r = app.get(&format!("{LIST}?customer=4242")).await;
    let body: Value = assert_problem(r, 400, "bad_parameter").await;
    assert_eq!(body["parameter"], "customer");
    assert!(
        body["detail"].as_str().unwrap().contains("more digits"),
        "{body}"
    );
    assert_eq!(listed(&app, "customer=004%204242").await, ["m004"]);
}

#[tokio::test]
async fn filter_expressions_take_names_as_the_plain_parameters_do() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    let expr = |x: &str| format!("filter={}", query_value(x));
    for (x, expected) in [
        ("queue:Billing", vec!["e2", "e1"]),
        ("queue_id:billing", vec!["e2", "e1"]),
        ("queue_id:Q-18", vec!["e3"]),
        (
            r#"queue:Billing OR agent:"Niall Campbell""#,
            vec!["e3", "e2", "e1"],
        ),
        (
            r#"queue:"billing emea" OR agent:"zoe bill""#,
            vec!["e4", "e3", "e2"],
        ),
        (r#"team:"tier two" AND NOT queue:sales"#, vec!["e3", "e1"]),
        (
            r#"disposition:"Rappel demande" AND customer:"218 3800""#,
            vec!["e3", "e1"],
        ),
        // A name in one term and an id in another of the same field.
        ("queue:Sales OR queue:Q-18", vec!["e4", "e3"]),
        ("queue:Bill", vec![]),
    ] {
        assert_eq!(listed(&app, &expr(x)).await, expected, "{x}");
    }
    // The same names in the plain parameters and the expression find the same.
    assert_eq!(
        listed(&app, &expr("agent:\"Zoë Bíll\" queue:billing")).await,
        listed(
            &app,
            &format!("agent={}&queue=billing", query_value("Zoë Bíll"))
        )
        .await,
    );
    // Analytics reads the expression's names too.
    let (status, report) = app
        .get_json(&format!(
            "/api/v1/tenants/acme/analytics?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&{}",
            expr("queue:billing")
        ))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["groups"][0]["buckets"][0]["offered"], 2, "{report}");
}

#[tokio::test]
async fn a_term_of_too_many_ids_is_refused_naming_the_filter_and_the_term() {
    let app = spawn_app().await;
    let many: Vec<Engagement> = (0..101)
        .map(|i| {
            handled(
                &format!("m{i:03}"),
                1,
                (&format!("Q{i:03}"), "Everyone"),
                ("A-1", "Ann"),
                "+353 1 000 0001",
            )
        })
        .collect();
    app.seed(many).await;
    let r = app
        .get(&format!(
            "{LIST}?filter={}",
            query_value("agent:Ann OR queue:everyone")
        ))
        .await;
    let body: Value = assert_problem(r, 400, "bad_parameter").await;
    assert_eq!(body["parameter"], "filter", "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("queue_id:everyone: "), "{body}");
    assert!(detail.contains("choose by id"), "{body}");
    // A webhook's filter and an export's filters of such a name are refused when made.
    let r = app
        .call(
            reqwest::Method::POST,
            "/api/v1/tenants/acme/webhooks",
            Some(&app.admin),
            Some(
                json!({"url": "https://hooks.example/x", "events": ["engagement.upserted"],
                        "filter": "queue=everyone"}),
            ),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("\"filter\""), "{body}");
    assert!(body.to_string().contains("choose by id"), "{body}");
    let r = app
        .call(
            reqwest::Method::POST,
            "/api/v1/tenants/acme/exports",
            Some(&app.admin),
            Some(json!({"format": "ndjson", "filters": {"filter": "queue:everyone"}})),
        )
        .await;
    let body: Value = assert_problem(r, 400, "bad_parameter").await;
    assert_eq!(body["parameter"], "filters.filter", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("queue_id:everyone: "),
        "{body}"
    );
    assert_eq!(
        listed(&app, &format!("filter={}", query_value("agent:Ann")))
            .await
            .len(),
        50
    );
}

/// A receiver of webhook events: each body's engagement id, as it arrives.
async fn receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use axum::extract::State;
    use axum::routing::post;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(|State(tx): State<tokio::sync::mpsc::UnboundedSender<String>>, body: String| async move {
                let event: Value = serde_json::from_str(&body).unwrap();
                let _ = tx.send(event["data"]["id"].as_str().unwrap().to_owned());
                axum::http::StatusCode::NO_CONTENT
            }),
        )
        .with_state(tx);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_filters_take_names_resolved_as_each_event_is_sent() {
    let app = spawn_app_with(TestConfig::toml(
        "[webhooks]\nallow_private_targets = true\n",
    ))
    .await;
    let (url, mut events) = receiver().await;
    for filter in ["queue=billing", "filter=queue:Billing"] {
        let r = app
            .call(
                reqwest::Method::POST,
                "/api/v1/tenants/acme/webhooks",
                Some(&app.admin),
                Some(json!({"url": url, "events": ["engagement.upserted"], "filter": filter})),
            )
            .await;
        assert_eq!(r.status(), 201, "{filter}");
    }
    // e5's queue is new, and called Billing: it is one of the queues the name stands for.
    let mut written = seeded();
    written.push(handled(
        "e5",
        5,
        ("Q-20", "BILLING"),
        ("A-3", "Ann"),
        "+1 555 0100",
    ));
    app.seed(written).await;
    let mut got = Vec::new();
    while got.iter().filter(|id| *id == "e5").count() < 2 {
        let next = tokio::time::timeout(std::time::Duration::from_secs(30), events.recv());
        got.push(next.await.expect("an event within 30 s").unwrap());
    }
    got.sort();
    assert_eq!(
        got,
        ["e1", "e1", "e2", "e2", "e5", "e5"],
        "not e3 (Billing EMEA) nor e4 (Sales)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_jobs_take_names_as_the_listing_does() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    let body = json!({"format": "ndjson", "filters": {
        "queue": "billing", "filter": "agent:\"Niall Campbell\" OR customer:\"7946 0958\""}});
    let r = app
        .call(
            reqwest::Method::POST,
            "/api/v1/tenants/acme/exports",
            Some(&app.admin),
            Some(body),
        )
        .await;
    assert_eq!(r.status(), 202);
    let job = r.headers()["location"].to_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, view) = app.get_json_as(&job, &app.admin).await;
        assert_eq!(status, 200, "{view}");
        if view["state"] == "completed" {
            break;
        }
        assert!(
            matches!(view["state"].as_str(), Some("queued" | "running")),
            "{view}"
        );
        assert!(std::time::Instant::now() < deadline, "export still {view}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = app
        .call(
            reqwest::Method::GET,
            &format!("{job}/file"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut exported: Vec<String> = r
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    exported.sort();
    let query = format!(
        "queue=billing&filter={}",
        query_value("agent:\"Niall Campbell\" OR customer:\"7946 0958\"")
    );
    let mut listed = listed(&app, &query).await;
    listed.sort();
    assert_eq!(exported, ["e1", "e2"]);
    assert_eq!(exported, listed);
}
