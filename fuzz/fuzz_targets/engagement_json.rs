//! Any body a client sends as an engagement: parse, normalize, validate, serialize back.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut e) = serde_json::from_slice::<interlog_model::Engagement>(data) {
        e.normalize();
        if e.validate().is_ok() {
            let text = serde_json::to_string(&e).unwrap();
            let back: interlog_model::Engagement = serde_json::from_str(&text).unwrap();
            assert_eq!(back, e);
        }
    }
});
