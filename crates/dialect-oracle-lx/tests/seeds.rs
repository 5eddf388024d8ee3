//! The seed examples, in JSON and in XML: engagements with every field are ingested in the
//! vendor's shape, read back through the listing, and compared with the seed's key and
//! element names and order exactly, and with what was sent value for value.

mod common;

use common::*;
use interlog_dialect_oracle_lx::xml::Element;
use serde_json::Value;

/// An `engagementV1` with every field, two users and two recordings, keys in seed order.
fn full_json(n: u32) -> String {
    let start = 1_709_285_400_000u64 + u64::from(n) * 3_600_000;
    format!(
        concat!(
            r#"{{"startDate":"{start}","endDate":"{end}","id":"lx-{n}","duration":600,"contents":"AUDIOVIDEO","#,
            r#""context":"{{\"orderId\":\"A-{n}\",\"tier\":2,\"tags\":[\"vip\",\"fr\"]}}","#,
            r#""users":[{{"uri":"customer{n}@example.com","association":"CREATOR"}},{{"uri":"agent{n}@acme.test","association":"MEMBER"}}],"#,
            r#""recordings":[{{"uri":"https://rec.example/{n}-a.mp4","user":"agent{n}@acme.test","created":"{rec}","duration":540,"size":81000000,"contents":"AUDIOVIDEO"}},"#,
            r#"{{"uri":"https://rec.example/{n}-b.wav","user":"customer{n}@example.com","created":"{rec}","duration":30,"size":240044,"contents":"AUDIO"}}],"#,
            r#""releaseState":"connected","status":"successful","pendingTime":42500,"assignedTeam":"Mortgages","associateInitiated":{ai},"reason":"answered by an associate"}}"#
        ),
        start = start,
        end = start + 600_000,
        rec = start + 60_000,
        n = n,
        ai = n == 2,
    )
}

#[tokio::test]
async fn the_json_seed_round_trips_with_keys_in_order() {
    let app = app().await;
    // One engagement alone on a line, two in an EngagementListV1 envelope.
    let body = format!(
        "{}\n{{\"hasMore\":false,\"engagements\":[{},{}]}}\n",
        full_json(1),
        full_json(2),
        full_json(3)
    );
    let summary = ingest(&app, body, "application/x-ndjson").await;
    assert_eq!(summary["created"], 3, "{summary}");

    let r = get_as_reader(
        &app,
        &format!("{LIST}?sort=oldest&limit=2"),
        "application/json",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let text = r.text().await.unwrap();
    // Same keys, same order, same kinds of values as the seed (two engagements, each with
    // two users and two recordings, and hasMore true).
    assert_eq!(shape(&text), shape(seed_json()));

    // And every value as it was sent.
    let got: Value = serde_json::from_str(&text).unwrap();
    let got_keys = engagement_keys(&text);
    for (i, n) in [1, 2].into_iter().enumerate() {
        let sent: Value = serde_json::from_str(&full_json(n)).unwrap();
        assert_eq!(got["engagements"][i], sent);
        assert_eq!(got_keys[i], keys(&full_json(n)));
    }
}

/// The seed's `<engagementV1>` with its placeholders filled in, in document order.
fn filled_seed_xml() -> String {
    let values = [
        "2024-03-01T09:30:00.000Z",
        "2024-03-01T09:40:00.000Z",
        "lx-xml-1",
        "600",
        "AUDIO",
        r#"{"orderId":"A &amp; B","note":"&lt;urgent&gt;"}"#,
        "customer@example.com",
        "CREATOR",
        "https://rec.example/x.wav",
        "agent@acme.test",
        "2024-03-01T09:31:00.000Z",
        "540",
        "4320044",
        "AUDIO",
        "connected",
        "successful",
        "61000",
        "Retail Banking",
        "false",
        "answered",
    ];
    let seed = seed_xml();
    assert_eq!(seed.matches(">...<").count(), values.len());
    let mut out = String::new();
    let mut rest = seed;
    for v in values {
        let (head, tail) = rest.split_once(">...<").unwrap();
        out.push_str(head);
        out.push('>');
        out.push_str(v);
        out.push('<');
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn without_whitespace_text(mut el: Element) -> Element {
    if !el.children.is_empty() {
        el.text = el.text.trim().to_owned();
    }
    el.children = el
        .children
        .into_iter()
        .map(without_whitespace_text)
        .collect();
    el
}

#[tokio::test]
async fn the_xml_seed_round_trips_element_for_element() {
    let app = app().await;
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        filled_seed_xml()
    );
    let summary = ingest(&app, doc.clone(), "application/xml").await;
    assert_eq!(summary["created"], 1, "{summary}");

    for accept in ["application/xml", "text/xml"] {
        let r = get(&app, LIST, &app.reader, accept).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], accept);
        let text = r.text().await.unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><engagementListV1>"));
        let list = parse_xml(&text);
        assert_eq!(list.name, "engagementListV1");
        let names: Vec<_> = list.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["hasMore", "engagements"]);
        assert_eq!(list.children[0].text, "false");

        // The engagement element holds exactly the seed's elements, in order, with the
        // values sent.
        let mut got = list.children[1].clone();
        got.name = "engagementV1".into();
        let sent = without_whitespace_text(parse_xml(&doc));
        assert_eq!(skeleton(&got), skeleton(&parse_xml(seed_xml())));
        assert_eq!(got, sent);
    }
}

