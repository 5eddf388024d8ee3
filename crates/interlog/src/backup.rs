//! `interlog backup` and `interlog restore`: a consistent copy of the store taken while it
//! serves, and putting one back.

use crate::setup::DataArgs;
use indicatif::{ProgressBar, ProgressStyle};
use interlog_app::backup::Copied;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The file to write the backup to (replaced when it exists).
    #[arg(long)]
    to: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup to restore (a file `interlog backup` wrote).
    #[arg(long)]
    from: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

/// A bar of pages copied on a terminal; nothing otherwise.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} pages {msg}")
            .expect("static template"),
    );
    bar
}

/// Prints what was copied: one JSON object on standard output (the file, its size, and the
/// change-feed position of each tenant it is consistent with), and words on standard error.
fn report(verb: &str, file: &std::path::Path, copied: &Copied) {
    let positions: serde_json::Map<String, serde_json::Value> = copied
        .heads
        .iter()
        .map(|(k, h)| (k.clone(), (*h).into()))
        .collect();
    let words = copied
        .heads
        .iter()
        .map(|(k, h)| format!("{k} at {h}"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "interlog: {verb} {} ({} bytes); the change feed of each tenant is in it up to: {}",
        file.display(),
        copied.bytes,
        if words.is_empty() {
            "no tenants"
        } else {
            &words
        }
    );
    println!(
        "{}",
        serde_json::json!({
            "file": file.display().to_string(),
            "bytes": copied.bytes,
            "positions": positions,
        })
    );
}

pub fn backup(args: BackupArgs) -> Result<(), String> {
    let url = args.data.store_url()?;
    let bar = progress_bar();
    let copied = interlog_app::backup::backup(&url, &args.to, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    report("backed up into", &args.to, &copied);
    Ok(())
}

pub fn restore(args: RestoreArgs) -> Result<(), String> {
    let url = args.data.store_url()?;
    let bar = progress_bar();
    let copied = interlog_app::backup::restore(&url, &args.from, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    report(
        &format!("restored {} from", url.display()),
        &args.from,
        &copied,
    );
    Ok(())
}
