//! What webhook delivery records (the names and buckets are
//! [`interlog_http::metrics`]'s, with every other series').

use interlog_http::metrics::{
    WEBHOOKS_DISABLED, WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_DURATION, WEBHOOK_DELIVERY_LAG,
};
use std::time::Duration;

/// What a delivery attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered,
    /// The receiver answered another status.
    Refused,
    /// No answer: no connection, or none in time.
    Unreachable,
}

/// Counts and times one delivery attempt of a change committed at `committed`; a
/// delivered one also records how long after its commit it arrived.
pub fn delivery(outcome: Outcome, took: Duration, committed: jiff::Timestamp) {
    let result = match outcome {
        Outcome::Delivered => "delivered",
        Outcome::Refused => "refused",
        Outcome::Unreachable => "unreachable",
    };
    metrics::counter!(WEBHOOK_DELIVERIES, "result" => result).increment(1);
    metrics::histogram!(WEBHOOK_DELIVERY_DURATION, "result" => result).record(took.as_secs_f64());
    if outcome == Outcome::Delivered {
        let lag = jiff::Timestamp::now().duration_since(committed);
        metrics::histogram!(WEBHOOK_DELIVERY_LAG).record(lag.as_secs_f64().max(0.0));
    }
}

/// Counts a webhook disabled after failing for the give-up period.
pub fn webhook_disabled() {
    metrics::counter!(WEBHOOKS_DISABLED).increment(1);
}
