//! `/v1/engagements/{tenant}` and its count: every filter, every sort, offset paging,
//! `hasMore`, date bounds and time zones, limits, and delete.

mod common;

use common::*;
use interlog_model::Engagement;
use interlog_store::NewTenant;
use serde_json::{json, Value};
use std::collections::HashSet;

/// A completed engagement: `id`, start, length in ms, outcome and participants' emails.
fn eng(id: &str, started: &str, ms: u64, outcome: &str, emails: &[&str]) -> Engagement {
    let start: jiff::Timestamp = started.parse().unwrap();
    let end = start
        .checked_add(jiff::SignedDuration::from_millis(ms as i64))
        .unwrap();
    let participants: Vec<Value> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"role": if i == 0 { "customer" } else { "agent" }, "email": e}))
        .collect();
    serde_json::from_value(json!({
        "id": id,
        "started_at": started,
        "ended_at": end.to_string(),
        "outcome": outcome,
        "participants": participants,
    }))
    .unwrap()
}

/// A successful engagement of one second with participants of these emails (the first a
/// customer, the rest agents).
fn successful(id: &str, started: &str, emails: &[&str]) -> Engagement {
    eng(id, started, 1000, "successful", emails)
}

/// An engagement that has not ended, so has no outcome yet.
fn still_active(id: &str, started: &str) -> Engagement {
    let mut e = eng(id, started, 0, "successful", &[]);
    e.ended_at = None;
    e.outcome = None;
    e
}

#[tokio::test]
async fn status_selects_successful_by_default_or_unsuccessful() {
    let app = app().await;
    let active = still_active("active", "2024-05-01T10:00:00Z");
    app.seed(vec![
        successful("ok1", "2024-05-01T09:00:00Z", &[]),
        eng("bad1", "2024-05-01T09:10:00Z", 1000, "unsuccessful", &[]),
        successful("ok2", "2024-05-01T09:20:00Z", &[]),
        active,
    ])
    .await;
    assert_eq!(ids(&app, "").await.0, ["ok2", "ok1"]);
    assert_eq!(ids(&app, "status=successful").await.0, ["ok2", "ok1"]);
    assert_eq!(ids(&app, "status=").await.0, ["ok2", "ok1"]);
    assert_eq!(ids(&app, "status=unsuccessful").await.0, ["bad1"]);
    assert_eq!(ids(&app, "status=UNSUCCESSFUL").await.0, ["bad1"]);
    // An engagement with no recorded outcome (still active) is in neither (`status=all`
    // reaches it: see the next test).
    assert_eq!(count(&app, "").await, 2);
    assert_eq!(count(&app, "status=unsuccessful").await, 1);
    let (_, body) = get_json(&app, &format!("{LIST}?status=unsuccessful")).await;
    assert_eq!(body["engagements"][0]["status"], "unsuccessful");
}

