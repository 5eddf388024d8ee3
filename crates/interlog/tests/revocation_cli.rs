//! Revocation and deletion from the command line, run on a data directory while a server
//! serves it: `client disable|enable|delete`, `user disable|delete`, `tenant delete --yes`
//! (which erases the tenant's data and prints a receipt), and `erase --dry-run`.

mod common;

use common::{create_client, ok, run, serve, token, Server};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// The status of a listing of `tenant` with `token`.
async fn listing(http: &reqwest::Client, base: &str, tenant: &str, token: &str) -> u16 {
    http.get(format!(
        "{base}/api/v1/tenants/{tenant}/engagements?limit=1"
    ))
    .bearer_auth(token)
    .send()
    .await
    .unwrap()
    .status()
    .as_u16()
}

/// Waits (at most 5 seconds) until the listing answers `status`.
async fn answers(http: &reqwest::Client, base: &str, tenant: &str, token: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = listing(http, base, tenant, token).await;
        if got == status {
            return;
        }
        assert!(Instant::now() < deadline, "still {got}, not {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn json(out: String) -> Value {
    serde_json::from_str(&out).unwrap()
}

fn import(data: &Path, tenant: &str, lines: &[Value]) {
    let file = data.join(format!("{tenant}.ndjson"));
    let mut f = std::fs::File::create(&file).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    ok(run(
        &["import", "--tenant", tenant, file.to_str().unwrap()],
        data,
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_revokes_clients_and_users_and_deletes_tenants_under_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    for t in ["acme", "gone"] {
        ok(run(&["tenant", "create", t, "--country-code", "353"], data));
    }
    import(
        data,
        "acme",
        &[
            serde_json::json!({"id": "a1", "started_at": "2024-01-01T00:00:00Z",
                "customer": {"phones": ["+353 1 555 0101"], "emails": ["x@example.org"]}}),
            serde_json::json!({"id": "a2", "started_at": "2024-01-02T00:00:00Z",
                "customer": {"phones": ["01 555 0101"]}}),
        ],
    );
    import(
        data,
        "gone",
        &[
            serde_json::json!({"id": "g1", "started_at": "2024-01-01T00:00:00Z",
            "customer": {"emails": ["only.in.gone@example.org"]}}),
        ],
    );
    let acme = create_client(data, "acme", "admin");
    let gone = create_client(data, "gone", "admin");
    ok(run(
        &[
            "user",
            "create",
            "--tenant",
            "gone",
            "--username",
            "u1",
            "--password",
            "long enough",
            "--role",
            "reader",
        ],
        data,
    ));
    let server = Server::start(&mut serve(data));
    let http = reqwest::Client::new();
    let (acme_token, gone_token) = (
        token(&http, &server.base, &acme).await,
        token(&http, &server.base, &gone).await,
    );
    let id = acme["client_id"].as_str().unwrap();

    // A dry run says what an erasure would reach, and erases nothing.
    let dry = json(ok(run(
        &[
            "erase",
            "--tenant",
            "acme",
            "--identifier",
            "x@example.org",
            "--dry-run",
        ],
        data,
    )));
    assert_eq!(dry["engagements"], 2, "{dry}");
    assert_eq!(dry["identifiers"].as_array().unwrap().len(), 2, "{dry}");
    assert_eq!(listing(&http, &server.base, "acme", &acme_token).await, 200);

    // Disabled: the server refuses its token within seconds; enabled, the old token stays
    // refused.
    let out = json(ok(run(
        &["client", "disable", "--tenant", "acme", id],
        data,
    )));
    assert_eq!(out["status"], "disabled");
    answers(&http, &server.base, "acme", &acme_token, 401).await;
    ok(run(&["client", "enable", "--tenant", "acme", id], data));
    assert_eq!(listing(&http, &server.base, "acme", &acme_token).await, 401);
    let missing = run(&["client", "delete", "--tenant", "acme", "nobody"], data);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no client"));
    ok(run(&["user", "disable", "--tenant", "gone", "u1"], data));

    // Deleting a tenant needs --yes; then its data, clients and users are gone.
    let refused = run(&["tenant", "delete", "gone"], data);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    assert_eq!(listing(&http, &server.base, "gone", &gone_token).await, 200);
    let receipt = json(ok(run(&["tenant", "delete", "gone", "--yes"], data)));
    assert_eq!(receipt["state"], "deleted", "{receipt}");
    assert_eq!(receipt["engagements_erased"], 1);
    assert_eq!(receipt["clients_revoked"], 1);
    assert_eq!(receipt["users_revoked"], 1);
    answers(&http, &server.base, "gone", &gone_token, 401).await;
    let tenants = ok(run(&["tenant", "list"], data));
    assert!(!tenants.contains("\"gone\""), "{tenants}");
    let db = rusqlite::Connection::open(data.join("interlog.db")).unwrap();
    let held: i64 = db
        .query_row(
            "SELECT count(*) FROM term_values WHERE value LIKE '%only.in.gone%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(held, 0);
    // A tenant of the same key made again is a new one: nothing of the old one works there.
    ok(run(&["tenant", "create", "gone"], data));
    answers(&http, &server.base, "gone", &gone_token, 401).await;
    drop(server);
}
