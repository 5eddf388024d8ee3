//! Any bulk stream, in any chunking: lines are split the same way, and every line either
//! parses into a valid engagement or is rejected with a reason.
#![no_main]
use interlog_native::ingest::{parse_line, Line, LineSplitter};
use libfuzzer_sys::fuzz_target;

fn lines(chunks: &[&[u8]]) -> Vec<(u64, Option<Vec<u8>>)> {
    let mut s = LineSplitter::new(64);
    let mut out = Vec::new();
    let mut push = |l: Line<'_>| match l {
        Line::Text(n, t) => out.push((n, Some(t.to_vec()))),
        Line::TooLong(n) => out.push((n, None)),
    };
    for c in chunks {
        s.feed(c, &mut push);
    }
    s.finish(&mut push);
    out
}

fuzz_target!(|data: &[u8]| {
    let whole = lines(&[data]);
    let cut = data.first().map_or(1, |b| (*b as usize % 7) + 1);
    let chunks: Vec<&[u8]> = data.chunks(cut).collect();
    assert_eq!(lines(&chunks), whole);
    for (_, text) in whole.into_iter() {
        if let Some(t) = text {
            match parse_line(&t) {
                Ok(e) => assert!(e.validate().is_ok()),
                Err(reason) => assert!(!reason.is_empty()),
            }
        }
    }
});
