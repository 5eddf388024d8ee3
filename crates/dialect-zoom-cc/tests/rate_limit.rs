//! Zoom's per-account rate limits by label: headers, 429 bodies, `Retry-After`, and off.

mod common;

use common::*;
use interlog_store::ClientRole;
use reqwest::{Method, Response};

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn responses_carry_the_label_s_headers_by_default() {
    let app = app_with("").await;
    app.seed(vec![simple("e1", "2024-03-01T10:00:00Z", "voice")])
        .await;
    let t = admin_token(&app);
    let r = call(&app, Method::GET, LIST, &t, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "x-ratelimit-category").as_deref(),
        Some("Medium")
    );
    assert_eq!(header(&r, "x-ratelimit-type").as_deref(), Some("QPS"));
    assert_eq!(header(&r, "x-ratelimit-limit").as_deref(), Some("10"));
    let remaining: u32 = header(&r, "x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    assert!(remaining < 10);
    let r = call(&app, Method::GET, &format!("{LIST}/e1"), &t, None).await;
    assert_eq!(header(&r, "x-ratelimit-category").as_deref(), Some("Light"));
    assert_eq!(header(&r, "x-ratelimit-limit").as_deref(), Some("20"));
    // Errors after the caller is known count and carry the headers too.
    let r = call(&app, Method::GET, &format!("{LIST}/missing"), &t, None).await;
    assert_eq!(header(&r, "x-ratelimit-category").as_deref(), Some("Light"));
    assert_zoom_error(r, 404, 2901).await;
}

#[tokio::test]
async fn the_per_second_limit_answers_429_with_retry_after() {
    let app = app_with("rate_limits = { plan = \"pro\", medium_per_second = 2 }").await;
    let t = admin_token(&app);
    let started = jiff::Timestamp::now().as_second();
    let mut responses = Vec::new();
    for _ in 0..12 {
        responses.push(call(&app, Method::GET, LIST, &t, None).await);
    }
    let seconds = jiff::Timestamp::now().as_second() - started + 1;
    let mut ok = 0;
    let mut limited = 0;
    for r in responses {
        match r.status().as_u16() {
            200 => ok += 1,
            429 => {
                limited += 1;
                assert_eq!(header(&r, "retry-after").as_deref(), Some("1"));
                assert_eq!(
                    header(&r, "x-ratelimit-category").as_deref(),
                    Some("Medium")
                );
                assert_eq!(header(&r, "x-ratelimit-type").as_deref(), Some("QPS"));
                assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some("0"));
                let body = assert_zoom_error(r, 429, 429).await;
                assert_eq!(
                    body["message"],
                    "You have reached the maximum per-second rate limit for this API. Try again later."
                );
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(ok <= 2 * seconds, "{ok} admitted in {seconds} s");
    assert_eq!(ok + limited, 12);
    assert!(limited >= 12 - 2 * seconds);
    // Each refusal is counted for /metrics (one recorder per process: at least these).
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counted: f64 = text
        .lines()
        .filter(|l| l.starts_with("interlog_rate_limit_rejections_total{"))
        .filter(|l| l.contains("api=\"zoom_cc\"") && l.contains("limit=\"QPS\""))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert!(
        counted >= limited as f64,
        "{counted} counted, {limited} refused"
    );
    // Other labels and other accounts have their own budgets.
    let r = call(&app, Method::GET, &format!("{LIST}/x"), &t, None).await;
    assert_eq!(r.status(), 404);
    app.other_tenant("globex").await;
    let globex = token_for(
        &app,
        "globex",
        ClientRole::Admin,
        interlog_http::auth::SubjectKind::Client,
        "g",
        &all_scopes(),
        60,
    );
    assert_eq!(
        call(&app, Method::GET, LIST, &globex, None).await.status(),
        200
    );
}

#[tokio::test]
async fn a_daily_limit_names_the_next_day_in_retry_after() {
    let app = app_with("rate_limits = { light_per_second = 100, light_per_day = 2 }").await;
    app.seed(vec![simple("e1", "2024-03-01T10:00:00Z", "voice")])
        .await;
    let t = admin_token(&app);
    let path = format!("{LIST}/e1");
    let first = call(&app, Method::GET, &path, &t, None).await;
    assert_eq!(
        header(&first, "x-ratelimit-type").as_deref(),
        Some("Daily-limit")
    );
    assert_eq!(
        header(&first, "x-ratelimit-remaining").as_deref(),
        Some("1")
    );
    assert_eq!(call(&app, Method::GET, &path, &t, None).await.status(), 200);
    let r = call(&app, Method::GET, &path, &t, None).await;
    let retry = header(&r, "retry-after").unwrap();
    let next_day = (jiff::Timestamp::now().as_second() / 86_400 + 1) * 86_400;
    assert_eq!(
        retry,
        jiff::Timestamp::from_second(next_day)
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    );
    assert_eq!(
        header(&r, "x-ratelimit-type").as_deref(),
        Some("Daily-limit")
    );
    let body = assert_zoom_error(r, 429, 429).await;
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("daily rate limit"));
}

#[tokio::test]
async fn limits_can_be_turned_off() {
    let app = app().await;
    let t = admin_token(&app);
    for _ in 0..30 {
        let r = call(&app, Method::GET, LIST, &t, None).await;
        assert_eq!(r.status(), 200);
        assert!(header(&r, "x-ratelimit-limit").is_none());
    }
}
