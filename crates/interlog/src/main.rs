//! `interlog`: the server and its command line.

mod admin;
mod backup;
mod check;
mod connector;
mod export;
mod import;
mod serve;
mod setup;
mod telemetry;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "interlog",
    version,
    about = "Engagement history for contact centers, from every platform, in one store."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(serve::ServeArgs),
    /// Print the commented default config file.
    Config,
    /// Tenants: create, list, update, delete.
    #[command(subcommand)]
    Tenant(admin::TenantCommand),
    /// API clients: create, delete, disable, enable.
    #[command(subcommand)]
    Client(admin::ClientCommand),
    /// Users: create, delete, disable, enable.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Write realistic synthetic engagements as NDJSON to stdout.
    Generate(GenerateArgs),
    /// Load engagements (NDJSON) from a file or stdin.
    Import(import::ImportArgs),
    /// Write a tenant's engagements as NDJSON or CSV to stdout (or its change feed).
    Export(export::ExportArgs),
    /// Erase a customer's data: every engagement of the customer, across every linked
    /// identifier, and the identity links. Prints the receipt.
    Erase(admin::EraseArgs),
    /// Connectors that pull a tenant's history from a platform: add, list, show, remove.
    #[command(subcommand)]
    Connector(connector::ConnectorCommand),
    /// Run a connector in the foreground: one pass up to now with --once (a migration's
    /// backfill), else a pass every poll interval until interrupted.
    Sync(connector::SyncArgs),
    /// Write a consistent copy of the store to a file while the server keeps serving and
    /// writing (SQLite); prints the change-feed position of each tenant it holds.
    Backup(backup::BackupArgs),
    /// Put a backup in place of the store (SQLite), which no server or command may have
    /// open.
    Restore(backup::RestoreArgs),
    /// Verify that the store is whole and say what is wrong; --repair first writes what is
    /// derived from the engagement bodies again.
    Check(check::CheckArgs),
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Tenant the data is for (used in generated email domains).
    #[arg(long)]
    tenant: String,
    /// How many engagements.
    #[arg(long)]
    count: u64,
    /// Seed: the same seed (and --end) gives the same output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Start time of the newest engagement (RFC 3339). Fixed by default so output is
    /// reproducible.
    #[arg(long, default_value = "2026-11-01T00:00:00Z")]
    end: String,
    /// Days the engagements spread over, back from --end.
    #[arg(long, default_value_t = 180)]
    span_days: u32,
}

fn generate(args: GenerateArgs) -> Result<(), String> {
    let end = interlog_model::time::parse_instant(&args.end).map_err(|e| format!("--end: {e}"))?;
    let mut cfg = interlog_generate::GeneratorConfig::new(args.seed, args.count, end)
        .with_tenant(args.tenant);
    cfg.span_days = args.span_days.max(1);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match interlog_generate::write_ndjson(cfg, &mut out) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// mimalloc: allocation was a sixth of the list path's profile with glibc's allocator
/// (list +7–9%, get +14–16% measured on the 1M store).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (number 15 in its option enum).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc's purge delay (ms; its arenas wait ten times as long) while an export runs:
/// longer than any export, so nothing freed meanwhile is handed back to the system (with a
/// delay of a second, freed ranges still aged out and were faulted in again: mimalloc does not
/// prefer the most recently freed range). What is kept is reused by every thread; the export
/// trims it after each row group (without, it crept up over a long export: 190 -> 201 MB
/// over the last 130,000 of 200,000 engagements) and the release purges it all.
const EXPORT_PURGE_DELAY_MS: libc::c_long = 3_600_000;

/// While an export runs, freed memory is kept for reuse rather than returned at once.
fn keep_freed_memory_during_exports() {
    interlog_native::exports::memory::install(interlog_native::exports::memory::Hooks {
        // SAFETY (both): mimalloc reads the option at each free that schedules a purge;
        // setting it while other threads run is a word-sized store.
        keep: || unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, EXPORT_PURGE_DELAY_MS)
        },
        // Purges what is scheduled, whatever its expiry (the delay stays set).
        trim: || unsafe { libmimalloc_sys::mi_collect(true) },
        release: || unsafe {
            // Purge everything scheduled, whatever its expiry, while a delay is still set
            // (with none mimalloc no longer looks at scheduled purges), then purge at once
            // again. A range freed between the two stays until it is reused or the next
            // export ends.
            libmimalloc_sys::mi_collect(true);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        },
    });
}

/// Caps glibc's malloc, which serves the C code (SQLite's page caches, statements and
/// sorts), at two arenas. glibc gives each thread that allocates an arena of its own (up to
/// eight per core) and keeps what is freed in each for that arena's reuse; SQLite's
/// connections move between Tokio's blocking threads, so resident memory climbed towards
/// the sum of every arena's high-water mark (bench/overload.sh). SQLite's own use is capped
/// (`hard_heap_limit`); two arenas keep what is resident close to it.
fn limit_c_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; M_ARENA_MAX takes any positive count. Set
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// No transparent huge pages for this process: mimalloc asks for them on its arenas (when it
/// starts, before `main`, so its own option comes too late), and then a 2 MiB page stays
/// resident while any byte of it is in use and is purged only whole (bench/overload.sh at
/// 100,000 engagements: mimalloc's resident memory 70-246 MB with them, 30-40 MB without,
/// at the same request rates).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    // Return freed memory to the system at once, so resident memory follows what is in use
    // (an argon2 verification frees a 19 MiB block; readers churn through page buffers).
    // SAFETY: sets an allocator option before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    no_huge_pages();
    limit_c_arenas();
    keep_freed_memory_during_exports();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Config => {
            print!("{}", interlog_app::config::default_file());
            Ok(())
        }
        Command::Tenant(c) => admin::tenant(c),
        Command::Client(c) => admin::client(c),
        Command::User(c) => admin::user(c),
        Command::Generate(args) => generate(args),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
        Command::Erase(args) => admin::erase(args),
        Command::Connector(c) => connector::connector(c),
        Command::Sync(args) => connector::sync(args),
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => backup::restore(args),
        Command::Check(args) => check::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("interlog: {message}");
            ExitCode::FAILURE
        }
    }
}
