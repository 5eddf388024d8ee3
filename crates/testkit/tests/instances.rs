//! Two instances on one store, as behind a load balancer: a cursor made by one is served by
//! the other, idempotent upserts racing on one id through both end with the newer
//! `updated_at`, never a duplicate or a regression, and a change-feed consumer reading from
//! both while both write sees every change once, in order. Runs on the backend of the
//! matrix (`INTERLOG_TEST_STORE`); on PostgreSQL these are two pools, two group commits and
//! two listeners on one database.

use interlog_testkit::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

const BASE: &str = "/api/v1/tenants/acme/engagements";
const FEED: &str = "/api/v1/tenants/acme/changes";

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
        seen.extend(ids(&body));
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

/// Writers on both instances create, update and delete engagements concurrently while a
/// consumer reads the feed a few changes at a time, alternating instances and resuming from
/// each page's `next_after`: it sees positions only increase, no change twice, and in the
/// end every engagement that is left and every deletion.
#[tokio::test]
async fn a_feed_consumer_sees_every_change_of_two_writing_instances_once_in_order() {
    let app = spawn_app().await;
    let second = app.second_instance().await;
    let bases = [app.base.clone(), format!("http://{}", second.addr)];
    const WRITERS: usize = 4;
    const EACH: usize = 30;
    let writers = (0..WRITERS).map(|w| {
        let (http, base, token) = (app.http.clone(), bases[w % 2].clone(), app.admin.clone());
        async move {
            for i in 0..EACH {
                let id = format!("w{w}-{i:02}");
                let body =
                    json!({"started_at": "2024-05-01T09:00:00Z", "subject": format!("v{i}")});
                let r = http
                    .put(format!("{base}{BASE}/{id}"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "{id}");
                // Every third one is deleted again, through the same instance.
                if i % 3 == 2 {
                    let r = http
                        .delete(format!("{base}{BASE}/{id}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 204, "{id}");
                }
            }
        }
    });
    let deleted: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| {
            (0..EACH)
                .filter(|i| i % 3 == 2)
                .map(move |i| format!("w{w}-{i:02}"))
        })
        .collect();
    let kept: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| {
            (0..EACH)
                .filter(|i| i % 3 != 2)
                .map(move |i| format!("w{w}-{i:02}"))
        })
        .collect();
    let consumer = async {
        let mut after = 0i64;
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let (mut upserted, mut tombstones) = (BTreeSet::new(), BTreeSet::new());
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut turn = 0;
        while !(kept.is_subset(&upserted) && tombstones == deleted) {
            assert!(
                Instant::now() < deadline,
                "the feed did not show every change: {} upserts, {} tombstones seen",
                upserted.len(),
                tombstones.len()
            );
            turn += 1;
            let r = app
                .http
                .get(format!("{}{FEED}?after={after}&limit=7", bases[turn % 2]))
                .bearer_auth(&app.reader)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let page: Value = r.json().await.unwrap();
            for c in page["changes"].as_array().unwrap() {
                let position = c["position"].as_i64().unwrap();
                assert!(
                    position > after,
                    "positions only increase: {position} after {after}"
                );
                after = position;
                let id = c["id"].as_str().unwrap().to_owned();
                let op = c["op"].as_str().unwrap().to_owned();
                assert!(
                    seen.insert((id.clone(), op.clone())),
                    "{op} of {id} seen twice"
                );
                match op.as_str() {
                    "upsert" => upserted.insert(id),
                    _ => tombstones.insert(id),
                };
            }
            let next = page["next_after"].as_i64().unwrap();
            assert!(next >= after, "next_after {next} is behind {after}");
            after = next;
            tokio::task::yield_now().await;
        }
        // Nothing is left to see, and nothing more is coming.
        assert!(upserted.is_subset(&kept.union(&deleted).cloned().collect()));
        after
    };
    let (_, after) = tokio::join!(futures_util::future::join_all(writers), consumer);
    let (status, rest) = app.get_json(&format!("{FEED}?after={after}")).await;
    assert_eq!(status, 200);
    assert_eq!(rest["changes"], json!([]), "{rest}");
    second.stop().await.unwrap();
}
