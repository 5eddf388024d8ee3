//! Analytics over HTTP, as `interlog serve` answers it, on whichever store the suite runs
//! with. The expected figures are computed here, independently of the server, by a plain
//! loop over the generated engagements that were ingested: every metric of every bucket,
//! overall and by each dimension, by local day across a daylight-saving change, by hour
//! across another, by week with Amazon's service level, and with filters.

use interlog_generate::{Generator, GeneratorConfig};
use interlog_model::{Engagement, Role, State, Timestamp};
use interlog_testkit::*;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const PATH: &str = "/api/v1/tenants/acme/analytics";

/// What a bucket of the oracle adds up.
#[derive(Default, Clone)]
struct Sums {
    offered: u64,
    answered: u64,
    abandoned: u64,
    short_abandoned: u64,
    wait: u64,
    max_wait: Option<u64>,
    sl_met: u64,
    handled: u64,
    talk: u64,
    hold: u64,
    wrap: u64,
    transferred: u64,
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn person(e: &Engagement, id: &str) -> Option<String> {
    let p = e
        .participants
        .iter()
        .find(|p| p.role == Role::Agent && p.id.as_deref() == Some(id))?;
    p.display_name
        .clone()
        .or_else(|| match (&p.first_name, &p.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(n), None) | (None, Some(n)) => Some(n.clone()),
            _ => None,
        })
        .or_else(|| p.username.clone())
}

/// A row of an engagement: its queue, agent, visit status (0 waiting, 1 answered, 2
/// abandoned) and wait, and whether it carries the handling.
type Row<'a> = (Option<&'a str>, Option<String>, Option<(u8, u64)>, bool);

/// The question the oracle answers.
struct Ask<'a> {
    group_by: &'a [&'a str],
    bucket: &'a dyn Fn(Timestamp) -> Option<usize>,
    buckets: usize,
    keep: &'a dyn Fn(&Engagement) -> bool,
    sl_ms: u64,
    short_ms: u64,
    amazon: bool,
}

