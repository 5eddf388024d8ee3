//! Any `q` full-text query: parsed or refused with a position inside it, never a panic,
//! and never past the store's limits when accepted; what it compiles to for each backend is
//! made of quoted tokens only.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match interlog_http::text_query::parse(text) {
            Ok(Some(q)) => {
                assert!(!q.oversized());
                let _ = (q.fts5("7:"), q.tsquery());
                let words = interlog_store::search::tokenize(text);
                let _ = q.matches(&words.words);
            }
            Ok(None) => {}
            Err(e) => assert!(e.position >= 1 && e.position <= text.chars().count() + 1),
        }
    }
});
