//! Any query string of the native listing.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let p = interlog_http::params::Params::parse(Some(q));
        let _ = interlog_http::listing::filter(&p);
        let _ = p.number("limit", 1, 1000);
    }
});
