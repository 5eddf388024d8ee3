//! Any date or time a client sends, in any zone name.
#![no_main]
use libfuzzer_sys::fuzz_target;
use interlog_model::time::{parse_instant, zone, LocalBound};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let (value, zone_name) = s.split_once('|').unwrap_or((s, "UTC"));
        let _ = parse_instant(value);
        if let Ok(tz) = zone(zone_name) {
            if let Ok(b) = LocalBound::parse(value, &tz) {
                assert!(b.first() < b.end_exclusive());
            }
        }
        let _ = interlog_model::phone::normalize(value, Some("353"));
    }
});