/// The expected groups: key → each bucket's figures (start and end left out).
fn oracle(engagements: &[Engagement], ask: &Ask) -> BTreeMap<String, (Value, Vec<Value>)> {
    let mut names: BTreeMap<(&str, String), String> = BTreeMap::new();
    let mut groups: BTreeMap<String, (Map<String, Value>, Vec<Sums>)> = BTreeMap::new();
    for e in engagements {
        let completed = e.effective_state() == State::Completed;
        let start = ms(e.started_at);
        let end = e
            .ended_at
            .map(ms)
            .or(e.duration_ms.map(|d| start + d as i64));
        let mut rows: Vec<Row> = Vec::new();
        let last_answered = e.queues.iter().rposition(|q| q.accepted_at.is_some());
        let owner = e
            .participants
            .iter()
            .filter(|p| p.role == Role::Agent)
            .find(|p| p.owner)
            .or(e.participants.iter().find(|p| p.role == Role::Agent))
            .and_then(|p| p.id.clone().or(p.email.clone()));
        let engagement_agent = last_answered
            .and_then(|i| e.queues[i].agent_id.clone())
            .or(owner);
        for (i, q) in e.queues.iter().enumerate() {
            let queued = q.queued_at.map_or(start, ms);
            let visit = match q.accepted_at {
                Some(a) => Some((1, (ms(a) - queued).max(0) as u64)),
                None if completed => Some((2, (end.unwrap_or(queued) - queued).max(0) as u64)),
                None => Some((0, 0)),
            };
            let carrier = last_answered == Some(i);
            let agent = q.agent_id.clone().or(if carrier {
                engagement_agent.clone()
            } else {
                None
            });
            rows.push((Some(&q.id), agent, visit, carrier));
        }
        let handled = e.timings.talk_ms.is_some();
        let transferred = !e.transfers.is_empty();
        if last_answered.is_none() && (handled || transferred) {
            rows.push((None, engagement_agent.clone(), None, true));
        }
        if rows.is_empty() {
            continue;
        }
        // Names are those last written, whether or not the engagement is in the range.
        for q in &e.queues {
            if let Some(n) = &q.name {
                names.insert(("queue", q.id.clone()), n.clone());
            }
        }
        for (_, agent, _, _) in &rows {
            if let Some(a) = agent {
                if let Some(n) = person(e, a) {
                    names.insert(("agent", a.clone()), n);
                }
            }
        }
        let disposition = e.dispositions.first().and_then(|d| {
            let key = d.id.clone().or(d.name.clone())?;
            if let Some(n) = &d.name {
                names.insert(("disposition", key.clone()), n.clone());
            }
            Some(key)
        });
        let Some(bucket) = (ask.bucket)(e.started_at) else {
            continue;
        };
        if !(ask.keep)(e) {
            continue;
        }
        for (queue, agent, visit, carrier) in rows {
            let mut key = Map::new();
            for d in ask.group_by {
                let v: Option<String> = match *d {
                    "queue" => queue.map(str::to_owned),
                    "agent" => agent.clone(),
                    "team" => e.team.clone(),
                    "channel_type" => e.channels.first().map(|c| c.kind.as_str().to_owned()),
                    "direction" => e.direction.map(|x| x.as_str().to_owned()),
                    "source" => e.source.map(|x| x.as_str().to_owned()),
                    "disposition" => disposition.clone(),
                    other => panic!("{other}"),
                };
                key.insert((*d).to_owned(), json!(v));
            }
            let text = Value::Object(key.clone()).to_string();
            let group = groups
                .entry(text)
                .or_insert_with(|| (key, vec![Sums::default(); ask.buckets]));
            let s = &mut group.1[bucket];
            if let Some((status, wait)) = visit {
                s.offered += 1;
                if status == 1 {
                    s.answered += 1;
                    s.wait += wait;
                    let met = if ask.amazon {
                        wait < ask.sl_ms
                    } else {
                        wait <= ask.sl_ms
                    };
                    s.sl_met += u64::from(met);
                }
                if status == 2 {
                    s.abandoned += 1;
                    s.short_abandoned += u64::from(wait < ask.short_ms);
                    s.sl_met += u64::from(ask.amazon && wait < ask.sl_ms);
                }
                if status != 0 {
                    s.max_wait = Some(s.max_wait.unwrap_or(0).max(wait));
                }
            }
            if carrier {
                if handled {
                    s.handled += 1;
                    s.talk += e.timings.talk_ms.unwrap_or(0);
                    s.hold += e.timings.hold_ms.unwrap_or(0);
                    s.wrap += e.timings.wrap_up_ms.unwrap_or(0);
                }
                s.transferred += u64::from(transferred);
            }
        }
    }
    let mean = |sum: u64, n: u64| (n > 0).then(|| (sum + n / 2) / n);
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    groups
        .into_iter()
        .map(|(text, (mut key, sums))| {
            for d in ask.group_by {
                if matches!(*d, "queue" | "agent" | "disposition") {
                    let name = key[*d]
                        .as_str()
                        .and_then(|v| names.get(&(*d, v.to_owned())).cloned());
                    key.insert(format!("{d}_name"), json!(name));
                }
            }
            let buckets = sums
                .iter()
                .map(|s| {
                    let denominator = if ask.amazon {
                        s.answered + s.abandoned
                    } else {
                        s.answered + s.abandoned - s.short_abandoned
                    };
                    json!({
                        "offered": s.offered, "answered": s.answered, "abandoned": s.abandoned,
                        "short_abandoned": s.short_abandoned,
                        "abandon_rate": ratio(s.abandoned, s.offered),
                        "asa_ms": mean(s.wait, s.answered), "max_wait_ms": s.max_wait,
                        "handled": s.handled, "aht_ms": mean(s.talk + s.hold + s.wrap, s.handled),
                        "talk_ms": mean(s.talk, s.handled), "hold_ms": mean(s.hold, s.handled),
                        "wrap_up_ms": mean(s.wrap, s.handled),
                        "service_level": ratio(s.sl_met, denominator), "sl_met": s.sl_met,
                        "sl_denominator": denominator, "transferred": s.transferred,
                    })
                })
                .collect();
            (text, (Value::Object(key), buckets))
        })
        .collect()
}

/// The answer's groups as the oracle keys them, buckets without their start and end.
fn answered(body: &Value) -> BTreeMap<String, (Value, Vec<Value>)> {
    body["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|g| {
            let key = g["key"].as_object().unwrap().clone();
            let plain: Map<String, Value> = key
                .iter()
                .filter(|(k, _)| !k.ends_with("_name"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let buckets = g["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    let mut b = b.as_object().unwrap().clone();
                    b.remove("start");
                    b.remove("end");
                    Value::Object(b)
                })
                .collect();
            (
                Value::Object(plain).to_string(),
                (Value::Object(key), buckets),
            )
        })
        .collect()
}

