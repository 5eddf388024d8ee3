//! `interlog export`: a tenant's engagements, filtered, as NDJSON or CSV on stdout.

use crate::setup::{runtime, DataArgs};
use interlog_http::params::Params;
use interlog_model::Engagement;
use interlog_store::{OpenOptions, Query, Sort, SortDir, SortKey, Start};
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
}

const CSV_HEADER: &[&str] = &[
    "id",
    "source",
    "started_at",
    "ended_at",
    "duration_ms",
    "state",
    "outcome",
    "direction",
    "channels",
    "agents",
    "customer_phones",
    "customer_emails",
    "queues",
    "team",
    "dispositions",
    "subject",
];

fn join<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(";")
}

fn csv_row(e: &Engagement) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    vec![
        e.id.clone(),
        opt(e.source.map(|s| s.to_string())),
        e.started_at.to_string(),
        opt(e.ended_at.map(|t| t.to_string())),
        opt(e.duration_ms.map(|d| d.to_string())),
        opt(e.state.map(|s| s.to_string())),
        opt(e.outcome.map(|s| s.to_string())),
        opt(e.direction.map(|s| s.to_string())),
        join(e.channels.iter().map(|c| c.kind.as_str())),
        join(
            e.agents()
                .filter_map(|a| a.email.clone().or_else(|| a.id.clone())),
        ),
        join(&e.customer.phones),
        join(&e.customer.emails),
        join(
            e.queues
                .iter()
                .map(|q| q.name.clone().unwrap_or_else(|| q.id.clone())),
        ),
        opt(e.team.clone()),
        join(
            e.dispositions
                .iter()
                .filter_map(|d| d.name.clone().or_else(|| d.id.clone())),
        ),
        opt(e.subject.clone()),
    ]
}

type Out = std::io::BufWriter<std::io::StdoutLock<'static>>;

/// Where exported engagements go, in the chosen format.
enum Sink {
    Ndjson(Out),
    Csv(Box<csv::Writer<Out>>),
}

impl Sink {
    fn write(&mut self, item: &interlog_store::StoredEngagement) -> Result<(), String> {
        match self {
            Sink::Ndjson(out) => writeln!(out, "{}", item.json).map_err(|e| e.to_string()),
            Sink::Csv(w) => {
                let e = item.engagement().map_err(|e| e.to_string())?;
                w.write_record(csv_row(&e)).map_err(|e| e.to_string())
            }
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        match self {
            Sink::Ndjson(out) => out.flush(),
            Sink::Csv(w) => w.flush(),
        }
        .map_err(|e| e.to_string())
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
    let params = Params::parse(Some(&args.filter));
    let filter =
        interlog_http::listing::filter(&params).map_err(|e| format!("--filter: {}", e.detail))?;
    let rt = runtime()?;
    let store = args.data.open(&rt, OpenOptions::default())?;
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink = match args.format {
        ExportFormat::Ndjson => Sink::Ndjson(out),
        ExportFormat::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
    };
    let result = rt.block_on(async {
        let tenant = crate::admin::find_tenant(store.as_ref(), &args.tenant).await?;
        if let Sink::Csv(w) = &mut sink {
            w.write_record(CSV_HEADER).map_err(|e| e.to_string())?;
        }
        let mut query = Query {
            filter,
            sort: Sort {
                key: SortKey::StartedAt,
                dir: SortDir::Asc,
            },
            start: Start::First,
            limit: 1000,
            with_total: false,
            count_within: None,
        };
        let mut written = 0u64;
        loop {
            let page = store
                .list(&tenant, &query)
                .await
                .map_err(|e| interlog_app::store_url::error_chain(&e))?;
            for item in &page.items {
                sink.write(item)?;
                written += 1;
            }
            match page.next {
                Some(pos) => query.start = Start::After(pos),
                None => break,
            }
        }
        sink.flush()?;
        Ok::<_, String>(written)
    });
    rt.block_on(store.close());
    match result {
        Ok(n) => {
            eprintln!("exported {n} engagements");
            Ok(())
        }
        Err(e) if e.contains("Broken pipe") => Ok(()),
        Err(e) => Err(e),
    }
}
