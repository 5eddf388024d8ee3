//! Measures generation speed, single-threaded:
//! `cargo run --release -p interlog-generate --example throughput [COUNT] [engagements|ndjson]`.
//!
//! Prints the rate of building engagements (the iterator, as benchmarks and `--demo` use it)
//! and of writing them as NDJSON into memory (as `interlog generate` does).

use interlog_generate::{write_ndjson, Generator, GeneratorConfig};
use std::io::{self, Write};
use std::time::Instant;

/// An in-memory sink that keeps the last chunk only, so a million engagements do not need
/// gigabytes of memory to be measured.
#[derive(Default)]
struct Sink {
    buf: Vec<u8>,
    total: u64,
}

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.clear();
        self.buf.extend_from_slice(b);
        self.total += b.len() as u64;
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let only = std::env::args().nth(2);
    let end = "2025-03-01T12:00:00Z".parse().unwrap();

    if only.as_deref() != Some("ndjson") {
        let t = Instant::now();
        let n = Generator::new(GeneratorConfig::new(1, count, end)).count();
        let secs = t.elapsed().as_secs_f64();
        println!("engagements: {n} in {secs:.2}s = {:.0}/s", n as f64 / secs);
    }
    if only.as_deref() == Some("engagements") {
        return;
    }

    let mut sink = Sink::default();
    let t = Instant::now();
    let n = write_ndjson(GeneratorConfig::new(1, count, end), &mut sink).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "ndjson:      {n} in {secs:.2}s = {:.0}/s, {:.0} MB/s, {:.0} bytes each",
        n as f64 / secs,
        sink.total as f64 / secs / 1e6,
        sink.total as f64 / n as f64
    );
}
