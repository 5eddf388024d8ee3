//! `interlog connector add|list|show|remove` and `interlog sync`: a tenant's connectors
//! from the command line, on the data directory directly (also while a server runs on it),
//! through the same checks and runner as the API and the server.
//!
//! `sync --once` makes one pass in the foreground — the migration case: backfill years of
//! history, then stop — with a progress bar on a terminal. It takes the connector's lease
//! like a server does, so it never runs beside a server running the same connector.

use crate::setup::{runtime, DataArgs};
use indicatif::{ProgressBar, ProgressStyle};
use interlog_app::config::process_env;
use interlog_app::{Config, Overrides};
use interlog_http::background::lease::{Claim, LeasedWork};
use interlog_http::background::Context;
use interlog_http::connector::stored::{RunState, STATES};
use interlog_http::{ApiError, ApiState};
use interlog_native::connectors::{manage, runner};
use interlog_store::OpenOptions;
use serde_json::{Map, Value};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum ConnectorCommand {
    /// Add a connector; prints it (secrets are never shown) as JSON.
    Add {
        #[arg(long)]
        tenant: String,
        /// zoom_cc, oracle_lx, genesys_gws or avaya_axp.
        #[arg(long)]
        kind: String,
        /// Read history from this RFC 3339 date-time.
        #[arg(long)]
        start_from: String,
        /// The vendor's API root [default: the kind's, where the vendor has one].
        #[arg(long)]
        base_url: Option<String>,
        /// The vendor's token endpoint [default: the kind's].
        #[arg(long)]
        token_url: Option<String>,
        /// Seconds between runs [default: 60].
        #[arg(long)]
        poll_interval_secs: Option<u64>,
        /// Seconds re-read before the cursor each run, for late records [default: 900].
        #[arg(long)]
        lookback_secs: Option<u64>,
        /// Add it without running it.
        #[arg(long)]
        disabled: bool,
        /// A setting of the kind, by the vendor's name: NAME=VALUE, NAME=@FILE (the file's
        /// text, e.g. a secret kept out of the shell's history), or NAME=JSON for a list
        /// or an object (e.g. customers=[{"phoneNumbers":["+353…"]}]). Repeatable.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        settings: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the tenant's connectors and their status, as JSON lines.
    List {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Show one connector and its status as JSON.
    Show {
        #[arg(long)]
        tenant: String,
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Remove a connector (what it stored stays).
    Remove {
        #[arg(long)]
        tenant: String,
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Args)]
pub struct SyncArgs {
    #[arg(long)]
    tenant: String,
    /// The connector's id.
    #[arg(long)]
    connector: String,
    /// One pass up to now, then exit (without it: a pass every poll interval until
    /// interrupted).
    #[arg(long)]
    once: bool,
    #[command(flatten)]
    data: DataArgs,
}

/// The app's state over the store `data` names, as a server on it would have it.
async fn state(data: &DataArgs) -> Result<ApiState, String> {
    let overrides = Overrides {
        data: Some(data.data.clone()),
        store: data.store.clone(),
        ..Overrides::default()
    };
    let config = Config::load(&overrides, &process_env).map_err(|e| e.to_string())?;
    let store = interlog_app::open_store(&config.store, OpenOptions::default()).await?;
    let apis = interlog_app::build_apis(&config, store).map_err(|e| e.to_string())?;
    Ok(apis.state)
}

fn refused(e: ApiError) -> String {
    e.detail
}

/// A `--set NAME=VALUE` as the configuration's member.
fn setting(pair: &str) -> Result<(String, Value), String> {
    let (name, value) = pair
        .split_once('=')
        .filter(|(n, _)| !n.is_empty())
        .ok_or_else(|| format!("--set {pair:?} must be NAME=VALUE"))?;
    let value = if let Some(file) = value.strip_prefix('@') {
        let text =
            std::fs::read_to_string(file).map_err(|e| format!("--set {name}=@{file}: {e}"))?;
        Value::String(text.trim_end_matches(['\n', '\r']).to_owned())
    } else if value.starts_with('[') || value.starts_with('{') {
        serde_json::from_str(value).map_err(|e| format!("--set {name}: not JSON ({e})"))?
    } else {
        Value::String(value.to_owned())
    };
    Ok((name.to_owned(), value))
}

fn print(v: &impl serde::Serialize) {
    println!("{}", serde_json::to_string(v).expect("views serialize"));
}

pub fn connector(command: ConnectorCommand) -> Result<(), String> {
    let rt = runtime()?;
    rt.block_on(async {
        match command {
            ConnectorCommand::Add {
                tenant,
                kind,
                start_from,
                base_url,
                token_url,
                poll_interval_secs,
                lookback_secs,
                disabled,
                settings,
                data,
            } => {
                let state = state(&data).await?;
                let tenant = crate::admin::find_tenant(state.store.as_ref(), &tenant).await?;
                let mut body = Map::new();
                for pair in &settings {
                    let (k, v) = setting(pair)?;
                    body.insert(k, v);
                }
                body.insert("kind".into(), kind.into());
                body.insert("start_from".into(), start_from.into());
                if let Some(u) = base_url {
                    body.insert("base_url".into(), u.into());
                }
                if let Some(u) = token_url {
                    body.insert("token_url".into(), u.into());
                }
                if let Some(n) = poll_interval_secs {
                    body.insert("poll_interval_secs".into(), n.into());
                }
                if let Some(n) = lookback_secs {
                    body.insert("lookback_secs".into(), n.into());
                }
                body.insert("enabled".into(), (!disabled).into());
                let view = manage::create(&state, &tenant, &body)
                    .await
                    .map_err(refused)?;
                print(&view);
                state.store.close().await;
            }
            ConnectorCommand::List { tenant, data } => {
                let state = state(&data).await?;
                let tenant = crate::admin::find_tenant(state.store.as_ref(), &tenant).await?;
                for view in manage::list(&state, &tenant).await.map_err(refused)? {
                    print(&view);
                }
            }
            ConnectorCommand::Show { tenant, id, data } => {
                let state = state(&data).await?;
                let tenant = crate::admin::find_tenant(state.store.as_ref(), &tenant).await?;
                print(&manage::show(&state, &tenant, &id).await.map_err(refused)?);
            }
            ConnectorCommand::Remove { tenant, id, data } => {
                let state = state(&data).await?;
                let tenant = crate::admin::find_tenant(state.store.as_ref(), &tenant).await?;
                if !manage::remove(&state, &tenant, &id)
                    .await
                    .map_err(refused)?
                {
                    return Err(format!("no connector {id:?} in tenant {}", tenant.key));
                }
                state.store.close().await;
            }
        }
        Ok(())
    })
}

/// The bar a pass draws: how far its span is read, and its counts.
fn bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {percent}% {msg}")
            .expect("static template"),
    );
    bar
}

/// Draws `p` on `bar`.
fn draw(bar: &ProgressBar, p: &runner::Progress) {
    if let (Some(span), Some(cursor)) = (p.span, p.cursor.or(p.window.map(|w| w.from))) {
        let all = span.to.duration_since(span.from).as_secs_f64().max(1.0);
        let done = cursor
            .duration_since(span.from)
            .as_secs_f64()
            .clamp(0.0, all);
        bar.set_position((done / all * 1000.0) as u64);
    }
    let c = &p.counts;
    let at = p
        .window
        .map(|w| w.from.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    bar.set_message(format!(
        "{at}  fetched {} created {} updated {} unchanged {} rejected {}  requests {} (429: {})",
        c.fetched, c.created, c.updated, c.unchanged, c.rejected, p.requests, p.throttled
    ));
}

pub fn sync(args: SyncArgs) -> Result<(), String> {
    let rt = runtime()?;
    rt.block_on(async {
        let state = state(&args.data).await?;
        let tenant = Arc::new(crate::admin::find_tenant(state.store.as_ref(), &args.tenant).await?);
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop_tx.send(true);
        });
        let cx = Context::standalone(state.clone(), runner::WORKER, stop);
        let result = passes(&cx, &tenant, &args.connector, args.once).await;
        LeasedWork::new(&cx, &tenant, STATES, &args.connector, runner::LEASE)
            .release::<RunState>()
            .await;
        state.store.close().await;
        result
    })
}

