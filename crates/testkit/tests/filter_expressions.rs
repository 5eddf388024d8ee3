//! `filter=` on the native listing: each form of the expression language, its combination
//! with the plain filters, sort, paging and totals, tenant isolation, and bad expressions.

use interlog_model::Engagement;
use interlog_testkit::*;
use serde_json::{json, Value};

const BASE: &str = "/api/v1/tenants/acme/engagements";

/// `id` started at `started`, lasting `seconds` (none: still open), with the rest as given.
fn call(id: &str, started: &str, seconds: Option<i64>, extra: Value) -> Engagement {
    let start: jiff::Timestamp = started.parse().unwrap();
    let mut v = json!({"id": id, "started_at": started});
    if let Some(s) = seconds {
        v["ended_at"] = json!((start + jiff::SignedDuration::from_secs(s)).to_string());
    }
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

/// | id | start      | length | queue | agent | outcome      | channel | other            |
/// |----|------------|--------|-------|-------|--------------|---------|------------------|
/// | a  | 10-30 10:00| 30 s   | Q1    | ana   | successful   | voice   |                  |
/// | b  | 10-31 10:00| 120 s  | Q2    | ana   | unsuccessful | chat    |                  |
/// | c  | 11-01 10:00| 90 s   | Q1    | ben   | unsuccessful | voice   | disposition "No answer" |
/// | d  | 11-02 10:00| open   | Q3    | ben   | —            | email   | data.tier gold   |
/// | e  | 11-03 10:00| 600 s  | Q2    | cy    | successful   | voice   | data.tier gold   |
fn seeded() -> Vec<Engagement> {
    let who = |queue: &str, agent: &str, channel: &str| {
        json!({
            "queues": [{"id": queue}],
            "participants": [{"role": "agent", "id": agent, "email": format!("{agent}@x.com")}],
            "channels": [{"type": channel}],
        })
    };
    let with = |mut base: Value, more: Value| {
        for (k, v) in more.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    };
    vec![
        call(
            "a",
            "2026-10-30T10:00:00Z",
            Some(30),
            with(who("Q1", "ana", "voice"), json!({"outcome": "successful"})),
        ),
        call(
            "b",
            "2026-10-31T10:00:00Z",
            Some(120),
            with(who("Q2", "ana", "chat"), json!({"outcome": "unsuccessful"})),
        ),
        call(
            "c",
            "2026-11-01T10:00:00Z",
            Some(90),
            with(
                who("Q1", "ben", "voice"),
                json!({"outcome": "unsuccessful", "dispositions": [{"name": "No answer"}]}),
            ),
        ),
        call(
            "d",
            "2026-11-02T10:00:00Z",
            None,
            with(who("Q3", "ben", "email"), json!({"data": {"tier": "gold"}})),
        ),
        call(
            "e",
            "2026-11-03T10:00:00Z",
            Some(600),
            with(
                who("Q2", "cy", "voice"),
                json!({"outcome": "successful", "data": {"tier": "gold"}}),
            ),
        ),
    ]
}

async fn listed(app: &TestApp, expr: &str, rest: &str) -> Vec<String> {
    let (status, body) = app
        .get_json(&format!("{BASE}?filter={}{rest}", query_value(expr)))
        .await;
    assert_eq!(status, 200, "{expr} {rest}: {body}");
    ids(&body)
}

#[tokio::test]
async fn each_form_of_the_expression_selects_what_it_says() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    let cases: &[(&str, &[&str])] = &[
        ("queue_id:Q1", &["c", "a"]),
        ("agent:ana@x.com", &["b", "a"]),
        ("queue_id:Q1 AND agent:ben", &["c"]),
        ("queue_id:Q1 agent:ben", &["c"]),
        ("queue_id:Q1 OR agent:cy", &["e", "c", "a"]),
        ("NOT queue_id:Q1", &["e", "d", "b"]),
        // A NOT also keeps the engagements without the field (d has no outcome).
        (
            "(queue_id:Q1 OR agent:ana@x.com) AND NOT outcome:unsuccessful",
            &["a"],
        ),
        ("NOT outcome:unsuccessful", &["e", "d", "a"]),
        ("not (queue_id:Q1 or queue_id:Q2)", &["d"]),
        (r#"disposition:"No answer""#, &["c"]),
        ("data.tier:gold AND channel_type:voice", &["e"]),
        ("started_at>=2026-11-01T00:00:00Z", &["e", "d", "c"]),
        ("started_at<2026-11-01T10:00:00Z", &["b", "a"]),
        ("started_at<=2026-11-01T10:00:00Z", &["c", "b", "a"]),
        ("started_at>2026-11-01T10:00:00Z", &["e", "d"]),
        ("started_at:2026-11-01T10:00:00Z", &["c"]),
        ("duration_ms>60000", &["e", "c", "b"]),
        ("duration_ms>=90000 AND duration_ms<=120000", &["c", "b"]),
        ("duration_ms<90000", &["a"]),
        ("duration_ms:30000", &["a"]),
        ("NOT ended_at<2026-12-01T00:00:00Z", &["d"]),
        ("queue_id:Q9 OR state:queued", &[]),
    ];
    for (expr, want) in cases {
        assert_eq!(listed(&app, expr, "").await, *want, "{expr}");
    }
}

#[tokio::test]
async fn expressions_combine_with_plain_filters_sort_paging_and_totals() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    let expr = "queue_id:Q1 OR queue_id:Q2";
    // Plain parameters AND the expression.
    assert_eq!(
        listed(&app, expr, "&channel_type=voice").await,
        ["e", "c", "a"]
    );
    assert_eq!(
        listed(&app, expr, "&agent=ana@x.com&sort=started_at").await,
        ["a", "b"]
    );
    assert_eq!(
        listed(&app, expr, "&sort=-duration").await,
        ["e", "b", "c", "a"]
    );
    // Paging through the expression with its cursor, with totals on every page.
    let mut seen = Vec::new();
    let mut next = format!("{BASE}?filter={}&limit=3&count=exact", query_value(expr));
    loop {
        let (status, body) = app.get_json(&next).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 4);
        seen.extend(ids(&body));
        match body["next_cursor"].as_str() {
            Some(c) => {
                // The cursor is bound to the expression: another one is refused.
                let other = format!(
                    "{BASE}?filter={}&limit=3&cursor={c}",
                    query_value("queue_id:Q1")
                );
                let p = assert_problem(app.get(&other).await, 400, "bad_parameter").await;
                assert_eq!(p["parameter"], "cursor");
                next = format!(
                    "{BASE}?filter={}&limit=3&count=exact&cursor={c}",
                    query_value(expr)
                );
            }
            None => break,
        }
    }
    assert_eq!(seen, ["e", "c", "b", "a"]);
    let (_, body) = app
        .get_json(&format!(
            "{BASE}?filter={}&count=exact&limit=1",
            query_value("NOT outcome:successful")
        ))
        .await;
    assert_eq!(body["total"], 3);
}

