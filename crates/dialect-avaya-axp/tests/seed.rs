//! The seed's example (Avaya's own `engagement-response`), ingested in the `avaya_axp`
//! format, reads back byte for byte, and reads back through the native API with every
//! field in its canonical home.

mod common;

use common::*;
use interlog_dialect_avaya_axp::{decode_line, render};
use serde_json::Value;

const SEED_ID: &str = "8e557fd6-580a-43b3-8cf9-db8169f4af5a";

#[tokio::test]
async fn the_seed_example_round_trips_byte_for_byte() {
    let axp = spawn().await;
    let seed = seed_json();
    let summary = axp.ingest(std::slice::from_ref(&seed)).await;
    assert_eq!(summary["created"], 1);
    let got = axp.get(&format!("{JOURNEY}/engagements/{SEED_ID}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    assert_eq!(got.text, seed);
    // Ingesting it again is an idempotent update that changes nothing.
    let again = axp.ingest(std::slice::from_ref(&seed)).await;
    assert_eq!(again["updated"], 1);
    assert_eq!(
        axp.get(&format!("{JOURNEY}/engagements/{SEED_ID}"))
            .await
            .text,
        seed
    );
}

#[test]
fn the_decoder_and_renderer_are_inverse_on_the_seed() {
    let seed = seed_json();
    let mut es = decode_line(seed.as_bytes()).unwrap();
    assert_eq!(es.len(), 1);
    let mut e = es.remove(0);
    e.normalize();
    e.validate().unwrap();
    assert_eq!(render::engagement_json(&e), seed);
}

#[tokio::test]
async fn every_seed_field_has_its_canonical_home() {
    let axp = spawn().await;
    axp.ingest(&[seed_json()]).await;
    let e = axp.native(SEED_ID).await;
    assert_eq!(e["source"], "avaya_axp");
    assert_eq!(e["state"], "completed");
    assert_eq!(e["direction"], "inbound");
    assert_eq!(e["started_at"], "2019-07-23T17:45:21.002Z");
    assert_eq!(e["updated_at"], "2019-07-23T17:47:21.002Z");
    assert_eq!(e["ended_at"], "2019-07-23T17:50:21.002Z");
    assert_eq!(e["duration_ms"], 300_000);
    assert_eq!(
        e["channels"][0],
        serde_json::json!({"type": "voice", "id": "Voice"})
    );
    assert_eq!(
        e["customer"]["phones"],
        serde_json::json!(["019 718 0171", "188-115-7717", "+353 628 9848"])
    );
    assert_eq!(
        e["customer"]["emails"],
        serde_json::json!(["melinda14@example.org", "cmartin@example.org"])
    );
    let external = &e["participants"][0];
    assert_eq!(external["role"], "customer");
    assert_eq!(external["calling_number"], "087 12345");
    assert_eq!(external["dialled_number"], "1590 12345");
    assert_eq!(
        external["dialog_id"],
        "67ec5131-259c-4924-bb08-d87cf315e5e3"
    );
    assert_eq!(external["channel_type"], "voice");
    let agent = &e["participants"][1];
    assert_eq!(agent["role"], "agent");
    assert_eq!(agent["display_name"], "John Smith");
    assert_eq!(agent["extension"], "ext/1234");
    assert_eq!(agent["left_at"], "2019-07-23T18:00:32.002Z");
    assert_eq!(
        e["topics"],
        serde_json::json!(["Mortgage Application", "First-time Buyer"])
    );
    assert_eq!(e["attributes"], serde_json::json!(["Broadband.billing"]));
    assert_eq!(e["data"]["currentStatus"], "Under review");
    let q = &e["queues"][0];
    assert_eq!(q["id"], "a12d14a2-99ad-4aed-8f55-5e87d18e9b9c");
    assert_eq!(q["name"], "Default");
    assert_eq!(q["channel_id"], "Voice");
    assert_eq!(q["priority"], 1);
    assert_eq!(q["rank"], 2_147_483_647u64);
    assert_eq!(q["proficiency_min"], 4);
    assert_eq!(q["proficiency_max"], 10);
    assert_eq!(q["queued_at"], "2021-04-09T17:00:00.1Z");
    assert_eq!(q["agent_id"], "93649e2e-f576-44b6-b002-fe61379cc4e5");
    let t = &e["transfers"][0];
    assert_eq!(t["type"], "to_agent");
    assert_eq!(t["from_agent_id"], "3228e28c-e992-4933-943e-6681b7bfe934");
    assert_eq!(t["to_agent_name"], "John Smith");
    assert_eq!(t["to_agent_joined_at"], "2023-08-25T07:07:49.652Z");
    assert_eq!(t["at"], "2023-08-25T06:53:15.743Z");
    assert_eq!(
        t["channel_provider_id"],
        "4db6bf64-1684-4841-9446-a5fa2d186e6d"
    );
    assert_eq!(
        t["provider_dialog_id"],
        "caa30030-89f1-4b0c-a8f0-93230f92a96c"
    );
    assert_eq!(t["correlation_id"], "2d721d22-d020-4297-8180-fe86c0848cbd");
    assert_eq!(
        t["fallback_queue_id"],
        "3fb467ed-9136-4542-898d-988a0c3028af"
    );
    assert_eq!(t["description"], "New Car inquiry");
    // Native listing by the customer's phone number in another spelling finds it.
    let r = axp
        .app
        .http
        .get(
            axp.app
                .url("/api/v1/tenants/acme-ac/engagements?customer=0197180171"),
        )
        .bearer_auth(&axp.reader)
        .send()
        .await
        .unwrap();
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["engagements"][0]["id"], SEED_ID);
}
