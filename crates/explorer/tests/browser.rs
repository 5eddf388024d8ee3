//! The explorer in a real browser: Debian's headless Chromium driven by playwright-core
//! (`tests/js/browser.mjs`) signs in (after a wrong password), reads the overview and
//! follows a bar, chooses a queue by name and follows a bar of its chart, searches with filters and pages both ways, is refused a search, downloads
//! it as CSV, opens an engagement and its customer's journey, tries an unknown and an
//! over-long identifier, a wrong address and another tenant's engagement, reads every page
//! again at 390 px, and signs out, with axe-core run on every page at both widths; and (`tests/js/dashboard.mjs`) reads the dashboard's
//! charts and tables and follows a bucket's and a group's link to the search. Screenshots
//! land in the test's temporary directory (kept, and named, when the test fails); the
//! assertions are on the pages' content.
//!
//! Needs Node.js 20+ and npm (`npm ci` runs in tests/js on first use) and
//! `/usr/bin/chromium` (`scripts/ensure-chromium` installs it when missing; this test runs
//! that script first).

mod common;

use common::*;
use interlog_store::ClientRole;
use interlog_testkit::spawn_app;
use jiff::{Timestamp, ToSpan};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Chromium, Node.js and playwright-core, installed when missing.
fn ensure_tools() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join("scripts/ensure-chromium"))
        .output()
        .expect("scripts/ensure-chromium runs");
    assert!(
        out.status.success(),
        "Chromium is needed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| e.to_string());
    let version = node.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let major: u32 = version
        .as_deref()
        .unwrap_or("")
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "the browser test needs Node.js 20 or later on the PATH, found {version:?}"
    );
    let installed = ["playwright-core", "axe-core"]
        .iter()
        .all(|m| js_dir().join("node_modules").join(m).is_dir());
    if !installed {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(js_dir())
            .output()
            .expect("npm runs");
        assert!(
            out.status.success(),
            "`npm ci` in {} failed:\n{}\n{}",
            js_dir().display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs the browser script `script` (in tests/js) with `args` and a fresh directory for its
/// screenshots: what it saw (its last line of output, JSON), and the directory, kept for
/// the test to remove once it has passed.
async fn drive(script: &str, args: &[&str]) -> (Value, PathBuf) {
    let shots = tempfile::Builder::new()
        .prefix("explorer-browser-")
        .tempdir()
        .unwrap();
    // Chromium hangs in its zygote under libfaketime (the suite is run under `faketime` to
    // check it holds on any day and hour): the browser keeps the real clock, as a user's
    // would; the server's cookies carry Max-Age, not a date, so the two clocks agree.
    let out = tokio::process::Command::new("node")
        .env_remove("LD_PRELOAD")
        .arg(script)
        .args(args)
        .arg(shots.path())
        .current_dir(js_dir())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), out)
        .await
        .expect("the browser script finishes within two minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or("null"))
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (seen, shots.keep())
}

fn ago(hours: i64) -> String {
    Timestamp::now()
        .checked_sub(hours.hours())
        .unwrap()
        .to_string()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing: {v:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_searches_reads_an_engagement_and_a_journey_and_signs_out() {
    ensure_tools();
    let app = spawn_app().await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    // The chat's queue visit names its agent by id, it was connected, and Ann's joining is
    // a line of its transcript without text.
    let mut chat = full("chat-1", &ago(2), "+353 1 555 0100");
    chat.queues[0].agent_id = Some("ag-1".into());
    chat.release = Some(interlog_model::Release::Connected);
    let mut joined = chat.messages[1].clone();
    joined.index = 3;
    joined.kind = "ParticipantJoined".into();
    joined.text = None;
    chat.messages.push(joined);
    let mut seeds = vec![chat];
    for i in 0..5 {
        seeds.push(engagement(json!({
            "id": format!("call-{i}"), "started_at": ago(30 + i), "direction": "inbound",
            "outcome": "successful", "channels": [{"type": "voice"}],
            "participants": [{"role": "agent", "email": "ann@acme.test"}],
            "customer": {"phones": ["01 555 0100"]}
        })));
    }
    seeds.push(engagement(
        json!({"id": "out-1", "started_at": ago(3), "direction": "outbound",
        "channels": [{"type": "voice"}]}),
    ));
    seed_with_a_foreign_customer(&app, seeds, "globex-only", &ago(1)).await;

    let (seen, keep) = drive(
        "browser.mjs",
        &[&app.base, "acme", "rita", PASSWORD, "globex-only"],
    )
    .await;
    let check = |ok: bool, what: &str| {
        assert!(ok, "{what}: {seen:#}\nscreenshots in {}", keep.display());
    };
    check(seen.get("error").is_none(), "the browser script failed");

    check(
        s(&seen, "unsigned_url").contains("/ui/login?next=%2Fui"),
        "not signed in: to the sign-in page",
    );
    check(
        s(&seen, "wrong_password_alert").starts_with("Sign-in failed"),
        "a wrong password is refused",
    );
    check(
        s(&seen, "wrong_password_url").ends_with("/ui/login"),
        "and stays on the sign-in page",
    );

    check(
        s(&seen, "overview_url").ends_with("/ui"),
        "signed in: the overview",
    );
    check(
        s(&seen, "overview_total") == "7",
        "seven engagements in 90 days",
    );
    check(
        s(&seen, "overview_legend").contains("voice")
            && s(&seen, "overview_legend").contains("chat"),
        "the chart's legend",
    );
    check(
        s(&seen, "overview_outcomes").contains("successful"),
        "counts by outcome",
    );
    check(
        seen["overview_bars"].as_u64().unwrap_or(0) >= 2,
        "bars drawn",
    );
    check(
        seen["overview_ticks"].as_u64().unwrap_or(0) >= 3,
        "a y-axis with ticks between 0 and the top",
    );
    check(
        s(&seen, "bar_url").contains("/ui/engagements?channel_type=")
            && s(&seen, "bar_url").contains("started_from=")
            && s(&seen, "bar_total").parse::<u64>().unwrap_or(0) >= 1,
        "a bar opens the search of what it counts",
    );
    check(
        s(&seen, "overview_range_error").contains("must not be before From"),
        "a backwards range is refused next to its field",
    );
    check(
        s(&seen, "overview_queue_list") == "queue-names"
            && seen["overview_queue_options"] == json!(["Billing"]),
        "the overview's queue field suggests the tenant's queues by name",
    );
    check(
        s(&seen, "queue_overview_url").contains("queue=Billing")
            && s(&seen, "queue_overview_heading").contains("Queue Billing")
            && s(&seen, "queue_overview_total") == "1"
            && s(&seen, "queue_overview_lead").contains("1 visit offered to the queue Billing"),
        "a queue chosen by name: its visits per day, said plainly",
    );
    check(
        seen["queue_overview_bars"] == 1
            && (s(&seen, "queue_overview_legend").contains("still waiting")
                || s(&seen, "queue_overview_legend").contains("abandoned")),
        "the queue's chart: one bar, its key",
    );
    check(
        s(&seen, "queue_bar_url").contains("/ui/engagements?queue_id=Billing&started_from=")
            && s(&seen, "queue_bar_total") == "1",
        "the queue's bar opens the search of that queue's engagements of that day",
    );
    check(
        s(&seen, "search_link").starts_with("/ui/engagements?queue_id=Billing&started_from=")
            && s(&seen, "search_link_text") == "Link to this search",
        "the search links to itself",
    );
    let cookie = &seen["session_cookie"];
    check(
        cookie["httpOnly"] == true && cookie["sameSite"] == "Strict" && cookie["path"] == "/ui",
        "the session cookie",
    );

    check(
        s(&seen, "search_url").contains("channel_type=voice")
            && s(&seen, "search_url").contains("direction=inbound")
            && s(&seen, "search_url").contains("agent=ann%40acme.test"),
        "the search is in the URL",
    );
    check(
        s(&seen, "search_total") == "5",
        "five inbound voice engagements of Ann",
    );
    check(seen["search_rows"] == 5, "five rows");
    check(
        seen["page1_rows"] == 2 && seen["page2_rows"] == 2,
        "pages of two",
    );
    check(seen["page2_has_next"] == true, "a third page follows");
    check(
        seen["page1_first"] != seen["page2_first"],
        "the next page is another page",
    );
    check(
        s(&seen, "search_agents").contains("ann@acme.test"),
        "agents shown, as a link",
    );
    check(
        s(&seen, "page1_position").starts_with("1–2 of 5 matching engagements")
            && s(&seen, "page2_position").starts_with("3–4 of 5 matching engagements")
            && s(&seen, "page3_position").starts_with("5 of 5 matching engagements"),
        "each page says where it is, and the total plainly",
    );
    check(
        seen["back_to_2_first"] == seen["page2_first"]
            && s(&seen, "back_to_2_position").starts_with("3–4 of 5"),
        "the previous page is the page shown before",
    );
    check(
        seen["back_to_1_first"] == seen["page1_first"] && seen["back_to_1_has_previous"] == false,
        "and back to the first",
    );
    check(
        s(&seen, "agent_cell_url").contains("/ui/engagements?agent=ann%40acme.test"),
        "an agent's cell searches for the agent",
    );
    check(
        s(&seen, "queue_field_list") == "queue-names",
        "the queue field suggests names",
    );
    check(
        seen["queue_options"] == json!(["Billing"]),
        "the tenant's queues are suggested by name",
    );
    check(
        seen["agent_options"] == json!(["ann@acme.test", "Ann Agent"]),
        "the tenant's agents are suggested by name (an agent without one by email)",
    );
    check(
        s(&seen, "queue_search_url").contains("queue_id=Billing"),
        "the queue picked by name is searched for",
    );
    check(
        s(&seen, "queue_search_total") == "1"
            && s(&seen, "queue_search_queues").contains("Billing"),
        "and finds the engagement of that queue",
    );
    check(
        s(&seen, "phone_end_total") == "6",
        "the last digits of a phone number find its customer's engagements",
    );
    check(seen["refused_status"] == 400, "a refused search is a 400");
    check(
        s(&seen, "refused_field_error") == "must be after Started from",
        "the error is next to its field, in the labels' words",
    );
    check(
        s(&seen, "refused_alert").contains("Started before"),
        "and named by the field's label above the results",
    );
    check(
        s(&seen, "csv_type").starts_with("text/csv") && seen["csv_lines"] == 6,
        "the CSV holds the header and every match, not only the page",
    );

    check(s(&seen, "engagement_id") == "chat-1", "the chat engagement");
    check(
        s(&seen, "engagement_heading").starts_with("Mary Customer · chat · "),
        "headed by the customer, channel and start",
    );
    check(
        s(&seen, "engagement_outcome") == "successful"
            && s(&seen, "engagement_release") == "connected",
        "outcome and connection as two values",
    );
    check(
        s(&seen, "engagement_queue_agent") == "Ann Agent",
        "the queue visit's agent by name",
    );
    check(
        seen["engagement_audio"] == 1
            && s(&seen, "engagement_recording_link") == "https://rec.example/rec-1.wav",
        "the recording as a link and a player",
    );
    check(
        s(&seen, "engagement_events").starts_with("Ann joined")
            && !s(&seen, "engagement_transcript").contains("(ParticipantJoined)"),
        "a join as a small line, not a bubble",
    );
    check(
        seen["engagement_apis_open"] == false,
        "the APIs' addresses folded away for developers",
    );
    check(
        s(&seen, "engagement_participants").contains("Ann Agent"),
        "its participants",
    );
    check(
        s(&seen, "engagement_transcript").contains("Hello, my bill is wrong"),
        "its transcript",
    );
    check(
        s(&seen, "engagement_apis").contains("/v2/contact_center/engagements/chat-1"),
        "its address in each API",
    );

    check(
        s(&seen, "journey_name") == "Mary Customer",
        "the journey names the customer",
    );
    check(
        seen["journey_newest_right"] == true,
        "the timeline runs oldest to newest from the left",
    );
    check(
        seen["journey_dot_focused"] == true,
        "the timeline's links take the keyboard's focus",
    );
    check(
        s(&seen, "journey_empty").starts_with("No engagements for this customer"),
        "an unknown customer is said to have none",
    );
    check(
        seen["journey_long_status"] == 400
            && seen["journey_long_form"] == 1
            && s(&seen, "journey_long_error").contains("at most 1024 characters"),
        "an over-long identifier keeps the form, the error by its field",
    );
    check(
        seen["nope_status"] == 404
            && s(&seen, "nope_type").starts_with("text/html")
            && s(&seen, "nope_text").contains("no page at this address"),
        "a wrong address is the explorer's own 404 page",
    );
    for (name, f) in seen["phone"].as_object().cloned().unwrap_or_default() {
        check(
            f["fits"] == true && f["sign_out_visible"] == true,
            &format!("{name} fits 390 px with sign-out in view"),
        );
    }
    check(
        seen["phone"].as_object().map_or(0, |p| p.len()) == 6,
        "every page seen at 390 px",
    );
    check(
        seen["phone_form_folded"] == true,
        "the search form folds away once it has found something",
    );
    for (name, found) in seen["axe"].as_object().cloned().unwrap_or_default() {
        check(
            found.as_array().is_some_and(|a| a.is_empty()),
            &format!("axe finds nothing serious or critical on {name}"),
        );
    }
    check(
        seen["axe"].as_object().map_or(0, |p| p.len()) >= 16,
        "axe ran on every page",
    );
    check(
        s(&seen, "journey_count") == "6",
        "the journey: every engagement of the linked identifiers",
    );
    check(
        s(&seen, "journey_identifiers").contains("mary@example.org"),
        "the linked identifiers",
    );
    check(
        seen["journey_dots"] == 6,
        "a dot per engagement on the timeline",
    );
    check(
        s(&seen, "journey_badges").contains("channel switch")
            && s(&seen, "journey_badges").contains("repeat"),
        "switches and repeats marked",
    );

    check(
        seen["foreign_status"] == 404,
        "another tenant's engagement is a 404",
    );
    check(
        s(&seen, "foreign_text").contains("no engagement"),
        "and says so",
    );

    check(
        s(&seen, "signed_out_url").ends_with("/ui/login"),
        "signed out",
    );
    check(
        s(&seen, "after_sign_out_url").contains("/ui/login"),
        "the session is gone",
    );

    for name in [
        "01-login",
        "03-overview",
        "03b-overview-queue",
        "04-search",
        "05-page-2",
        "05c-queue-by-name",
        "06-engagement",
        "07-journey",
        "08-not-found",
        "p1-overview",
        "p1b-overview-queue",
        "p2-search",
        "p3-engagement",
        "p4-journey",
        "p5-dashboard",
    ] {
        check(
            Path::new(&keep).join(format!("{name}.png")).is_file(),
            "screenshots saved",
        );
    }
    std::fs::remove_dir_all(&keep).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_reads_the_dashboard_and_follows_a_bucket_and_a_group_to_their_engagements() {
    ensure_tools();
    let app = spawn_app().await;
    user(&app, &app.tenant, "rita", ClientRole::Reader).await;
    seed_with_a_foreign_customer(
        &app,
        dashboard_seeds(),
        "globex-call",
        "2024-03-04T12:00:00Z",
    )
    .await;
    let (seen, keep) = drive("dashboard.mjs", &[&app.base, "acme", "rita", PASSWORD]).await;
    let check = |ok: bool, what: &str| {
        assert!(ok, "{what}: {seen:#}\nscreenshots in {}", keep.display());
    };
    check(seen.get("error").is_none(), "the browser script failed");
    check(
        s(&seen, "after_sign_in_url").ends_with("/ui/dashboard")
            && s(&seen, "nav_here") == "Dashboard",
        "sign-in leads to the dashboard",
    );
    check(s(&seen, "offered_total") == "6", "six calls offered");
    check(
        seen["axe"].as_array().is_some_and(|a| a.is_empty()),
        "axe finds nothing serious or critical on the dashboard",
    );
    check(
        seen["volume_bars"] == 9 && seen["volume_bars_visible"] == true,
        "three bars a day, drawn",
    );
    check(
        seen["wait_lines"].as_u64().unwrap_or(0) >= 2 && seen["threshold_lines"] == 1,
        "ASA and service level lines, and the threshold",
    );
    check(
        seen["wait_dots"].as_u64().unwrap_or(0) >= 4,
        "points on the lines",
    );
    check(seen["aht_bars"] == 2, "AHT of Ann and Bob");
    check(
        seen["volume_rows"] == 3 && seen["waits_rows"] == 3 && seen["group_rows"] == 3,
        "a table under each chart",
    );
    check(
        s(&seen, "definitions").contains("answered + abandoned - short_abandoned"),
        "the definitions in view",
    );
    check(
        s(&seen, "bucket_url").contains("/ui/engagements?started_from=2024-03-04"),
        "a day's link is a search of that day",
    );
    check(
        s(&seen, "bucket_total") == s(&seen, "first_day_offered")
            && s(&seen, "bucket_total") == "3",
        "the day's engagements are the ones it counts",
    );
    check(
        s(&seen, "group_url").contains("agent=") && s(&seen, "group_total") == "2",
        "an agent's link finds the agent's engagements",
    );
    check(
        s(&seen, "week_url").contains("interval=week") && seen["week_rows"] == 1,
        "the form sends the interval",
    );
    check(
        s(&seen, "week_groups").contains("Sales") && s(&seen, "week_groups").contains("Billing"),
        "handle time by queue",
    );
    for name in ["10-dashboard", "11-bucket", "12-dashboard-week"] {
        check(
            Path::new(&keep).join(format!("{name}.png")).is_file(),
            "screenshots saved",
        );
    }
    std::fs::remove_dir_all(&keep).ok();
}
