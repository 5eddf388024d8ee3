//! The `avaya_axp` ingest decoder and the custom-method routing of AXP paths: any line
//! either decodes into engagements that normalize, validate or not, and render without
//! panicking, or is rejected with a reason; any path segment splits losslessly.
#![no_main]
use interlog_dialect_avaya_axp::http::split_method;
use interlog_dialect_avaya_axp::{decode_line, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_line(data) {
        Ok(engagements) => {
            for mut e in engagements {
                e.normalize();
                if e.validate().is_ok() {
                    let text = render::engagement_json(&e);
                    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
                }
            }
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
    if let Ok(segment) = std::str::from_utf8(data) {
        let (resource, method) = split_method(segment);
        let joined = match method {
            Some(m) => format!("{resource}:{m}"),
            None => resource.to_owned(),
        };
        assert_eq!(joined, segment);
    }
});
