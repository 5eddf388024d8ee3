//! `interlog check [--repair]`: whether the store is whole, in words; with `--repair`, every
//! table derived from the engagement bodies written again first.

use crate::setup::{runtime, DataArgs};
use interlog_store::{error_chain, CheckReport, OpenOptions};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// First write every derived table (search terms, analytics rows, day counts, names) and the
    /// indexes again from the engagement bodies; writes wait meanwhile.
    #[arg(long)]
    repair: bool,
    #[command(flatten)]
    data: DataArgs,
}

fn say(report: &CheckReport) {
    if report.problems.is_empty() {
        println!(
            "ok: {} engagements; the store is whole (integrity, bodies, derived tables, change feed)",
            report.engagements
        );
    } else {
        for p in &report.problems {
            println!("problem: {p}");
        }
    }
}

pub fn run(args: CheckArgs) -> Result<(), String> {
    let rt = runtime()?;
    let store = args.data.open(&rt, OpenOptions::default())?;
    let failed = |what: &str, e: interlog_store::StoreError| format!("{what}: {}", error_chain(&e));
    let report = rt.block_on(async {
        if args.repair {
            let rebuilt = store
                .rebuild_derived()
                .await
                .map_err(|e| failed("the repair failed", e))?;
            let tables = rebuilt
                .tables
                .iter()
                .map(|(name, rows)| format!("{name} ({rows} rows)"))
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "repaired: {} written again from {} engagements",
                tables, rebuilt.engagements
            );
            if rebuilt.unreadable > 0 {
                println!(
                    "problem: {} engagements have bodies that do not decode; nothing was derived from them",
                    rebuilt.unreadable
                );
            }
        }
        let report = store.check().await.map_err(|e| failed("the check failed", e));
        store.close().await;
        report
    })?;
    say(&report);
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the store is not whole: {} problems",
            report.problems.len()
        ))
    }
}
