//! Any query string of the native listing, and of analytics (which takes the listing's
//! filters and its own range, interval, zone, grouping and thresholds).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let p = interlog_http::params::Params::parse(Some(q));
        let _ = interlog_http::listing::filter(&p);
        let _ = p.number("limit", 1, 1000);
        let tenant = interlog_store::Tenant {
            id: 1,
            key: "t".into(),
            name: "t".into(),
            time_zone: "Europe/Dublin".into(),
            country_code: None,
            aliases: Vec::new(),
            created_at: interlog_model::Timestamp::UNIX_EPOCH,
        };
        let now = interlog_model::Timestamp::from_second(1_700_000_000).unwrap();
        let _ = interlog_http::analytics::Request::parse(&p, &tenant, now);
    }
});
