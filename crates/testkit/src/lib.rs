//! Test harness: the real router on 127.0.0.1:0 over a fresh SQLite store, with a fresh
//! tenant (`acme`, Europe/Dublin, country code 353) and tokens for each role.
//!
//! Dialect crates use it with their own routes and ingest formats:
//! `spawn_app_with(AppOptions { routes: my_dialect::routes(), ..Default::default() })`.

use interlog_api::auth::{hash_secret, Claims, Signer, SubjectKind};
use interlog_api::formats::{Format, Formats};
use interlog_api::{router_with, ApiConfig, AppState};
use interlog_model::Engagement;
use interlog_store::{ClientRole, NewClient, NewTenant, Store, Tenant};
use interlog_store_sqlite::SqliteStore;
use reqwest::{Method, Response};
use serde_json::Value;
use std::sync::Arc;

pub const SECRET: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<SqliteStore>,
    pub signer: Signer,
    pub tenant: Tenant,
    /// An admin client of the tenant whose secret is [`SECRET`].
    pub client_id: String,
    pub admin: String,
    pub agent: String,
    pub reader: String,
    _dir: tempfile::TempDir,
}

/// What a test server serves besides the native API.
#[derive(Default)]
pub struct AppOptions {
    pub config: ApiConfig,
    /// Extra routes (a dialect's).
    pub routes: axum::Router<AppState>,
    /// Extra ingest formats (a dialect's).
    pub formats: Vec<Format>,
}

/// A server with the native API only.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    let AppOptions {
        config,
        routes,
        formats,
    } = options;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("t.db")).unwrap());
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
                secret_hash: hash_secret(SECRET),
                role: ClientRole::Admin,
                scopes: vec!["read".into()],
                app_key_hash: None,
            },
        )
        .await
        .unwrap();
    let signer = Signer::new(b"test-signing-key-of-32-bytes!!!!".to_vec());
    let state = AppState::new(store.clone() as Arc<dyn Store>, signer.clone(), config)
        .with_formats(Formats::new(formats));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router_with(state, routes))
            .await
            .unwrap();
    });
    let mint = |role| mint_token(&signer, "acme", role, 3600);
    TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        admin: mint(ClientRole::Admin),
        agent: mint(ClientRole::Agent),
        reader: mint(ClientRole::Reader),
        store,
        signer: signer.clone(),
        tenant,
        client_id,
        _dir: dir,
    }
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

    /// GETs and returns (status, JSON body).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
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
        let t = self
            .store
            .create_tenant(NewTenant {
                key: key.into(),
                name: key.into(),
                time_zone: "UTC".into(),
                country_code: None,
                aliases: vec![],
            })
            .await
            .unwrap();
        (t, mint_token(&self.signer, key, ClientRole::Admin, 3600))
    }
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
