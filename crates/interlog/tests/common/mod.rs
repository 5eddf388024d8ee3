//! What the binary's tests share: `interlog` run on a data directory as a user runs it, and
//! `interlog serve` on a port the system chose, found from the line the server prints once
//! it accepts connections (so no port is guessed, and no test polls for readiness).

// Each test file uses a part of this module.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The start of the line `interlog serve` prints on standard error once it accepts
/// connections; the scheme (`http`, or `https` with TLS) and the address it listens on
/// follow, with the port the system chose when it was asked for port 0 (README, "Command
/// line").
pub const LISTENING: &str = "Interlog is listening on ";

/// How long a server may take to start listening: `serve --demo` first writes its demo data.
const STARTUP: Duration = Duration::from_secs(300);

/// `interlog` on the data directory `data`.
pub fn interlog(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_interlog"));
    c.env("INTERLOG_DATA", data);
    c
}

/// `interlog ARGS` on `data`, run to its end.
pub fn run(args: &[&str], data: &Path) -> Output {
    interlog(data).args(args).output().unwrap()
}

/// The standard output of a command that must have succeeded (its standard error otherwise).
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `interlog import --tenant TENANT -` on `data`, reading `input` from its standard input.
pub fn import_stdin(data: &Path, tenant: &str, input: &[u8]) -> Output {
    let mut child = interlog(data)
        .args(["import", "--tenant", tenant, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A new client of `tenant` with `role`, as `client create` prints it (`client_id`,
/// `client_secret`).
pub fn create_client(data: &Path, tenant: &str, role: &str) -> Value {
    let printed = ok(run(
        &["client", "create", "--tenant", tenant, "--role", role],
        data,
    ));
    serde_json::from_str(&printed).unwrap()
}

/// The JSON body of the answer to `request`.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// An access token for the client `creds` (the client credentials grant).
pub async fn token(http: &reqwest::Client, base: &str, creds: &Value) -> String {
    let answer = json_of(http.post(format!("{base}/api/v1/oauth/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", creds["client_id"].as_str().unwrap()),
        ("client_secret", creds["client_secret"].as_str().unwrap()),
    ]))
    .await;
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {answer}"))
        .to_owned()
}

/// How many engagements `tenant` holds, as the native API counts them.
pub async fn engagement_count(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    token: &str,
) -> u64 {
    let url = format!("{base}/api/v1/tenants/{tenant}/engagements?count=exact&limit=1");
    let page = json_of(http.get(url).bearer_auth(token)).await;
    page["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("no total: {page}"))
}

/// Asserts that every engagement of `ids` can be read from `tenant`.
pub async fn assert_stored<'a>(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    token: &str,
    ids: impl IntoIterator<Item = &'a String>,
) {
    for id in ids {
        let r = http
            .get(format!("{base}/api/v1/tenants/{tenant}/engagements/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged {id} is missing");
    }
}

/// `interlog serve --listen 127.0.0.1:0` on `data`, logging warnings and errors only. Add
/// arguments and environment, then [`Server::start`] it.
pub fn serve(data: &Path) -> Command {
    let mut c = interlog(data);
    c.args(["serve", "--listen", "127.0.0.1:0"])
        .env("INTERLOG_LOG", "warn");
    c
}

/// A running `interlog serve`, killed when dropped. What it prints on standard error is
/// kept (and read as it comes, so the server never blocks on a full pipe).
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://ADDR`.
    pub base: String,
    printed: Arc<Printed>,
}

/// The lines a process printed, and whether it has closed its output.
#[derive(Default)]
struct Printed {
    lines: Mutex<(Vec<String>, bool)>,
    changed: Condvar,
}

impl Printed {
    /// Everything printed, once `done` holds of it; `Err` with what was printed when the
    /// process closed its output first, or `within` passed.
    fn wait(&self, done: impl Fn(&str) -> bool, within: Duration) -> Result<String, String> {
        let deadline = Instant::now() + within;
        let mut state = self.lines.lock().unwrap();
        loop {
            let text = state.0.join("\n");
            if done(&text) {
                return Ok(text);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if state.1 || left.is_zero() {
                return Err(text);
            }
            state = self.changed.wait_timeout(state, left).unwrap().0;
        }
    }
}

impl Server {
    /// Starts `command` (made by [`serve`]) and returns once it printed where it listens.
    pub fn start(command: &mut Command) -> Server {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let printed = Arc::new(Printed::default());
        let reader = printed.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                reader.lines.lock().unwrap().0.push(line);
                reader.changed.notify_all();
            }
            reader.lines.lock().unwrap().1 = true;
            reader.changed.notify_all();
        });
        let text = match printed.wait(|text| text.contains(LISTENING), STARTUP) {
            Ok(text) => text,
            Err(text) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                panic!("interlog serve did not start listening ({status}): {text}");
            }
        };
        let after = &text[text.find(LISTENING).unwrap() + LISTENING.len()..];
        let url = after.split_whitespace().next().unwrap_or_default();
        let (scheme, addr) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("no URL after {LISTENING:?}: {text}"));
        let addr: SocketAddr = addr
            .parse()
            .unwrap_or_else(|_| panic!("no address after {LISTENING:?}: {text}"));
        Server {
            child,
            addr,
            base: format!("{scheme}://{addr}"),
            printed,
        }
    }

    /// Everything it printed on standard error so far.
    pub fn printed(&self) -> String {
        self.printed.lines.lock().unwrap().0.join("\n")
    }

    /// Everything it printed, once `done` holds of it; fails the test when the server ends
    /// first or `within` passes.
    pub fn wait_printed(&self, done: impl Fn(&str) -> bool, within: Duration) -> String {
        self.printed
            .wait(done, within)
            .unwrap_or_else(|text| panic!("not printed within {within:?}: {text}"))
    }

    /// Its process id, e.g. to send it a signal.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process, e.g. to kill it at a chosen moment.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Asks it to stop, as a service manager does (SIGTERM); see [`Server::wait`].
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
    }

    /// Waits until it has exited.
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }

    /// Kills it (SIGKILL) and waits until it is gone.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
