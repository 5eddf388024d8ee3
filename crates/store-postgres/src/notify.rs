//! Notifications across instances with PostgreSQL's LISTEN/NOTIFY.
//!
//! Every instance listens on one channel per store (see [`crate::config::PgOptions::channel`])
//! on a connection of its own, and hands what arrives to its local subscribers. A payload
//! travels inside the notification when it fits (NOTIFY takes under 8,000 bytes); a larger
//! one is written to `notification_payloads` in the same transaction as the NOTIFY, which
//! names its row, and is read by the instances that have a subscriber for it. Payloads
//! published while an instance's listening connection is down do not reach it; the
//! connection is made again with back-off.

use crate::error::{db, pool_error};
use deadpool_postgres::Pool;
use futures_util::StreamExt;
use interlog_store::{LocalSubscribers, Result, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_postgres::AsyncMessage;

/// Largest payload sent inside the notification (with its header, under NOTIFY's 8,000).
const INLINE_MAX: usize = 7_000;

/// Spilled payloads older than this are removed when another is written.
const SPILL_TTL_MS: i64 = 10 * 60 * 1000;

/// The notification text: `TENANT TOPIC_LEN:TOPIC` then `=PAYLOAD` or `#ROW_ID`.
pub(crate) fn header(tenant: i64, topic: &str) -> String {
    format!("{tenant} {}:{topic}", topic.len())
}

enum Body<'a> {
    Inline(&'a str),
    Spilled(i64),
}

fn parse(text: &str) -> Option<(i64, &str, Body<'_>)> {
    let (tenant, rest) = text.split_once(' ')?;
    let (len, rest) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let topic = rest.get(..len)?;
    let body = rest.get(len..)?;
    let body = if let Some(p) = body.strip_prefix('=') {
        Body::Inline(p)
    } else {
        Body::Spilled(body.strip_prefix('#')?.parse().ok()?)
    };
    Some((tenant.parse().ok()?, topic, body))
}

pub(crate) async fn publish(
    pool: &Pool,
    channel: &str,
    tenant: i64,
    topic: &str,
    payload: &str,
) -> Result<()> {
    let head = header(tenant, topic);
    let mut client = pool.get().await.map_err(pool_error)?;
    if head.len() + payload.len() < INLINE_MAX {
        client
            .execute(
                "SELECT pg_notify($1, $2)",
                &[&channel, &format!("{head}={payload}")],
            )
            .await
            .map_err(db("notify"))?;
        return Ok(());
    }
    let now = interlog_model::Timestamp::now().as_millisecond();
    let tx = client.transaction().await.map_err(db("begin notify"))?;
    tx.execute(
        "DELETE FROM notification_payloads WHERE tenant_id = $1 AND created_at < $2",
        &[&tenant, &(now - SPILL_TTL_MS)],
    )
    .await
    .map_err(db("remove old notification payloads"))?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO notification_payloads (tenant_id, payload, created_at) VALUES ($1, $2, $3)
             RETURNING id",
            &[&tenant, &payload, &now],
        )
        .await
        .map_err(db("store notification payload"))?
        .get(0);
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&channel, &format!("{head}#{id}")],
    )
    .await
    .map_err(db("notify"))?;
    tx.commit().await.map_err(db("commit notify"))?;
    Ok(())
}

/// The listening side of one store.
pub(crate) struct Listener {
    connected: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    /// Starts listening on `channel`; returns once the first connection listens, or fails
    /// when it cannot be made.
    pub(crate) async fn start(
        config: tokio_postgres::Config,
        channel: String,
        pool: Pool,
        local: Arc<LocalSubscribers>,
    ) -> Result<Listener> {
        let (tx, mut connected) = watch::channel(false);
        let first = listen(&config, &channel).await?;
        let task = tokio::spawn(run(config, channel, pool, local, tx, Some(first)));
        let _ = connected.wait_for(|c| *c).await;
        Ok(Listener { connected, task })
    }

    /// Waits (up to `timeout`) until the listening connection is up.
    pub(crate) async fn ready(&self, timeout: Duration) -> Result<()> {
        let mut c = self.connected.clone();
        let up =
            tokio::time::timeout(timeout, async move { c.wait_for(|c| *c).await.is_ok() }).await;
        match up {
            Ok(true) => Ok(()),
            _ => Err(StoreError::unavailable(
                "subscribe",
                "the notification connection is down",
            )),
        }
    }

    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

type Connected = (
    tokio_postgres::Client,
    mpsc::UnboundedReceiver<tokio_postgres::Notification>,
);

/// A connection that listens on `channel`, its notifications forwarded to a queue.
async fn listen(config: &tokio_postgres::Config, channel: &str) -> Result<Connected> {
    let (client, mut connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(db("connect for notifications"))?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the notification connection failed");
                    break;
                }
            }
        }
    });
    let quoted = channel.replace('"', "\"\"");
    client
        .batch_execute(&format!("LISTEN \"{quoted}\""))
        .await
        .map_err(db("listen"))?;
    Ok((client, rx))
}

async fn run(
    config: tokio_postgres::Config,
    channel: String,
    pool: Pool,
    local: Arc<LocalSubscribers>,
    connected: watch::Sender<bool>,
    mut first: Option<Connected>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let conn = match first.take() {
            Some(c) => Ok(c),
            None => listen(&config, &channel).await,
        };
        match conn {
            Ok((client, mut notifications)) => {
                backoff = Duration::from_millis(100);
                let _ = connected.send(true);
                while let Some(n) = notifications.recv().await {
                    deliver(&pool, &local, n.payload()).await;
                }
                drop(client);
                let _ = connected.send(false);
                tracing::warn!("the notification connection closed; connecting again");
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot listen for notifications");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Hands one notification to the local subscribers of its topic, reading a spilled
/// payload only when someone here wants it.
async fn deliver(pool: &Pool, local: &LocalSubscribers, text: &str) {
    let Some((tenant, topic, body)) = parse(text) else {
        tracing::warn!("ignored a malformed notification");
        return;
    };
    if !local.is_subscribed(tenant, topic) {
        return;
    }
    let payload: Arc<str> = match body {
        Body::Inline(p) => p.into(),
        Body::Spilled(id) => match spilled(pool, tenant, id).await {
            Ok(Some(p)) => p.into(),
            Ok(None) => {
                tracing::warn!(tenant, id, "a notification's payload was already removed");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a notification's payload");
                return;
            }
        },
    };
    local.deliver(tenant, topic, payload);
}

async fn spilled(pool: &Pool, tenant: i64, id: i64) -> Result<Option<String>> {
    let client = pool.get().await.map_err(pool_error)?;
    Ok(client
        .query_opt(
            "SELECT payload FROM notification_payloads WHERE tenant_id = $1 AND id = $2",
            &[&tenant, &id],
        )
        .await
        .map_err(db("read notification payload"))?
        .map(|r| r.get(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_texts_round_trip_whatever_the_topic_holds() {
        let t = format!("{}={}", header(7, "gws:a b=#:c"), "x = y");
        let (tenant, topic, body) = parse(&t).unwrap();
        assert_eq!((tenant, topic), (7, "gws:a b=#:c"));
        assert!(matches!(body, Body::Inline("x = y")));
        let t = format!("{}#{}", header(3, ""), 42);
        assert!(matches!(parse(&t), Some((3, "", Body::Spilled(42)))));
        assert!(parse("nonsense").is_none());
        assert!(parse("1 99:short=x").is_none());
    }
}
