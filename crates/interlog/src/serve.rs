//! `interlog serve`: the HTTP server, built and run by the app crate exactly as the tests
//! start it, with graceful shutdown.

use crate::setup::runtime;
use crate::telemetry;
use interlog_app::config::{process_env, LogFormat};
use interlog_app::{Config, Overrides, Server};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Data directory [default: ./interlog-data].
    #[arg(long)]
    data: Option<PathBuf>,
    /// The store, by URL [default: sqlite://<data>/interlog.db].
    #[arg(long)]
    store: Option<String>,
    /// Config file [default: <data>/interlog.toml when present].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Log format: text or json [default: text].
    #[arg(long)]
    log_format: Option<LogFormat>,
    /// Create tenant `demo` with generated engagements (when it has none) and print
    /// working credentials for every API.
    #[arg(long)]
    demo: bool,
    /// How many engagements --demo generates.
    #[arg(long, default_value_t = 20_000)]
    demo_count: u64,
    /// The instant --demo's generated history ends (RFC 3339) [default: now]. Fixes the day
    /// and hour the demo looks like (tests use it for a Monday morning or a Sunday night).
    #[arg(long)]
    demo_end: Option<jiff::Timestamp>,
}

pub fn run(args: ServeArgs) -> Result<(), String> {
    let overrides = Overrides {
        listen: args.listen,
        data: args.data,
        store: args.store,
        config: args.config,
        log_format: args.log_format,
    };
    let mut config = Config::load(&overrides, &process_env).map_err(|e| e.to_string())?;
    if args.demo {
        crate::admin::demo_settings(&mut config);
    }
    telemetry::init(config.log_format, &config.log_level);
    for key in &config.warnings {
        tracing::warn!(key = %key, "unknown key in the config file; ignored");
    }
    runtime()?.block_on(async {
        let store = interlog_app::open_configured_store(&config).await?;
        let demo = match args.demo {
            true => {
                let end = args.demo_end.unwrap_or_else(jiff::Timestamp::now);
                Some(crate::admin::demo(store.as_ref(), &config, args.demo_count, end).await?)
            }
            false => None,
        };
        let server = Server::start(&config, store).await?;
        tracing::info!(addr = %server.addr, store = %config.store.display(), "interlog listening");
        // A contract (README, "Command line"): printed once connections are accepted, with
        // the address listened on (the port the system chose for port 0); scripts and the
        // tests start `serve` on port 0 and read where it listens from this line.
        eprintln!(
            "Interlog is listening on {1}://{0} (API docs: {1}://{0}/api/v1/docs)",
            server.addr,
            if server.tls { "https" } else { "http" }
        );
        // Printed once listening, with the address it listens on (port 0 included).
        if let Some(demo) = demo {
            demo.print(server.addr);
        }
        server.run_until_signal().await
    })?;
    tracing::info!("interlog stopped");
    Ok(())
}
