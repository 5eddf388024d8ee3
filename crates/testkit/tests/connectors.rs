//! Connectors, black-box: two servers started as `serve` starts them — one plays the vendor
//! (Interlog's own dialect serving generated engagements), the other pulls from it through
//! a connector created with the API — with a fault-injecting proxy between them. No sleep
//! synchronises anything: tests poll the connector's status with a deadline. Times are
//! relative to now, never to a day of the week or hour.

use interlog_generate::{Generator, GeneratorConfig};
use interlog_model::Engagement;
use interlog_testkit::proxy::{Fault, FaultProxy, Planned};
use interlog_testkit::*;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a test waits for a connector to get somewhere.
const DEADLINE: Duration = Duration::from_secs(120);
/// The client the vendor's API is called with (no scopes: every dialect lets it read).
const VENDOR_CLIENT: &str = "vendor-app";
const APP_KEY: &str = "vendor-app-key";

/// A server playing the vendor, with `n` generated engagements spread over the `span_days`
/// before an hour ago, and a client (`vendor-app`, [`SECRET`]) to read them with.
async fn vendor(toml: &str, n: u64, span_days: u32) -> (TestApp, Vec<Engagement>) {
    let app = spawn_app_with(TestConfig::toml(toml)).await;
    let end = Timestamp::now() - SignedDuration::from_hours(1);
    let mut cfg = GeneratorConfig::new(7, n, end);
    cfg.span_days = span_days;
    let es: Vec<Engagement> = Generator::new(cfg).collect();
    app.seed(es.clone()).await;
    let tenant = app.tenant.clone();
    app.create_client_with_app_key(&tenant, VENDOR_CLIENT, APP_KEY)
        .await;
    (app, es)
}

/// The server that pulls (internal targets allowed: the vendor is on 127.0.0.1), with the
/// same client as the vendor's, to read what it stored through the same dialect.
async fn puller() -> TestApp {
    let app = spawn_app_with(TestConfig::toml(
        "[webhooks]\nallow_private_targets = true\n",
    ))
    .await;
    let tenant = app.tenant.clone();
    app.create_client_with_app_key(&tenant, VENDOR_CLIENT, APP_KEY)
        .await;
    app
}

fn connectors_path(app: &TestApp) -> String {
    format!("/api/v1/tenants/{}/connectors", app.tenant.key)
}

/// Where connectors are managed: a tenant of a server and an admin token of it.
struct Place<'a> {
    app: &'a TestApp,
    path: String,
    admin: String,
}

impl<'a> Place<'a> {
    /// The test tenant of `app`.
    fn of(app: &'a TestApp) -> Self {
        Place {
            app,
            path: connectors_path(app),
            admin: app.admin.clone(),
        }
    }

    /// Tenant `key` of `app`.
    fn tenant(app: &'a TestApp, key: &str) -> Self {
        Place {
            app,
            path: format!("/api/v1/tenants/{key}/connectors"),
            admin: mint_token(&app.signer, key, interlog_store::ClientRole::Admin, 3600),
        }
    }

    /// Creates a connector; its view.
    async fn create(&self, body: Value) -> Value {
        let r = self
            .app
            .call(Method::POST, &self.path, Some(&self.admin), Some(body))
            .await;
        let status = r.status().as_u16();
        let view: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{view}");
        view
    }

