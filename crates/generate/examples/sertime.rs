//! scratch
use interlog_generate::{Generator, GeneratorConfig};
use std::time::Instant;
fn main() {
    let end = "2025-03-01T12:00:00Z".parse().unwrap();
    let t = Instant::now();
    let n = Generator::new(GeneratorConfig::new(1, 400_000, end)).count();
    let s = t.elapsed().as_secs_f64();
    println!("gen {:.0}/s", n as f64 / s);
}
