//! `interlog serve`: the HTTP server, with graceful shutdown.

use crate::config::{self, FileConfig, LogFormat};
use crate::{keys, open_store, runtime, telemetry};
use interlog_api::auth::Signer;
use interlog_api::{router_with, ApiConfig, AppState};
use interlog_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "INTERLOG_LISTEN")]
    listen: Option<SocketAddr>,
    /// Data directory [default: ./interlog-data].
    #[arg(long, env = "INTERLOG_DATA")]
    data: Option<PathBuf>,
    /// Config file [default: <data>/interlog.toml when present].
    #[arg(long, env = "INTERLOG_CONFIG")]
    config: Option<PathBuf>,
    /// Log format [default: text].
    #[arg(long, env = "INTERLOG_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    /// Create tenant `demo` with generated engagements (when it has none) and print
    /// working credentials.
    #[arg(long)]
    demo: bool,
    /// How many engagements --demo generates.
    #[arg(long, default_value_t = 20_000)]
    demo_count: u64,
}

/// The settings the server runs with, after every layer is applied.
struct Settings {
    listen: SocketAddr,
    data: PathBuf,
    log_format: LogFormat,
    log_level: String,
    api: ApiConfig,
    signing_key_file: Option<PathBuf>,
}

fn settings(args: &ServeArgs) -> Result<(Settings, Vec<String>), String> {
    let data_hint = args
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from("./interlog-data"));
    let file_path = args.config.clone().or_else(|| {
        let p = data_hint.join("interlog.toml");
        p.exists().then_some(p)
    });
    let (file, unknown) = match &file_path {
        Some(p) => config::read_file(p).map_err(|e| e.to_string())?,
        None => (FileConfig::default(), Vec::new()),
    };
    let defaults = ApiConfig::default();
    let env_num = |name: &str| -> Result<Option<i64>, String> {
        std::env::var(name)
            .ok()
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| format!("{name} must be a number"))
            })
            .transpose()
    };
    let usize_of = |v: Option<i64>, name: &str| -> Result<Option<usize>, String> {
        v.map(|n| usize::try_from(n).map_err(|_| format!("{name} must not be negative")))
            .transpose()
    };
    let s = Settings {
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("static")),
        data: args.data.clone().or(file.data).unwrap_or(data_hint),
        log_format: args
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Text),
        log_level: std::env::var("INTERLOG_LOG")
            .ok()
            .or(file.log_level)
            .unwrap_or_else(|| "info".into()),
        api: ApiConfig {
            token_ttl_secs: env_num("INTERLOG_TOKEN_TTL_SECS")?
                .or(file.token_ttl_secs)
                .unwrap_or(defaults.token_ttl_secs),
            max_body_bytes: usize_of(
                env_num("INTERLOG_MAX_BODY_BYTES")?,
                "INTERLOG_MAX_BODY_BYTES",
            )?
            .or(file.max_body_bytes)
            .unwrap_or(defaults.max_body_bytes),
            max_bulk_bytes: usize_of(
                env_num("INTERLOG_MAX_BULK_BYTES")?,
                "INTERLOG_MAX_BULK_BYTES",
            )?
            .or(file.max_bulk_bytes)
            .unwrap_or(defaults.max_bulk_bytes),
            ..defaults
        },
        signing_key_file: std::env::var_os("INTERLOG_SIGNING_KEY_FILE")
            .map(PathBuf::from)
            .or(file.signing_key_file),
    };
    if s.api.token_ttl_secs <= 0 {
        return Err("token_ttl_secs must be positive".into());
    }
    Ok((s, unknown))
}

pub fn run(args: ServeArgs) -> Result<(), String> {
    let (s, unknown) = settings(&args)?;
    telemetry::init(s.log_format, &s.log_level);
    for key in unknown {
        tracing::warn!(key = %key, "unknown key in the config file; ignored");
    }
    let key = keys::signing_key(
        {
            std::fs::create_dir_all(&s.data)
                .map_err(|e| format!("cannot create {}: {e}", s.data.display()))?;
            &s.data
        },
        s.signing_key_file.as_deref(),
    )?;
    let store = open_store(&s.data)?;
    let rt = runtime()?;
    rt.block_on(async {
        if args.demo {
            crate::admin::demo(store.clone(), &s.data, args.demo_count, s.listen).await?;
        }
        let state = AppState::new(
            store.clone() as Arc<dyn Store>,
            Signer::new(key),
            s.api.clone(),
        );
        let listener = tokio::net::TcpListener::bind(s.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", s.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!(%addr, data = %s.data.display(), "interlog listening");
        eprintln!("Interlog is listening on http://{addr} (API docs: http://{addr}/api/v1/docs)");
        axum::serve(listener, router_with(state, crate::dialects::routes()))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("server error: {e}"))
    })?;
    // In-flight requests have finished; let the writer commit what is queued.
    store.close();
    tracing::info!("interlog stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