    async fn status(&self, id: &str) -> Value {
        let (status, view) = self
            .app
            .get_json_as(&format!("{}/{id}", self.path), &self.admin)
            .await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// Polls the connector until `done` holds of its view; panics with the last view
    /// after the deadline.
    async fn wait_until(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let view = self.status(id).await;
            if done(&view) {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "connector never {what}: {view:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Creates a connector in `app`'s test tenant; its view.
async fn create(app: &TestApp, body: Value) -> Value {
    Place::of(app).create(body).await
}

async fn status_of(app: &TestApp, id: &str) -> Value {
    Place::of(app).status(id).await
}

/// Polls the connector until `done` holds of its view.
async fn wait_until(app: &TestApp, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    Place::of(app).wait_until(id, what, done).await
}

/// Asks for a run of connector `id` and waits until it ended `ok`; its view.
async fn run_now(app: &TestApp, id: &str) -> Value {
    let since = now_text();
    let path = format!("{}/{id}/run", connectors_path(app));
    let r = app.call(Method::POST, &path, Some(&app.admin), None).await;
    assert_eq!(r.status(), 202);
    wait_until(app, id, "ran again", |v| ran_ok_since(v, &since)).await
}

/// Whether a run that started at or after `since` has ended `ok`.
fn ran_ok_since(view: &Value, since: &str) -> bool {
    let last = &view["status"]["last_run"];
    last["outcome"] == "ok" && last["started_at"].as_str().is_some_and(|s| s >= since)
}

fn now_text() -> String {
    Timestamp::now().to_string()
}

fn days_ago(days: i64) -> String {
    (Timestamp::now() - SignedDuration::from_hours(24 * days)).to_string()
}

/// A Zoom access token of `app`'s vendor client.
async fn zoom_token(app: &TestApp) -> String {
    let r: Value = app
        .http
        .post(app.url(&format!(
            "/oauth/token?grant_type=account_credentials&account_id={}",
            app.tenant.key
        )))
        .basic_auth(VENDOR_CLIENT, Some(SECRET))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

/// Every engagement `app` lists through its Zoom API for start times in `[from, to)`,
/// walked in windows of 28 days, by id.
async fn zoom_listing(app: &TestApp, from: Timestamp, to: Timestamp) -> BTreeMap<String, Value> {
    let token = zoom_token(app).await;
    let mut out = BTreeMap::new();
    let mut start = from;
    while start < to {
        let end = (start + SignedDuration::from_hours(24 * 28)).min(to);
        let mut page_token = String::new();
        loop {
            let mut url = format!(
                "/v2/contact_center/engagements?from={}&to={}&page_size=100",
                start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                (end - SignedDuration::from_secs(1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            );
            if !page_token.is_empty() {
                url.push_str(&format!("&next_page_token={page_token}"));
            }
            let (status, page) = app.get_json_as(&url, &token).await;
            assert_eq!(status, 200, "{page}");
            for e in page["engagements"].as_array().unwrap() {
                out.insert(e["engagement_id"].as_str().unwrap().to_owned(), e.clone());
            }
            page_token = page["next_page_token"].as_str().unwrap().to_owned();
            if page_token.is_empty() {
                break;
            }
        }
        start = end;
    }
    out
}

/// The ids of every engagement `app`'s tenant holds (native listing).
async fn stored_ids(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut url = format!(
            "/api/v1/tenants/{}/engagements?limit=1000&sort=started_at",
            app.tenant.key
        );
        if !cursor.is_empty() {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let (status, page) = app.get_json(&url).await;
        assert_eq!(status, 200, "{page}");
        ids.extend(interlog_testkit::ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    ids
}

/// What Zoom's list shows that the canonical model does not hold (the dialect's README,
/// "Not held"): `transfer_count` counts transfers whose events the list does not carry.
const ZOOM_NOT_HELD: &[&str] = &["transfer_count"];

/// `v` without the members `names`.
fn without(v: &Value, names: &[&str]) -> Value {
    let mut v = v.clone();
    for n in names {
        v.as_object_mut().unwrap().remove(*n);
    }
    v
}

fn zoom_connector(proxy: &str, start_from: &str) -> Value {
    json!({
        "kind": "zoom_cc",
        "base_url": format!("{proxy}/v2"),
        "token_url": format!("{proxy}/oauth/token"),
        "account_id": "acme",
        "client_id": VENDOR_CLIENT,
        "client_secret": SECRET,
        "start_from": start_from,
        "poll_interval_secs": 3600,
        "lookback_secs": 900,
    })
}

/// Zoom's per-second refusal, as the proxy sends it.
fn zoom_429() -> Fault {
    Fault::TooMany {
        retry_after: 1,
        body: r#"{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}"#.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zoom_backfill_through_faults_ends_complete_and_exact() {
    let (zoom, _) = vendor("[dialects.zoom_cc]\nrate_limits = \"off\"\n", 700, 60).await;
    let proxy = FaultProxy::start(&zoom.base).await;
    let list = "/contact_center/engagements";
    // 429, two 500s in a row, a slow answer, a dropped connection, a refused token, and a
    // refused page token, at different points of the backfill.
    proxy.plan(Planned::new(list, 2, zoom_429()));
    proxy.plan(Planned::new(list, 4, Fault::ServerError("boom".into())));
    proxy.plan(Planned::new(
        list,
        5,
        Fault::ServerError("boom again".into()),
    ));
    proxy.plan(Planned::new(
        list,
        7,
        Fault::Slow(Duration::from_millis(1500)),
    ));
    proxy.plan(Planned::new(list, 9, Fault::Drop));
    // A later page of a window answered after longer than the run's heartbeat (5 s),
    // which saves the run's counts (the window's first pages among them) meanwhile.
    proxy.plan(
        Planned::new(list, 3, Fault::Slow(Duration::from_millis(6000)))
            .with_query("next_page_token"),
    );
    proxy.plan(Planned::new(
        list,
        11,
        Fault::Answer(
            401,
            r#"{"code":124,"message":"Access token is expired."}"#.into(),
        ),
    ));
    proxy.plan(
        Planned::new(list, 2, Fault::Answer(
            400,
            r#"{"code":300,"message":"Validation Failed.","errors":[{"field":"next_page_token","message":"has expired; start again from the first page"}]}"#.into(),
        ))
        .with_query("next_page_token"),
    );

    let pull = puller().await;
    let start_from = days_ago(61);
    let view = create(&pull, zoom_connector(&proxy.base, &start_from)).await;
    let id = view["id"].as_str().unwrap().to_owned();
    assert_eq!(view["kind"], "zoom_cc");
    assert_eq!(view["secrets"], json!(["client_secret"]));
    assert!(
        !view.to_string().contains(SECRET),
        "the secret is never shown"
    );

    let done = wait_until(&pull, &id, "went live", |v| v["status"]["state"] == "live").await;
    assert!(
        proxy.unfired().is_empty(),
        "every fault was met: {:?}\n{:#?}",
        proxy.unfired(),
        proxy.seen()
    );

    // Complete and exact: every engagement Zoom lists, with every field Zoom shows, and
    // nothing else.
    let from: Timestamp = start_from.parse().unwrap();
    let to = Timestamp::now();
    let theirs = zoom_listing(&zoom, from, to).await;
    assert!(
        theirs.len() > 600,
        "the vendor lists its engagements ({})",
        theirs.len()
    );
    let ours = zoom_listing(&pull, from, to).await;
    assert_eq!(
        theirs.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "the same engagements"
    );
    for (id, theirs) in &theirs {
        assert_eq!(
            without(theirs, ZOOM_NOT_HELD),
            without(&ours[id], ZOOM_NOT_HELD),
            "engagement {id}, field by field"
        );
    }
    let mut stored = stored_ids(&pull).await;
    stored.sort();
    assert_eq!(
        stored,
        theirs.keys().cloned().collect::<Vec<_>>(),
        "nothing more is stored"
    );
    let e = pull
        .store
        .get(&pull.tenant, theirs.keys().next().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        e.json.contains(r#""source":"zoom_cc""#),
        "the vendor id and source are kept"
    );

    let totals = &done["status"]["totals"];
    assert_eq!(totals["created"], theirs.len() as u64, "{totals}");
    assert_eq!(totals["rejected"], 0);
    let last = &done["status"]["last_run"];
    assert_eq!(
        &last["counts"], totals,
        "one run read it all, and its counts are each window's once"
    );
    assert!(
        last["throttled"].as_u64().unwrap() >= 1,
        "the 429 was waited out: {last}"
    );
    assert!(done["status"]["cursor"].as_str().is_some());
    assert!(done["status"]["lag_secs"].as_i64().unwrap() < 120);
    assert!(done["status"]["last_error"].is_null(), "{done}");

    // Another run changes nothing: every record is unchanged, the change feed stands.
    let head = pull
        .store
        .changes(&pull.tenant, i64::MAX, 0)
        .await
        .unwrap()
        .head;
    let again = run_now(&pull, &id).await;
    let counts = &again["status"]["last_run"]["counts"];
    assert_eq!(counts["created"], 0, "{counts}");
    assert_eq!(counts["updated"], 0, "{counts}");
    assert_eq!(counts["unchanged"], counts["fetched"], "{counts}");
    assert_eq!(
        pull.store
            .changes(&pull.tenant, i64::MAX, 0)
            .await
            .unwrap()
            .head,
        head,
        "a re-read writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_records_are_picked_up_by_the_lookback_and_changes_are_updated() {
    let (zoom, _) = vendor("[dialects.zoom_cc]\nrate_limits = \"off\"\n", 50, 5).await;
    let pull = puller().await;
    let view = create(&pull, zoom_connector(&zoom.base, &days_ago(6))).await;
    let id = view["id"].as_str().unwrap().to_owned();
    wait_until(&pull, &id, "went live", |v| v["status"]["state"] == "live").await;
    let cursor_of =
        |v: &Value| -> Timestamp { v["status"]["cursor"].as_str().unwrap().parse().unwrap() };
    let completed = |id: &str, started: Timestamp| {
        let mut e = engagement(id, &started.to_string());
        e.ended_at = Some(started + SignedDuration::from_secs(30));
        e.state = Some(interlog_model::State::Completed);
        e
    };

    // A recent engagement arrives and is read.
    let cursor = cursor_of(&status_of(&pull, &id).await);
    let recent = completed("recent", cursor - SignedDuration::from_secs(300));
    zoom.seed(vec![recent.clone()]).await;
    let after = run_now(&pull, &id).await;
    assert_eq!(
        after["status"]["last_run"]["counts"]["created"], 1,
        "{after}"
    );

    // Two arrive late: they started before the cursor and became visible only now; one
    // within the lookback (15 minutes), one before it. And the recent one changes.
    let cursor = cursor_of(&after);
    zoom.seed(vec![
        completed("late-within", cursor - SignedDuration::from_secs(600)),
        completed("late-before", cursor - SignedDuration::from_secs(3600)),
    ])
    .await;
    let mut changed = recent.clone();
    changed.dispositions.push(interlog_model::Disposition {
        id: Some("late-disposition".into()),
        name: Some("Callback".into()),
    });
    zoom.seed(vec![changed]).await;

    let after = run_now(&pull, &id).await;
    let counts = &after["status"]["last_run"]["counts"];
    assert_eq!(counts["created"], 1, "{counts}");
    assert_eq!(counts["updated"], 1, "{counts}");
    assert!(pull
        .store
        .get(&pull.tenant, "late-within")
        .await
        .unwrap()
        .is_some());
    assert!(
        pull.store
            .get(&pull.tenant, "late-before")
            .await
            .unwrap()
            .is_none(),
        "what arrives later than the lookback is not read (lookback_secs bounds it)"
    );
    let stored = pull
        .store
        .get(&pull.tenant, "recent")
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.json.contains("late-disposition"),
        "the change is stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_zoom_s_rate_limit_on_the_backfill_keeps_to_it_without_refusals() {
    // Zoom's Pro plan: the list endpoint (Medium) allows 10 requests a second.
    let (zoom, es) = vendor("[dialects.zoom_cc]\nrate_limits = \"pro\"\n", 1500, 20).await;
    let proxy = FaultProxy::start(&zoom.base).await;
    let pull = puller().await;
    let started = Instant::now();
    let view = create(&pull, zoom_connector(&proxy.base, &days_ago(21))).await;
    let id = view["id"].as_str().unwrap().to_owned();
    let done = wait_until(&pull, &id, "went live", |v| v["status"]["state"] == "live").await;
    let took = started.elapsed();
    let list_requests = proxy
        .seen()
        .iter()
        .filter(|s| s.path.ends_with("/contact_center/engagements"))
        .count();
    let last = &done["status"]["last_run"];
    assert_eq!(last["throttled"], 0, "not one request refused: {last}");
    assert!(list_requests as u64 >= es.len() as u64 / 100);
    // At the limit: the list requests took at least what 10 a second allows.
    assert!(
        took.as_secs_f64() >= (list_requests as f64 - 10.0) / 10.0,
        "{list_requests} requests in {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configurations_are_400s_naming_the_field_and_secrets_stay_sealed() {
    let pull = spawn_app().await;
    let path = connectors_path(&pull);
    // A globally reachable address (documentation ranges are refused), never reached: the
    // connector is not enabled.
    let good = json!({
        "kind": "zoom_cc",
        "account_id": "a", "client_id": "c", "client_secret": "very-secret-value",
        "start_from": "2026-01-01T00:00:00Z", "enabled": false,
        "base_url": "https://93.184.215.14/v2", "token_url": "https://93.184.215.14/oauth/token",
    });
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    for (body, field) in [
        (with("kind", json!("salesforce")), "kind"),
        (without("kind"), "kind"),
        (without("client_secret"), "client_secret"),
        (without("start_from"), "start_from"),
        (with("start_from", json!("yesterday")), "start_from"),
        (with("base_url", json!("not a url")), "base_url"),
        (with("base_url", json!("ftp://example.com/")), "base_url"),
        (
            with(
                "base_url",
                json!(format!("https://{}.example.com/", "a".repeat(2100))),
            ),
            "base_url",
        ),
        (with("base_url", json!("http://127.0.0.1:9/v2")), "base_url"),
        (
            with("token_url", json!("http://10.0.0.1/oauth/token")),
            "token_url",
        ),
        (with("poll_interval_secs", json!(0)), "poll_interval_secs"),
        (with("lookback_secs", json!(-1)), "lookback_secs"),
        (with("enabled", json!("yes")), "enabled"),
        (with("client_id", json!("")), "client_id"),
        (with("client_id", json!("x".repeat(1025))), "client_id"),
        (with("password", json!("p")), "password"),
    ] {
        let r = pull
            .call(Method::POST, &path, Some(&pull.admin), Some(body.clone()))
            .await;
        let problem = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(problem["parameter"], field, "{body} → {problem}");
    }
    let r = pull
        .call(
            Method::POST,
            &path,
            Some(&pull.admin),
            Some(json!({"kind": "genesys_gws",
            "base_url": "https://93.184.215.14", "username": "u", "password": "p",
            "start_from": "2026-01-01T00:00:00Z", "token_url": "https://93.184.215.14/t"})),
        )
        .await;
    assert_eq!(
        assert_problem(r, 400, "bad_parameter").await["parameter"],
        "token_url"
    );
    // Only admins.
    let r = pull
        .call(Method::POST, &path, Some(&pull.agent), Some(good.clone()))
        .await;
    assert_eq!(r.status(), 403);

    let view = create(&pull, good.clone()).await;
    let id = view["id"].as_str().unwrap();
    assert!(id.starts_with("cn_"));
    assert_eq!(
        view["settings"],
        json!({"account_id": "a", "client_id": "c"})
    );
    assert_eq!(view["token_url"], "https://93.184.215.14/oauth/token");
    assert_eq!(view["status"]["state"], "disabled");
    // The store holds the secret encrypted, never in clear.
    let stored = pull
        .store
        .setting(&pull.tenant, "connectors", id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.contains("very-secret-value"), "{stored}");
    let (_, listed) = pull.get_json_as(&path, &pull.admin).await;
    assert!(!listed.to_string().contains("very-secret-value"));
    // A change keeps the secret unless it is given, and cannot change the kind.
    let r = pull
        .call(
            Method::PATCH,
            &format!("{path}/{id}"),
            Some(&pull.admin),
            Some(json!({"kind": "oracle_lx"})),
        )
        .await;
    assert_eq!(
        assert_problem(r, 400, "bad_parameter").await["parameter"],
        "kind"
    );
    let r = pull
        .call(
            Method::PATCH,
            &format!("{path}/{id}"),
            Some(&pull.admin),
            Some(json!({"lookback_secs": 60, "token_url": null})),
        )
        .await;
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["lookback_secs"], 60);
    assert_eq!(
        changed["token_url"], "https://zoom.us/oauth/token",
        "null: the default"
    );
    assert_eq!(changed["status"]["state"], "disabled");
    assert_eq!(changed["secrets"], json!(["client_secret"]));
    let stored = pull
        .store
        .setting(&pull.tenant, "connectors", id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.contains("very-secret-value"));
    let d: interlog_http::connector::stored::Definition = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        d.secrets(&pull.signer, &pull.tenant).unwrap()["client_secret"],
        "very-secret-value",
        "kept, sealed, through the change"
    );
    // Another tenant sees none of it.
    let (_, other) = pull.other_tenant("globex").await;
    let r = pull
        .call(Method::GET, &format!("{path}/{id}"), Some(&other), None)
        .await;
    assert_eq!(r.status(), 404);
    let r = pull
        .call(
            Method::DELETE,
            &format!("{path}/{id}"),
            Some(&pull.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = pull
        .call(
            Method::GET,
            &format!("{path}/{id}"),
            Some(&pull.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_the_vendor_refuses_show_clearly() {
    let (zoom, _) = vendor("[dialects.zoom_cc]\nrate_limits = \"off\"\n", 5, 2).await;
    let pull = puller().await;
    let mut body = zoom_connector(&zoom.base, &days_ago(3));
    body["client_secret"] = json!("wrong");
    let view = create(&pull, body).await;
    let id = view["id"].as_str().unwrap().to_owned();
    let failing = wait_until(&pull, &id, "failed", |v| v["status"]["state"] == "failing").await;
    let error = failing["status"]["last_error"]["message"].as_str().unwrap();
    assert!(error.contains("refused the credentials"), "{error}");
    assert!(failing["status"]["last_error"]["at"].as_str().is_some());
    assert_eq!(failing["status"]["last_run"]["outcome"], "failed");

    // Fixed: it runs at once and goes live.
    let r = pull
        .call(
            Method::PATCH,
            &format!("{}/{id}", connectors_path(&pull)),
            Some(&pull.admin),
            Some(json!({"client_secret": SECRET})),
        )
        .await;
    assert_eq!(r.status(), 200);
    wait_until(&pull, &id, "went live", |v| v["status"]["state"] == "live").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_run_a_connector_once() {
    let (zoom, _) = vendor("[dialects.zoom_cc]\nrate_limits = \"off\"\n", 400, 30).await;
    let proxy = FaultProxy::start(&zoom.base).await;
    // A slow vendor keeps the run going while the other instance looks.
    for n in 1..6 {
        proxy.plan(Planned::new(
            "/contact_center/engagements",
            n,
            Fault::Slow(Duration::from_millis(400)),
        ));
    }
    let pull = puller().await;
    let second = pull.second_instance().await;
    let view = create(&pull, zoom_connector(&proxy.base, &days_ago(31))).await;
    let id = view["id"].as_str().unwrap().to_owned();
    let done = wait_until(&pull, &id, "went live", |v| v["status"]["state"] == "live").await;
    // Each window's pages were asked for once: no request was made twice.
    let lists: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.path.ends_with("/contact_center/engagements"))
        .map(|s| s.query)
        .collect();
    let mut unique = lists.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        lists.len(),
        "a request made twice: {lists:#?}"
    );
    assert_eq!(
        done["status"]["totals"]["created"],
        done["status"]["totals"]["fetched"]
    );
    second.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_by_kind_without_tenant_labels() {
    let (zoom, _) = vendor("[dialects.zoom_cc]\nrate_limits = \"off\"\n", 20, 2).await;
    let pull = puller().await;
    let view = create(&pull, zoom_connector(&zoom.base, &days_ago(3))).await;
    let id = view["id"].as_str().unwrap().to_owned();
    wait_until(&pull, &id, "went live", |v| v["status"]["state"] == "live").await;
    let text = pull.get_public_text("/metrics").await;
    for series in [
        r#"interlog_connector_records_total{kind="zoom_cc",result="created"}"#,
        r#"interlog_connector_requests_total{kind="zoom_cc",result="ok"}"#,
        r#"interlog_connector_runs_total{kind="zoom_cc",result="ok"}"#,
        r#"interlog_connector_lag_seconds{kind="zoom_cc"}"#,
    ] {
        assert!(text.contains(series), "{series} in\n{text}");
    }
    for line in text.lines().filter(|l| l.starts_with("interlog_connector")) {
        assert!(!line.contains("acme") && !line.contains(&id), "{line}");
    }
}

fn is_live(v: &Value) -> bool {
    v["status"]["state"] == "live"
}

/// Every engagement `app`'s tenant lists through the Oracle LX API with `status` and start
/// dates from `after` (the tenant's wall clock), by id.
async fn lx_listing(app: &TestApp, status: &str, after: &str) -> BTreeMap<String, Value> {
    let (tenant, credentials) = (
        &app.tenant.key,
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{VENDOR_CLIENT}:{SECRET}"),
        ),
    );
    let token: Value = app
        .http
        .get(app.url(&format!("/v1/auth/{tenant}")))
        .query(&[
            ("grant_type", "password"),
            ("credentials", credentials.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let mut out = BTreeMap::new();
    let mut offset = 0;
    loop {
        let url = format!(
            "/v1/engagements/{tenant}?status={status}&startAfter={after}&sort=oldest&limit=100&offset={offset}"
        );
        let (code, page) = app.get_json_as(&url, &token).await;
        assert_eq!(code, 200, "{page}");
        let items = page["engagements"].as_array().unwrap();
        for e in items {
            out.insert(e["id"].as_str().unwrap().to_owned(), e.clone());
        }
        if page["hasMore"] != true {
            return out;
        }
        offset += items.len();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oracle_lx_backfill_through_faults_reads_both_statuses_exactly() {
    let (lx, _) = vendor("", 500, 20).await;
    let proxy = FaultProxy::start(&lx.base).await;
    let list = "/v1/engagements/acme";
    proxy.plan(Planned::new(list, 2, Fault::ServerError("boom".into())));
    proxy.plan(Planned::new(list, 4, Fault::Drop));
    proxy.plan(Planned::new(
        list,
        6,
        Fault::Slow(Duration::from_millis(1200)),
    ));
    proxy.plan(Planned::new(
        list,
        8,
        Fault::TooMany {
            retry_after: 1,
            body: "{}".into(),
        },
    ));
    proxy.plan(Planned::new(list, 10, Fault::Answer(401, "{}".into())));
    let pull = puller().await;
    let start_from = Timestamp::now() - SignedDuration::from_hours(21 * 24);
    let view = create(
        &pull,
        json!({
            "kind": "oracle_lx",
            "base_url": proxy.base,
            "tenant": "acme",
            "client_id": VENDOR_CLIENT,
            "client_secret": SECRET,
            // Interlog's LX dialect reads date filters in the tenant's zone.
            "time_zone": "Europe/Dublin",
            "start_from": start_from.to_string(),
        }),
    )
    .await;
    assert_eq!(view["token_url"], format!("{}/v1/auth/acme", proxy.base));
    let id = view["id"].as_str().unwrap().to_owned();
    let done = wait_until(&pull, &id, "went live", is_live).await;
    assert!(proxy.unfired().is_empty(), "{:?}", proxy.unfired());
    let after = start_from
        .to_zoned(jiff::tz::TimeZone::get("Europe/Dublin").unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let mut total = 0;
    for status in ["successful", "unsuccessful"] {
        let theirs = lx_listing(&lx, status, &after).await;
        let ours = lx_listing(&pull, status, &after).await;
        assert!(!theirs.is_empty(), "{status}");
        assert_eq!(
            theirs, ours,
            "{status}: the same engagements, field by field"
        );
        total += theirs.len();
    }
    assert_eq!(done["status"]["totals"]["created"], total as u64);
    assert_eq!(
        stored_ids(&pull).await.len(),
        total,
        "nothing else is stored"
    );
}

/// Every interaction `app`'s tenant lists through the GWS API (the GET form) started in
/// `[from, to]`, by id, as user `agent`.
async fn gws_listing(app: &TestApp, from: Timestamp, to: Timestamp) -> BTreeMap<String, Value> {
    let url = format!(
        "/api/v2/ucs/interactions?fromDate={}&toDate={}&sort=asc&maxSize=1000",
        from.strftime("%Y-%m-%dT%H:%M:%S.%3fZ"),
        to.strftime("%Y-%m-%dT%H:%M:%S.%3fZ"),
    );
    let r: Value = app
        .http
        .get(app.url(&url))
        .basic_auth(format!("{}/agent", app.tenant.key), Some(SECRET))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = r["interactions"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(items.len() < 1000, "one answer holds them all");
    items
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genesys_gws_backfill_reads_through_cometd_exactly() {
    let (gws, _) = vendor("", 300, 10).await;
    let tenant = gws.tenant.clone();
    gws.create_user(&tenant, "agent", SECRET, interlog_store::ClientRole::Reader)
        .await;
    let proxy = FaultProxy::start(&gws.base).await;
    let ops = "/api/v2/ucs/interactions";
    proxy.plan(Planned::new(ops, 2, Fault::ServerError("boom".into())));
    proxy.plan(Planned::new(
        ops,
        4,
        Fault::Slow(Duration::from_millis(800)),
    ));
    let pull = puller().await;
    let ptenant = pull.tenant.clone();
    pull.create_user(
        &ptenant,
        "agent",
        SECRET,
        interlog_store::ClientRole::Reader,
    )
    .await;
    let start_from = Timestamp::now() - SignedDuration::from_hours(11 * 24);
    let view = create(
        &pull,
        json!({
            "kind": "genesys_gws",
            "base_url": proxy.base,
            "username": "acme/agent",
            "password": SECRET,
            // Small answers, so that the connector pages by moving fromDate.
            "max_size": 20,
            "start_from": start_from.to_string(),
        }),
    )
    .await;
    assert_eq!(view["secrets"], json!(["password"]));
    assert!(view["token_url"].is_null());
    let id = view["id"].as_str().unwrap().to_owned();
    let done = wait_until(&pull, &id, "went live", is_live).await;
    assert!(proxy.unfired().is_empty(), "{:?}", proxy.unfired());
    assert!(
        proxy
            .seen()
            .iter()
            .any(|s| s.path.starts_with("/api/v2/notifications")),
        "the answers came over CometD"
    );
    let to = Timestamp::now();
    let theirs = gws_listing(&gws, start_from, to).await;
    let ours = gws_listing(&pull, start_from, to).await;
    assert_eq!(theirs.len(), 300);
    assert_eq!(
        theirs.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>()
    );
    // `uri` is made from the host each server answers on.
    for (id, theirs) in &theirs {
        assert_eq!(
            without(theirs, &["uri"]),
            without(&ours[id], &["uri"]),
            "interaction {id}"
        );
    }
    assert_eq!(done["status"]["totals"]["created"], 300);
}

/// An AXP token of `VENDOR_CLIENT` for account `account`.
async fn axp_token(app: &TestApp, account: &str) -> String {
    let r: Value = app
        .http
        .post(app.url(&format!(
            "/api/auth/v1/{account}/protocol/openid-connect/token"
        )))
        .header("appkey", APP_KEY)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", VENDOR_CLIENT),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

/// The journey `app` answers for `identifiers` in account `account` (every page), by id.
async fn axp_journey(app: &TestApp, account: &str, identifiers: &Value) -> BTreeMap<String, Value> {
    let token = axp_token(app, account).await;
    let mut out = BTreeMap::new();
    for page in 1.. {
        let r = app
            .http
            .post(app.url(&format!(
                "/api/journey/v1/accounts/{account}/journeys:search?pageSize=50&pageNumber={page}"
            )))
            .bearer_auth(&token)
            .header("appkey", APP_KEY)
            .json(&json!({"identifiers": identifiers}))
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        let items = body["engagements"].as_array().cloned().unwrap_or_default();
        for e in &items {
            out.insert(e["id"].as_str().unwrap().to_owned(), e.clone());
        }
        if items.len() < 50 {
            break;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_avaya_axp_connector_follows_the_journeys_of_its_customers() {
    // AXP accounts are six letters: both sides use tenant `acmexy`.
    let axp = spawn_app().await;
    let vendor_tenant = axp.create_tenant("acmexy").await;
    let end = Timestamp::now() - SignedDuration::from_hours(1);
    let mut cfg = GeneratorConfig::new(11, 400, end).with_tenant("acmexy");
    cfg.span_days = 20;
    cfg.customers = 40;
    let es: Vec<Engagement> = Generator::new(cfg).collect();
    let normalized: Vec<Engagement> = es
        .iter()
        .cloned()
        .map(|mut e| {
            e.normalize();
            e
        })
        .collect();
    axp.store
        .upsert_many(&vendor_tenant, normalized)
        .await
        .unwrap();
    axp.create_client_with_app_key(&vendor_tenant, VENDOR_CLIENT, APP_KEY)
        .await;
    // Two customers, by a phone number and an email address of theirs.
    let phone = es
        .iter()
        .find_map(|e| e.customer.phones.first().cloned())
        .unwrap();
    let email = es
        .iter()
        .find_map(|e| e.customer.emails.first().cloned())
        .unwrap();
    let customers = json!([{"phoneNumbers": [phone]}, {"emailAddresses": [email]}]);

    // Client ids are unique across a server's tenants: this one is in `acmexy` only.
    let pull = spawn_app_with(TestConfig::toml(
        "[webhooks]\nallow_private_targets = true\n",
    ))
    .await;
    let pull_tenant = pull.create_tenant("acmexy").await;
    pull.create_client_with_app_key(&pull_tenant, VENDOR_CLIENT, APP_KEY)
        .await;
    let place = Place::tenant(&pull, "acmexy");
    let view = place
        .create(json!({
            "kind": "avaya_axp",
            "base_url": format!("{}/api/journey/v1", axp.base),
            "account_id": "ACMEXY",
            "client_id": VENDOR_CLIENT,
            "client_secret": SECRET,
            "app_key": APP_KEY,
            "customers": customers,
            "start_from": (Timestamp::now() - SignedDuration::from_hours(21 * 24)).to_string(),
        }))
        .await;
    assert_eq!(
        view["token_url"],
        format!(
            "{}/api/auth/v1/ACMEXY/protocol/openid-connect/token",
            axp.base
        )
    );
    let mut secrets = view["secrets"].as_array().unwrap().clone();
    secrets.sort_by_key(|v| v.to_string());
    assert_eq!(secrets, vec![json!("app_key"), json!("client_secret")]);
    let id = view["id"].as_str().unwrap().to_owned();
    let done = place.wait_until(&id, "went live", is_live).await;
    let mut total = 0;
    for c in customers.as_array().unwrap() {
        let theirs = axp_journey(&axp, "ACMEXY", c).await;
        let ours = axp_journey(&pull, "ACMEXY", c).await;
        assert!(!theirs.is_empty());
        assert_eq!(theirs, ours, "the journey of {c}, field by field");
        total += theirs.len();
    }
    let created = done["status"]["totals"]["created"].as_u64().unwrap();
    assert!(
        created as usize <= total && created > 0,
        "{created} of {total}"
    );
}