#[tokio::test]
async fn an_engagement_list_document_ingests_and_reads_back_in_the_other_format() {
    let app = app().await;
    let inner = filled_seed_xml()
        .replace("<engagementV1>", "<engagements>")
        .replace("</engagementV1>", "</engagements>");
    let second = inner.replace("lx-xml-1", "lx-xml-2");
    let doc =
        format!("<engagementListV1><hasMore>false</hasMore>{inner}{second}</engagementListV1>");
    let summary = ingest(&app, doc, "text/xml").await;
    assert_eq!(summary["created"], 2, "{summary}");

    // Read back as JSON: dates become epoch milliseconds in strings, the rest is the same.
    let (_, body) = get_json(&app, &format!("{LIST}?sort=oldest")).await;
    let e = &body["engagements"][0];
    assert_eq!(e["startDate"], "1709285400000");
    assert_eq!(e["endDate"], "1709286000000");
    assert_eq!(e["recordings"][0]["created"], "1709285460000");
    assert_eq!(e["context"], r#"{"orderId":"A & B","note":"<urgent>"}"#);
    assert_eq!(e["pendingTime"], 61000);
    assert_eq!(e["associateInitiated"], false);

    // And a JSON-ingested engagement reads back in XML with the same instants.
    ingest(&app, full_json(7), "application/x-ndjson").await;
    let r = get_as_reader(&app, &format!("{LIST}?limit=1"), "application/xml").await;
    let list = parse_xml(&r.text().await.unwrap());
    let e = &list.children[1];
    let text_of = |name: &str| child_text(e, name);
    assert_eq!(text_of("id"), "lx-7");
    assert_eq!(text_of("startDate"), "2024-03-01T16:30:00.000Z");
    assert_eq!(text_of("associateInitiated"), "false");
    assert_eq!(e.children.iter().filter(|c| c.name == "users").count(), 2);
}

#[test]
fn the_extracted_seed_examples_match_the_seeds() {
    let json = include_str!("seeds/001_2dac3bd4af8d6616.txt");
    let xml = include_str!("seeds/000_a14cf27f50f6d39b.txt");
    let at = json.find("  \"hasMore\"").unwrap();
    assert_eq!(format!("{{\n{}\n}}\n", json[at..].trim_end()), seed_json());
    let at = xml.find("<engagementV1>").unwrap();
    assert_eq!(format!("{}\n", xml[at..].trim_end()), seed_xml());
}

#[tokio::test]
async fn bad_records_are_rejected_by_line_with_the_field_named() {
    let app = app().await;
    let one_line_xml = filled_seed_xml()
        .replace('\n', "")
        .replace("lx-xml-1", "lx-xml-line");
    let body = format!(
        "{{\"id\":\"no-start\"}}\n{}\n{{\"startDate\":\"0\",\"users\":[{{\"uri\":\"a@b.c\",\"association\":\"OWNER\"}}]}}\n{one_line_xml}\n",
        full_json(4)
    );
    let summary = ingest(&app, body, "application/x-ndjson").await;
    assert_eq!(summary["created"], 2, "{summary}");
    assert_eq!(summary["rejected"], 2, "{summary}");
    assert_eq!(summary["problems"][0]["line"], 1);
    assert_eq!(summary["problems"][0]["reason"], "startDate: is required");
    assert_eq!(summary["problems"][1]["line"], 3);
    assert!(summary["problems"][1]["reason"]
        .as_str()
        .unwrap()
        .contains("users[0].association: \"OWNER\"; accepted: CREATOR, MEMBER"));
    let (_, body) = get_json(&app, LIST).await;
    assert_eq!(interlog_testkit::ids(&body), ["lx-4", "lx-xml-line"]);
}
