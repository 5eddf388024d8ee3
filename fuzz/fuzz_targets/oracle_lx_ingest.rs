//! Any `oracle_lx` record, as an NDJSON line or as an XML document: each decodes into
//! valid engagements or is rejected with a reason, and what a JSON line stores reads back
//! through the dialect in a shape that decodes to the same rendering again.
#![no_main]
use interlog_http::formats::decode_record;
use interlog_dialect_oracle_lx::{ingest, render_json, view};
use interlog_store::StoredEngagement;
use libfuzzer_sys::fuzz_target;

fn render(e: &interlog_model::Engagement) -> String {
    let stored = StoredEngagement::new(e);
    let mut out = String::new();
    render_json::engagement(&mut out, &view::from_stored(&stored.json).unwrap());
    out
}

fuzz_target!(|data: &[u8]| {
    match decode_record(ingest::decode_json_line, data) {
        Ok(es) => {
            for e in es {
                assert!(e.validate().is_ok());
                let once = render(&e);
                let again = decode_record(ingest::decode_json_line, once.as_bytes())
                    .expect("a rendered engagementV1 decodes");
                assert_eq!(again.len(), 1);
                assert_eq!(render(&again[0]), once);
            }
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
    match decode_record(ingest::decode_xml_document, data) {
        Ok(es) => {
            for e in es {
                assert!(e.validate().is_ok());
                let _ = render(&e);
            }
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
});
