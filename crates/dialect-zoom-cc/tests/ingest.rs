//! The `zoom_cc` ingest format through the native bulk endpoint, read back through the
//! Zoom endpoints unchanged.

mod common;

use common::*;
use serde_json::{json, Value};

/// A list item with every field the canonical model holds.
fn zoom_item() -> Value {
    json!({
        "start_time": "2021-12-03T13:07:46Z",
        "end_time": "2021-12-03T14:07:46Z",
        "duration": 3600,
        "engagement_id": "W_VATTk_Q5aW6z5rZtBxAQ",
        "direction": "inbound",
        "channel_types": ["in_app_chat"],
        "channels": [{"channel": "messaging", "channel_source": "in_app_chat"}],
        "consumers": [{"consumer_id": "zeYjXoDOS_eV1QmTpj63PQ", "consumer_display_name": "Jill",
                       "consumer_number": "+12058945728"}],
        "flows": [{"flow_id": "zeYjXoDOS_eV1QmTpj63PQ", "flow_name": "Demo", "flow_version": "5"}],
        "queues": [{"cc_queue_id": "d95avl1eRJ-H162PZUJ-qg", "queue_name": "agentQueue"}],
        "agents": [{"user_id": "ukAAkZKfROKMSw1bj_RDFQ", "display_name": "Jilly"}],
        "talk_duration": 10,
        "flow_duration": 10,
        "waiting_duration": 10,
        "handling_duration": 0,
        "wrap_up_duration": 10,
        "transfer_count": 0,
        "dispositions": [{"disposition_id": "W_VATTk_Q5aW6z5rZtBxAQ", "disposition_name": "Inquiry"}],
        "notes": [{"user_id": "ukAAkZKfROKMSw1bj_RDFQ", "note_id": "W_VATTk_Q5aW6z5rZtBxAQ",
                   "note": "This is the content of the note.", "last_modified_time": "2022-03-26T14:44:14Z"}]
    })
}

async fn bulk(app: &interlog_testkit::TestApp, body: String) -> Value {
    let r = app.ingest_as("zoom_cc", "application/x-ndjson", body).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn zoom_json_is_ingested_and_reads_back_unchanged() {
    let app = app().await;
    let mut voice = zoom_item();
    voice["engagement_id"] = json!("voice-1");
    voice["channel_types"] = json!(["voice"]);
    voice["channels"] = json!([{"channel": "voice"}]);
    voice["transfer_count"] = json!(1);
    voice["direction"] = json!("outbound");
    // The get shape: with events (a transfer), the deprecated queue id and the wait type.
    voice["events"] = json!([{"start_time": "2021-12-03T13:30:00Z", "event_type": "Transfer",
                              "user_id": "ukAAkZKfROKMSw1bj_RDFQ", "transfer_type": "cold",
                              "transfer_to_user_id": "agent-2", "transfer_to_user_display_name": "Zed"}]);
    voice["queue_wait_type"] = json!("callback");
    voice["queues"][0]["queue_id"] = json!("d95avl1eRJ-H162PZUJ-qg");
    voice["voice_mail"] = json!(1);
    voice["survey_id"] = json!("2yWjT4awTumcFKIrvcf4OA");
    let envelope = json!({"next_page_token": "", "page_size": 1, "total_records": 1,
                          "timezone": "UTC", "engagements": [zoom_item()]});
    let lines = [
        envelope.to_string(),
        voice.to_string(),
        "{not json".to_owned(),
        json!({"start_time": "2021-12-03T13:07:46Z"}).to_string(),
        json!({"engagement_id": "bad id", "start_time": "2021-12-03T13:07:46Z"}).to_string(),
    ];
    let summary = bulk(&app, lines.join("\n")).await;
    assert_eq!(summary["created"], 2, "{summary}");
    assert_eq!(summary["rejected"], 3, "{summary}");
    let problems = summary["problems"].as_array().unwrap();
    assert_eq!(
        problems
            .iter()
            .map(|p| p["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert!(problems[1]["reason"]
        .as_str()
        .unwrap()
        .contains("engagement_id"));

    let (status, page) = get(&app, &format!("{LIST}?from=2021-12-01&to=2021-12-31")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total_records"], 2);
    assert_eq!(page["engagements"][0], zoom_item());
    let read = &page["engagements"][1];
    assert_eq!(read["engagement_id"], "voice-1");
    assert_eq!(read["transfer_count"], 1);
    assert_eq!(read["consumers"], voice["consumers"]);
    assert_eq!(read["channel_types"], json!(["voice"]));

    let (_, one) = get(&app, &format!("{LIST}/voice-1")).await;
    assert_eq!(one["queue_wait_type"], "callback");
    assert_eq!(one["queues"], voice["queues"]);
    for held in [
        "start_time",
        "end_time",
        "duration",
        "agents",
        "flows",
        "dispositions",
        "notes",
    ] {
        assert_eq!(one[held], voice[held], "{held}");
    }

    // The canonical view: Zoom's account-level facts in their canonical homes.
    let (_, native) = app
        .get_json("/api/v1/tenants/acme/engagements/voice-1")
        .await;
    assert_eq!(native["source"], "zoom_cc");
    assert_eq!(native["state"], "completed");
    assert_eq!(native["customer"]["phones"], json!(["+12058945728"]));
    assert_eq!(native["participants"][0]["dialled_number"], "+12058945728");
    assert_eq!(
        native["transfers"],
        json!([{"type": "to_agent", "mode": "cold", "at": "2021-12-03T13:30:00Z",
                "from_agent_id": "ukAAkZKfROKMSw1bj_RDFQ", "to_agent_id": "agent-2", "to_agent_name": "Zed"}])
    );

    // A replay does not duplicate.
    let again = bulk(&app, envelope.to_string()).await;
    assert_eq!(again["created"], 0, "{again}");
    let (_, page) = get(&app, &format!("{LIST}?from=2021-12-01&to=2021-12-31")).await;
    assert_eq!(page["total_records"], 2);
}

#[tokio::test]
async fn the_seed_s_older_shape_is_ingested() {
    let app = app().await;
    let seed = json!({
        "start_time": "2021-12-03T13:07:46Z", "duration": 90, "engagement_id": "seed-1",
        "channel_types": ["sms", "voice"],
        "consumers": [{"consumer_id": "c", "consumer_display_name": "Jill", "consumer_number": "+12058945728"}],
        "dispositions": [{"disposition_id": "d", "disposition_name": "Inquiry"}],
        "notes": [{"user_id": "u", "note_id": "n", "note": "hi", "last_modified_time": "2022-03-26T14:44:14Z"}]
    });
    let summary = bulk(&app, seed.to_string()).await;
    assert_eq!(summary["created"], 1, "{summary}");
    let (_, e) = get(&app, &format!("{LIST}/seed-1")).await;
    assert_eq!(e["end_time"], "2021-12-03T13:09:16Z");
    assert_eq!(e["duration"], 90);
    assert_eq!(e["channel_types"], json!(["sms", "voice"]));
    assert_eq!(
        e["channels"],
        json!([{"channel": "messaging", "channel_source": "sms"}, {"channel": "voice"}])
    );
}
