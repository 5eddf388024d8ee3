//! Test harness: the server started exactly as `interlog serve` starts it — the same
//! configuration loading (a config file in a fresh data directory, an environment), the
//! same builder and list of APIs, the same store opening by URL — on
//! 127.0.0.1:0, with a fresh tenant (`acme`, Europe/Dublin, country code 353) and tokens
//! for each role.
//!
//! A test that needs other settings gives them as config file text:
//! `spawn_app_with(TestConfig::toml("[dialects.zoom_cc]\nrate_limits = \"off\""))`.
//!
//! # The backend matrix
//!
//! Every test server runs on the backend `INTERLOG_TEST_STORE` names: `sqlite` (the
//! default: a database in the fresh data directory) or `postgres` (a fresh schema, of its
//! own, in the server `INTERLOG_TEST_POSTGRES` names, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`). `scripts/test` runs the black-box tests
//! once on each, with a throw-away PostgreSQL cluster it starts itself.

pub mod proxy;

use interlog_app::{Config, Overrides, Server};
use interlog_http::auth::{hash_secret, Claims, Signer, SubjectKind, APP_KEY};
use interlog_http::RouteInfo;
use interlog_model::Engagement;
use interlog_store::{ClientRole, NewClient, NewTenant, NewUser, Store, Tenant};
use reqwest::{Method, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

pub const SECRET: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub signer: Signer,
    pub tenant: Tenant,
    /// An admin client of the tenant whose secret is [`SECRET`].
    pub client_id: String,
    pub admin: String,
    pub agent: String,
    pub reader: String,
    /// Every route the server serves.
    pub routes: Vec<RouteInfo>,
    /// The configuration the server runs with.
    pub config: Config,
    server: Option<Server>,
    dir: tempfile::TempDir,
}

/// What a test server is configured with, besides a fresh data directory and
/// `listen = "127.0.0.1:0"`: config file text and environment variables, read exactly as
/// `interlog serve` reads them.
#[derive(Default, Clone)]
pub struct TestConfig {
    pub toml: String,
    pub env: Vec<(String, String)>,
}

impl TestConfig {
    /// A config file with this text.
    pub fn toml(text: impl Into<String>) -> Self {
        TestConfig {
            toml: text.into(),
            env: Vec::new(),
        }
    }

    /// The same with an environment variable set.
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }
}

/// A server with the default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestConfig::default()).await
}

/// The backend test servers run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend `INTERLOG_TEST_STORE` names (SQLite when unset).
pub fn backend() -> Backend {
    match std::env::var("INTERLOG_TEST_STORE").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("INTERLOG_TEST_STORE={other:?}; accepted: sqlite, postgres"),
    }
}

/// The PostgreSQL server tests may use (`INTERLOG_TEST_POSTGRES`), if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("INTERLOG_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
}

/// The URL of a fresh schema, of its own, in the test PostgreSQL server: a store opened on
/// it starts empty.
fn fresh_postgres_url() -> Option<String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let base = postgres_server()?;
    let schema = format!(
        "t{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        jiff::Timestamp::now().as_microsecond() % 1_000_000_000
    );
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}schema={schema}"))
}

/// The `store = …` line of a test server's config file on the PostgreSQL backend.
fn store_line(config: &TestConfig) -> String {
    if backend() == Backend::Sqlite
        || config
            .toml
            .lines()
            .any(|l| l.trim_start().starts_with("store"))
    {
        return String::new();
    }
    let url = fresh_postgres_url()
        .expect("INTERLOG_TEST_STORE=postgres needs INTERLOG_TEST_POSTGRES (a server URL)");
    format!("store = \"{url}\"\n")
}

/// Loads the configuration a test server in `data` runs with.
pub fn load_config(data: &Path, config: &TestConfig) -> Config {
    let file = data.join("interlog.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:0\"\n{}{}\n",
            store_line(config),
            config.toml
        ),
    )
    .unwrap();
    let env: HashMap<String, String> = config.env.iter().cloned().collect();
    let lookup = move |name: &str| env.get(name).cloned();
    Config::load(
        &Overrides {
            data: Some(data.to_path_buf()),
            ..Overrides::default()
        },
        &lookup,
    )
    .unwrap_or_else(|e| panic!("test configuration: {e}"))
}

