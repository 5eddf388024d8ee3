//! Everything a Zoom client sends the zoom_cc dialect: ingest records (every one decodes and
//! validates, or is refused with a reason), list query strings (read, or refused naming a
//! field with Zoom's code 300), time windows, and page tokens (opened only when sealed by
//! this server for that query).
#![no_main]
use interlog_http::auth::Signer;
use interlog_dialect_zoom_cc::{ingest, page_token, params, time};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match interlog_http::formats::decode_record(ingest::decode, data) {
        Ok(es) => {
            for e in es {
                assert!(e.validate().is_ok());
            }
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match params::list_request(Some(text)) {
        Ok(r) => assert!((1..=100).contains(&r.page_size)),
        Err(e) => assert!(e.code == 300 && !e.errors.is_empty()),
    }
    let mid = (0..=text.len() / 2)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let (a, b) = text.split_at(mid);
    let tz = jiff::tz::TimeZone::UTC;
    if let Ok(w) = time::window(Some(a), Some(b), &tz, jiff::Timestamp::UNIX_EPOCH) {
        assert!(w.start < w.end);
    }
    let signer = Signer::new(b"fuzz-signing-key-of-32-bytes!!!!".to_vec());
    let fp = page_token::fingerprint(&[a]);
    let opened: Result<serde_json::Value, _> =
        page_token::open(&signer, "acme", page_token::Listing::Engagements, &fp, 0, b);
    // Without the key no input is a token: the MAC cannot be guessed.
    assert!(opened.is_err());
});
