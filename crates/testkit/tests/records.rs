//! What the server keeps in expiring records (sessions, refresh tokens) goes once expired:
//! the server sweeps them on its own, without any request.

use interlog_store::Record;
use interlog_testkit::*;
use std::time::{Duration, Instant};

#[tokio::test]
async fn expired_records_are_swept_without_any_request() {
    let app = spawn_app_with(TestConfig::toml("maintenance_interval_secs = 1")).await;
    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60);
    let future = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
    for (key, expires_at) in [("gone", past), ("kept", future)] {
        app.store
            .put_record(
                &app.tenant,
                "test.records",
                key,
                Record {
                    owner: "someone".into(),
                    value: "{}".into(),
                    expires_at,
                },
            )
            .await
            .unwrap();
    }
    // The expired record was written after the store's own clean-up on write, so it is
    // there until the server's sweeper runs.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.stored_records("test.records").await != 1 {
        assert!(
            Instant::now() < deadline,
            "the expired record is still stored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kept = app
        .store
        .get_record(&app.tenant, "test.records", "kept")
        .await
        .unwrap();
    assert!(kept.is_some());
}

#[tokio::test]
async fn the_sweep_interval_is_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "maintenance_interval_secs = 0",
        "maintenance_interval_secs = 100000",
    ] {
        let file = dir.path().join("interlog.toml");
        std::fs::write(&file, bad).unwrap();
        let e = interlog_app::Config::load(
            &interlog_app::Overrides {
                data: Some(dir.path().to_path_buf()),
                ..Default::default()
            },
            &|_| None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("maintenance_interval_secs"), "{e}");
    }
}
