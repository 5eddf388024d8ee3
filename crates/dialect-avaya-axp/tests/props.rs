//! Properties of the parsing: any AXP engagement in the shape Avaya renders reads into the
//! canonical model and renders back to the same text, key order included; no input makes
//! the decoder panic; times in any of Avaya's spellings read as the same instant.

use interlog_dialect_avaya_axp::json::Json;
use interlog_dialect_avaya_axp::{decode_line, render};
use proptest::prelude::*;

fn s(v: &str) -> Json {
    Json::String(v.to_owned())
}

fn obj(members: Vec<(&str, Option<Json>)>) -> Json {
    Json::Object(
        members
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

fn time(ms: i64) -> Json {
    s(&jiff::Timestamp::from_millisecond(ms).unwrap().to_string())
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 .@+_-]{3,20}"
}

fn uuid() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string())
}

fn list(max: usize) -> impl Strategy<Value = Option<Json>> {
    prop::collection::vec(text(), 0..=max).prop_map(|v| {
        (!v.is_empty()).then(|| Json::Array(v.into_iter().map(Json::String).collect()))
    })
}

fn participant(start: i64) -> impl Strategy<Value = Json> {
    (
        0..3usize,
        text(),
        prop::option::of(0..600_000i64),
        prop::option::of(0..600_000i64),
        prop::option::of(text()),
        prop::option::of(uuid()),
        0..3usize,
    )
        .prop_map(move |(kind, id, joined, stay, name, dialog, auto)| {
            let word = ["EXTERNAL", "AGENT", "TREATMENT"][kind];
            let joined_at = joined.map(|j| start + j);
            let left_at = joined_at.zip(stay).map(|(j, s)| j + s);
            obj(vec![
                ("id", Some(s(&id))),
                ("agentDisplayName", name.filter(|_| kind > 0).map(|n| s(&n))),
                ("joinedAt", joined_at.map(time)),
                ("leftAt", left_at.map(time)),
                ("type", Some(s(word))),
                ("channelId", Some(s("Voice"))),
                ("channelType", Some(s("VOICE"))),
                ("callingNumber", (kind == 0).then(|| s("087 12345"))),
                ("dialledNumber", (kind == 0).then(|| s("1590 12345"))),
                ("extension", (kind == 1).then(|| s("ext/1234"))),
                (
                    "automationType",
                    (kind == 2).then(|| s(["SELF_SERVICE", "TREATMENT", "CHATBOT"][auto])),
                ),
                ("dialogId", dialog.map(|d| s(&d))),
            ])
        })
}

fn queue() -> impl Strategy<Value = Json> {
    (
        uuid(),
        1..=10u32,
        prop::option::of(1..=i32::MAX as u32),
        prop::option::of((1..=8u32, 0..=8u32)),
        prop::option::of(text()),
        prop::option::of(0..10_000_000_000_000i64),
    )
        .prop_map(|(id, priority, rank, prof, name, queued)| {
            let n = |v: u32| Json::Number(v.into());
            obj(vec![
                ("queueId", Some(s(&id))),
                ("channelId", Some(s("Voice"))),
                ("queueName", name.map(|n| s(&n))),
                ("priority", Some(n(priority))),
                ("rank", rank.map(n)),
                ("proficiencyRangeMin", prof.map(|(a, _)| n(a))),
                ("proficiencyRangeMax", prof.map(|(a, b)| n(a + b))),
                ("queuedAt", queued.map(time)),
            ])
        })
}

fn transfer() -> impl Strategy<Value = Json> {
    (
        uuid(),
        prop::option::of(uuid()),
        0..4usize,
        prop::option::of(text()),
        prop::option::of(0..10_000_000_000_000i64),
    )
        .prop_map(|(provider, agent, kind, description, at)| {
            obj(vec![
                ("initiatingAgentId", agent.as_ref().map(|a| s(a))),
                ("channelProviderId", Some(s(&provider))),
                ("channelId", Some(s("Chat"))),
                ("timestamp", at.map(time)),
                ("destinationAgentId", agent.map(|a| s(&a))),
                ("description", description.map(|d| s(&d))),
                (
                    "transferType",
                    Some(s([
                        "TRANSFER_TO_AGENT",
                        "TRANSFER_TO_QUEUE",
                        "TRANSFER_TO_EXTERNAL",
                        "CONSULT_TRANSFER_TO_QUEUE",
                    ][kind])),
                ),
            ])
        })
}

