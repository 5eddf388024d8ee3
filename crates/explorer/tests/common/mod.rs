//! What the explorer's tests share: a test server with users, a cookie-keeping HTTP
//! client that does not follow redirects, and engagements with every part filled in.
#![allow(dead_code)]

use interlog_http::auth::hash_secret;
use interlog_model::Engagement;
use interlog_store::{ClientRole, Identifier, NewUser, Tenant};
use interlog_testkit::TestApp;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::LazyLock;

pub const PASSWORD: &str = "s3cret password";

static HASH: LazyLock<String> = LazyLock::new(|| hash_secret(PASSWORD));

pub async fn user(app: &TestApp, tenant: &Tenant, name: &str, role: ClientRole) {
    app.store
        .create_user(
            tenant,
            NewUser {
                username: name.into(),
                password_hash: HASH.clone(),
                email: Some(format!("{name}@example.test")),
                display_name: Some(format!("{name} Example")),
                role,
            },
        )
        .await
        .unwrap();
}

pub fn engagement(v: Value) -> Engagement {
    let mut e: Engagement = serde_json::from_value(v).unwrap();
    e.normalize();
    e.validate().unwrap();
    e
}

/// An engagement with every part the engagement page shows.
pub fn full(id: &str, started: &str, phone: &str) -> Engagement {
    engagement(json!({
        "id": id, "source": "zoom_cc", "started_at": started, "direction": "inbound",
        "outcome": "successful",
        "channels": [{"type": "chat", "source": "web_chat"}],
        "participants": [
            {"role": "customer", "display_name": "Mary Customer", "calling_number": phone},
            {"role": "agent", "id": "ag-1", "email": "ann@acme.test", "display_name": "Ann Agent", "owner": true,
             "joined_at": started}
        ],
        "customer": {"phones": [phone], "emails": ["mary@example.org"]},
        "queues": [{"id": "q-billing", "name": "Billing", "queued_at": started}],
        "transfers": [{"type": "to_queue", "mode": "warm", "queue_name": "Escalations"}],
        "recordings": [{"id": "rec-1", "uri": "https://rec.example/rec-1.wav", "duration_ms": 61000}],
        "dispositions": [{"id": "d-7", "name": "Resolved"}],
        "notes": [{"text": "Refund promised <b>by Friday</b>", "author_name": "Ann Agent"}],
        "messages": [
            {"index": 1, "at": started, "type": "Message", "text": "Hello, my bill is wrong",
             "sender": {"nickname": "Mary", "role": "customer"}},
            {"index": 2, "at": started, "type": "Message", "text": "Let me check that for you",
             "sender": {"nickname": "Ann", "role": "agent"}}
        ],
        "data": {"order": "A-42", "vip": true}
    }))
}

/// A browser stand-in: keeps cookies, does not follow redirects.
pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// The `Set-Cookie` headers of the last response.
    pub set_cookies: Vec<String>,
    pub headers: Vec<(String, String)>,
    /// The headers of the last response (names in lower case).
    pub last_headers: Vec<(String, String)>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Browser {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
            headers: Vec::new(),
            last_headers: Vec::new(),
        }
    }

    fn keep(&mut self, r: &reqwest::Response) {
        self.set_cookies = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &self.set_cookies {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        req
    }

    /// GET: (status, Location, body).
    pub async fn get(&mut self, path: &str) -> (u16, String, String) {
        let r = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let r = self
            .request(reqwest::Method::POST, path)
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    async fn finish(&mut self, r: reqwest::Response) -> (u16, String, String) {
        self.keep(&r);
        self.last_headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, r.text().await.unwrap())
    }

    /// Signs in with a user's password through the form.
    pub async fn sign_in(
        &mut self,
        tenant: &str,
        user: &str,
        password: &str,
    ) -> (u16, String, String) {
        let (status, _, page) = self.get("/ui/login").await;
        assert_eq!(status, 200, "{page}");
        let csrf = hidden(&page, "csrf");
        self.post(
            "/ui/login",
            &[
                ("csrf", &csrf),
                ("tenant", tenant),
                ("username", user),
                ("password", password),
                ("next", "/ui"),
            ],
        )
        .await
    }
}

/// Asserts that the page shows each of `parts`.
pub fn assert_shows(page: &str, parts: &[&str]) {
    for part in parts {
        assert!(page.contains(part), "{part} missing from {page}");
    }
}

/// The value of the first hidden field `name` of a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {page}"))
        + marker.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// Stores `seeds` in the test tenant; gives tenant `globex` one engagement, `globex_id`,
/// whose customer has the phone the test tenant links with `mary@example.org`, so only a
/// lookup that crosses tenants would find it.
pub async fn seed_with_a_foreign_customer(
    app: &TestApp,
    seeds: Vec<Engagement>,
    globex_id: &str,
    started: &str,
) {
    let (globex, _) = app.other_tenant("globex").await;
    app.store.upsert_many(&app.tenant, seeds).await.unwrap();
    app.store
        .upsert_many(&globex, vec![full(globex_id, started, "+353 1 555 0100")])
        .await
        .unwrap();
    app.store
        .link_identifiers(
            &app.tenant,
            &[
                Identifier::new(Some("phone"), "+353 1 555 0100"),
                Identifier::new(Some("email"), "mary@example.org"),
            ],
        )
        .await
        .unwrap();
}

/// A small contact center on three days of March 2024 (Dublin time): calls to two queues,
/// answered (by Ann or Bob) or abandoned, one queue visit each.
pub fn dashboard_seeds() -> Vec<Engagement> {
    let mut out = Vec::new();
    let calls = [
        // (day, hour, queue, answered after seconds, agent)
        (4, 9, "q-sales", Some(10), "ann"),
        (4, 10, "q-sales", Some(40), "ann"),
        (4, 11, "q-billing", None, ""),
        (5, 9, "q-billing", Some(5), "bob"),
        (5, 14, "q-sales", Some(15), "bob"),
        (6, 16, "q-sales", None, ""),
    ];
    for (i, (day, hour, queue, answered, agent)) in calls.into_iter().enumerate() {
        let at = |min: u32, sec: u32| format!("2024-03-0{day}T{hour:02}:{min:02}:{sec:02}Z");
        let mut e = json!({
            "id": format!("dash-{i}"), "started_at": at(0, 0), "ended_at": at(5, 0),
            "direction": "inbound", "channels": [{"type": "voice"}],
            "queues": [{"id": queue, "name": if queue == "q-sales" { "Sales" } else { "Billing" },
                        "queued_at": at(0, 0)}]
        });
        if let Some(s) = answered {
            e["queues"][0]["accepted_at"] = json!(at(0, s));
            e["queues"][0]["agent_id"] = json!(agent);
            e["participants"] = json!([{"role": "agent", "id": agent, "display_name": format!("{agent} Agent"), "owner": true}]);
            e["timings"] = json!({"talk_ms": 240_000, "hold_ms": 10_000, "wrap_up_ms": 30_000});
        }
        out.push(engagement(e));
    }
    out
}