/// Starts a server in `data` (its store opened by the configuration's URL), as `serve`
/// does.
pub async fn start_server(config: &Config) -> Server {
    let store = interlog_app::open_configured_store(config).await.unwrap();
    Server::start(config, store).await.unwrap()
}

pub async fn spawn_app_with(test_config: TestConfig) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = load_config(dir.path(), &test_config);
    let server = start_server(&config).await;
    let store = server.state.store.clone();
    let signer = server.state.signer.clone();
    let tenant = store
        .create_tenant(NewTenant {
            key: "acme".into(),
            name: "Acme".into(),
            time_zone: "Europe/Dublin".into(),
            country_code: Some("353".into()),
            aliases: vec![],
        })
        .await
        .unwrap();
    let client_id = "acme-admin".to_owned();
    store
        .create_client(
            &tenant,
            NewClient {
                client_id: client_id.clone(),
                secret_hash: secret_hash(),
                role: ClientRole::Admin,
                scopes: vec!["read".into()],
                credentials: Default::default(),
            },
        )
        .await
        .unwrap();
    let mint = |role| mint_token(&signer, "acme", role, 3600);
    TestApp {
        base: format!("http://{}", server.addr),
        http: reqwest::Client::new(),
        admin: mint(ClientRole::Admin),
        agent: mint(ClientRole::Agent),
        reader: mint(ClientRole::Reader),
        routes: server.routes.clone(),
        store,
        signer: signer.clone(),
        tenant,
        client_id,
        config,
        server: Some(server),
        dir,
    }
}

/// A hash of [`SECRET`], made once: hashing is slow and salts do not matter in tests.
/// A value as it goes in a query string: every byte but the unreserved ones
/// (`A–Z a–z 0–9 - _ . ~`) percent-encoded (spaces, parentheses, quotes, `:`…).
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn secret_hash() -> String {
    static HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| hash_secret(SECRET));
    HASH.clone()
}

/// A token as the token endpoint would issue it, valid for `ttl` seconds (negative:
/// already expired).
pub fn mint_token(signer: &Signer, tenant: &str, role: ClientRole, ttl: i64) -> String {
    let now = jiff::Timestamp::now().as_second();
    signer.jwt(&Claims {
        tenant: tenant.into(),
        sub: format!("test-{role}"),
        kind: SubjectKind::Client,
        role,
        scopes: vec![],
        iat: now,
        exp: now + ttl,
    })
}

impl TestApp {
    /// What the server's APIs share (its store, signer and configuration).
    pub fn state(&self) -> &interlog_http::ApiState {
        &self.server.as_ref().expect("the server runs").state
    }

