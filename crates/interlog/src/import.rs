//! `interlog import`: load NDJSON engagements from a file or stdin.
//!
//! Lines are read and stored in batches exactly as the HTTP bulk endpoint does. Each line is
//! stored whole or not at all; bad lines are reported with their numbers and the rest are
//! stored. A progress bar shows on a terminal.

use crate::setup::{runtime, DataArgs};
use indicatif::{ProgressBar, ProgressStyle};
use interlog_native::ingest::{IngestLimits, IngestPump};
use interlog_store::OpenOptions;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

const LIMITS: IngestLimits = IngestLimits {
    max_line: 1024 * 1024,
    // An XML document is read whole; a file is not limited.
    max_document: usize::MAX,
    max_total: usize::MAX,
};

#[derive(clap::Args)]
pub struct ImportArgs {
    #[arg(long)]
    tenant: String,
    /// The file to read, or - for stdin.
    file: PathBuf,
    /// The shape of each line: native (canonical JSON) or a dialect's vendor shape
    /// (oracle_lx, zoom_cc, avaya_axp, genesys_gws). A format with XML documents also takes
    /// a file that is one whole document.
    #[arg(long, default_value = "native")]
    format: String,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: ImportArgs) -> Result<(), String> {
    let formats = interlog_app::registry::formats();
    let format = formats.get(&args.format).ok_or_else(|| {
        format!(
            "--format {:?} is not known; accepted: {}",
            args.format,
            formats.names()
        )
    })?;
    let (mut input, size): (Box<dyn Read>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let f = std::fs::File::open(&args.file)
            .map_err(|e| format!("cannot open {}: {e}", args.file.display()))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = size.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg}",
            )
            .expect("static template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let rt = runtime()?;
    let store = args.data.open(
        &rt,
        OpenOptions {
            bulk_load: true,
            ..OpenOptions::default()
        },
    )?;
    let started = std::time::Instant::now();
    let summary = rt.block_on(async {
        let tenant = crate::admin::find_tenant(store.as_ref(), &args.tenant).await?;
        let mut pump = IngestPump::new(store.clone(), Arc::new(tenant), format, LIMITS);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = input
                .read(&mut buf)
                .map_err(|e| format!("read error: {e}"))?;
            if n == 0 {
                break;
            }
            pump.feed(&buf[..n])
                .await
                .map_err(|e| interlog_app::store_url::error_chain(&e))?;
            bar.inc(n as u64);
            bar.set_message(format!("{} lines", pump.lines()));
        }
        pump.finish()
            .await
            .map_err(|e| interlog_app::store_url::error_chain(&e))
    });
    bar.finish_and_clear();
    // Every acknowledged line is durable once the store has closed.
    rt.block_on(store.close());
    let summary = summary?;
    let secs = started.elapsed().as_secs_f64();
    for p in &summary.problems {
        match &p.reason {
            Some(r) => eprintln!("line {}: {}: {r}", p.line, p.result),
            None => eprintln!(
                "line {}: {} ({})",
                p.line,
                p.result,
                p.id.as_deref().unwrap_or("")
            ),
        }
    }
    eprintln!(
        "imported {} lines in {:.1}s ({:.0}/s): {} created, {} updated, {} stale, {} rejected",
        summary.lines,
        secs,
        summary.lines as f64 / secs.max(1e-9),
        summary.created,
        summary.updated,
        summary.stale,
        summary.rejected
    );
    if summary.rejected > 0 {
        return Err(format!("{} lines were rejected", summary.rejected));
    }
    Ok(())
}
