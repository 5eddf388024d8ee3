//! Measures generation speed: `cargo run --release -p interlog-generate --example throughput [COUNT]`.

use interlog_generate::{write_ndjson, Generator, GeneratorConfig};
use std::time::Instant;

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let end = "2025-03-01T12:00:00Z".parse().unwrap();

    let t = Instant::now();
    let n = Generator::new(GeneratorConfig::new(1, count, end)).count();
    let secs = t.elapsed().as_secs_f64();
    println!("structs: {n} in {secs:.2}s = {:.0}/s", n as f64 / secs);

    let mut buf = Vec::with_capacity(2 << 30);
    let t = Instant::now();
    let n = write_ndjson(GeneratorConfig::new(1, count, end), &mut buf).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "ndjson:  {n} in {secs:.2}s = {:.0}/s, {:.0} MB ({:.0} bytes each)",
        n as f64 / secs,
        buf.len() as f64 / 1e6,
        buf.len() as f64 / n as f64
    );
}
