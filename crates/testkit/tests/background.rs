//! The background runtime's leases: one instance at a time holds a piece of work, saves
//! only while it holds it, hands it over at once when it lets go, and loses it to another
//! instance once it stops renewing it.

use interlog_http::background::lease::{Claim, Lease, Leased, LeasedWork, SaveError};
use interlog_http::background::{Context, Runtime, Worker};
use interlog_testkit::*;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::oneshot;

/// A piece of work's durable state: a counter and its lease.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Counter {
    n: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease: Option<Lease>,
}

impl Leased for Counter {
    fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn lease_mut(&mut self) -> &mut Option<Lease> {
        &mut self.lease
    }

    fn initial() -> Option<Self> {
        Some(Counter::default())
    }
}

const LENGTH: Duration = Duration::from_millis(400);

/// A runtime of its own (as another instance has) whose one worker hands out its context.
async fn instance(app: &TestApp) -> (Runtime, Context) {
    let (tx, rx) = oneshot::channel();
    let runtime = Runtime::start(
        app.state().clone(),
        vec![Worker::new("lease-test", move |cx: Context| async move {
            let _ = tx.send(cx.clone());
            cx.stopping().await;
        })],
    );
    (runtime, rx.await.unwrap())
}

fn is_go(c: &Claim<Counter>) -> bool {
    matches!(c, Claim::Go(_))
}

#[tokio::test]
async fn one_instance_holds_a_lease_until_it_lets_go_or_stops_renewing_it() {
    let app = spawn_app().await;
    let (first, a) = instance(&app).await;
    let (second, b) = instance(&app).await;
    assert_ne!(a.instance, b.instance, "two instances");
    let work_a = LeasedWork::new(&a, &app.tenant, "lease-test", "counter", LENGTH);
    let work_b = LeasedWork::new(&b, &app.tenant, "lease-test", "counter", LENGTH);

    // The first claim takes it; the other instance is refused while it is held.
    let Claim::Go(s) = work_a.claim::<Counter>().await else {
        panic!("the first claim takes the work");
    };
    assert!(work_a.holds(&s) && !work_b.holds(&s));
    assert!(matches!(work_b.claim::<Counter>().await, Claim::Held));

    // Only the holder saves.
    let saved = work_a.save::<Counter>(|c| c.n += 1).await.unwrap();
    assert_eq!(saved.n, 1);
    assert!(matches!(
        work_b.save::<Counter>(|c| c.n += 100).await,
        Err(SaveError::Lost)
    ));

    // Let go: the other instance takes it at once, and the first is refused.
    work_a.release::<Counter>().await;
    assert!(is_go(&work_b.claim::<Counter>().await));
    assert!(matches!(work_a.claim::<Counter>().await, Claim::Held));

    // Not renewed, it runs out and the first takes it back, with the count saved.
    tokio::time::sleep(LENGTH + Duration::from_millis(100)).await;
    let Claim::Go(s) = work_a.claim::<Counter>().await else {
        panic!("an expired lease is taken over");
    };
    assert_eq!(
        s.n, 1,
        "what was saved is kept; the refused save left nothing"
    );
    first.stop().await;
    second.stop().await;
}