#[tokio::test]
async fn status_all_reaches_engagements_without_a_recorded_outcome() {
    let app = app().await;
    let active = still_active("active", "2024-05-01T10:00:00Z");
    // Completed, from a platform that records no outcome (as Zoom, Avaya and Genesys do).
    let mut elsewhere = successful("elsewhere", "2024-05-01T09:30:00Z", &[]);
    elsewhere.outcome = None;
    elsewhere.source = Some(interlog_model::SourcePlatform::ZoomCc);
    app.seed(vec![
        successful("ok1", "2024-05-01T09:00:00Z", &[]),
        eng("bad1", "2024-05-01T09:10:00Z", 1000, "unsuccessful", &[]),
        elsewhere,
        active,
    ])
    .await;
    let all = ["active", "elsewhere", "bad1", "ok1"];
    assert_eq!(ids(&app, "status=all").await.0, all);
    assert_eq!(
        ids(&app, "status=ALL&sort=oldest").await.0,
        ["ok1", "bad1", "elsewhere", "active"]
    );
    assert_eq!(count(&app, "status=all").await, 4);
    assert_eq!(
        ids(&app, "status=all&limit=1&offset=1").await,
        (vec!["elsewhere".to_owned()], true)
    );
    // Oracle's two values keep their meaning.
    assert_eq!(ids(&app, "").await.0, ["ok1"]);
    assert_eq!(ids(&app, "status=unsuccessful").await.0, ["bad1"]);
    // No outcome recorded: no `status` written, in JSON or XML.
    let (_, body) = get_json(&app, &format!("{LIST}?status=all")).await;
    let by_id = |id: &str| {
        body["engagements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()
            .clone()
    };
    assert!(by_id("elsewhere").get("status").is_none(), "{body}");
    assert_eq!(by_id("bad1")["status"], "unsuccessful");
    let r = get_as_reader(&app, &format!("{LIST}?status=all"), "application/xml").await;
    let list = parse_xml(&r.text().await.unwrap());
    let statuses: Vec<usize> = list
        .children
        .iter()
        .filter(|c| c.name == "engagements")
        .map(|e| e.children.iter().filter(|c| c.name == "status").count())
        .collect();
    assert_eq!(statuses, [0, 0, 1, 1]);
}

#[tokio::test]
async fn user_matches_any_participant_by_email_and_repeats_widen() {
    let app = app().await;
    app.seed(vec![
        successful(
            "a",
            "2024-05-01T09:00:00Z",
            &["Cust.One@example.com", "ann@acme.test"],
        ),
        successful(
            "b",
            "2024-05-01T09:10:00Z",
            &["cust.two@example.com", "bob@acme.test"],
        ),
        successful(
            "c",
            "2024-05-01T09:20:00Z",
            &["cust.one@example.com", "bob@acme.test"],
        ),
    ])
    .await;
    assert_eq!(ids(&app, "user=cust.one@example.com").await.0, ["c", "a"]);
    assert_eq!(ids(&app, "user=BOB@acme.test").await.0, ["c", "b"]);
    assert_eq!(
        ids(&app, "user=ann@acme.test&user=cust.two@example.com")
            .await
            .0,
        ["b", "a"]
    );
    assert_eq!(
        ids(&app, "user=nobody@acme.test").await.0,
        Vec::<String>::new()
    );
    assert_eq!(count(&app, "user=bob@acme.test").await, 2);
    // An email with a plus sign, percent-encoded as clients must.
    app.seed(vec![successful(
        "d",
        "2024-05-01T09:30:00Z",
        &["x+tag@example.com"],
    )])
    .await;
    assert_eq!(ids(&app, "user=x%2Btag@example.com").await.0, ["d"]);
}

#[tokio::test]
async fn date_only_bounds_cover_whole_local_days_and_date_times_their_second() {
    let app = app().await;
    // Acme is in Europe/Dublin (UTC+1 in July). Local start times in the comments.
    app.seed(vec![
        eng(
            "jun30-late",
            "2024-06-30T22:59:59Z",
            60_000,
            "successful",
            &[],
        ), // 30 Jun 23:59:59
        eng(
            "jul1-first",
            "2024-06-30T23:00:00Z",
            60_000,
            "successful",
            &[],
        ), // 1 Jul 00:00:00
        eng(
            "jul1-noon",
            "2024-07-01T11:00:00.500Z",
            60_000,
            "successful",
            &[],
        ), // 1 Jul 12:00:00.5
        eng(
            "jul1-last",
            "2024-07-01T22:59:59.999Z",
            60_000,
            "successful",
            &[],
        ), // 1 Jul 23:59:59.999
        eng(
            "jul2-first",
            "2024-07-01T23:00:00Z",
            60_000,
            "successful",
            &[],
        ), // 2 Jul 00:00
    ])
    .await;
    let day = |q: &str| {
        let q = q.to_owned();
        let app = &app;
        async move {
            let mut v = ids(app, &format!("sort=oldest&{q}")).await.0;
            v.sort();
            v
        }
    };
    assert_eq!(
        day("startAfter=2024-07-01&startBefore=2024-07-01").await,
        ["jul1-first", "jul1-last", "jul1-noon"]
    );
    assert_eq!(
        day("startAfter=2024-07-01").await,
        ["jul1-first", "jul1-last", "jul1-noon", "jul2-first"]
    );
    assert_eq!(day("startBefore=2024-06-30").await, ["jun30-late"]);
    // A date-time bound is inclusive of the second it names.
    assert_eq!(
        day("startAfter=2024-07-01T12:00:00&startBefore=2024-07-01T12:00:00").await,
        ["jul1-noon"]
    );
    assert_eq!(
        day("startAfter=2024-07-01T12:00:01&startBefore=2024-07-01T23:59:59").await,
        ["jul1-last"]
    );
    assert_eq!(
        day("startBefore=2024-06-30T23:59:58").await,
        Vec::<String>::new()
    );
    // End bounds work the same way on the end (start + 1 minute here).
    assert_eq!(
        day("endAfter=2024-07-02&endBefore=2024-07-02").await,
        ["jul1-last", "jul2-first"]
    );
    assert_eq!(day("endBefore=2024-07-01T00:00:59").await, ["jun30-late"]);
    assert_eq!(
        day("endAfter=2024-07-01T00:01:00&endBefore=2024-07-01T00:01:00").await,
        ["jul1-first"]
    );
    assert_eq!(
        count(&app, "startAfter=2024-07-01&startBefore=2024-07-01").await,
        3
    );

    // The same words in a tenant whose zone is UTC name other instants.
    let utc = app
        .store
        .create_tenant(NewTenant {
            key: "utcco".into(),
            name: "UTC Co".into(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: vec![],
        })
        .await
        .unwrap();
    let mut es = vec![
        eng(
            "jun30-late",
            "2024-06-30T22:59:59Z",
            60_000,
            "successful",
            &[],
        ),
        eng(
            "jul1-first",
            "2024-06-30T23:00:00Z",
            60_000,
            "successful",
            &[],
        ),
        eng(
            "jul1-noon",
            "2024-07-01T11:00:00.500Z",
            60_000,
            "successful",
            &[],
        ),
    ];
    for e in &mut es {
        e.normalize();
    }
    app.store.upsert_many(&utc, es).await.unwrap();
    let token = interlog_testkit::mint_token(
        &app.signer,
        "utcco",
        interlog_store::ClientRole::Reader,
        600,
    );
    let r = get(
        &app,
        "/v1/engagements/utcco?startAfter=2024-07-01&startBefore=2024-07-01",
        &token,
        "application/json",
    )
    .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(interlog_testkit::ids(&body), ["jul1-noon"]);
}

#[tokio::test]
async fn every_sort_orders_and_ties_break_by_id() {
    let app = app().await;
    app.seed(vec![
        eng("m", "2024-05-01T09:00:00Z", 30_000, "successful", &[]),
        eng("n", "2024-05-01T09:00:00Z", 90_000, "successful", &[]),
        eng("o", "2024-05-01T10:00:00Z", 30_000, "successful", &[]),
        eng("p", "2024-05-01T08:00:00Z", 5_000, "successful", &[]),
    ])
    .await;
    assert_eq!(ids(&app, "").await.0, ["o", "n", "m", "p"]);
    assert_eq!(ids(&app, "sort=newest").await.0, ["o", "n", "m", "p"]);
    assert_eq!(ids(&app, "sort=oldest").await.0, ["p", "m", "n", "o"]);
    assert_eq!(ids(&app, "sort=shortest").await.0, ["p", "m", "o", "n"]);
    assert_eq!(ids(&app, "sort=longest").await.0, ["n", "o", "m", "p"]);
    let (_, body) = get_json(&app, &format!("{LIST}?sort=longest&limit=1")).await;
    assert_eq!(body["engagements"][0]["duration"], 90);
}

#[tokio::test]
async fn offset_paging_reaches_the_end_without_gaps_or_duplicates() {
    let app = app().await;
    let mut all = Vec::new();
    for i in 0..95u64 {
        // Pairs share a start time and a duration, so ids break the ties.
        let started = jiff::Timestamp::from_second(1_700_000_000 + (i as i64 / 2) * 60).unwrap();
        all.push(eng(
            &format!("e{i:03}"),
            &started.to_string(),
            (i / 2) * 1000,
            "successful",
            &[],
        ));
    }
    all.push(eng(
        "failed",
        "2023-11-14T22:13:20Z",
        1,
        "unsuccessful",
        &[],
    ));
    app.seed(all).await;
    for sort in ["newest", "oldest", "shortest", "longest"] {
        for limit in [1usize, 7, 10, 95, 100] {
            let mut seen = Vec::new();
            let mut offset = 0;
            loop {
                let (page, more) =
                    ids(&app, &format!("sort={sort}&limit={limit}&offset={offset}")).await;
                assert!(page.len() <= limit);
                seen.extend(page.iter().cloned());
                offset += limit;
                if !more {
                    assert!(
                        offset >= 95,
                        "{sort} {limit}: hasMore false too early at {offset}"
                    );
                    break;
                }
                assert_eq!(
                    page.len(),
                    limit,
                    "{sort} {limit}: a short page said hasMore"
                );
            }
            assert_eq!(seen.len(), 95, "{sort} limit {limit}");
            assert_eq!(
                seen.iter().collect::<HashSet<_>>().len(),
                95,
                "{sort} limit {limit}"
            );
        }
    }
    // hasMore at the boundary: 95 rows, the page ending exactly at the last row.
    assert_eq!(
        ids(&app, "limit=5&offset=90").await,
        ((90..95).map(|i| format!("e{:03}", 94 - i)).collect(), false)
    );
    let (page, more) = ids(&app, "limit=5&offset=89").await;
    assert_eq!((page.len(), more), (5, true));
    assert_eq!(ids(&app, "limit=10&offset=95").await, (vec![], false));
    assert_eq!(ids(&app, "limit=10&offset=1000000").await, (vec![], false));
    assert_eq!(count(&app, "").await, 95);
}

#[tokio::test]
async fn limits_default_to_ten_reach_a_hundred_and_zero_only_tells_if_more() {
    let app = app().await;
    let (page, more) = ids(&app, "limit=0").await;
    assert_eq!((page.len(), more), (0, false));
    app.seed(
        (0..105)
            .map(|i| {
                eng(
                    &format!("l{i:03}"),
                    &jiff::Timestamp::from_second(1_700_000_000 + i * 60)
                        .unwrap()
                        .to_string(),
                    1000,
                    "successful",
                    &[],
                )
            })
            .collect(),
    )
    .await;
    assert_eq!(ids(&app, "").await.0.len(), 10);
    assert_eq!(ids(&app, "limit=1").await, (vec!["l104".to_owned()], true));
    let (page, more) = ids(&app, "limit=100").await;
    assert_eq!((page.len(), more), (100, true));
    let (page, more) = ids(&app, "limit=100&offset=5").await;
    assert_eq!((page.len(), more), (100, false));
    assert_eq!(ids(&app, "limit=0").await, (vec![], true));
    assert_eq!(ids(&app, "limit=0&offset=104").await, (vec![], true));
    assert_eq!(ids(&app, "limit=0&offset=105").await, (vec![], false));
    let r = get_as_reader(&app, &format!("{LIST}?limit=101"), "application/json").await;
    let body = assert_lx_error(r, 400, "bad_parameter").await;
    assert_eq!(body["parameter"], "limit");
    assert!(body["message"].as_str().unwrap().contains("0 to 100"));
}

#[tokio::test]
async fn bad_parameters_are_400s_naming_the_parameter_in_json_or_xml() {
    let app = app().await;
    for (q, name) in [
        ("status=failed", "status"),
        ("sort=random", "sort"),
        ("offset=10", "offset"),
        ("limit=abc", "limit"),
        ("startAfter=15/01/2018", "startAfter"),
        ("endBefore=2018-01-15T25:00:00", "endBefore"),
        (
            "startAfter=2024-02-01&startBefore=2024-01-01",
            "startBefore",
        ),
        ("user=not-an-email", "user"),
        ("page=2", "page"),
    ] {
        let r = get_as_reader(&app, &format!("{LIST}?{q}"), "application/json").await;
        let body = assert_lx_error(r, 400, "bad_parameter").await;
        assert_eq!(body["parameter"], name, "{q}");
        let r = get_as_reader(&app, &format!("{COUNT}?{q}"), "application/json").await;
        assert_eq!(r.status(), 400, "count {q}");
    }
    let r = get_as_reader(&app, &format!("{LIST}?sort=random"), "text/xml").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "text/xml");
    let el = parse_xml(&r.text().await.unwrap());
    assert_eq!(el.name, "apiResponseV1");
    let names: Vec<_> = el
        .children
        .iter()
        .map(|c| (c.name.as_str(), c.text.as_str()))
        .collect();
    assert_eq!(names[0], ("status", "400"));
    assert_eq!(names[1], ("code", "bad_parameter"));
    assert_eq!(names[2].0, "message");
    assert!(names[2].1.contains("newest, oldest, shortest, longest"));
    assert_eq!(names[3], ("parameter", "sort"));
}

#[tokio::test]
async fn count_answers_json_or_xml_with_the_list_filters() {
    let app = app().await;
    app.seed(vec![
        successful("a", "2024-05-01T09:00:00Z", &["c@example.com"]),
        successful("b", "2024-05-02T09:00:00Z", &[]),
        eng(
            "c",
            "2024-05-02T10:00:00Z",
            1000,
            "unsuccessful",
            &["c@example.com"],
        ),
    ])
    .await;
    let r = get_as_reader(&app, COUNT, "application/json").await;
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), r#"{"count":2}"#);
    let r = get_as_reader(
        &app,
        &format!("{COUNT}?startAfter=2024-05-02&limit=1&offset=1&sort=oldest"),
        "application/xml",
    )
    .await;
    assert_eq!(r.headers()["content-type"], "application/xml");
    assert_eq!(
        r.text().await.unwrap(),
        r#"<?xml version="1.0" encoding="UTF-8"?><countV1><count>1</count></countV1>"#
    );
    assert_eq!(
        count(&app, "status=unsuccessful&user=c@example.com").await,
        1
    );
    assert_eq!(count(&app, "user=c@example.com").await, 1);
}

