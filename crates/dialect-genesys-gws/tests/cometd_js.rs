//! End to end with the official CometD JavaScript client (`cometd` and
//! `cometd-nodejs-client` from npm, driven by `tests/js/client.mjs`): log in with Basic,
//! take the CSRF token from /api/v2/me, handshake, subscribe to /v2/ucs/interactions,
//! POST history requests, receive the notifications. Two sessions of one user, and a user
//! of another tenant, listen at the same time and must see only their own.
//!
//! Needs Node.js (20 or later) on the PATH; runs `npm ci` in tests/js when its
//! node_modules is missing.

mod common;

use common::*;
use jiff::{Timestamp, ToSpan};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Checks for node and installs the npm packages once per test process.
fn ensure_node() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let version = std::process::Command::new("node")
            .arg("--version")
            .output()
            .map_err(|e| {
                format!(
                    "the CometD end-to-end tests need Node.js 20 or later on the PATH \
                     (`node --version` failed: {e}); install Node.js and npm"
                )
            })?;
        let v = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        let major: u32 = v
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if major < 20 {
            return Err(format!(
                "the CometD end-to-end tests need Node.js 20 or later, found {v:?}"
            ));
        }
        if !js_dir().join("node_modules/cometd-nodejs-client").is_dir() {
            let out = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(js_dir())
                .output()
                .map_err(|e| format!("`npm ci` could not start (is npm installed?): {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "`npm ci` in {} failed:\n{}\n{}",
                    js_dir().display(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        Ok(())
    });
    if let Err(e) = ready {
        panic!("{e}");
    }
}

/// A running `client.mjs`, its JSON-line events arriving on a channel.
struct Node {
    child: Child,
    stdin: Option<ChildStdin>,
    events: mpsc::UnboundedReceiver<Value>,
    seen: Vec<Value>,
}

impl Node {
    fn start(base: &str, login: &str, requests: Value, wait: bool) -> Node {
        ensure_node();
        let mut cmd = Command::new("node");
        cmd.arg("client.mjs")
            .arg(base)
            .arg(login)
            .arg(PASSWORD)
            .arg(requests.to_string())
            .args(if wait { vec!["--wait-stdin"] } else { vec![] })
            .current_dir(js_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("node starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let v = serde_json::from_str(&line)
                    .unwrap_or_else(|_| json!({"event": "unparsed", "line": line}));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Node {
            stdin: child.stdin.take(),
            child,
            events,
            seen: Vec::new(),
        }
    }

    /// Waits for an event named `name` (at most 20 s), keeping every event seen.
    async fn until(&mut self, name: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = tokio::time::timeout_at(deadline, self.events.recv()).await;
            match got {
                Ok(Some(e)) => {
                    self.seen.push(e.clone());
                    assert_ne!(
                        e["event"], "error",
                        "client failed: {e}; events: {:?}",
                        self.seen
                    );
                    if e["event"] == name {
                        return e;
                    }
                }
                Ok(None) => panic!("client exited before {name}; events: {:?}", self.seen),
                Err(_) => panic!("no {name} within 20 s; events: {:?}", self.seen),
            }
        }
    }

    async fn go(&mut self) {
        let mut stdin = self.stdin.take().expect("started with --wait-stdin");
        stdin.write_all(b"go\n").await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// Waits for `done` and a clean exit; every event the client printed.
    async fn finish(mut self) -> Vec<Value> {
        self.until("done").await;
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("client exits")
            .unwrap();
        assert!(status.success(), "client exit status {status}");
        while let Ok(e) = self.events.try_recv() {
            self.seen.push(e);
        }
        self.seen
    }
}

fn of<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

fn reference(ack: &Value) -> u64 {
    assert_eq!(ack["status"], 200, "{ack}");
    assert_eq!(ack["body"]["statusCode"], 0, "{ack}");
    ack["body"]["referenceId"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_cometd_client_gets_history_and_only_its_own_notifications() {
    let gw = spawn("").await;
    let app = &gw.app;
    let agent = user(app, &app.tenant, "agent1", Some("agent1@acme.test")).await;
    let globex = tenant(app, "globex", "UTC", &[]).await;
    user(app, &globex, "agent1", None).await;
    let now = Timestamp::now();
    let ago = |h: i64| now.checked_sub(h.hours()).unwrap().to_string();
    seed_into(
        app,
        &app.tenant,
        vec![
            engagement(json!({
                "id": "chat1", "started_at": ago(3), "direction": "inbound",
                "channels": [{"type": "chat"}],
                "participants": [{"role": "agent", "id": agent, "username": "agent1", "owner": true}],
                "customer": {"contact_id": "C1"},
                "messages": [{"index": 1, "at": ago(3), "type": "Message", "text": "Hi", "visibility": "All",
                              "sender": {"nickname": "Ann", "role": "customer", "participant_id": "P1"}}],
            })),
            engagement(json!({
                "id": "call1", "started_at": ago(5), "direction": "outbound",
                "channels": [{"type": "voice"}],
                "participants": [{"role": "agent", "id": agent, "username": "agent1", "owner": true}],
            })),
            engagement(json!({"id": "elsewhere", "started_at": ago(4), "channels": [{"type": "chat"}]})),
        ],
    )
    .await;
    seed_into(
        app,
        &globex,
        vec![engagement(
            json!({"id": "g1", "started_at": ago(2), "channels": [{"type": "email"}]}),
        )],
    )
    .await;

    let history = json!({"path": "/api/v2/ucs/interactions", "body": {"operationName": "RetrieveAgentHistory"}});
    // Listeners first: a second session of the same user, and a user of another tenant.
    let mut same_user = Node::start(&app.base, "acme/agent1", json!([history]), true);
    let mut other_tenant = Node::start(
        &app.base,
        "globex/agent1",
        json!([{"path": "/api/v2/ucs/interactions", "body": {"operationName": "RetrieveInteractionHistory"}}]),
        true,
    );
    let login = same_user.until("login").await;
    assert_eq!(login["csrf"], true);
    assert_eq!(login["user"]["id"], agent);
    same_user.until("ready").await;
    other_tenant.until("ready").await;

    let asker = Node::start(
        &app.base,
        "acme/agent1",
        json!([
            history,
            {"path": "/api/v2/ucs/interactions/chat1", "body": {"operationName": "GetInteractionContent"}},
            {"path": "/api/v2/ucs/contacts/C1/interactions", "body": {"operationName": "RetrieveContactHistory"}},
        ]),
        false,
    );
    let events = asker.finish().await;
    let acks = of(&events, "ack");
    assert_eq!(acks.len(), 3, "{events:?}");
    let refs: Vec<u64> = acks.iter().map(|a| reference(a)).collect();
    let notes = of(&events, "notification");
    assert_eq!(
        notes.len(),
        3,
        "exactly one notification per request: {notes:?}"
    );
    let by_ref = |r: u64| {
        notes
            .iter()
            .find(|n| n["data"]["referenceId"] == r)
            .unwrap_or_else(|| panic!("no notification for {r}: {notes:?}"))
    };
    let h = by_ref(refs[0]);
    assert_eq!(h["channel"], "/v2/ucs/interactions");
    assert_eq!(h["data"]["messageType"], "GetInteractionsHistoryMessage");
    assert_eq!(ids(&h["data"]["interactions"]), ["chat1", "call1"]);
    assert_eq!(h["data"]["interactions"][1]["typeId"], "Outbound");
    let c = by_ref(refs[1]);
    assert_eq!(c["data"]["messageType"], "GetInteractionContentMessage");
    assert_eq!(c["data"]["interaction"]["id"], "chat1");
    assert_eq!(c["data"]["messages"][0]["text"], "Hi");
    assert_eq!(c["data"]["messages"][0]["from"]["type"], "Customer");
    assert_eq!(ids(&by_ref(refs[2])["data"]["interactions"]), ["chat1"]);

    // The listeners heard nothing of that; each then gets exactly its own answer.
    same_user.go().await;
    let events = same_user.finish().await;
    let own = reference(of(&events, "ack")[0]);
    let notes = of(&events, "notification");
    assert_eq!(
        notes.len(),
        1,
        "another session's notifications leaked: {notes:?}"
    );
    assert_eq!(notes[0]["data"]["referenceId"], own);
    assert!(!refs.contains(&own));
    assert_eq!(ids(&notes[0]["data"]["interactions"]), ["chat1", "call1"]);

    other_tenant.go().await;
    let events = other_tenant.finish().await;
    let own = reference(of(&events, "ack")[0]);
    let notes = of(&events, "notification");
    assert_eq!(
        notes.len(),
        1,
        "another tenant's notifications leaked: {notes:?}"
    );
    assert_eq!(notes[0]["data"]["referenceId"], own);
    assert_eq!(ids(&notes[0]["data"]["interactions"]), ["g1"]);

    // Every client disconnected: nothing is left behind.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(gw.gws.stats().clients, 0, "{:?}", gw.gws.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_is_refused_with_wrong_credentials() {
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "agent1", None).await;
    ensure_node();
    let out = Command::new("node")
        .arg("client.mjs")
        .arg(&app.base)
        .arg("acme/agent1")
        .arg("not-the-password")
        .arg("[]")
        .current_dir(js_dir())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "error");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains(r#"{"statusCode":20,"statusMessage":"Access denied"}"#),
        "{last}"
    );
}
