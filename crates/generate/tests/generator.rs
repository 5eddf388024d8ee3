//! The generator's contract: valid, deterministic, realistic.

use interlog_generate::{write_ndjson, Generator, GeneratorConfig, IN_PROGRESS_WINDOW_MS};
use interlog_model::{
    ChannelType, Direction, Engagement, Outcome, Release, Role, State, Timestamp,
};
use std::collections::{HashMap, HashSet};

fn end() -> Timestamp {
    "2025-03-01T12:00:00Z".parse().unwrap()
}

fn lines(seed: u64, count: u64) -> Vec<String> {
    let mut out = Vec::new();
    write_ndjson(GeneratorConfig::new(seed, count, end()), &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_engagement_is_valid_and_already_normalized() {
    let cfg = GeneratorConfig::new(7, 20_000, end());
    let earliest = end().as_millisecond() - 180 * 86_400_000;
    let mut ids = HashSet::new();
    let mut prev_start = i64::MIN;
    for e in Generator::new(cfg) {
        let mut n = e.clone();
        n.normalize();
        if let Err(err) = n.validate() {
            panic!("{err}\n{}", serde_json::to_string_pretty(&e).unwrap());
        }
        assert_eq!(n, e, "normalize changed {}", e.id);
        let start = e.started_at.as_millisecond();
        assert!(start >= prev_start && start >= earliest && e.started_at <= end());
        prev_start = start;
        assert!(ids.insert(e.id.clone()), "duplicate id {}", e.id);
        check_consistency(&e);
    }
}

/// Times inside the engagement stay inside it, and the parts agree with each other.
fn check_consistency(e: &Engagement) {
    let start = e.started_at;
    let last = e.ended_at.or(e.updated_at).unwrap();
    let inside = |t: Option<Timestamp>, what: &str| {
        if let Some(t) = t {
            assert!(
                t >= start && t <= last,
                "{what} {t} outside {start}..{last} in {}",
                e.id
            );
        }
    };
    assert!(e.updated_at.unwrap() >= e.ended_at.unwrap_or(start));
    for p in &e.participants {
        inside(p.joined_at, "joined_at");
        inside(p.left_at, "left_at");
    }
    for q in &e.queues {
        inside(q.queued_at, "queued_at");
        inside(q.accepted_at, "accepted_at");
        assert!(q.accepted_at.is_none() || q.accepted_at >= q.queued_at);
    }
    for t in &e.transfers {
        inside(t.at, "transfer at");
        inside(t.to_agent_joined_at, "to_agent_joined_at");
    }
    for m in &e.messages {
        inside(Some(m.at), "message at");
    }
    for (i, m) in e.messages.iter().enumerate() {
        assert_eq!(m.index as usize, i + 1);
        if i > 0 {
            assert!(m.at >= e.messages[i - 1].at);
        }
    }
    assert!(e.participants.iter().filter(|p| p.owner).count() <= 1);
    let t = &e.timings;
    if let (Some(d), State::Completed) = (e.duration_ms, e.state.unwrap()) {
        let parts = t.wait_ms.unwrap_or(0)
            + t.talk_ms.unwrap_or(0)
            + t.hold_ms.unwrap_or(0)
            + t.flow_ms.unwrap_or(0);
        assert!(parts <= d, "timings {t:?} exceed duration {d} in {}", e.id);
        if let (Some(h), Some(talk), Some(w)) = (t.handling_ms, t.talk_ms, t.wrap_up_ms) {
            assert_eq!(h, talk + t.hold_ms.unwrap_or(0) + w);
        }
        assert!(
            t.hold_ms.is_none() || t.talk_ms.is_some(),
            "hold without talk"
        );
    }
    for r in &e.recordings {
        assert!(r.size_bytes.unwrap() > 0 && r.duration_ms.unwrap() <= e.duration_ms.unwrap());
        assert!(r
            .uri
            .as_deref()
            .unwrap()
            .starts_with("https://recordings.example.com/"));
    }
    if e.outcome == Some(Outcome::Unsuccessful) {
        assert_eq!(e.release, Some(Release::Attempted));
        assert!(e.reason.is_some());
        if e.direction == Some(Direction::Inbound) {
            assert_eq!(
                e.agents().count(),
                0,
                "unanswered inbound with an agent: {}",
                e.id
            );
        }
    }
    let ch = &e.channels[0];
    let media = ch.media.unwrap();
    match ch.kind {
        ChannelType::Voice => assert_eq!(media, interlog_model::Media::Audio),
        ChannelType::Video => assert!(matches!(
            media,
            interlog_model::Media::AudioVideo | interlog_model::Media::Video
        )),
        _ => assert_eq!(media, interlog_model::Media::Text),
    }
}

#[test]
fn the_same_seed_gives_the_same_output_and_another_seed_does_not() {
    let a = lines(42, 100);
    let b = lines(42, 100);
    assert_eq!(a.len(), 100);
    assert_eq!(a, b);
    let c = lines(43, 100);
    assert_ne!(a[0], c[0]);
    assert!(a.iter().zip(&c).all(|(x, y)| x != y));
    // The NDJSON lines read back as the engagements the iterator yields.
    let direct: Vec<Engagement> = Generator::new(GeneratorConfig::new(42, 100, end())).collect();
    for (line, e) in a.iter().zip(&direct) {
        assert_eq!(&serde_json::from_str::<Engagement>(line).unwrap(), e);
    }
}

/// The exact bytes of a fixed config's output, pinned: a refactoring of the generator keeps
/// them (so it keeps the order of every draw from the random stream), and a change to what
/// is generated updates the hash on purpose, saying why in its commit.
#[test]
fn a_fixed_config_generates_the_pinned_bytes() {
    use sha2::{Digest, Sha256};
    let mut out = Vec::new();
    let n = write_ndjson(GeneratorConfig::new(7, 20_000, end()), &mut out).unwrap();
    assert_eq!(n, 20_000);
    let hex: String = Sha256::digest(&out)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex,
        "2617f1151ee313328f8bb687df3c4c296d72bd5312b7136576194e3462f859f3"
    );
}

#[test]
fn the_mix_looks_like_a_contact_center() {
    let n = 20_000;
    let all: Vec<Engagement> = Generator::new(GeneratorConfig::new(11, n, end())).collect();
    let share =
        |f: &dyn Fn(&Engagement) -> bool| all.iter().filter(|e| f(e)).count() as f64 / n as f64;

    let voice = share(&|e| e.channels[0].kind == ChannelType::Voice);
    assert!((0.45..=0.65).contains(&voice), "voice {voice}");
    for kind in [
        ChannelType::Chat,
        ChannelType::Sms,
        ChannelType::Email,
        ChannelType::Video,
        ChannelType::Social,
        ChannelType::Messaging,
    ] {
        assert!(share(&|e| e.channels[0].kind == kind) > 0.01, "{kind}");
    }
    let abandoned = share(&|e| e.reason.as_deref().is_some_and(|r| r.contains("abandoned")));
    assert!((0.04..0.12).contains(&abandoned), "abandoned {abandoned}");
    let unsuccessful = share(&|e| e.outcome == Some(Outcome::Unsuccessful));
    assert!(
        (0.08..0.15).contains(&unsuccessful),
        "unsuccessful {unsuccessful}"
    );
    assert!(share(&|e| !e.messages.is_empty()) > 0.15);
    let inbound = share(&|e| e.direction == Some(Direction::Inbound));
    assert!(inbound > 0.75, "inbound {inbound}");
    assert!(share(&|e| e.direction == Some(Direction::Outbound)) > 0.05);
    assert!(
        share(&|e| matches!(e.direction, Some(Direction::Internal | Direction::Consult))) > 0.005
    );
    let transfers = share(&|e| !e.transfers.is_empty());
    assert!((0.05..0.15).contains(&transfers), "transfers {transfers}");
    let dispositions = share(&|e| !e.dispositions.is_empty());
    assert!(
        (0.6..0.8).contains(&dispositions),
        "dispositions {dispositions}"
    );
    let notes = share(&|e| !e.notes.is_empty());
    assert!((0.1..0.25).contains(&notes), "notes {notes}");
    let ivr = all.iter().filter(|e| {
        e.channels[0].kind == ChannelType::Voice && e.direction == Some(Direction::Inbound)
    });
    let (ivr_n, ivr_flows) = ivr.fold((0, 0), |(n, f), e| {
        (n + 1, f + usize::from(!e.flows.is_empty()))
    });
    let ivr_share = ivr_flows as f64 / ivr_n as f64;
    assert!((0.4..0.6).contains(&ivr_share), "ivr {ivr_share}");
    assert!(share(&|e| !e.recordings.is_empty()) > 0.3);
    assert!(share(&|e| e.parent_id.is_some()) > 0.005);
    assert!(share(&|e| e.participants.iter().any(|p| p.role == Role::Automation)) > 0.2);

    // Median voice talk time of a few minutes; chat and email engagements last longer.
    let median = |kind: ChannelType| {
        let mut d: Vec<u64> = all
            .iter()
            .filter(|e| e.channels[0].kind == kind && e.outcome == Some(Outcome::Successful))
            .filter_map(|e| e.duration_ms)
            .collect();
        d.sort_unstable();
        d[d.len() / 2]
    };
    let voice_median = median(ChannelType::Voice);
    assert!(
        (150_000..600_000).contains(&voice_median),
        "voice median {voice_median}"
    );
    assert!(median(ChannelType::Chat) > voice_median && median(ChannelType::Email) > voice_median);

    // Customers come back, a few of them often.
    let mut per_customer: HashMap<&str, usize> = HashMap::new();
    for e in &all {
        if let Some(c) = e.customer.contact_id.as_deref() {
            *per_customer.entry(c).or_default() += 1;
        }
    }
    let most = per_customer.values().max().copied().unwrap();
    assert!(most >= 20, "busiest customer has {most}");
    assert!(per_customer.len() > 1000 && per_customer.len() <= 5000);

    // Phone numbers are written in several ways.
    let styles: HashSet<u8> = all
        .iter()
        .flat_map(|e| &e.customer.phones)
        .map(|p| {
            match (
                p.starts_with('+'),
                p.starts_with("00"),
                p.starts_with('('),
                p.contains('-'),
                p.contains(' '),
            ) {
                (true, ..) => 0,
                (_, true, ..) => 1,
                (_, _, true, ..) => 2,
                (.., true, _) => 3,
                (.., true) => 4,
                _ => 5,
            }
        })
        .collect();
    assert_eq!(styles.len(), 6);

    // Business hours are busier than nights.
    let hour = |e: &&Engagement| (e.started_at.as_second().rem_euclid(86_400) / 3600) as usize;
    let mut by_hour = [0usize; 24];
    for e in &all {
        by_hour[hour(&e)] += 1;
    }
    assert!(by_hour[10] > 5 * by_hour[3], "{by_hour:?}");
}

#[test]
fn agents_and_queues_are_a_stable_pool() {
    let cfg = GeneratorConfig {
        agents: 12,
        queues: 5,
        ..GeneratorConfig::new(5, 3_000, end())
    }
    .with_tenant("PremierTenant");
    let mut agents = HashMap::new();
    let mut queues = HashMap::new();
    for e in Generator::new(cfg) {
        for p in e.agents() {
            let id = p.id.clone().unwrap();
            let email = p.email.clone().unwrap();
            assert!(email.ends_with("@premiertenant.example.com"), "{email}");
            assert_eq!(agents.entry(id).or_insert_with(|| email.clone()), &email);
        }
        for q in &e.queues {
            let name = q.name.clone().unwrap();
            assert_eq!(
                queues.entry(q.id.clone()).or_insert_with(|| name.clone()),
                &name
            );
        }
    }
    assert_eq!(agents.len(), 12);
    assert_eq!(queues.len(), 5);
}

#[test]
fn tiny_and_empty_configs_work() {
    assert_eq!(Generator::new(GeneratorConfig::new(1, 0, end())).count(), 0);
    let cfg = GeneratorConfig {
        span_days: 0,
        agents: 0,
        queues: 0,
        customers: 0,
        ..GeneratorConfig::new(1, 50, end())
    };
    let v: Vec<Engagement> = Generator::new(cfg).collect();
    assert_eq!(v.len(), 50);
    for mut e in v {
        e.normalize();
        e.validate().unwrap();
    }
}

/// Engagements in progress are exactly those that started in the last minutes before `end`,
/// whatever the count, the span and the day of the week.
#[test]
fn only_the_engagements_of_the_last_minutes_are_in_progress() {
    // A Monday 07:00 (busy enough to have some in progress) and a Sunday 23:00 (quiet).
    for (end, span_days, busy) in [
        ("2026-11-30T07:00:00Z", 7, true),
        ("2026-12-06T23:00:00Z", 180, false),
    ] {
        let end: Timestamp = end.parse().unwrap();
        let mut cfg = GeneratorConfig::new(5, 20_000, end);
        cfg.span_days = span_days;
        let since = end.as_millisecond() - IN_PROGRESS_WINDOW_MS;
        let mut in_progress = 0;
        for e in Generator::new(cfg) {
            let recent = e.started_at.as_millisecond() >= since;
            assert_eq!(e.ended_at.is_none(), recent, "{end}: {}", e.id);
            assert_eq!(e.state == Some(State::Active), recent, "{end}: {}", e.id);
            assert_eq!(
                e.state == Some(State::Completed),
                !recent,
                "{end}: {}",
                e.id
            );
            in_progress += usize::from(recent);
        }
        if busy {
            assert!(in_progress >= 3, "{end}: {in_progress} in progress");
        }
    }
}

/// The demo's data (20,000 engagements over 180 days, seed 7) holds completed engagements in
/// its last 24 hours at the quietest hours of the week: the demo's printed calls that look at
/// recent history answer data on any day.
#[test]
fn the_last_day_holds_completed_engagements_at_any_hour_of_the_week() {
    for end in [
        "2026-11-30T07:00:00Z", // Monday morning, after the weekend
        "2026-12-06T23:00:00Z", // Sunday night
        "2026-12-06T06:00:00Z", // Sunday morning, after a Saturday
        "2026-12-07T00:00:00Z", // Monday midnight
    ] {
        let end: Timestamp = end.parse().unwrap();
        let day_before = end.as_millisecond() - 86_400_000;
        let completed = Generator::new(GeneratorConfig::new(7, 20_000, end).with_tenant("demo"))
            .filter(|e| e.started_at.as_millisecond() >= day_before)
            .filter(|e| e.state == Some(State::Completed))
            .count();
        assert!(
            completed >= 10,
            "{end}: {completed} completed in the last day"
        );
    }
}
