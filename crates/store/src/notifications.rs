//! Notifications between the instances that share a store: a small payload published on a
//! tenant's topic reaches whoever subscribed to that topic, on any instance.
//!
//! They are signals, not storage: a subscriber hears what is published while it is
//! subscribed (in publishing order from one publisher), and nothing published while the
//! backend's connection is down. Whatever must not be lost is written to the store first;
//! a notification only says that it is there (or carries a result nobody else keeps).

use crate::{Result, Tenant};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::broadcast;

/// Publishing and subscribing to tenant-scoped topics.
#[async_trait]
pub trait Notifications: Send + Sync {
    /// Sends `payload` to every current subscriber of (`tenant`, `topic`) on every
    /// instance sharing the store. Returns once the backend has taken it.
    async fn publish(&self, tenant: &Tenant, topic: &str, payload: &str) -> Result<()>;

    /// Subscribes to (`tenant`, `topic`). Returns once the subscription is in place, so a
    /// payload published after this returns (from any instance) reaches it.
    async fn subscribe(&self, tenant: &Tenant, topic: &str) -> Result<Subscription>;
}

/// Payloads waiting for one subscriber before it misses some.
const BACKLOG: usize = 256;

type Key = (i64, String);

/// The subscribers of this process, by (tenant, topic): what each backend's
/// [`Notifications`] delivers to, once a payload has reached this process.
#[derive(Default)]
pub struct LocalSubscribers {
    topics: Arc<Mutex<HashMap<Key, broadcast::Sender<Arc<str>>>>>,
}

impl LocalSubscribers {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new subscription to (`tenant`, `topic`) in this process.
    pub fn subscribe(&self, tenant: i64, topic: &str) -> Subscription {
        let key = (tenant, topic.to_owned());
        let receiver = {
            let mut topics = self.topics.lock().expect("subscribers lock");
            topics
                .entry(key.clone())
                .or_insert_with(|| broadcast::channel(BACKLOG).0)
                .subscribe()
        };
        Subscription {
            receiver,
            _leave: Leave {
                topics: Arc::downgrade(&self.topics),
                key,
            },
        }
    }

    /// Whether anyone in this process listens to (`tenant`, `topic`).
    pub fn is_subscribed(&self, tenant: i64, topic: &str) -> bool {
        self.topics
            .lock()
            .expect("subscribers lock")
            .contains_key(&(tenant, topic.to_owned()))
    }

    /// Hands `payload` to this process's subscribers of (`tenant`, `topic`); how many.
    pub fn deliver(&self, tenant: i64, topic: &str, payload: Arc<str>) -> usize {
        let topics = self.topics.lock().expect("subscribers lock");
        match topics.get(&(tenant, topic.to_owned())) {
            Some(sender) => sender.send(payload).unwrap_or(0),
            None => 0,
        }
    }
}

/// Removes a topic from the map when its last subscription ends.
struct Leave {
    topics: Weak<Mutex<HashMap<Key, broadcast::Sender<Arc<str>>>>>,
    key: Key,
}

impl Drop for Leave {
    fn drop(&mut self) {
        let Some(topics) = self.topics.upgrade() else {
            return;
        };
        let mut topics = topics.lock().expect("subscribers lock");
        // This subscription's receiver is dropped after this guard, so it still counts.
        if topics
            .get(&self.key)
            .is_some_and(|s| s.receiver_count() <= 1)
        {
            topics.remove(&self.key);
        }
    }
}

/// One subscription; it ends when dropped.
pub struct Subscription {
    _leave: Leave,
    receiver: broadcast::Receiver<Arc<str>>,
}

impl Subscription {
    /// The next payload; `None` once the store is gone. A subscriber that fell more than
    /// a few hundred payloads behind skips the oldest ones (logged).
    pub async fn next(&mut self) -> Option<Arc<str>> {
        loop {
            match self.receiver.recv().await {
                Ok(p) => return Some(p),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "a notification subscriber fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn payloads_reach_the_topics_subscribers_and_topics_go_with_them() {
        let local = LocalSubscribers::new();
        let mut a = local.subscribe(1, "x");
        let mut b = local.subscribe(1, "x");
        let other = local.subscribe(2, "x");
        assert_eq!(local.deliver(1, "x", "p".into()), 2);
        assert_eq!(a.next().await.as_deref(), Some("p"));
        assert_eq!(b.next().await.as_deref(), Some("p"));
        assert_eq!(local.deliver(1, "y", "q".into()), 0);
        drop(a);
        assert!(local.is_subscribed(1, "x"));
        drop(b);
        assert!(!local.is_subscribed(1, "x"));
        assert!(local.is_subscribed(2, "x"));
        drop(other);
        assert!(local.topics.lock().unwrap().is_empty());
    }
}
