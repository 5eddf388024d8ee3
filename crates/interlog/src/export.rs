//! `interlog export`: a tenant's engagements, filtered, as NDJSON, CSV or Parquet (the
//! encoders of the API's export jobs), on stdout or into a file.

use crate::setup::{runtime, DataArgs};
use interlog_native::exports::encode::Sink;
use interlog_native::exports::job::write_snapshot;
use interlog_native::exports::Format;
use interlog_store::OpenOptions;
use std::io::Write;

#[derive(clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    tenant: String,
    /// Filters in the native API's query-string form, e.g.
    /// 'channel_type=voice&started_from=2026-01-01T00:00:00Z&agent=a@example.com'.
    #[arg(long, default_value = "")]
    filter: String,
    #[arg(long, default_value = "ndjson")]
    format: ExportFormat,
    /// Write to this file instead of standard output (Parquet is binary).
    #[arg(long)]
    output: Option<std::path::PathBuf>,
    /// Instead of the engagements, the change feed after this position (0: from the
    /// start), one change a line as `GET …/changes` writes them.
    #[arg(long, conflicts_with_all = ["filter", "format"])]
    changes_after: Option<i64>,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    Ndjson,
    Csv,
    Parquet,
}

impl ExportFormat {
    fn format(self) -> Format {
        match self {
            ExportFormat::Ndjson => Format::Ndjson,
            ExportFormat::Csv => Format::Csv,
            ExportFormat::Parquet => Format::Parquet,
        }
    }
}

/// Streams the change feed after `after` as NDJSON.
fn changes(args: &ExportArgs, after: i64) -> Result<(), String> {
    if after < 0 {
        return Err("--changes-after must not be negative".into());
    }
    let rt = runtime()?;
    let store = args.data.open(&rt, OpenOptions::default())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = rt.block_on(async {
        let tenant = crate::admin::find_tenant(store.as_ref(), &args.tenant).await?;
        let mut at = after;
        let mut written = 0u64;
        let mut line = String::new();
        loop {
            let page = store
                .changes(&tenant, at, 1000)
                .await
                .map_err(|e| interlog_app::store_url::error_chain(&e))?;
            if at > 0 && at < page.trimmed_through {
                return Err(format!(
                    "deletions up to position {} are no longer kept; start again from 0",
                    page.trimmed_through
                ));
            }
            let Some(last) = page.changes.last() else {
                break;
            };
            at = last.position;
            for c in &page.changes {
                line.clear();
                interlog_native::changes::write_change(&mut line, c);
                writeln!(out, "{line}").map_err(|e| e.to_string())?;
                written += 1;
            }
        }
        out.flush().map_err(|e| e.to_string())?;
        Ok::<_, String>((written, at))
    });
    rt.block_on(store.close());
    match result {
        Ok((n, at)) => {
            eprintln!("exported {n} changes; next position after {at}");
            Ok(())
        }
        Err(e) if e.contains("Broken pipe") => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn run(args: ExportArgs) -> Result<(), String> {
    if let Some(after) = args.changes_after {
        return changes(&args, after);
    }
    let filter = interlog_http::listing::parse_filter(&args.filter)
        .map_err(|e| format!("--filter: {}", e.detail))?;
    let rt = runtime()?;
    let store = args.data.open(&rt, OpenOptions::default())?;
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    // The same snapshot and encoders as the API's export jobs.
    let sink = Sink::new(args.format.format(), out, u64::MAX, None).map_err(|e| e.to_string())?;
    let result = rt.block_on(async {
        let tenant = crate::admin::find_tenant(store.as_ref(), &args.tenant).await?;
        // Names stand for the ids they name, as in the listing.
        let filter = interlog_http::names::resolve(store.as_ref(), &tenant, &filter)
            .await
            .map_err(|e| format!("--filter: {}", e.detail))?;
        let written = write_snapshot(store.clone(), &tenant, &filter, sink, |_, _| async { true })
            .await
            .map_err(|e| interlog_app::store_url::error_chain(&e))?;
        Ok::<_, String>((written.rows, written.position))
    });
    rt.block_on(store.close());
    match result {
        Ok((n, position)) => {
            eprintln!("exported {n} engagements, consistent with change-feed position {position}");
            Ok(())
        }
        Err(e) if e.contains("Broken pipe") => Ok(()),
        Err(e) => Err(e),
    }
}