#[tokio::test]
async fn an_expression_never_reaches_another_tenants_engagements() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    let (globex, globex_token) = app.other_tenant("globex").await;
    let theirs = vec![
        call(
            "g1",
            "2026-11-01T12:00:00Z",
            Some(30),
            json!({"queues": [{"id": "Q1"}]}),
        ),
        call("g2", "2026-11-01T13:00:00Z", None, json!({})),
    ];
    app.store.upsert_many(&globex, theirs).await.unwrap();
    assert_eq!(listed(&app, "queue_id:Q1", "").await, ["c", "a"]);
    let everything = listed(&app, "NOT queue_id:nowhere OR NOT state:active", "").await;
    assert_eq!(everything, ["e", "d", "c", "b", "a"]);
    let (status, body) = app
        .get_json_as(
            &format!(
                "/api/v1/tenants/globex/engagements?filter={}",
                query_value("NOT queue_id:Q2")
            ),
            &globex_token,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), ["g2", "g1"]);
}

#[tokio::test]
async fn bad_expressions_are_a_400_naming_filter_and_the_position() {
    let app = spawn_app().await;
    let deep = format!("{}team:a{}", "(".repeat(13), ")".repeat(13));
    let many = vec!["team:a"; 101].join(" OR ");
    let long = format!("team:{}", "a".repeat(5000));
    let cases: Vec<(&str, usize)> = vec![
        ("queue_id:", 10),
        ("colour:red", 1),
        ("state>active", 6),
        ("outcome:maybe", 9),
        ("started_at>=2026-11-01", 13),
        ("duration_ms>a-minute", 13),
        ("(queue_id:Q1 OR agent:a", 1),
        ("queue_id:Q1)", 12),
        ("queue_id:Q1 OR", 15),
        ("AND queue_id:Q1", 1),
        (r#"team:"unclosed"#, 6),
        (&deep, 13),
        (&many, 1001),
        (&long, 4097),
    ];
    for (expr, position) in cases {
        let r = app
            .get(&format!("{BASE}?filter={}", query_value(expr)))
            .await;
        let p = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(p["parameter"], "filter", "{expr}: {p}");
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("at position {position}:")),
            "{expr}: {detail}"
        );
    }
    let r = app
        .get(&format!("{BASE}?filter=team:a&filter=team:b"))
        .await;
    let p = assert_problem(r, 400, "bad_parameter").await;
    assert_eq!(p["parameter"], "filter");
}
