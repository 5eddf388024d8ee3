//! Slows down repeated credential failures for one subject, so guessing secrets online is
//! impractical. After a few free failures each further one waits twice as long, up to a
//! cap; a success clears the record.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FREE_FAILURES: u32 = 3;
const BASE_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(5);
/// Records older than this are forgotten.
const MEMORY: Duration = Duration::from_secs(15 * 60);
/// Bound on remembered subjects, so a flood of random names cannot exhaust memory.
const MAX_SUBJECTS: usize = 100_000;

#[derive(Default)]
pub struct FailureThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl FailureThrottle {
    /// Records a failure for `subject` and returns how long to wait before answering.
    pub fn fail(&self, subject: &str) -> Duration {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() >= MAX_SUBJECTS {
            map.retain(|_, (_, at)| now.duration_since(*at) < MEMORY);
            if map.len() >= MAX_SUBJECTS {
                map.clear();
            }
        }
        let entry = map.entry(subject.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= MEMORY {
            *entry = (0, now);
        }
        entry.0 += 1;
        entry.1 = now;
        delay_for(entry.0)
    }

    pub fn succeed(&self, subject: &str) {
        self.failures.lock().expect("throttle lock").remove(subject);
    }
}

fn delay_for(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(16);
    (BASE_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_free_failures_and_reset_on_success() {
        let t = FailureThrottle::default();
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.fail("c"), Duration::ZERO);
        }
        assert_eq!(t.fail("c"), BASE_DELAY);
        assert_eq!(t.fail("c"), BASE_DELAY * 2);
        for _ in 0..20 {
            t.fail("c");
        }
        assert_eq!(t.fail("c"), MAX_DELAY);
        assert_eq!(t.fail("other"), Duration::ZERO);
        t.succeed("c");
        assert_eq!(t.fail("c"), Duration::ZERO);
    }
}