    /// A running part of the server that an API exposed (e.g. a dialect's hub).
    pub fn handle<T: Send + Sync + 'static>(&self) -> Arc<T> {
        self.server
            .as_ref()
            .and_then(|s| s.handles.get::<Arc<T>>())
            .cloned()
            .expect("no such handle exposed")
    }

    /// Where `/metrics` is served on a listener of its own (`metrics_listen`), if it is.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().and_then(|s| s.metrics_addr)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// How many expiring records (sessions, refresh tokens) of `namespace` the store holds,
    /// expired ones included: what a server leaves behind, which no API shows. Read from
    /// the database directly.
    pub async fn stored_records(&self, namespace: &str) -> u64 {
        match &self.config.store {
            interlog_app::StoreUrl::Sqlite(path) => {
                let db = rusqlite::Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                db.query_row(
                    "SELECT count(*) FROM records WHERE namespace = ?1",
                    [namespace],
                    |r| r.get(0),
                )
                .unwrap()
            }
            interlog_app::StoreUrl::Postgres(url) => {
                let opts = interlog_store_postgres::PgOptions::parse(url).unwrap();
                let (client, connection) = opts.pg.connect(tokio_postgres::NoTls).await.unwrap();
                let driver = tokio::spawn(connection);
                let n: i64 = client
                    .query_one(
                        "SELECT count(*) FROM records WHERE namespace = $1",
                        &[&namespace],
                    )
                    .await
                    .unwrap()
                    .get(0);
                drop(client);
                let _ = driver.await;
                n as u64
            }
        }
    }

    /// Another server on the same store and signing key (a second instance behind the
    /// same load balancer), started the same way.
    pub async fn second_instance(&self) -> Server {
        start_server(&self.config).await
    }

    /// Stops the server as `serve` does on SIGTERM.
    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, Some(&self.reader), None).await
    }

    /// GETs with `token` and returns (status, JSON body).
    pub async fn get_json_as(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self.call(Method::GET, path, Some(token), None).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// GETs and returns (status, JSON body).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        self.get_json_as(path, &self.reader).await
    }

    /// Stores engagements directly (normalized), bypassing HTTP.
    pub async fn seed(&self, engagements: Vec<Engagement>) {
        let normalized = engagements
            .into_iter()
            .map(|mut e| {
                e.normalize();
                e.validate().unwrap();
                e
            })
            .collect();
        self.store
            .upsert_many(&self.tenant, normalized)
            .await
            .unwrap();
    }

    /// Creates a second tenant, returning its admin token.
    pub async fn other_tenant(&self, key: &str) -> (Tenant, String) {
        let t = self.create_tenant(key).await;
        (t, mint_token(&self.signer, key, ClientRole::Admin, 3600))
    }

    /// Creates a tenant keyed and named `key`, in UTC, without a country code or aliases.
    pub async fn create_tenant(&self, key: &str) -> Tenant {
        self.store
            .create_tenant(NewTenant {
                key: key.into(),
                name: key.into(),
                time_zone: "UTC".into(),
                country_code: None,
                aliases: vec![],
            })
            .await
            .unwrap()
    }

    /// Creates an admin client of `tenant` whose secret is [`SECRET`] and whose application
    /// key (for the dialects that ask for one) is `app_key`.
    pub async fn create_client_with_app_key(
        &self,
        tenant: &Tenant,
        client_id: &str,
        app_key: &str,
    ) {
        self.store
            .create_client(
                tenant,
                NewClient {
                    client_id: client_id.into(),
                    secret_hash: secret_hash(),
                    role: ClientRole::Admin,
                    scopes: vec![],
                    credentials: [(APP_KEY.to_owned(), hash_secret(app_key))]
                        .into_iter()
                        .collect(),
                },
            )
            .await
            .unwrap();
    }

    /// Creates a user of `tenant` with this name, password and role.
    pub async fn create_user(
        &self,
        tenant: &Tenant,
        username: &str,
        password: &str,
        role: ClientRole,
    ) {
        let password_hash = if password == SECRET {
            secret_hash()
        } else {
            hash_secret(password)
        };
        self.store
            .create_user(
                tenant,
                NewUser {
                    username: username.into(),
                    password_hash,
                    email: None,
                    display_name: None,
                    role,
                },
            )
            .await
            .unwrap();
    }

    /// POSTs NDJSON to the tenant's bulk ingest as its agent.
    pub async fn ingest(&self, body: impl Into<reqwest::Body>) -> Response {
        self.post_ingest("", "application/x-ndjson", body).await
    }

    /// POSTs a body in `format`, declared as `content_type`, to the tenant's bulk ingest as
    /// its agent.
    pub async fn ingest_as(
        &self,
        format: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.post_ingest(&format!("?format={format}"), content_type, body)
            .await
    }

    async fn post_ingest(
        &self,
        query: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let path = format!("/api/v1/tenants/{}/ingest{query}", self.tenant.key);
        self.http
            .post(self.url(&path))
            .bearer_auth(&self.agent)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// GETs without credentials and returns the body as text.
    pub async fn get_public_text(&self, path: &str) -> String {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// The ids of a native listing page's engagements, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A client-credentials token request for a client that does not exist (form fields).
pub const UNKNOWN_CLIENT: [(&str, &str); 3] = [
    ("grant_type", "client_credentials"),
    ("client_id", "nobody"),
    ("client_secret", "x"),
];

/// The name of every API the server serves (its routes' `api` label).
pub fn api_names() -> Vec<&'static str> {
    interlog_app::APIS.iter().map(|a| a.name).collect()
}

/// A minimal engagement.
pub fn engagement(id: &str, started: &str) -> Engagement {
    serde_json::from_value(serde_json::json!({"id": id, "started_at": started})).unwrap()
}

/// Asserts an RFC 7807 problem with this status and code; returns the body.
pub async fn assert_problem(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}
