//! Two instances on one store, as behind a load balancer: a cursor made by one is served by
//! the other, and idempotent upserts racing on one id through both end with the newer
//! `updated_at`, never a duplicate or a regression. Runs on the backend of the matrix
//! (`INTERLOG_TEST_STORE`); on PostgreSQL these are two pools, two group commits and two
//! listeners on one database.

use interlog_testkit::*;
use reqwest::Method;
use serde_json::{json, Value};

const BASE: &str = "/api/v1/tenants/acme/engagements";

#[tokio::test]
async fn a_cursor_made_by_one_instance_is_served_by_the_other() {
    let app = spawn_app().await;
    let second = app.second_instance().await;
    let other = format!("http://{}", second.addr);
    let mut all = Vec::new();
    for i in 0..35 {
        let started = jiff::Timestamp::from_second(1_700_000_000 + (i / 2) * 60).unwrap();
        all.push(engagement(&format!("c{i:03}"), &started.to_string()));
    }
    app.seed(all).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        let base = if page % 2 == 0 { &app.base } else { &other };
        let q = match &cursor {
            Some(c) => format!("{base}{BASE}?limit=10&cursor={c}"),
            None => format!("{base}{BASE}?limit=10"),
        };
        let r = app
            .http
            .get(q)
            .bearer_auth(&app.reader)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        seen.extend(
            body["engagements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..35).rev().map(|i| format!("c{i:03}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
    second.stop().await.unwrap();
}

#[tokio::test]
async fn upserts_racing_through_two_instances_keep_the_newest() {
    let app = spawn_app().await;
    let second = app.second_instance().await;
    let bases = [app.base.clone(), format!("http://{}", second.addr)];
    for round in 0..8 {
        let id = format!("race-{round}");
        // Twelve versions of one engagement, sent at once, alternately to each instance.
        let puts = (0..12).map(|v| {
            let url = format!("{}{BASE}/{id}", bases[v % 2]);
            let body = json!({
                "started_at": "2024-05-01T09:00:00Z",
                "updated_at": format!("2024-05-01T10:00:{v:02}Z"),
                "subject": format!("v{v}"),
            });
            let req = app
                .http
                .request(Method::PUT, url)
                .bearer_auth(&app.agent)
                .json(&body);
            async move { req.send().await.unwrap().status().as_u16() }
        });
        let statuses = futures_util::future::join_all(puts).await;
        assert!(
            statuses.iter().all(|s| [200, 201, 409].contains(s)),
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        for base in &bases {
            let r = app
                .http
                .get(format!("{base}{BASE}/{id}"))
                .bearer_auth(&app.reader)
                .send()
                .await
                .unwrap();
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["subject"], "v11", "the newest version wins: {body}");
        }
        let (_, page) = app.get_json(&format!("{BASE}?limit=50&count=exact")).await;
        assert_eq!(page["total"], round + 1, "no duplicate");
    }
    second.stop().await.unwrap();
}
