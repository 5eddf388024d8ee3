//! Everything a Genesys Web Services client sends: Bayeux batches (and the channel
//! patterns in them), history request bodies and query strings, request dates, and lines
//! of the `genesys_gws` ingest format. Each is read or refused with a reason; none panics.
#![no_main]
use interlog_dialect_genesys_gws::cometd::protocol::{is_channel, matches, parse_batch};
use interlog_dialect_genesys_gws::dates::{format, parse_date_param, parse_instant};
use interlog_dialect_genesys_gws::params::{from_body, from_query, Operation};
use libfuzzer_sys::fuzz_target;

const ALL: &[Operation] = &[
    Operation::RetrieveInteractionHistory,
    Operation::RetrieveAgentHistory,
    Operation::RetrieveContactHistory,
    Operation::GetInteractionContent,
];

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = parse_batch(data) {
        assert!(!batch.is_empty());
        for m in &batch {
            if let Some(sub) = &m.subscription {
                for ch in sub.channels() {
                    if is_channel(ch, true) {
                        let _ = matches(ch, "/v2/ucs/interactions");
                    }
                }
            }
            let _ = m.reply_id();
        }
    }
    let _ = from_body(data, ALL, 1000);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = from_query(Some(text), 1000);
        let _ = parse_date_param(text);
        // Whole milliseconds are what responses carry: those read back exactly.
        if let Ok(t) = parse_instant(text) {
            if t.subsec_nanosecond() % 1_000_000 == 0 {
                let written = format(t, &jiff::tz::TimeZone::UTC);
                assert_eq!(parse_instant(&written), Ok(t));
            }
        }
        if let Some((a, b)) = text.split_once('|') {
            let _ = matches(a, b);
        }
    }
    match interlog_dialect_genesys_gws::ingest::decode_line(data) {
        Ok(es) => {
            for e in es {
                let _ = interlog_http::formats::accept(e);
            }
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
});
