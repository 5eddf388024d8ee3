//! Full-text `q` on the native listing: each query form, its combination with the other
//! filters, sort, paging and totals, tenant isolation, erasure leaving nothing findable, and
//! bad queries.

use interlog_model::Engagement;
use interlog_testkit::*;
use reqwest::Method;
use serde_json::{json, Value};

const BASE: &str = "/api/v1/tenants/acme/engagements";

fn call(id: &str, started: &str, extra: Value) -> Engagement {
    let mut v = json!({"id": id, "started_at": started});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    let mut e: Engagement = serde_json::from_value(v).unwrap();
    e.normalize();
    e
}

/// | id     | start | queue | text                                                          |
/// |--------|-------|-------|---------------------------------------------------------------|
/// | fee    | 11-01 | Q1    | note: complained about the late delivery fee, ticket CS-005562 |
/// | refund | 11-02 | Q2    | subject "Refund request", message "Crème brûlée, remboursé"    |
/// | topic  | 11-03 | Q1    | topic "delivery", attribute "Lighthouse-77"                    |
/// | waived | 11-04 | Q2    | disposition "Fee waived", data.order "late again"              |
/// | zoe    | 11-05 | —     | customer participant "Zoë Ångström", phone +353 1 555 0142     |
fn seeded() -> Vec<Engagement> {
    vec![
        call(
            "fee",
            "2026-11-01T10:00:00Z",
            json!({"queues": [{"id": "Q1"}],
                   "notes": [{"text": "Customer complained about the LATE delivery fee (ticket CS-005562)."}]}),
        ),
        call(
            "refund",
            "2026-11-02T10:00:00Z",
            json!({"queues": [{"id": "Q2"}], "subject": "Refund request",
                   "messages": [{"index": 0, "at": "2026-11-02T10:00:01Z", "type": "text",
                                 "text": "Crème brûlée, remboursé?"}]}),
        ),
        call(
            "topic",
            "2026-11-03T10:00:00Z",
            json!({"queues": [{"id": "Q1"}], "topics": ["delivery"], "attributes": ["Lighthouse-77"]}),
        ),
        call(
            "waived",
            "2026-11-04T10:00:00Z",
            json!({"queues": [{"id": "Q2"}], "dispositions": [{"name": "Fee waived"}],
                   "data": {"order": "late again"}}),
        ),
        call(
            "zoe",
            "2026-11-05T10:00:00Z",
            json!({"participants": [{"role": "customer", "display_name": "Zoë Ångström",
                                     "calling_number": "+353 1 555 0142"}],
                   "notes": [{"text": "Zebulon parcel lost"}]}),
        ),
    ]
}

async fn searched(app: &TestApp, q: &str, rest: &str) -> Vec<String> {
    let (status, body) = app
        .get_json(&format!("{BASE}?q={}{rest}", query_value(q)))
        .await;
    assert_eq!(status, 200, "{q} {rest}: {body}");
    ids(&body)
}

#[tokio::test]
async fn each_query_form_finds_what_it_says() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    let cases: &[(&str, &[&str])] = &[
        ("late", &["waived", "fee"]),
        ("LATE Delivery", &["fee"]),
        ("\"late delivery fee\"", &["fee"]),
        ("\"delivery late\"", &[]),
        ("deliv*", &["topic", "fee"]),
        ("delivery -fee", &["topic"]),
        ("refund OR waived", &["waived", "refund"]),
        ("creme brulee", &["refund"]),
        ("REMBOURSE", &["refund"]),
        ("zoe angstrom", &["zoe"]),
        ("CS-005562", &["fee"]),
        ("cs-005562", &["fee"]),
        ("005562", &["fee"]),
        ("\"ticket CS-005562\"", &["fee"]),
        ("Lighthouse-77", &["topic"]),
        ("lighthouse", &["topic"]),
        ("nowhere", &[]),
    ];
    for (q, want) in cases {
        assert_eq!(searched(&app, q, "").await, *want, "{q}");
    }
    // An empty q is no search at all.
    assert_eq!(searched(&app, " ", "").await.len(), 5);
}

