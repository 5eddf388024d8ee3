//! PostgreSQL going away under a running server: every API answers 503 in its own
//! envelope (not a hang, not a 500), `/readyz` says not ready, the server recovers by itself
//! when the database is back, and no acknowledged write is lost across a restart of the
//! database under write load.
//!
//! Each test starts a PostgreSQL cluster of its own (`scripts/pg-cluster`), so stopping it
//! disturbs no other test. They run when `INTERLOG_TEST_POSTGRES` is set (`scripts/test`
//! sets it, having made sure PostgreSQL is installed); otherwise they say they are skipped.

use interlog_http::auth::{hash_secret, Claims, SubjectKind};
use interlog_store::{ClientRole, NewUser};
use interlog_testkit::*;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A cluster of this test's own, stopped and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    url: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-cluster")
}

impl Cluster {
    fn start() -> Option<Cluster> {
        if postgres_server().is_none() {
            eprintln!("skipped: INTERLOG_TEST_POSTGRES is not set (scripts/test sets it)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(script())
            .arg("start")
            .arg(dir.path().join("c"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg-cluster start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        Some(Cluster { dir, url })
    }

    fn run(&self, what: &[&str]) {
        let out = Command::new(script())
            .arg(what[0])
            .arg(self.dir.path().join("c"))
            .args(&what[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg-cluster {what:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop(&self) {
        self.run(&["stop"]);
    }

    fn start_again(&self) {
        self.run(&["resume"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .arg(self.dir.path().join("c"))
            .output();
    }
}

const PASSWORD: &str = "agent-password-1";

fn zoom_token(app: &TestApp) -> String {
    let now = jiff::Timestamp::now().as_second();
    app.signer.jwt(&Claims {
        tenant: "acme".into(),
        sub: "zoom-app".into(),
        kind: SubjectKind::Client,
        role: ClientRole::Admin,
        scopes: vec!["contact_center_engagement:read:admin".into()],
        iat: now,
        exp: now + 3600,
    })
}

/// One request of each API that reads the store.
async fn probes(app: &TestApp) -> Vec<(&'static str, Response)> {
    let zoom = zoom_token(app);
    let mut out = Vec::new();
    out.push((
        "native",
        app.call(
            Method::GET,
            "/api/v1/tenants/acme/engagements?limit=1",
            Some(&app.reader),
            None,
        )
        .await,
    ));
    out.push((
        "oracle_lx",
        app.http
            .get(app.url("/v1/engagements/acme?limit=1"))
            .bearer_auth(&app.reader)
            .send()
            .await
            .unwrap(),
    ));
    out.push((
        "zoom_cc",
        app.http
            .get(
                app.url("/v2/contact_center/engagements?from=2024-03-01&to=2024-03-31&page_size=1"),
            )
            .bearer_auth(&zoom)
            .send()
            .await
            .unwrap(),
    ));
    out.push((
        "avaya_axp",
        app.http
            .post(app.url("/api/auth/v1/ACMEAC/protocol/openid-connect/token"))
            .header("appkey", "not-the-key")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "acme-admin"),
                ("client_secret", SECRET),
            ])
            .send()
            .await
            .unwrap(),
    ));
    out.push((
        "genesys_gws",
        app.http
            .get(app.url("/api/v2/me"))
            .basic_auth("acme/ksippo", Some(PASSWORD))
            .send()
            .await
            .unwrap(),
    ));
    out
}

#[tokio::test]
async fn a_database_that_goes_away_gets_503_in_every_envelope_and_the_server_recovers() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let app = spawn_app_with(TestConfig::toml(format!(
        "store = \"{}?schema=faults&pool_timeout_ms=500\"\n[dialects.zoom_cc]\nrate_limits = \"off\"",
        cluster.url
    )))
    .await;
    app.store
        .create_user(
            &app.tenant,
            NewUser {
                username: "ksippo".into(),
                password_hash: hash_secret(PASSWORD),
                email: None,
                display_name: None,
                role: ClientRole::Agent,
            },
        )
        .await
        .unwrap();
    // Up: every probe answers, so the tenant is known to each API.
    let up: Vec<(&str, u16)> = probes(&app)
        .await
        .into_iter()
        .map(|(n, r)| (n, r.status().as_u16()))
        .collect();
    for (name, status) in &up {
        assert!(
            *status < 500,
            "{name} answered {status} with the database up"
        );
    }

    cluster.stop();
    for (name, r) in probes(&app).await {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        assert_eq!(status, 503, "{name}: {text}");
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{name} answers JSON: {text}"));
        match name {
            "native" | "oracle_lx" => {
                assert_eq!(body["code"], "unavailable", "{name}: {body}");
                assert!(headers.get("retry-after").is_some(), "{name}");
            }
            "zoom_cc" => {
                assert_eq!(body["code"], 503, "{body}");
                assert!(headers.get("retry-after").is_some(), "{name}");
            }
            "avaya_axp" => assert_eq!(body["status"], 503, "{body}"),
            "genesys_gws" => assert!(body["statusCode"].is_number(), "{body}"),
            _ => unreachable!(),
        }
        assert!(
            !text.contains("error connecting"),
            "{name} leaks the cause: {text}"
        );
    }
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);

    cluster.start_again();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.http.get(app.url("/readyz")).send().await.unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready 30 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (name, r) in probes(&app).await {
        let status = r.status().as_u16();
        let before = up.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(status, before, "{name} recovered");
    }
}

#[tokio::test]
async fn no_acknowledged_write_is_lost_when_the_database_restarts_under_load() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let app = spawn_app_with(TestConfig::toml(format!(
        "store = \"{}?schema=restart&pool_timeout_ms=500\"",
        cluster.url
    )))
    .await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let failed = Arc::new(Mutex::new(Vec::<u16>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (http, base, token) = (app.http.clone(), app.base.clone(), app.agent.clone());
            let (acknowledged, failed, stop) = (acknowledged.clone(), failed.clone(), stop.clone());
            tokio::spawn(async move {
                // Bounded: at most 5,000 writes each, and stopped by the test.
                for i in 0..5_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = format!("w{w}-{i}");
                    let r = http
                        .put(format!("{base}/api/v1/tenants/acme/engagements/{id}"))
                        .bearer_auth(&token)
                        .json(&json!({"started_at": "2024-05-01T09:00:00Z"}))
                        .timeout(Duration::from_secs(20))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => acknowledged.lock().unwrap().push(id),
                        Ok(r) => {
                            let s = r.status().as_u16();
                            failed.lock().unwrap().push(s);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(_) => failed.lock().unwrap().push(0),
                    }
                }
            })
        })
        .collect();
    // Let writes flow, restart the database as if it crashed, let them flow again.
    let flowing = |n: usize| {
        let acknowledged = acknowledged.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acknowledged.lock().unwrap().len() < n {
                assert!(Instant::now() < deadline, "writes do not flow");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    flowing(200).await;
    let restart = tokio::task::spawn_blocking({
        let dir = cluster.dir.path().join("c");
        move || {
            let out = Command::new(script())
                .arg("restart")
                .arg(dir)
                .arg("immediate")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    restart.await.unwrap();
    let after_restart = acknowledged.lock().unwrap().len();
    flowing(after_restart + 200).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let failed = failed.lock().unwrap().clone();
    assert!(
        failed.iter().all(|s| *s == 503 || *s == 0),
        "failures during the restart are 503s (or a dropped connection): {failed:?}"
    );
    // Every acknowledged write is there.
    for chunk in acknowledged.chunks(200) {
        let ids: Vec<String> = chunk.to_vec();
        let found = app.store.get_many(&app.tenant, &ids).await.unwrap();
        assert_eq!(found.len(), ids.len(), "an acknowledged write was lost");
    }
    eprintln!(
        "{} writes acknowledged, {} refused during the restart",
        acknowledged.len(),
        failed.len()
    );
}
