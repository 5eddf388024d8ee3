//! What the list endpoint spends per engagement on top of the native listing: reading the
//! stored canonical JSON into a view and rendering Zoom's list item, against merely scanning
//! the JSON (the floor any reading has) and parsing the whole engagement.
//!
//! `cargo run --release -p interlog-dialect-zoom-cc --example render_cost`

use interlog_dialect_zoom_cc::render::{self, Clock, Shape};
use interlog_dialect_zoom_cc::view::View;
use interlog_generate::{Generator, GeneratorConfig};
use std::time::{Duration, Instant};

const N: u32 = 2000;

/// The fastest of several runs, per engagement: the machine may be shared.
fn per_engagement(mut f: impl FnMut()) -> Duration {
    (0..15)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed() / N
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let end = "2024-06-30T00:00:00Z".parse().expect("a timestamp");
    let engagements: Vec<_> = Generator::new(GeneratorConfig::new(42, N.into(), end)).collect();
    let stored: Vec<String> = engagements
        .iter()
        .map(|e| serde_json::to_string(e).expect("engagements serialize"))
        .collect();
    let clock = Clock::utc();
    let mut out = Vec::with_capacity(1 << 22);
    let scan = per_engagement(|| {
        for j in &stored {
            let _: serde::de::IgnoredAny = serde_json::from_str(j).expect("valid JSON");
        }
    });
    let full = per_engagement(|| {
        for j in &stored {
            let _: interlog_model::Engagement = serde_json::from_str(j).expect("an engagement");
        }
    });
    let view = per_engagement(|| {
        for j in &stored {
            let _ = View::parse(j).expect("a view");
        }
    });
    let rendered = per_engagement(|| {
        out.clear();
        for j in &stored {
            let v = View::parse(j).expect("a view");
            let item = render::engagement(&v, &clock, Shape::ListItem);
            serde_json::to_writer(&mut out, &item).expect("rendering");
        }
    });
    let size = stored.iter().map(String::len).sum::<usize>() / stored.len();
    println!(
        "stored JSON: {size} bytes an engagement; Zoom item: {} bytes",
        out.len() / N as usize
    );
    println!("scan {scan:?}, whole parse {full:?}, view {view:?}, view + render {rendered:?}");
}