fn compare(got: &Value, want: BTreeMap<String, (Value, Vec<Value>)>, what: &str) {
    let got = answered(got);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: the groups"
    );
    for (key, (want_key, want_buckets)) in &want {
        let (got_key, got_buckets) = &got[key];
        assert_eq!(got_key, want_key, "{what}: the key and names of {key}");
        assert_eq!(
            got_buckets.len(),
            want_buckets.len(),
            "{what} {key}: buckets"
        );
        for (i, (g, w)) in got_buckets.iter().zip(want_buckets).enumerate() {
            assert_eq!(rounded(g), rounded(w), "{what} {key}: bucket {i}");
        }
    }
}

/// A bucket with its ratios to 12 places: JSON numbers read back by serde_json without
/// its exact float parsing may be a unit in the last place off.
fn rounded(bucket: &Value) -> Value {
    let mut b = bucket.clone();
    for k in ["abandon_rate", "service_level"] {
        if let Some(x) = b[k].as_f64() {
            b[k] = json!((x * 1e12).round() / 1e12);
        }
    }
    b
}

async fn ask(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get_json(&format!("{PATH}?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn local_date(t: Timestamp, tz: &TimeZone) -> Date {
    t.to_zoned(tz.clone()).date()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_match_a_count_of_the_ingested_engagements() {
    let app = spawn_app().await;
    let end: Timestamp = "2024-11-08T00:00:00Z".parse().unwrap();
    let mut cfg = GeneratorConfig::new(22, 3_000, end);
    cfg.span_days = 21;
    cfg.agents = 12;
    cfg.queues = 5;
    let engagements: Vec<Engagement> = Generator::new(cfg).collect();
    let ndjson: String = engagements
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    let r = app.ingest(ndjson).await;
    assert_eq!(r.status(), 200);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["created"], 3_000, "{summary}");

    // By local day in Dublin, 2024-10-20 to 2024-11-02: 2024-10-27 is 25 hours long.
    let dublin = TimeZone::get("Europe/Dublin").unwrap();
    let first = Date::constant(2024, 10, 20);
    let (from, to) = ("2024-10-19T23:00:00Z", "2024-11-03T00:00:00Z");
    let (from_t, to_t): (Timestamp, Timestamp) = (from.parse().unwrap(), to.parse().unwrap());
    let by_day = |t: Timestamp| {
        (t >= from_t && t < to_t).then(|| (local_date(t, &dublin) - first).get_days() as usize)
    };
    let everything = |_: &Engagement| true;
    let mut counted = 0;
    for group_by in [
        &[][..],
        &["queue"],
        &["agent"],
        &["team"],
        &["channel_type"],
        &["direction"],
        &["source"],
        &["disposition"],
        &["queue", "channel_type"],
    ] {
        let query = format!(
            "from={from}&to={to}&interval=day&sl_threshold_secs=30&short_abandon_secs=5{}",
            group_by
                .iter()
                .map(|d| format!("&group_by={d}"))
                .collect::<String>()
        );
        let body = ask(&app, &query).await;
        assert_eq!(body["interval"], "day");
        assert_eq!(body["time_zone"], "Europe/Dublin");
        assert_eq!(body["from"], "2024-10-20T00:00:00+01:00");
        let want = oracle(
            &engagements,
            &Ask {
                group_by,
                bucket: &by_day,
                buckets: 14,
                keep: &everything,
                sl_ms: 30_000,
                short_ms: 5_000,
                amazon: false,
            },
        );
        compare(&body, want, &query);
        let days = &body["groups"][0]["buckets"];
        assert_eq!(days[7]["start"], "2024-10-27T00:00:00+01:00");
        assert_eq!(days[7]["end"], "2024-10-28T00:00:00+00:00", "25 hours");
        counted += 1;
    }
    assert_eq!(counted, 9);
    let total: u64 = ask(&app, &format!("from={from}&to={to}&interval=day")).await["groups"][0]
        ["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["offered"].as_u64().unwrap())
        .sum();
    assert!(total > 1_000, "the range holds most of the data ({total})");

    // Filters: the listing's, with the same names.
    let agent = engagements
        .iter()
        .flat_map(|e| e.queues.iter().filter_map(|q| q.agent_id.clone()))
        .next()
        .unwrap();
    let queue = engagements[0]
        .queues
        .first()
        .map(|q| q.id.clone())
        .unwrap_or_default();
    let whole = |t: Timestamp| (t >= from_t && t < to_t).then_some(0);
    for (filter, keep) in [
        (
            "channel_type=voice&direction=inbound".to_owned(),
            Box::new(|e: &Engagement| {
                e.channels.iter().any(|c| c.kind.as_str() == "voice")
                    && e.direction.is_some_and(|d| d.as_str() == "inbound")
            }) as Box<dyn Fn(&Engagement) -> bool>,
        ),
        (
            format!("agent={agent}"),
            Box::new(|e: &Engagement| e.agents().any(|p| p.id.as_deref() == Some(agent.as_str()))),
        ),
        (
            format!("queue_id={queue}&min_duration_ms=60000"),
            Box::new(|e: &Engagement| {
                e.queues.iter().any(|q| q.id == queue)
                    && e.effective_duration_ms().is_some_and(|d| d >= 60_000)
            }),
        ),
    ] {
        let query = format!("from={from}&to={to}&group_by=queue&{filter}");
        let body = ask(&app, &query).await;
        let want = oracle(
            &engagements,
            &Ask {
                group_by: &["queue"],
                bucket: &whole,
                buckets: 1,
                keep: &*keep,
                sl_ms: 20_000,
                short_ms: 0,
                amazon: false,
            },
        );
        assert!(!want.is_empty(), "{filter} matches something");
        compare(&body, want, &query);
    }

    // By hour in New York across its change back (01:00 twice on 2024-11-03).
    let (from, to) = ("2024-11-02T16:00:00Z", "2024-11-03T17:00:00Z");
    let from_t: Timestamp = from.parse().unwrap();
    let to_t: Timestamp = to.parse().unwrap();
    let by_hour = |t: Timestamp| {
        (t >= from_t && t < to_t).then(|| ((ms(t) - ms(from_t)) / 3_600_000) as usize)
    };
    let query =
        format!("from={from}&to={to}&interval=hour&time_zone=America/New_York&group_by=direction");
    let body = ask(&app, &query).await;
    let hours = body["groups"][0]["buckets"].as_array().unwrap();
    assert_eq!(hours.len(), 25);
    assert_eq!(hours[13]["start"], "2024-11-03T01:00:00-04:00");
    assert_eq!(hours[14]["start"], "2024-11-03T01:00:00-05:00");
    let want = oracle(
        &engagements,
        &Ask {
            group_by: &["direction"],
            bucket: &by_hour,
            buckets: 25,
            keep: &everything,
            sl_ms: 20_000,
            short_ms: 0,
            amazon: false,
        },
    );
    compare(&body, want, &query);

    // By week from Monday, with Amazon's service level.
    let monday = Date::constant(2024, 10, 21);
    let (from, to) = ("2024-10-20T23:00:00Z", "2024-11-04T00:00:00Z");
    let from_t: Timestamp = from.parse().unwrap();
    let to_t: Timestamp = to.parse().unwrap();
    let by_week = |t: Timestamp| {
        (t >= from_t && t < to_t)
            .then(|| ((local_date(t, &dublin) - monday).get_days() / 7) as usize)
    };
    let query = format!(
        "from={from}&to={to}&interval=week&sl_formula=amazon&sl_threshold_secs=45&short_abandon_secs=10&group_by=agent"
    );
    let body = ask(&app, &query).await;
    assert_eq!(body["definitions"]["sl_formula"], "amazon");
    assert_eq!(body["definitions"]["sl_threshold_secs"], 45);
    let want = oracle(
        &engagements,
        &Ask {
            group_by: &["agent"],
            bucket: &by_week,
            buckets: 2,
            keep: &everything,
            sl_ms: 45_000,
            short_ms: 10_000,
            amazon: true,
        },
    );
    compare(&body, want, &query);
}

#[tokio::test]
async fn a_write_counts_the_moment_it_is_acknowledged_and_a_deletion_at_once() {
    let app = spawn_app().await;
    let range = "from=2024-03-04T00:00:00Z&to=2024-03-05T00:00:00Z&group_by=queue";
    let offered = |body: &Value| -> Vec<(Value, u64)> {
        body["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["key"].clone(),
                    g["buckets"][0]["offered"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(offered(&ask(&app, range).await), []);
    let call = json!({
        "id": "c1", "started_at": "2024-03-04T09:00:00Z", "ended_at": "2024-03-04T09:05:00Z",
        "queues": [{"id": "q1", "name": "Sales", "queued_at": "2024-03-04T09:00:00Z",
                    "accepted_at": "2024-03-04T09:00:12Z"}],
        "timings": {"talk_ms": 280_000, "hold_ms": 8_000, "wrap_up_ms": 20_000}
    });
    let r = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/tenants/acme/engagements/c1",
            Some(&app.agent),
            Some(call),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body = ask(&app, range).await;
    assert_eq!(
        offered(&body),
        [(json!({"queue": "q1", "queue_name": "Sales"}), 1)]
    );
    let b = &body["groups"][0]["buckets"][0];
    assert_eq!(
        (
            b["asa_ms"].clone(),
            b["aht_ms"].clone(),
            b["service_level"].clone()
        ),
        (json!(12_000), json!(308_000), json!(1.0))
    );
    let r = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/tenants/acme/engagements/c1",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(offered(&ask(&app, range).await), []);
}

#[tokio::test]
async fn empty_buckets_are_there_the_default_range_is_the_last_week_and_bad_values_are_named() {
    let app = spawn_app().await;
    let body = ask(
        &app,
        "from=2024-03-01T00:00:00Z&to=2024-03-04T00:00:00Z&interval=day&time_zone=UTC",
    )
    .await;
    assert_eq!(body["groups"].as_array().unwrap().len(), 1);
    assert_eq!(body["groups"][0]["key"], json!({}));
    let days = body["groups"][0]["buckets"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(days[2]["start"], "2024-03-03T00:00:00+00:00");
    assert_eq!(
        (
            days[1]["offered"].clone(),
            days[1]["asa_ms"].clone(),
            days[1]["service_level"].clone()
        ),
        (json!(0), Value::Null, Value::Null)
    );

    // The default: the 7 days up to the moment asked, as one bucket, in the tenant's zone.
    let before = Timestamp::now();
    let body = ask(&app, "").await;
    let after = Timestamp::now();
    let at = |k: &str| body[k].as_str().unwrap().parse::<Timestamp>().unwrap();
    let before = Timestamp::from_millisecond(before.as_millisecond()).unwrap();
    assert!(at("to") >= before && at("to") <= after, "{body}");
    assert_eq!(
        at("to").duration_since(at("from")),
        jiff::SignedDuration::from_hours(7 * 24)
    );
    assert_eq!(body["interval"], "total");
    assert_eq!(body["time_zone"], "Europe/Dublin");
    assert_eq!(body["definitions"]["sl_threshold_secs"], 20);
    assert_eq!(body["groups"][0]["buckets"].as_array().unwrap().len(), 1);

    for (query, parameter) in [
        ("from=2024-03-02T00:00:00Z&to=2024-03-01T00:00:00Z", "to"),
        ("from=last%20week", "from"),
        ("interval=fortnight", "interval"),
        ("time_zone=Nowhere%2FAtAll", "time_zone"),
        ("group_by=queue,agent,team,direction", "group_by"),
        ("group_by=mood", "group_by"),
        ("sl_threshold_secs=twenty", "sl_threshold_secs"),
        ("short_abandon_secs=-5", "short_abandon_secs"),
        ("sl_formula=best", "sl_formula"),
        ("state=finished", "state"),
        ("cursor=abc", "cursor"),
        (
            "from=1970-01-01T00:00:00Z&to=2024-01-01T00:00:00Z&interval=hour",
            "interval",
        ),
    ] {
        let r = app.get(&format!("{PATH}?{query}")).await;
        let problem = assert_problem(r, 400, "bad_parameter").await;
        assert_eq!(problem["parameter"], parameter, "{query}: {problem}");
    }

    // Another tenant's figures are not there to be read.
    let (_, other) = app.other_tenant("globex").await;
    let (status, _) = app.get_json_as(PATH, &other).await;
    assert_eq!(status, 404);
}