#[tokio::test]
async fn q_combines_with_filters_sort_paging_and_totals() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    assert_eq!(
        searched(&app, "delivery", "&queue_id=Q1").await,
        ["topic", "fee"]
    );
    assert_eq!(
        searched(&app, "late OR refund", "&queue_id=Q2").await,
        ["waived", "refund"]
    );
    assert_eq!(
        searched(&app, "late OR refund OR delivery", "&sort=started_at").await,
        ["fee", "refund", "topic", "waived"]
    );
    assert_eq!(
        searched(&app, "late", "&filter=NOT%20queue_id:Q1").await,
        ["waived"]
    );
    assert_eq!(
        searched(
            &app,
            "late OR delivery",
            "&started_from=2026-11-02T00:00:00Z"
        )
        .await,
        ["waived", "topic"]
    );
    let q = "late OR refund OR delivery";
    let mut seen = Vec::new();
    let mut next = format!("{BASE}?q={}&limit=3&count=exact", query_value(q));
    loop {
        let (status, body) = app.get_json(&next).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 4, "{body}");
        seen.extend(ids(&body));
        match body["next_cursor"].as_str() {
            Some(c) => {
                // The cursor is bound to q: another q is refused.
                let other = format!("{BASE}?q=late&limit=3&cursor={c}");
                let p = assert_problem(app.get(&other).await, 400, "bad_parameter").await;
                assert_eq!(p["parameter"], "cursor");
                next = format!("{BASE}?q={}&limit=3&count=exact&cursor={c}", query_value(q));
            }
            None => break,
        }
    }
    assert_eq!(seen, ["waived", "topic", "refund", "fee"]);
    let (_, body) = app.get_json(&format!("{BASE}?q=nowhere&count=exact")).await;
    assert_eq!(
        body,
        json!({"engagements": [], "next_cursor": null, "total": 0})
    );
}

#[tokio::test]
async fn q_never_finds_another_tenants_engagements() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    let (globex, globex_token) = app.other_tenant("globex").await;
    app.store
        .upsert_many(
            &globex,
            vec![call(
                "g1",
                "2026-11-01T12:00:00Z",
                json!({"notes": [{"text": "late delivery, a globex secret"}]}),
            )],
        )
        .await
        .unwrap();
    assert_eq!(searched(&app, "late", "").await, ["waived", "fee"]);
    assert!(searched(&app, "globex", "").await.is_empty());
    let (status, body) = app
        .get_json_as("/api/v1/tenants/globex/engagements?q=late", &globex_token)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), ["g1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customers_words_are_not_findable() {
    let app = spawn_app().await;
    app.seed(seeded()).await;
    assert_eq!(searched(&app, "zebulon", "").await, ["zoe"]);
    assert_eq!(searched(&app, "angstrom", "").await, ["zoe"]);
    let r = app
        .call(
            Method::POST,
            "/api/v1/tenants/acme/erasures",
            Some(&app.admin),
            Some(json!({"identifier": "+353 1 555 0142"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["engagements_erased"], 1, "{receipt}");
    for word in ["zebulon", "angstrom", "zoe", "parcel", "zeb*"] {
        let (status, body) = app
            .get_json(&format!("{BASE}?q={}&count=exact", query_value(word)))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 0, "{word}: {body}");
        assert!(ids(&body).is_empty(), "{word}: {body}");
    }
    // The others are still found.
    assert_eq!(searched(&app, "late", "").await, ["waived", "fee"]);
}

#[tokio::test]
async fn bad_queries_are_a_400_naming_q_and_the_position() {
    let app = spawn_app().await;
    let many = "a ".repeat(33);
    let long = "a".repeat(1025);
    let cases: Vec<(&str, usize)> = vec![
        ("refund \"late fee", 8),
        ("OR refund", 1),
        ("refund OR", 8),
        ("-spam", 1),
        ("late -", 6),
        ("re*und", 3),
        ("!!!", 1),
        (&many, 65),
        (&long, 1025),
    ];
    for (q, position) in cases {
        let r = app.get(&format!("{BASE}?q={}", query_value(q))).await;
        let p = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(p["parameter"], "q", "{q}: {p}");
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("at position {position}:")),
            "{q}: {detail}"
        );
    }
    let p = assert_problem(
        app.get(&format!("{BASE}?q=a&q=b")).await,
        400,
        "bad_parameter",
    )
    .await;
    assert_eq!(p["parameter"], "q");
}
