//! The CometD clients of this process: their subscriptions, the notifications waiting for
//! them, and their held `/meta/connect`s.
//!
//! Each client belongs to the session that handshook it and to that session's tenant;
//! notifications are published to a session and reach only its clients. Memory per client
//! is bounded (subscriptions, queued messages and bytes), so is the number of clients, and
//! a client that does not connect again within `max_interval` is dropped by a sweeper
//! with everything it held.

use super::protocol;
use rand::RngCore;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Most subscriptions of one client.
pub const MAX_SUBSCRIPTIONS: usize = 32;

/// The hub's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_clients: usize,
    pub max_clients_per_session: usize,
    pub max_queue_messages: usize,
    pub max_queue_bytes: usize,
    pub max_interval: Duration,
}

#[derive(Debug)]
struct ClientState {
    subscriptions: Vec<String>,
    queue: VecDeque<Arc<str>>,
    queue_bytes: usize,
    /// Which `/meta/connect` is current; an older one returns when this moves on.
    poll: u64,
    polling: bool,
    /// When the client was last heard from or its last connect ended.
    last_seen: Instant,
    /// When its session was last confirmed in the store.
    validated: Instant,
    gone: bool,
}

/// One CometD client.
#[derive(Debug)]
pub struct Client {
    pub id: String,
    pub session: String,
    pub tenant: i64,
    state: Mutex<ClientState>,
    wake: Notify,
}

/// Why a handshake was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    TooManyClients,
    TooManyForSession,
}

/// What a subscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeError {
    BadChannel,
    TooMany,
}

/// Counts, for tests and the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub clients: usize,
    pub sessions: usize,
    pub queued_messages: usize,
    pub queued_bytes: usize,
}

#[derive(Default)]
struct Registry {
    clients: HashMap<String, Arc<Client>>,
    by_session: HashMap<String, Vec<String>>,
}

pub struct Hub {
    limits: Limits,
    registry: Mutex<Registry>,
}

fn new_client_id() -> String {
    let mut b = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Hub {
    pub fn new(limits: Limits) -> Arc<Hub> {
        Arc::new(Hub {
            limits,
            registry: Mutex::new(Registry::default()),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A new client of `session` in `tenant`.
    pub fn handshake(&self, session: &str, tenant: i64) -> Result<Arc<Client>, Refused> {
        let mut reg = self.registry.lock().expect("hub lock");
        if reg.clients.len() >= self.limits.max_clients {
            return Err(Refused::TooManyClients);
        }
        let of_session = reg.by_session.get(session).map_or(0, Vec::len);
        if of_session >= self.limits.max_clients_per_session {
            return Err(Refused::TooManyForSession);
        }
        let now = Instant::now();
        let client = Arc::new(Client {
            id: new_client_id(),
            session: session.to_owned(),
            tenant,
            state: Mutex::new(ClientState {
                subscriptions: Vec::new(),
                queue: VecDeque::new(),
                queue_bytes: 0,
                poll: 0,
                polling: false,
                last_seen: now,
                validated: now,
                gone: false,
            }),
            wake: Notify::new(),
        });
        reg.clients.insert(client.id.clone(), client.clone());
        reg.by_session
            .entry(session.to_owned())
            .or_default()
            .push(client.id.clone());
        Ok(client)
    }

    /// The client `id` if it belongs to `session`: a client id is useless with another
    /// session's cookie.
    pub fn client(&self, id: &str, session: &str) -> Option<Arc<Client>> {
        let reg = self.registry.lock().expect("hub lock");
        reg.clients
            .get(id)
            .filter(|c| c.session == session)
            .cloned()
    }

    fn remove_locked(reg: &mut Registry, id: &str) -> Option<Arc<Client>> {
        let client = reg.clients.remove(id)?;
        if let Some(ids) = reg.by_session.get_mut(&client.session) {
            ids.retain(|c| c != id);
            if ids.is_empty() {
                reg.by_session.remove(&client.session);
            }
        }
        Some(client)
    }

    /// Whether any client of `session` is here.
    pub fn has_session(&self, session: &str) -> bool {
        self.registry
            .lock()
            .expect("hub lock")
            .by_session
            .contains_key(session)
    }

    /// Drops a client (disconnect, or its session ended): its held connect returns.
    pub fn remove(&self, id: &str) {
        let removed = Self::remove_locked(&mut self.registry.lock().expect("hub lock"), id);
        if let Some(c) = removed {
            c.retire();
        }
    }

    /// Queues `message` (a whole Bayeux message, as JSON) for every client of `session` in
    /// `tenant` subscribed to `channel`; how many it reached.
    pub fn publish(&self, session: &str, tenant: i64, channel: &str, message: Arc<str>) -> usize {
        let targets: Vec<Arc<Client>> = {
            let reg = self.registry.lock().expect("hub lock");
            reg.by_session
                .get(session)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| reg.clients.get(id))
                        .filter(|c| c.tenant == tenant)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut reached = 0;
        for c in targets {
            if c.enqueue(channel, &message, &self.limits) {
                reached += 1;
            }
        }
        reached
    }

    /// Drops every client not heard from within `max_interval`, and gives back the maps'
    /// spare room when most of it is unused.
    pub fn sweep(&self) -> usize {
        let now = Instant::now();
        let max = self.limits.max_interval;
        let mut reg = self.registry.lock().expect("hub lock");
        let expired: Vec<String> = reg
            .clients
            .values()
            .filter(|c| c.is_expired(now, max))
            .map(|c| c.id.clone())
            .collect();
        let mut dropped = Vec::with_capacity(expired.len());
        for id in &expired {
            if let Some(c) = Self::remove_locked(&mut reg, id) {
                dropped.push(c);
            }
        }
        if reg.clients.capacity() > 64 && reg.clients.len() < reg.clients.capacity() / 4 {
            reg.clients.shrink_to_fit();
            reg.by_session.shrink_to_fit();
        }
        drop(reg);
        for c in &dropped {
            c.retire();
        }
        dropped.len()
    }

    pub fn stats(&self) -> Stats {
        let reg = self.registry.lock().expect("hub lock");
        let mut s = Stats {
            clients: reg.clients.len(),
            sessions: reg.by_session.len(),
            ..Stats::default()
        };
        for c in reg.clients.values() {
            let st = c.state.lock().expect("client lock");
            s.queued_messages += st.queue.len();
            s.queued_bytes += st.queue_bytes;
        }
        s
    }

    /// Runs [`Hub::sweep`] every `every` for as long as the hub exists.
    pub fn spawn_sweeper(hub: &Arc<Hub>, every: Duration) {
        let weak: Weak<Hub> = Arc::downgrade(hub);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(hub) = weak.upgrade() else { break };
                let n = hub.sweep();
                if n > 0 {
                    tracing::debug!(dropped = n, "expired idle CometD clients");
                }
            }
        });
    }
}

/// Ends a client's current poll when its future is dropped (answered, or the connection
/// went away), so the expiry clock starts from then.
pub struct PollGuard {
    client: Arc<Client>,
    poll: u64,
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        let mut st = self.client.state.lock().expect("client lock");
        if st.poll == self.poll {
            st.polling = false;
            st.last_seen = Instant::now();
        }
    }
}

