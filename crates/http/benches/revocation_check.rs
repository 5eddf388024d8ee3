//! What the revocation check adds to a request: a check against an up-to-date copy (every
//! request), and the refresh once a second (the epoch read; the list read only when it
//! moved), with 10,000 revoked subjects. Run by `bench/revocation.sh`; prints `FIGURE` lines.

use async_trait::async_trait;
use interlog_http::auth::revocation::{RevocationSource, Revocations, HORIZON};
use interlog_store::{Revocation, StoreError};
use std::time::{Duration, Instant};

const REVOKED: usize = 10_000;
const CHECKS: u32 = 2_000_000;

/// Revocations in memory, as the store would answer them (without the store's own time).
struct InMemory(Vec<Revocation>);

#[async_trait]
impl RevocationSource for InMemory {
    async fn revocation_epoch(&self) -> Result<i64, StoreError> {
        Ok(self.0.len() as i64)
    }

    async fn revocations(&self) -> Result<(i64, Vec<Revocation>), StoreError> {
        Ok((self.0.len() as i64, self.0.clone()))
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let source = InMemory(
        (0..REVOKED)
            .map(|i| Revocation {
                subject: format!("client-{i:016x}"),
                tenant_id: 1,
                revoked_at: 1_700_000_000_000,
            })
            .collect(),
    );
    let revocations = Revocations::default();
    rt.block_on(async {
        // Loads the list once.
        let first = Instant::now();
        revocations
            .check(&source, "acme-admin", 1_800_000_000_000)
            .await
            .unwrap();
        let load = first.elapsed();
        let start = Instant::now();
        let mut refused = 0;
        let mut done = 0;
        for i in 0..CHECKS {
            let subject = if i % 64 == 0 {
                "client-0000000000000007"
            } else {
                "acme-admin"
            };
            let c = revocations
                .check(&source, subject, 1_600_000_000_000)
                .await
                .unwrap();
            refused += u32::from(c.revoked);
            done += 1;
            // Within one horizon, so every check finds the copy fresh (a refresh is
            // measured below).
            if i % 4096 == 0 && start.elapsed() > HORIZON / 2 {
                break;
            }
        }
        let per_check = start.elapsed().as_nanos() as f64 / f64::from(done);
        assert!(refused > 0, "a revoked subject is refused");
        tokio::time::sleep(HORIZON + Duration::from_millis(10)).await;
        let refresh = Instant::now();
        revocations
            .check(&source, "acme-admin", 1_800_000_000_000)
            .await
            .unwrap();
        let refresh = refresh.elapsed();
        println!(
            "FIGURE revocation_check_ns {per_check:.0} ns per request (copy up to date; {REVOKED} revoked subjects; {done} checks)"
        );
        println!(
            "FIGURE revocation_refresh_us {:.1} µs once a second (epoch unchanged), {:.1} ms to load {REVOKED} revocations",
            refresh.as_secs_f64() * 1e6,
            load.as_secs_f64() * 1e3
        );
    });
}
