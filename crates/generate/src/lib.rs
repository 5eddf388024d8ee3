//! Deterministic, realistic synthetic engagements for demos, tests and benchmarks.
//!
//! A [`Generator`] yields `count` canonical [`Engagement`]s of one contact center, oldest
//! first, with start times spread over `span_days` up to `end`. The same
//! [`GeneratorConfig`] always gives the same engagements, byte for byte: everything comes
//! from a ChaCha8 stream seeded by `seed`, never from the clock. Ids are UUIDv7-shaped with
//! the start time in their timestamp bits, so they are time-ordered like the engagements.
//!
//! ```
//! use interlog_generate::{Generator, GeneratorConfig};
//! let end = "2025-01-01T00:00:00Z".parse().unwrap();
//! let first = Generator::new(GeneratorConfig::new(42, 10, end)).next().unwrap();
//! assert!(first.started_at <= end);
//! ```
//!
//! What the data looks like (channel mix, outcomes, timings, the cast of agents, queues and
//! customers) is described on [`Generator`].

mod assemble;
mod dist;
mod ids;
mod pools;
mod words;

use interlog_model::{Engagement, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Seed of the random stream; the same config always gives the same engagements.
    pub seed: u64,
    /// How many engagements to generate.
    pub count: u64,
    /// The newest start time; no engagement starts later.
    pub end: Timestamp,
    /// Days before `end` over which start times are spread (at least 1; default 180).
    pub span_days: u32,
    /// Size of the agent pool (at least 1; default 300).
    pub agents: u32,
    /// Number of queues (at least 1; default 40).
    pub queues: u32,
    /// Size of the customer population (default `count / 4`, at least 10; 0 means the default).
    pub customers: u64,
    /// The tenant key; agents' email addresses, the support address and social handles are
    /// made from it (`jane.doe@<tenant>.example.com`). Default `acme`.
    pub tenant: String,
}

impl GeneratorConfig {
    /// A config with the default span, pool sizes and tenant.
    pub fn new(seed: u64, count: u64, end: Timestamp) -> Self {
        GeneratorConfig {
            seed,
            count,
            end,
            span_days: 180,
            agents: 300,
            queues: 40,
            customers: Self::default_customers(count),
            tenant: "acme".to_owned(),
        }
    }

    /// The same config for another tenant.
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// The default customer population for `count` engagements: a quarter, at least 10.
    pub fn default_customers(count: u64) -> u64 {
        (count / 4).max(10)
    }
}

/// An iterator of synthetic engagements, oldest first.
///
/// Each engagement passes [`Engagement::normalize`] and [`Engagement::validate`] unchanged
/// (state, duration and millisecond times are already filled in). The mix:
///
/// - channels: voice ~55%, chat 14%, email 10%, SMS 8%, video 5%, social 5%, messaging 3%,
///   each with a platform channel id, a `source` (`pstn`, `web_chat`, `in_app_chat`, `sms`,
///   `email_address`, `web_video`, `in_app_video`, `kiosk_video`, `facebook`, `twitter`,
///   `whatsapp`…) and matching media;
/// - directions mostly inbound, some outbound, a few internal or consult calls;
/// - ~8% abandoned and ~3% failed (unsuccessful, attempted, with a reason, no agent on
///   inbound), the rest successful and connected; those that started in the last
///   [`IN_PROGRESS_WINDOW_MS`] before `end` still in progress (none of the others);
/// - log-normal IVR/bot, queue, talk and wrap-up times per channel, with timings, participants'
///   joined/left times, queue visits, transfers and recordings consistent with each other;
/// - a stable cast: `agents` agents serving a few queues of their team each, `queues` queues,
///   and customers who come back often (a few very often) across channels, under phone
///   numbers written in varied ways;
/// - dispositions (~70%), notes (~20% of answered), transcripts for chat, SMS, social and
///   messaging, topics, routing attributes, `data`, follow-ups naming a `parent_id`.
///
/// Start times follow a weekly rhythm (weekday business hours in UTC busiest, nights and
/// Sundays quiet).
pub struct Generator {
    builder: assemble::Builder,
    schedule: dist::Schedule,
    next: u64,
    count: u64,
    /// Engagements starting at or after this instant (ms) are still in progress.
    in_progress_from: i64,
}

/// How long before the generator's `end` an engagement may have started and still be in
/// progress. A time, not a share of the count: a real center at any hour has in progress only
/// what began minutes ago, so the data's last day always holds completed engagements, on a
/// quiet Sunday night as on a busy Monday (a share of the count reached back more than a day
/// over weekends). Ten minutes is about a median voice engagement's queue, talk and wrap-up.
pub const IN_PROGRESS_WINDOW_MS: i64 = 10 * 60 * 1000;

impl Generator {
    /// A generator for `cfg`. Pools (agents, queues, flows) depend on the seed and tenant
    /// only, not on `count`.
    pub fn new(cfg: GeneratorConfig) -> Self {
        let agents = cfg.agents.max(1);
        let queues = cfg.queues.max(1);
        let customers = if cfg.customers == 0 {
            GeneratorConfig::default_customers(cfg.count)
        } else {
            cfg.customers
        };
        let span_days = cfg.span_days.max(1);

        let mut setup = ChaCha8Rng::seed_from_u64(cfg.seed);
        setup.set_stream(1);
        let pools = pools::Pools::new(&mut setup, &cfg.tenant, agents, queues, customers, cfg.seed);
        let end_ms = cfg.end.as_millisecond();
        let start_ms = end_ms - i64::from(span_days) * dist::DAY;
        let schedule = dist::Schedule::new(&mut setup, start_ms, end_ms);

        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        rng.set_stream(2);
        Generator {
            builder: assemble::Builder {
                rng,
                pools,
                recent: assemble::Recent::new(),
            },
            schedule,
            next: 0,
            count: cfg.count,
            in_progress_from: end_ms - IN_PROGRESS_WINDOW_MS,
        }
    }
}

impl Iterator for Generator {
    type Item = Engagement;

    fn next(&mut self) -> Option<Engagement> {
        if self.next >= self.count {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let u = (i as f64 + self.builder.rng.gen::<f64>()) / self.count as f64;
        let start = self.schedule.at(u);
        Some(self.builder.build(start, start >= self.in_progress_from))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.count - self.next).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl std::iter::FusedIterator for Generator {}

/// Writes the engagements of `cfg` to `out` as NDJSON (one JSON object a line) and returns
/// how many were written. Output is buffered internally; `out` needs no buffering.
pub fn write_ndjson(cfg: GeneratorConfig, out: &mut impl Write) -> io::Result<u64> {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 17);
    let mut n = 0;
    for e in Generator::new(cfg) {
        serde_json::to_writer(&mut buf, &e).map_err(io::Error::other)?;
        buf.push(b'\n');
        n += 1;
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(n)
}