/// Passes until `once` is done, the connector fails for good, or Ctrl-C.
async fn passes(
    cx: &Context,
    tenant: &Arc<interlog_store::Tenant>,
    id: &str,
    once: bool,
) -> Result<(), String> {
    let work = LeasedWork::new(cx, tenant, STATES, id, runner::LEASE);
    loop {
        let s = match work.claim::<RunState>().await {
            Claim::Go(s) => s,
            Claim::Held => {
                return Err(format!(
                    "connector {id} is being run by another instance (a server on this store); \
                     disable it there (PATCH enabled=false) or stop that server first"
                ))
            }
            Claim::Paused => return Err(format!("connector {id} is disabled")),
            Claim::Gone => return Err(format!("no connector {id:?} in tenant {}", tenant.key)),
            Claim::Failed(e) => return Err(interlog_app::store_url::error_chain(&e)),
        };
        let progress = Arc::new(Mutex::new(runner::Progress::default()));
        let bar = bar();
        let drawing = {
            let (bar, progress) = (bar.clone(), progress.clone());
            tokio::spawn(async move {
                loop {
                    let p = progress
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .clone();
                    draw(&bar, &p);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        let outcome = tokio::select! {
            o = runner::pass(cx, tenant, id, s, progress.clone()) => o,
            _ = cx.stopping() => runner::Outcome::Lost,
        };
        drawing.abort();
        let p = progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        draw(&bar, &p);
        bar.finish();
        let c = p.counts;
        eprintln!(
            "fetched {} created {} updated {} unchanged {} rejected {} ({} requests, {} refused for the rate limit)",
            c.fetched, c.created, c.updated, c.unchanged, c.rejected, p.requests, p.throttled
        );
        match outcome {
            runner::Outcome::Done => {}
            runner::Outcome::Failed(why) => return Err(format!("the pass failed: {why}")),
            runner::Outcome::Lost if cx.is_stopping() => return Ok(()),
            runner::Outcome::Lost => return Err("another instance took the connector over".into()),
        }
        if once {
            return Ok(());
        }
        let view = manage::show(&cx.state, tenant, id).await.map_err(refused)?;
        let wait = Duration::from_secs(view.poll_interval_secs);
        if !cx.pause(wait).await {
            return Ok(());
        }
    }
}
