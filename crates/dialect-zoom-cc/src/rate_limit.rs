//! Zoom's per-account rate limits: a request budget per second and, for labels that have
//! one, per UTC day, for each (account, label). Refused requests do not use the budget.

use crate::config::{LabelLimit, RateLimits};
use crate::error::ZoomError;
use crate::scopes::Label;
use axum::http::StatusCode;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

const DAY_SECS: i64 = 86_400;

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    second: i64,
    in_second: u32,
    day: i64,
    in_day: u32,
}

/// What the `X-RateLimit-*` headers of an admitted request say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateHeaders {
    pub label: Label,
    /// `QPS` or `Daily-limit`: the budget closest to running out.
    pub kind: &'static str,
    pub limit: u32,
    pub remaining: u32,
}

impl RateHeaders {
    pub fn pairs(&self) -> [(&'static str, String); 4] {
        [
            ("x-ratelimit-category", self.label.category().to_owned()),
            ("x-ratelimit-type", self.kind.to_owned()),
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
        ]
    }
}

/// Counts requests per account and label.
pub struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<HashMap<(i64, Label), Window>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            windows: Mutex::default(),
        }
    }

    /// Admits one request of `label` for account `account` at `now`, or refuses it with
    /// Zoom's 429.
    pub fn admit(
        &self,
        account: i64,
        label: Label,
        now: Timestamp,
    ) -> Result<RateHeaders, ZoomError> {
        let limit = self.limits.for_label(label);
        let second = now.as_second();
        let day = second.div_euclid(DAY_SECS);
        let mut map = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = map.entry((account, label)).or_default();
        if w.second != second {
            w.second = second;
            w.in_second = 0;
        }
        if w.day != day {
            w.day = day;
            w.in_day = 0;
        }
        if let Some(per_day) = limit.per_day {
            if w.in_day >= per_day {
                let next_day = Timestamp::from_second((day + 1) * DAY_SECS)
                    .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default();
                return Err(refusal(
                    label,
                    "Daily-limit",
                    per_day,
                    "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
                    next_day,
                ));
            }
        }
        if w.in_second >= limit.per_second {
            return Err(refusal(
                label,
                "QPS",
                limit.per_second,
                "You have reached the maximum per-second rate limit for this API. Try again later.",
                "1".into(),
            ));
        }
        w.in_second += 1;
        w.in_day += 1;
        Ok(headers(label, limit, *w))
    }
}

fn headers(label: Label, limit: LabelLimit, w: Window) -> RateHeaders {
    let qps_left = limit.per_second - w.in_second;
    match limit.per_day {
        Some(per_day) if per_day - w.in_day < qps_left => RateHeaders {
            label,
            kind: "Daily-limit",
            limit: per_day,
            remaining: per_day - w.in_day,
        },
        _ => RateHeaders {
            label,
            kind: "QPS",
            limit: limit.per_second,
            remaining: qps_left,
        },
    }
}

fn refusal(
    label: Label,
    kind: &'static str,
    limit: u32,
    message: &str,
    retry_after: String,
) -> ZoomError {
    let h = RateHeaders {
        label,
        kind,
        limit,
        remaining: 0,
    };
    metrics::counter!(interlog_http::metrics::RATE_LIMIT_REJECTIONS, "api" => crate::NAME, "limit" => kind)
        .increment(1);
    let mut e = ZoomError::new(StatusCode::TOO_MANY_REQUESTS, 429, message);
    e.headers.extend(h.pairs());
    e.headers.push(("retry-after", retry_after));
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn the_per_second_budget_refreshes_each_second_and_is_per_account() {
        let rl = RateLimiter::new(RateLimits::PRO);
        let t = 1_700_000_000;
        for i in 0..10 {
            let h = rl.admit(1, Label::Medium, at(t)).unwrap();
            assert_eq!((h.kind, h.limit, h.remaining), ("QPS", 10, 9 - i));
        }
        let e = rl.admit(1, Label::Medium, at(t)).unwrap_err();
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.code, 429);
        assert!(e.message.contains("per-second"));
        assert!(e.headers.contains(&("retry-after", "1".into())));
        // Another label and another account have their own budgets.
        assert!(rl.admit(1, Label::Light, at(t)).is_ok());
        assert!(rl.admit(2, Label::Medium, at(t)).is_ok());
        assert_eq!(rl.admit(1, Label::Medium, at(t + 1)).unwrap().remaining, 9);
    }

    #[test]
    fn the_daily_budget_refuses_until_the_next_utc_day() {
        let limits = RateLimits {
            heavy: LabelLimit {
                per_second: 100,
                per_day: Some(3),
            },
            ..RateLimits::PRO
        };
        let rl = RateLimiter::new(limits);
        let t = 1_700_000_000;
        let h = rl.admit(1, Label::Heavy, at(t)).unwrap();
        assert_eq!((h.kind, h.limit, h.remaining), ("Daily-limit", 3, 2));
        rl.admit(1, Label::Heavy, at(t + 1)).unwrap();
        rl.admit(1, Label::Heavy, at(t + 2)).unwrap();
        let e = rl.admit(1, Label::Heavy, at(t + 3)).unwrap_err();
        assert!(e.message.contains("daily"));
        assert!(e
            .headers
            .contains(&("retry-after", "2023-11-15T00:00:00Z".into())));
        assert!(e
            .headers
            .contains(&("x-ratelimit-type", "Daily-limit".into())));
        let next_day = (t / DAY_SECS + 1) * DAY_SECS;
        assert!(rl.admit(1, Label::Heavy, at(next_day)).is_ok());
    }
}
