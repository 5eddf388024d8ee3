//! The explorer over HTTP, as a browser sees it without running one: sign-in and its
//! cookie, CSRF, sessions shared by instances, sign-out, every page, and tenant isolation.
//! (`browser.rs` drives the same through headless Chromium.)

mod common;

use common::*;
use interlog_store::ClientRole;
use interlog_testkit::{spawn_app, spawn_app_with, TestConfig, SECRET};
use jiff::{Timestamp, ToSpan};
use serde_json::{json, Value};

fn ago(hours: i64) -> String {
    Timestamp::now()
        .checked_sub(hours.hours())
        .unwrap()
        .to_string()
}

/// The address of the link with the id `id` on `page`, unescaped.
fn href_of(page: &str, id: &str) -> String {
    page.split(&format!("id=\"{id}\""))
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_cookies_that_hold_across_instances_until_sign_out() {
    let app = spawn_app().await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    let mut b = Browser::new(&app.base);

    let (status, location, _) = b.get("/ui/engagements?agent=x").await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/ui/login?next=%2Fui%2Fengagements%3Fagent%3Dx")
    );

    // The sign-in form's own cookie, and a wrong password.
    let (status, _, page) = b.get("/ui/login").await;
    assert_eq!(status, 200);
    let login_cookie = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("interlog_ui_login="))
        .unwrap()
        .clone();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(login_cookie.contains(attr), "{login_cookie}");
    }
    assert!(
        !login_cookie.contains("Secure"),
        "plain HTTP: {login_cookie}"
    );
    let csrf = hidden(&page, "csrf");
    let (status, _, page) = b
        .post(
            "/ui/login",
            &[
                ("csrf", &csrf),
                ("tenant", "acme"),
                ("username", "rita"),
                ("password", "wrong"),
            ],
        )
        .await;
    assert_eq!(status, 401);
    assert_shows(&page, &["Sign-in failed"]);
    assert!(!b.cookies.contains_key("interlog_ui"));

    // A form without the sign-in cookie (a forged one) is refused.
    let mut forger = Browser::new(&app.base);
    let (status, _, _) = forger
        .post(
            "/ui/login",
            &[
                ("csrf", &csrf),
                ("tenant", "acme"),
                ("username", "rita"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert!(!forger.cookies.contains_key("interlog_ui"));

    let (status, location, _) = b.sign_in("acme", "rita", PASSWORD).await;
    assert_eq!((status, location.as_str()), (303, "/ui"));
    let session = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("interlog_ui="))
        .unwrap()
        .clone();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui", "Max-Age=28800"] {
        assert!(session.contains(attr), "{session}");
    }
    assert!(b.cookies["interlog_ui"].starts_with("acme."));
    let (status, _, page) = b.get("/ui").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Overview") && page.contains("rita Example") && page.contains("reader"));

    // Another instance on the same store knows the session.
    let second = app.second_instance().await;
    let mut there = Browser::new(&format!("http://{}", second.addr));
    there.cookies = b.cookies.clone();
    assert_eq!(there.get("/ui/engagements").await.0, 200);

    // Sign-out needs the session's token, then ends the session everywhere.
    let (_, _, page) = b.get("/ui").await;
    let token = hidden(&page, "csrf");
    assert_eq!(b.post("/ui/logout", &[("csrf", "forged")]).await.0, 403);
    b.headers = vec![("sec-fetch-site".into(), "cross-site".into())];
    assert_eq!(b.post("/ui/logout", &[("csrf", &token)]).await.0, 403);
    b.headers.clear();
    let (status, location, _) = b.post("/ui/logout", &[("csrf", &token)]).await;
    assert_eq!((status, location.as_str()), (303, "/ui/login"));
    assert!(b
        .set_cookies
        .iter()
        .any(|c| c.starts_with("interlog_ui=;") && c.contains("Max-Age=0")));
    assert_eq!(
        there.get("/ui").await.0,
        303,
        "the other instance forgot it too"
    );
    second.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_signs_in_with_its_id_and_secret_and_tls_proxies_get_secure_cookies() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app.base);
    b.headers = vec![("x-forwarded-proto".into(), "https".into())];
    let (_, _, page) = b.get("/ui/login").await;
    assert!(b.set_cookies[0].contains("; Secure"), "{:?}", b.set_cookies);
    let csrf = hidden(&page, "csrf");
    let (status, _, _) = b
        .post(
            "/ui/login",
            &[
                ("csrf", &csrf),
                ("client_id", &app.client_id),
                ("client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let session = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("interlog_ui="))
        .unwrap();
    assert!(session.contains("; Secure"), "{session}");
    let (status, _, page) = b.get("/ui").await;
    assert_eq!(status, 200);
    assert!(page.contains("acme-admin") && page.contains("admin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_search_engagement_journey_and_overview_of_the_own_tenant_only() {
    let app = spawn_app().await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    let mut seeds = vec![full("chat-1", &ago(2), "+353 1 555 0100")];
    for i in 0..7 {
        seeds.push(engagement(json!({
            "id": format!("call-{i}"), "started_at": ago(30 + i), "ended_at": ago(29 + i),
            "direction": if i % 2 == 0 { "inbound" } else { "outbound" },
            "outcome": if i < 5 { "successful" } else { "unsuccessful" },
            "channels": [{"type": "voice"}],
            "participants": [{"role": "agent", "email": "ann@acme.test"}],
            "customer": {"phones": ["01 555 0100"]},
            "data": {"order": format!("A-{i}")}
        })));
    }
    seeds.push(engagement(
        json!({"id": "mail-1", "started_at": ago(200), "channels": [{"type": "email"}],
        "customer": {"emails": ["mary@example.org"]}}),
    ));
    seed_with_a_foreign_customer(&app, seeds, "globex-secret", &ago(1)).await;

    let mut b = Browser::new(&app.base);
    assert_eq!(b.sign_in("acme", "rita", PASSWORD).await.0, 303);

    // Overview: the last 90 days, by channel and outcome.
    let (status, _, page) = b.get("/ui").await;
    assert_eq!(status, 200);
    assert_shows(
        &page,
        &[
            "<strong id=\"total-90\">9</strong>",
            ">successful</a></td><td class=\"num\">6</td>",
            "<svg",
            " voice (",
        ],
    );

    // Search: filters, total, keyset paging, a bookmarkable URL.
    let (status, _, page) = b
        .get("/ui/engagements?channel_type=voice&direction=inbound&limit=2")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_shows(&page, &["<strong id=\"total\">4</strong>"]);
    assert_eq!(page.matches("class=\"engagement-link\"").count(), 2);
    let next = href_of(&page, "next-page");
    assert!(
        next.starts_with("/ui/engagements?channel_type=voice&direction=inbound&limit=2&cursor=")
            && next.ends_with("&total=4"),
        "{next}"
    );
    let (status, _, page2) = b.get(&next).await;
    assert_eq!(status, 200);
    assert_eq!(page2.matches("class=\"engagement-link\"").count(), 2);
    assert!(!page2.contains("id=\"next-page\""), "4 in pages of 2");
    assert!(page2.contains("<strong id=\"total\">4</strong>"), "{page2}");
    let (_, _, page) = b
        .get("/ui/engagements?data_key=order&data_value=A-3&started_from=2000-01-01T00:00")
        .await;
    assert_shows(&page, &["<strong id=\"total\">1</strong>"]);
    let (status, _, page) = b.get("/ui/engagements?started_from=yesterday").await;
    assert_eq!(status, 400);
    assert_shows(&page, &["id=\"search-error\""]);
    // The Words box: full-text q, kept in the form.
    let (status, _, page) = b.get("/ui/engagements?q=refund+FRIDAY").await;
    assert_eq!(status, 200, "{page}");
    assert_shows(
        &page,
        &[
            "<strong id=\"total\">1</strong>",
            "name=\"q\" value=\"refund FRIDAY\"",
        ],
    );
    let (status, _, page) = b.get("/ui/engagements?q=%22refund").await;
    assert_eq!(status, 400);
    assert_shows(
        &page,
        &[
            "id=\"search-error\"",
            "see Words above",
            "aria-describedby=\"q-error\"",
            "id=\"q-error\">at position 1:",
        ],
    );

    // One engagement: every part, escaped, and each API's address.
    let (status, _, page) = b.get("/ui/engagements/chat-1").await;
    assert_eq!(status, 200);
    assert_shows(
        &page,
        &[
            "Ann Agent",
            "title=\"q-billing\">Billing</span>",
            "<audio controls",
            "to_queue (warm)",
            "rec-1.wav",
            "Resolved (d-7)",
            "Refund promised &#60;b&#62;by Friday",
            "Hello, my bill is wrong",
            "class=\"customer\"",
            "A-42",
            "zoom_cc",
            "/api/v1/tenants/acme/engagements/chat-1",
            "/v2/contact_center/engagements/chat-1",
            "POST /api/v2/ucs/interactions/chat-1",
            "/v1/engagements/acme?status=all&#38;startAfter=",
        ],
    );
    assert!(!page.contains("<b>by Friday"), "notes are escaped");

    // The journey: every identifier linked, every channel, newest first.
    let (status, _, page) = b.get("/ui/journey?customer=01+555+0100").await;
    assert_eq!(status, 200);
    assert_shows(
        &page,
        &[
            "<strong id=\"journey-count\">9</strong>",
            "mary@example.org",
            "phone: +353 1 555 0100",
        ],
    );
    let first = page.find("chat-1").unwrap();
    let last = page.rfind("mail-1").unwrap_or(0);
    assert_shows(&page, &["channel switch", "repeat"]);
    assert!(first < last || last == 0);
    assert!(!page.contains("globex-secret"));

    // The search as CSV: a header and a line a match, the other tenant's left out.
    let (status, _, csv) = b
        .get("/ui/engagements.csv?channel_type=voice&direction=inbound&limit=2")
        .await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        b.last_headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/csv")),
        "{:?}",
        b.last_headers
    );
    assert_eq!(csv.lines().count(), 5, "every match, not one page: {csv}");
    assert!(csv.starts_with("id,started,channels,"), "{csv}");
    assert!(!csv.contains("globex-secret"));

    // An address the explorer does not have: its own page, not the APIs' JSON.
    let (status, _, page) = b.get("/ui/nope").await;
    assert_eq!(status, 404);
    assert_shows(
        &page,
        &[
            "<!DOCTYPE html>",
            "no page at this address",
            "id=\"sign-out\"",
        ],
    );

    // Another tenant's engagement is not there.
    let (status, _, page) = b.get("/ui/engagements/globex-secret").await;
    assert_eq!(status, 404);
    assert_shows(&page, &["no engagement with this id"]);
    assert!(!b
        .get("/ui/engagements?customer=01+555+0100")
        .await
        .2
        .contains("globex-secret"));
}

/// The credential guard's refusals reach the sign-in form as a page that says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_past_the_credential_budget_shows_the_form_with_when_to_retry() {
    let app = spawn_app_with(TestConfig::toml(
        "credential_burst = 1\ncredential_per_minute = 1",
    ))
    .await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    let mut b = Browser::new(&app.base);
    let (status, _, page) = b.sign_in("acme", "rita", "wrong password").await;
    assert_eq!(status, 401, "{page}");
    let (status, _, page) = b.sign_in("acme", "rita", PASSWORD).await;
    assert_eq!(status, 429, "{page}");
    assert_shows(
        &page,
        &["Too many attempts from your address. Try again in"],
    );
    assert!(page.contains("name=\"csrf\""), "the form again: {page}");
    assert!(
        page.contains("value=\"rita\""),
        "what was typed is kept: {page}"
    );
    let retry = b
        .last_headers
        .iter()
        .find(|(k, _)| k == "retry-after")
        .map(|(_, v)| v.parse::<u64>().unwrap());
    assert!(retry.is_some_and(|s| s >= 1), "{:?}", b.last_headers);
    assert!(
        !b.cookies.contains_key("interlog_ui"),
        "no session was opened"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_the_tenant_s_connectors_and_where_each_stands() {
    let app = spawn_app().await;
    user(&app, &app.tenant, "ada", ClientRole::Admin).await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    let r = app
        .call(
            reqwest::Method::POST,
            "/api/v1/tenants/acme/connectors",
            Some(&app.admin),
            Some(json!({
                "kind": "zoom_cc", "account_id": "a", "client_id": "c",
                "client_secret": "never-shown", "start_from": "2026-01-01T00:00:00Z",
                "enabled": false,
            })),
        )
        .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut admin = Browser::new(&app.base);
    assert_eq!(admin.sign_in("acme", "ada", PASSWORD).await.0, 303);
    let (status, _, page) = admin.get("/ui/connectors").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("<tr id=\"{id}\">")), "{page}");
    assert!(
        page.contains("<td>zoom_cc</td>") && page.contains("disabled"),
        "{page}"
    );
    assert!(!page.contains("never-shown"));
    let (_, _, overview) = admin.get("/ui").await;
    assert!(
        overview.contains("href=\"/ui/connectors\""),
        "admins find it in the menu"
    );

    let mut reader = Browser::new(&app.base);
    assert_eq!(reader.sign_in("acme", "rita", PASSWORD).await.0, 303);
    assert_eq!(reader.get("/ui/connectors").await.0, 403);
    let (_, _, overview) = reader.get("/ui").await;
    assert!(!overview.contains("/ui/connectors"));
}

/// The dashboard: a range of dates of the tenant's zone, its figures as charts and tables,
/// links from each bucket and group to the search, the tenant's own engagements only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_a_ranges_figures_with_links_to_their_engagements() {
    let app = spawn_app().await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    seed_with_a_foreign_customer(
        &app,
        dashboard_seeds(),
        "globex-call",
        "2024-03-04T12:00:00Z",
    )
    .await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.sign_in("acme", "rita", PASSWORD).await.0, 303);

    let (status, _, page) = b
        .get("/ui/dashboard?from=2024-03-04&to=2024-03-06&interval=day&group=agent&sl_threshold_secs=20")
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<strong id=\"offered-total\">6</strong>"),
        "{page}"
    );
    // Three buckets, three bars each; the day rows with their counts and links.
    assert_eq!(page.matches("<rect class=\"offered\"").count(), 3);
    assert!(page.contains("2024-03-04</td><td class=\"num\">3</td><td class=\"num\">2</td><td class=\"num\">1</td>"), "{page}");
    let link = "/ui/engagements?started_from=2024-03-05T00%3A00%3A00%2B00%3A00&#38;started_to=2024-03-06T00%3A00%3A00%2B00%3A00";
    assert!(page.contains(link), "{page}");
    // ASA against the threshold, and service level: on the 4th, one of two answers in 20 s
    // and an abandon: 1 of 3; ASA 25 s.
    assert!(page.contains("class=\"threshold\""), "{page}");
    assert!(page.contains("<td>2024-03-04</td><td class=\"num\">25s</td><td class=\"num\">5m 00s</td><td class=\"num\">33.3%</td><td class=\"num\">1 / 3</td>"), "{page}");
    // AHT by agent: Ann and Bob handled two each, 4m 40s; the abandoned calls have none.
    assert!(
        page.contains(
            "<td>ann Agent (ann)</td><td class=\"num\">2</td><td class=\"num\">4m 40s</td>"
        ),
        "{page}"
    );
    assert!(page.contains("<td>no agent</td>"), "{page}");
    assert!(
        page.contains("agent=ann"),
        "a group's link to its engagements"
    );
    assert!(!page.contains("globex"), "{page}");

    // Filters by their native names, kept in the form; a bad value names itself.
    let (status, _, page) = b
        .get("/ui/dashboard?from=2024-03-04&to=2024-03-06&queue_id=q-billing")
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<strong id=\"offered-total\">2</strong>"),
        "{page}"
    );
    assert!(
        page.contains("name=\"queue_id\" value=\"q-billing\""),
        "{page}"
    );
    let (status, _, page) = b
        .get("/ui/dashboard?from=2024-03-04&interval=fortnight")
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("id=\"dashboard-error\"") && page.contains("interval"),
        "{page}"
    );

    // Without a range: the last seven days of the tenant's zone, a bucket a day.
    let (status, _, page) = b.get("/ui/dashboard").await;
    assert_eq!(status, 200);
    assert_eq!(
        page.split("id=\"volume-table\"")
            .nth(1)
            .unwrap()
            .split("<tbody>")
            .nth(1)
            .unwrap()
            .split("</tbody>")
            .next()
            .unwrap()
            .matches("<tr>")
            .count(),
        7,
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_draws_a_chosen_queues_visits_per_day_and_its_bars_open_the_search() {
    let app = spawn_app().await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    // The dashboard's calls (Billing: one abandoned on the 4th, one answered on the 5th),
    // and one on the 6th that waited in Sales, then in another queue called Billing.
    let mut seeds = dashboard_seeds();
    seeds.push(engagement(json!({
        "id": "both-1", "started_at": "2024-03-06T10:00:00Z", "ended_at": "2024-03-06T10:09:00Z",
        "channels": [{"type": "voice"}],
        "queues": [
            {"id": "q-sales", "name": "Sales", "queued_at": "2024-03-06T10:00:00Z",
             "accepted_at": "2024-03-06T10:00:30Z"},
            {"id": "q-billing-2", "name": "BILLING", "queued_at": "2024-03-06T10:05:00Z",
             "accepted_at": "2024-03-06T10:05:10Z"}
        ]
    })));
    app.seed(seeds).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.sign_in("acme", "rita", PASSWORD).await.0, 303);

    let (status, _, page) = b
        .get("/ui?from=2024-03-04&to=2024-03-06&queue=billing")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_shows(
        &page,
        &[
            "<h2 id=\"queue-heading\">Queue billing: visits per day</h2>",
            // Only the visits to the queues called Billing: not both-1's visit to Sales.
            "<strong id=\"total-90\">3</strong> visits offered to the queue billing",
            "<title>2024-03-04: 1 abandoned of 1 visit offered to billing</title>",
            "<title>2024-03-05: 1 answered of 1 visit offered to billing</title>",
            "<title>2024-03-06: 1 answered of 1 visit offered to billing</title>",
            "<pattern id=\"hatch-abandoned\"",
            "name=\"queue\" list=\"queue-names\" autocomplete=\"off\" value=\"billing\"",
            "<option value=\"Billing\">q-billing</option>",
            "<option value=\"Sales\">q-sales</option>",
        ],
    );
    assert!(
        !page.contains("class=\"outcomes\""),
        "the tenant's outcomes are not the queue's"
    );
    // A bar opens the search of that queue's engagements of that day.
    let bar =
        "/ui/engagements?queue_id=billing&#38;started_from=2024-03-06&#38;started_to=2024-03-06";
    assert!(page.contains(&format!("<a href=\"{bar}\"")), "{page}");
    let (status, _, found) = b.get(&bar.replace("&#38;", "&")).await;
    assert_eq!(status, 200, "{found}");
    assert_shows(&found, &["<strong id=\"total\">1</strong>", "both-1"]);
    // "Last 90 days" keeps the queue chosen, and shows that queue's last 90 days.
    assert!(
        page.contains("<a href=\"/ui?queue=billing\" id=\"last-days\">Last 90 days</a>"),
        "{page}"
    );
    let (status, _, last) = b.get("/ui?queue=billing").await;
    assert_eq!(status, 200, "{last}");
    assert_shows(
        &last,
        &[
            "<h2 id=\"queue-heading\">Queue billing: visits per day</h2>",
            "value=\"billing\"",
        ],
    );
    let (_, _, odd) = b.get("/ui?queue=Billing%20%26%20Co").await;
    assert!(
        odd.contains("<a href=\"/ui?queue=Billing+%26+Co\" id=\"last-days\">"),
        "the queue's name is encoded in the link: {odd}"
    );

    // A queue nothing visited: no bars, zero said plainly.
    let (status, _, page) = b
        .get("/ui?from=2024-03-04&to=2024-03-06&queue=Nobody")
        .await;
    assert_eq!(status, 200);
    assert_shows(
        &page,
        &["<strong id=\"total-90\">0</strong> visits offered to the queue Nobody"],
    );
    assert!(!page.contains("class=\"bar-link\""), "{page}");
    // A value no queue could have is refused next to the field, the form kept.
    let long = "x".repeat(1100);
    let (status, _, page) = b
        .get(&format!("/ui?from=2024-03-04&to=2024-03-06&queue={long}"))
        .await;
    assert_eq!(status, 400, "{page}");
    assert_shows(
        &page,
        &[
            "aria-describedby=\"queue-error\"",
            "id=\"queue-error\"",
            "value=\"2024-03-04\"",
        ],
    );
    // Without a queue, the channels as before.
    let (status, _, page) = b.get("/ui?from=2024-03-04&to=2024-03-06").await;
    assert_eq!(status, 200);
    assert_shows(
        &page,
        &[
            "<strong id=\"total-90\">7</strong> engagements started",
            "class=\"outcomes\"",
            "<a href=\"/ui\" id=\"last-days\">Last 90 days</a>",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_links_to_itself_without_its_paging() {
    let app = spawn_app().await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    app.seed(dashboard_seeds()).await;
    let mut b = Browser::new(&app.base);
    assert_eq!(b.sign_in("acme", "rita", PASSWORD).await.0, 303);
    let (status, _, page) = b.get("/ui/engagements?queue_id=Sales&limit=2").await;
    assert_eq!(status, 200, "{page}");
    let link = "<a href=\"/ui/engagements?queue_id=Sales&#38;limit=2\" id=\"search-link\"";
    assert!(page.contains(link), "{page}");
    // The next page links to the same search, not to itself.
    let next = href_of(&page, "next-page");
    let (status, _, page2) = b.get(&next).await;
    assert_eq!(status, 200, "{page2}");
    assert!(page2.contains(link), "{page2}");
    // A search that finds nothing links to itself too.
    let (_, _, none) = b.get("/ui/engagements?queue_id=Nobody").await;
    assert!(
        none.contains("<a href=\"/ui/engagements?queue_id=Nobody\" id=\"search-link\""),
        "{none}"
    );
}