prop_compose! {
    fn axp_engagement()(
        id in uuid(),
        start in 0..4_000_000_000_000i64,
        length in prop::option::of(0..3_600_000i64),
        update in prop::option::of(0..100_000i64),
        status in prop::option::of(0..3usize),
        direction in prop::option::of(0..2usize),
        phones in list(5),
        emails in list(5),
        custom in prop::collection::vec(("[a-z]{3,8}Handles", list(5)), 0..3),
        conversations in list(4),
        attributes in list(3),
        data in prop::collection::vec(("[a-z]{1,8}", text()), 0..4),
        participants in prop::collection::vec(participant(0), 0..4),
        queues in prop::collection::vec(queue(), 0..3),
        transfers in prop::collection::vec(transfer(), 0..3),
    ) -> String {
        let end = length.map(|l| start + l);
        let state = match status {
            Some(i) => ["CREATED", "ACTIVE", "COMPLETED"][i],
            None if end.is_some() => "COMPLETED",
            None => "ACTIVE",
        };
        let mut ids = vec![("phoneNumbers".to_owned(), phones), ("emailAddresses".to_owned(), emails)];
        let mut seen = std::collections::HashSet::new();
        ids.extend(custom.into_iter().filter(|(k, _)| seen.insert(k.clone())));
        let ids: Vec<(String, Json)> = ids.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
        let mut keys = std::collections::HashSet::new();
        let data: Vec<(String, Json)> = data.into_iter().filter(|(k, _)| keys.insert(k.clone())).map(|(k, v)| (k, Json::String(v))).collect();
        // Participant times are relative to the start.
        let shift = |p: Json| match p {
            Json::Object(m) => Json::Object(m.into_iter().map(|(k, v)| match (k.as_str(), &v) {
                ("joinedAt" | "leftAt", Json::String(t)) => {
                    let ms = t.parse::<jiff::Timestamp>().unwrap().as_millisecond();
                    (k, time(ms + start))
                }
                _ => (k, v),
            }).collect()),
            other => other,
        };
        let arr = |v: Vec<Json>| (!v.is_empty()).then_some(Json::Array(v));
        obj(vec![
            ("id", Some(s(&id))),
            ("status", Some(s(state))),
            ("direction", direction.map(|d| s(["INBOUND", "OUTBOUND"][d]))),
            ("startDate", Some(time(start))),
            ("updateDate", Some(time(start + update.unwrap_or(0)))),
            ("endDate", end.map(time)),
            ("channels", Some(Json::Array(vec![obj(vec![("id", Some(s("Voice"))), ("type", Some(s("VOICE")))])]))),
            ("identifiers", (!ids.is_empty()).then_some(Json::Object(ids))),
            ("participants", arr(participants.into_iter().map(shift).collect())),
            ("conversations", conversations),
            ("data", (!data.is_empty()).then_some(Json::Object(data))),
            ("attributes", attributes),
            ("queues", arr(queues)),
            ("transfers", arr(transfers)),
        ])
        .to_text()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn axp_engagements_render_back_as_they_were_read(line in axp_engagement()) {
        let mut es = decode_line(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {line}")))?;
        prop_assert_eq!(es.len(), 1);
        let mut e = es.remove(0);
        e.normalize();
        prop_assert!(e.validate().is_ok(), "{:?}", e.validate());
        prop_assert_eq!(render::engagement_json(&e), line);
    }

    #[test]
    fn the_decoder_never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(es) = decode_line(&bytes) {
            for mut e in es {
                e.normalize();
                let _ = e.validate();
                let _ = render::engagement_json(&e);
            }
        }
    }

    #[test]
    fn the_decoder_never_panics_on_json_shaped_garbage(line in r#"\{("[a-zA-Z]{1,12}":(null|true|-?[0-9]{1,22}|"[^"\\]{0,30}"|\[\]|\{\}|\[[0-9",]{0,20}\]),?){0,8}\}"#) {
        let _ = decode_line(line.as_bytes());
    }

    #[test]
    fn avayas_time_spellings_read_as_one_instant(ms in 0..4_000_000_000_000i64, offset_minutes in -720i32..=840) {
        let t = jiff::Timestamp::from_millisecond(ms).unwrap();
        let zulu = t.to_string();
        let offset = jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap();
        let shifted = t.to_zoned(jiff::tz::TimeZone::fixed(offset)).strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string();
        let a = interlog_dialect_avaya_axp::validate::parse_date_time(&zulu);
        let b = interlog_dialect_avaya_axp::validate::parse_date_time(&shifted);
        prop_assert_eq!(a, Some(t));
        prop_assert_eq!(b, Some(t));
    }
}
