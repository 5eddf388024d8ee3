//! Any `filter=` expression: parsed or refused with a position inside it, never a panic,
//! and never past the store's limits when accepted.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match interlog_http::filter_expr::parse(text) {
            Ok(Some(expr)) => assert!(!expr.oversized()),
            Ok(None) => {}
            Err(e) => assert!(e.position >= 1 && e.position <= text.chars().count() + 1),
        }
    }
});
