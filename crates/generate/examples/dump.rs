//! Writes NDJSON to stdout: `cargo run -p interlog-generate --example dump [COUNT] [SEED]`.
use interlog_generate::{write_ndjson, GeneratorConfig};
fn main() {
    let mut a = std::env::args().skip(1);
    let count = a.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let seed = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let end = "2025-03-01T12:00:00Z".parse().unwrap();
    write_ndjson(
        GeneratorConfig::new(seed, count, end),
        &mut std::io::stdout().lock(),
    )
    .unwrap();
}