#[tokio::test]
async fn delete_is_for_admins_and_removes_the_engagement() {
    let app = app().await;
    app.seed(vec![
        successful("keep", "2024-05-01T09:00:00Z", &[]),
        successful("gone", "2024-05-01T10:00:00Z", &[]),
    ])
    .await;
    let del = |token: String, id: &str| {
        let url = app.url(&format!("{LIST}/{id}"));
        let http = app.http.clone();
        async move { http.delete(url).bearer_auth(token).send().await.unwrap() }
    };
    assert_lx_error(del(app.reader.clone(), "gone").await, 403, "forbidden").await;
    assert_lx_error(del(app.agent.clone(), "gone").await, 403, "forbidden").await;
    let r = del(app.admin.clone(), "gone").await;
    assert_eq!(r.status(), 204);
    assert_eq!(ids(&app, "").await.0, ["keep"]);
    assert_lx_error(del(app.admin.clone(), "gone").await, 404, "not_found").await;
    assert_lx_error(
        del(app.admin.clone(), "no%20such%20id").await,
        404,
        "not_found",
    )
    .await;
    let (_, other) = app.other_tenant("globex").await;
    assert_lx_error(del(other, "keep").await, 404, "not_found").await;
    // There is no get-one resource: GET on the id path is a 405 naming DELETE.
    let r = get_as_reader(&app, &format!("{LIST}/keep"), "application/json").await;
    assert_eq!(r.headers()["allow"], "DELETE");
    assert_lx_error(r, 405, "method_not_allowed").await;
    let r = app
        .http
        .post(app.url(LIST))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    assert_lx_error(r, 405, "method_not_allowed").await;
}