impl Client {
    fn is_expired(&self, now: Instant, max: Duration) -> bool {
        let st = self.state.lock().expect("client lock");
        st.gone || (!st.polling && now.duration_since(st.last_seen) > max)
    }

    fn retire(&self) {
        self.state.lock().expect("client lock").gone = true;
        self.wake.notify_waiters();
    }

    pub fn is_gone(&self) -> bool {
        self.state.lock().expect("client lock").gone
    }

    /// Marks the client as heard from.
    pub fn touch(&self) {
        self.state.lock().expect("client lock").last_seen = Instant::now();
    }

    /// Whether the session was confirmed longer than `every` ago (and, if so, counts it as
    /// confirmed now).
    pub fn needs_validation(&self, every: Duration) -> bool {
        let mut st = self.state.lock().expect("client lock");
        if st.validated.elapsed() >= every {
            st.validated = Instant::now();
            true
        } else {
            false
        }
    }

    pub fn subscribe(&self, channel: &str) -> Result<(), SubscribeError> {
        if !protocol::is_channel(channel, true) || channel.starts_with("/meta/") {
            return Err(SubscribeError::BadChannel);
        }
        let mut st = self.state.lock().expect("client lock");
        if st.subscriptions.iter().any(|s| s == channel) {
            return Ok(());
        }
        if st.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return Err(SubscribeError::TooMany);
        }
        st.subscriptions.push(channel.to_owned());
        Ok(())
    }

    pub fn unsubscribe(&self, channel: &str) {
        self.state
            .lock()
            .expect("client lock")
            .subscriptions
            .retain(|s| s != channel);
    }

    fn enqueue(&self, channel: &str, message: &Arc<str>, limits: &Limits) -> bool {
        let mut st = self.state.lock().expect("client lock");
        if st.gone
            || !st
                .subscriptions
                .iter()
                .any(|s| protocol::matches(s, channel))
        {
            return false;
        }
        st.queue_bytes += message.len();
        st.queue.push_back(message.clone());
        // Oldest first out, keeping at least the newest message.
        while st.queue.len() > 1
            && (st.queue.len() > limits.max_queue_messages
                || st.queue_bytes > limits.max_queue_bytes)
        {
            if let Some(old) = st.queue.pop_front() {
                st.queue_bytes -= old.len();
                tracing::warn!(client = %self.id, "CometD client queue full; dropped its oldest notification");
            }
        }
        drop(st);
        self.wake.notify_waiters();
        true
    }

    fn take(&self, st: &mut ClientState) -> Vec<Arc<str>> {
        st.queue_bytes = 0;
        st.queue.drain(..).collect()
    }

    /// A `/meta/connect`: the queued messages, at once when there are any, else those that
    /// arrive within `hold`; empty when the hold ends, a newer connect takes over, or the
    /// client is dropped.
    pub async fn poll(self: &Arc<Self>, hold: Duration) -> Vec<Arc<str>> {
        let poll = {
            let mut st = self.state.lock().expect("client lock");
            st.poll += 1;
            st.polling = true;
            st.last_seen = Instant::now();
            st.poll
        };
        // An older connect still held returns now (Bayeux allows one per client).
        self.wake.notify_waiters();
        let _guard = PollGuard {
            client: self.clone(),
            poll,
        };
        let deadline = tokio::time::Instant::now() + hold;
        loop {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            {
                let mut st = self.state.lock().expect("client lock");
                if st.gone || st.poll != poll {
                    return Vec::new();
                }
                if !st.queue.is_empty() {
                    return self.take(&mut st);
                }
            }
            tokio::select! {
                _ = &mut woken => {}
                _ = tokio::time::sleep_until(deadline) => {
                    let mut st = self.state.lock().expect("client lock");
                    return if st.poll == poll && !st.gone { self.take(&mut st) } else { Vec::new() };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_clients: 3,
            max_clients_per_session: 2,
            max_queue_messages: 2,
            max_queue_bytes: 1000,
            max_interval: Duration::from_millis(50),
        }
    }

    #[tokio::test]
    async fn notifications_reach_only_subscribed_clients_of_the_session() {
        let hub = Hub::new(limits());
        let a = hub.handshake("s1", 1).unwrap();
        let b = hub.handshake("s2", 1).unwrap();
        a.subscribe("/v2/ucs/*").unwrap();
        b.subscribe("/v2/ucs/interactions").unwrap();
        assert_eq!(hub.publish("s1", 1, "/v2/ucs/interactions", "m1".into()), 1);
        assert_eq!(hub.publish("s1", 2, "/v2/ucs/interactions", "m2".into()), 0);
        assert_eq!(hub.publish("s1", 1, "/v2/other", "m3".into()), 0);
        assert_eq!(
            a.poll(Duration::from_millis(1)).await,
            vec![Arc::<str>::from("m1")]
        );
        assert!(b.poll(Duration::from_millis(1)).await.is_empty());
        assert!(hub.client(&a.id, "s2").is_none());
        assert!(hub.client(&a.id, "s1").is_some());
    }

    #[tokio::test]
    async fn a_held_connect_returns_when_a_message_arrives_or_a_newer_connect_comes() {
        let hub = Hub::new(limits());
        let a = hub.handshake("s1", 1).unwrap();
        a.subscribe("/v2/ucs/interactions").unwrap();
        let held = tokio::spawn({
            let a = a.clone();
            async move { a.poll(Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        hub.publish("s1", 1, "/v2/ucs/interactions", "hello".into());
        assert_eq!(held.await.unwrap(), vec![Arc::<str>::from("hello")]);

        let first = tokio::spawn({
            let a = a.clone();
            async move { a.poll(Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = tokio::spawn({
            let a = a.clone();
            async move { a.poll(Duration::from_secs(10)).await }
        });
        assert!(tokio::time::timeout(Duration::from_secs(2), first)
            .await
            .unwrap()
            .unwrap()
            .is_empty());
        hub.remove(&a.id);
        assert!(tokio::time::timeout(Duration::from_secs(2), second)
            .await
            .unwrap()
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn limits_hold_and_idle_clients_are_swept() {
        let hub = Hub::new(limits());
        let a = hub.handshake("s1", 1).unwrap();
        hub.handshake("s1", 1).unwrap();
        assert_eq!(
            hub.handshake("s1", 1).unwrap_err(),
            Refused::TooManyForSession
        );
        hub.handshake("s2", 1).unwrap();
        assert_eq!(hub.handshake("s3", 1).unwrap_err(), Refused::TooManyClients);
        a.subscribe("/v2/ucs/interactions").unwrap();
        for m in ["1", "2", "3"] {
            hub.publish("s1", 1, "/v2/ucs/interactions", m.into());
        }
        assert_eq!(hub.stats().queued_messages, 2, "the oldest was dropped");
        for i in 0..MAX_SUBSCRIPTIONS {
            let _ = a.subscribe(&format!("/c/{i}"));
        }
        assert_eq!(a.subscribe("/c/x"), Err(SubscribeError::TooMany));
        assert_eq!(
            a.subscribe("/meta/connect"),
            Err(SubscribeError::BadChannel)
        );
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(hub.sweep(), 3);
        assert_eq!(hub.stats(), Stats::default());
        assert!(a.is_gone());
    }
}
