//! The client side of the dialect: the `genesys_gws` connector, reading a GWS deployment's
//! interaction history the way Genesys documents it
//! (`docs/vendors/genesys-web-services.md`): answers arrive over CometD.
//!
//! - **Session**: `GET {base_url}/api/v2/me` with HTTP Basic (`username`, `password`) opens
//!   the session: the `JSESSIONID` cookie, and the CSRF header and token
//!   (`X-CSRF-HEADER` / `X-CSRF-TOKEN`) that every POST then carries. A 401 there is a
//!   credentials error. A session that ends (401, or the CSRF token refused, 403) is opened
//!   again once.
//! - **Notifications**: a Bayeux 1.0 client over long polling at `{base_url}` +
//!   `notifications_path` (default `/api/v2/notifications`; Genesys leaves the path
//!   undocumented): handshake, subscribe to `/v2/ucs/interactions`, then one connect after
//!   another, each held by the server until something arrives.
//! - **Reading**: `POST {base_url}/api/v2/ucs/interactions` with `{"operationName":
//!   "RetrieveInteractionHistory", "fromDate", "toDate", "sort": "asc", "maxSize"}` is
//!   acknowledged with a `referenceId`; the interactions arrive in the
//!   `GetInteractionsHistoryMessage` with that id. GWS has no paging: "callers page by
//!   moving the fromDate/toDate window", so when an answer is full (`maxSize`
//!   interactions) the next request starts at the last interaction's `startDate`
//!   (inclusive: the interactions of that millisecond are read again, and idempotently
//!   stored again). The dates are the documented date-time form `yyyy-mm-ddThh:mm:ss:mmmZ`
//!   (milliseconds after a colon, in UTC), both ends inclusive of the window. With
//!   `archive: true` each window is also read with `"source": "archive"`.
//! - `max_size` (default 100, GWS's default; at most 1000) is how many a request asks
//!   for; when every interaction of a full answer started in the same millisecond it is
//!   doubled for that request, since moving `fromDate` could not get past them.
//! - Each interaction maps through the dialect's `genesys_gws` ingest mapping, keeping its
//!   `id` and `source: genesys_gws`.
//!
//! Near-real-time arrival through notifications is not used: GWS documents no
//! notification for an interaction that merely completed (the `/v2/ucs/interactions`
//! topic carries answers to requests only), so the connector polls like the others.

use crate::ingest::decode_interaction;
use crate::NAME;
use async_trait::async_trait;
use interlog_http::connector::vendor::VendorResponse;
use interlog_http::connector::{
    accept_record, excerpt, ConnectorKind, Field, FieldProblem, Page, Read, Settings, Sink, Source,
    SourceError, TokenUrl, VendorClient, Window,
};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// GWS's default `maxSize`, and the largest the connector asks for.
pub const DEFAULT_MAX_SIZE: u64 = 100;
pub const MAX_MAX_SIZE: u64 = 1000;
/// The topic the history answers arrive on.
pub const TOPIC: &str = "/v2/ucs/interactions";
/// How long an answer may take to arrive after its acknowledgement.
const ANSWER_WAIT: Duration = Duration::from_secs(120);
/// How long a connect may be held (GWS: 30 s), and then some.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// The `genesys_gws` connector kind.
pub static CONNECTOR: ConnectorKind = ConnectorKind {
    name: NAME,
    vendor: "Genesys Web Services",
    fields: &[
        Field::text("username", "The GWS user name (HTTP Basic)"),
        Field::secret("password", "The user's password"),
        Field::text(
            "max_size",
            "Interactions asked for per request (maxSize), 1 to 1000; default 100",
        )
        .optional()
        .json(),
        Field::text(
            "archive",
            "Also read the archive (\"source\": \"archive\"), where Universal Contact Server has one: true or false; default false",
        )
        .optional()
        .json(),
        Field::text(
            "notifications_path",
            "The CometD endpoint under base_url; default /api/v2/notifications",
        )
        .optional(),
    ],
    // Deployed on premises: no one root.
    default_base_url: None,
    token_url: TokenUrl::None,
    // A request without dates covers a month; windows stay within one.
    max_window: Duration::from_secs(30 * 86_400),
    first_window: Duration::from_secs(86_400),
    check,
    open: |settings, client| Box::new(GwsSource::new(settings, client)),
};

fn check(s: &Settings) -> Result<(), FieldProblem> {
    if let Some(v) = s.values.get("max_size") {
        v.as_u64()
            .filter(|n| (1..=MAX_MAX_SIZE).contains(n))
            .ok_or_else(|| {
                FieldProblem::new("max_size", "must be a whole number from 1 to 1000")
            })?;
    }
    if let Some(v) = s.values.get("archive") {
        v.as_bool()
            .ok_or_else(|| FieldProblem::new("archive", "must be true or false"))?;
    }
    if let Some(p) = s.text("notifications_path") {
        if !p.starts_with('/') {
            return Err(FieldProblem::new("notifications_path", "must start with /"));
        }
    }
    Ok(())
}

/// A date as GWS's date-time form: `yyyy-mm-ddThh:mm:ss:mmmZ` in UTC.
pub fn gws_date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S:%3fZ").to_string()
}

/// An open session and its notification client.
struct Session {
    cookie: String,
    /// The CSRF header's name and the token, when the server asks for them.
    csrf: Option<(String, String)>,
    client_id: String,
    answers: mpsc::Receiver<Value>,
    connect: JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.connect.abort();
    }
}

struct GwsSource {
    settings: Settings,
    client: VendorClient,
    session: Option<Session>,
    max_size: u64,
}

/// Why one history request did not get its answer.
enum Asked {
    Answer(Vec<Value>),
    /// The session ended (or its notifications stopped): open another and ask again.
    SessionEnded(String),
}

impl GwsSource {
    fn new(settings: Settings, client: VendorClient) -> Self {
        let max_size = settings
            .values
            .get("max_size")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_MAX_SIZE);
        GwsSource {
            settings,
            client,
            session: None,
            max_size,
        }
    }

    fn notifications_url(&self) -> String {
        self.settings.url(
            self.settings
                .text("notifications_path")
                .unwrap_or("/api/v2/notifications"),
        )
    }

    /// One Bayeux request: the messages answered.
    async fn bayeux(
        client: &VendorClient,
        url: &str,
        cookie: &str,
        message: &Value,
        timeout: Duration,
    ) -> Result<Vec<Value>, SourceError> {
        let body = Value::Array(vec![message.clone()]).to_string();
        let answer = client
            .send(|http| {
                http.post(url)
                    .header("content-type", "application/json")
                    .header("cookie", cookie)
                    .body(body.clone())
                    .timeout(timeout)
            })
            .await?;
        if answer.status != StatusCode::OK {
            return Err(answer.unexpected("a CometD request"));
        }
        answer.json()
    }

    /// Opens a session: login, handshake, subscribe, and the connect loop.
    async fn open(&mut self) -> Result<(), SourceError> {
        self.session = None;
        let user = self.settings.required("username")?.to_owned();
        let password = self.settings.required("password")?.to_owned();
        let me = self.settings.url("/api/v2/me");
        let answer = self
            .client
            .send(|http| {
                http.get(&me)
                    .basic_auth(&user, Some(&password))
                    .header("accept", "application/json")
            })
            .await?;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(answer.refused("GET /api/v2/me"))
            }
            _ => return Err(answer.unexpected("GET /api/v2/me")),
        }
        let cookie = session_cookie(&answer).ok_or_else(|| {
            SourceError::Vendor("GET /api/v2/me opened no session (no JSESSIONID cookie)".into())
        })?;
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let csrf = header("x-csrf-token").map(|token| {
            (
                header("x-csrf-header").unwrap_or_else(|| "X-CSRF-TOKEN".into()),
                token,
            )
        });
        let url = self.notifications_url();
        let shook = Self::bayeux(
            &self.client,
            &url,
            &cookie,
            &json!({"channel": "/meta/handshake", "version": "1.0",
                    "supportedConnectionTypes": ["long-polling"], "id": "1"}),
            CONNECT_TIMEOUT,
        )
        .await?;
        let client_id = shook
            .iter()
            .find(|m| m["channel"] == "/meta/handshake" && m["successful"] == true)
            .and_then(|m| m["clientId"].as_str())
            .ok_or_else(|| {
                SourceError::Vendor(format!(
                    "the CometD handshake failed: {}",
                    Value::Array(shook.clone())
                ))
            })?
            .to_owned();
        let subscribed = Self::bayeux(
            &self.client,
            &url,
            &cookie,
            &json!({"channel": "/meta/subscribe", "clientId": client_id,
                    "subscription": TOPIC, "id": "2"}),
            CONNECT_TIMEOUT,
        )
        .await?;
        if !subscribed
            .iter()
            .any(|m| m["channel"] == "/meta/subscribe" && m["successful"] == true)
        {
            return Err(SourceError::Vendor(format!(
                "subscribing to {TOPIC} failed: {}",
                Value::Array(subscribed)
            )));
        }
        let (tx, answers) = mpsc::channel(64);
        let connect = tokio::spawn(connect_loop(
            self.client.clone(),
            url,
            cookie.clone(),
            client_id.clone(),
            tx,
        ));
        self.session = Some(Session {
            cookie,
            csrf,
            client_id,
            answers,
            connect,
        });
        Ok(())
    }

    /// Asks for the interactions that started in `[from, to]` from `source`.
    async fn ask(
        &mut self,
        from: Timestamp,
        to: Timestamp,
        source: &str,
        max_size: u64,
    ) -> Result<Asked, SourceError> {
        if self.session.is_none() {
            self.open().await?;
        }
        let url = self.settings.url("/api/v2/ucs/interactions");
        let s = self.session.as_mut().expect("opened");
        let body = json!({
            "operationName": "RetrieveInteractionHistory",
            "fromDate": gws_date(from),
            "toDate": gws_date(to),
            "sort": "asc",
            "maxSize": max_size,
            "source": source,
        })
        .to_string();
        let (cookie, csrf) = (s.cookie.clone(), s.csrf.clone());
        let answer = self
            .client
            .send(|http| {
                let mut r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("cookie", &cookie)
                    .body(body.clone());
                if let Some((name, token)) = &csrf {
                    r = r.header(name.as_str(), token.as_str());
                }
                r
            })
            .await?;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Ok(Asked::SessionEnded(format!(
                    "HTTP {}: {}",
                    answer.status.as_u16(),
                    excerpt(&answer.body, 200)
                )))
            }
            _ => return Err(answer.unexpected("RetrieveInteractionHistory")),
        }
        let ack: Value = answer.json()?;
        if ack["statusCode"] != 0 {
            return Err(answer.unexpected("RetrieveInteractionHistory"));
        }
        let reference = ack["referenceId"].clone();
        let deadline = tokio::time::Instant::now() + ANSWER_WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, s.answers.recv()).await;
            let data = match next {
                Ok(Some(data)) => data,
                Ok(None) => return Ok(Asked::SessionEnded("the notifications stopped".into())),
                Err(_) => {
                    return Err(SourceError::Unreachable(format!(
                    "no answer to RetrieveInteractionHistory (referenceId {reference}) within {} s",
                    ANSWER_WAIT.as_secs()
                )))
                }
            };
            if data["referenceId"] != reference {
                continue;
            }
            if let Some(e) = data.get("errorMessage") {
                return Err(SourceError::Vendor(format!(
                    "RetrieveInteractionHistory failed: {e}"
                )));
            }
            return Ok(Asked::Answer(match data.get("interactions") {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            }));
        }
    }

    /// Asks, opening the session again once if it ended.
    async fn ask_in_session(
        &mut self,
        from: Timestamp,
        to: Timestamp,
        source: &str,
        max_size: u64,
    ) -> Result<Vec<Value>, SourceError> {
        match self.ask(from, to, source, max_size).await? {
            Asked::Answer(items) => Ok(items),
            Asked::SessionEnded(why) => {
                tracing::info!(kind = NAME, reason = %why, "the GWS session ended; opening another");
                self.session = None;
                match self.ask(from, to, source, max_size).await? {
                    Asked::Answer(items) => Ok(items),
                    Asked::SessionEnded(why) => Err(SourceError::Credentials(format!(
                        "the session is refused right after it opened: {why}"
                    ))),
                }
            }
        }
    }
}

impl Drop for GwsSource {
    /// Leaves the CometD client (best effort) so the server frees it at once.
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let (client, url) = (self.client.clone(), self.notifications_url());
            let (cookie, id) = (s.cookie.clone(), s.client_id.clone());
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let bye = json!({"channel": "/meta/disconnect", "clientId": id, "id": "9"});
                    let _ = GwsSource::bayeux(&client, &url, &cookie, &bye, Duration::from_secs(5))
                        .await;
                });
            }
        }
    }
}

/// The `JSESSIONID=…` pair of an answer's `Set-Cookie`.
fn session_cookie(answer: &VendorResponse) -> Option<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .find(|pair| pair.starts_with("JSESSIONID="))
        .map(str::to_owned)
}

/// Holds one connect after another, handing every message of the topic to `tx`; ends when
/// the server drops the client or `tx`'s receiver is gone.
async fn connect_loop(
    client: VendorClient,
    url: String,
    cookie: String,
    client_id: String,
    tx: mpsc::Sender<Value>,
) {
    let mut n = 10u64;
    // The first connect returns at once (advice timeout 0), as CometD clients do.
    let mut first = true;
    loop {
        n += 1;
        let mut message = json!({"channel": "/meta/connect", "clientId": client_id,
                                 "connectionType": "long-polling", "id": n.to_string()});
        if first {
            message["advice"] = json!({"timeout": 0});
            first = false;
        }
        let answered = GwsSource::bayeux(&client, &url, &cookie, &message, CONNECT_TIMEOUT).await;
        let messages = match answered {
            Ok(m) => m,
            Err(e) => {
                tracing::info!(kind = NAME, error = %e, "the CometD connection ended");
                return;
            }
        };
        for m in messages {
            if m["channel"] == "/meta/connect" {
                if m["successful"] != true {
                    tracing::info!(kind = NAME, reply = %m, "the CometD client was dropped");
                    return;
                }
            } else if m["channel"] == TOPIC && tx.send(m["data"].clone()).await.is_err() {
                return;
            }
        }
        if tx.is_closed() {
            return;
        }
    }
}

#[async_trait]
impl Source for GwsSource {
    async fn read(&mut self, window: Window, sink: &mut dyn Sink) -> Result<Read, SourceError> {
        let mut sources = vec!["main"];
        if self.settings.values.get("archive").and_then(Value::as_bool) == Some(true) {
            sources.push("archive");
        }
        // Both ends inclusive: the last millisecond before the window's end.
        let to = window
            .to
            .checked_sub(jiff::SignedDuration::from_millis(1))
            .unwrap_or(window.to);
        for source in sources {
            let mut from = window.from;
            let mut max_size = self.max_size;
            loop {
                let items = self.ask_in_session(from, to, source, max_size).await?;
                let full = items.len() as u64 >= max_size;
                let mut latest = from;
                let records: Vec<_> = items
                    .into_iter()
                    .map(|item| {
                        let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
                        let mapped = accept_record(decode_interaction(item), id.as_deref());
                        if let Ok(e) = &mapped {
                            latest = latest.max(e.started_at);
                        }
                        mapped
                    })
                    .collect();
                sink.page(Page { records }).await?;
                if !full {
                    break;
                }
                if latest > from {
                    from = latest;
                    max_size = self.max_size;
                } else if max_size < MAX_MAX_SIZE {
                    max_size = (max_size * 2).min(MAX_MAX_SIZE);
                } else {
                    return Err(SourceError::Vendor(format!(
                        "more than {MAX_MAX_SIZE} interactions started at {}; GWS cannot page past them",
                        gws_date(from)
                    )));
                }
            }
        }
        Ok(Read::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_the_documented_date_time_form() {
        let t: Timestamp = "2015-10-01T16:02:07.5Z".parse().unwrap();
        assert_eq!(gws_date(t), "2015-10-01T16:02:07:500Z");
        // Interlog's own dialect reads the form back to the millisecond.
        let back = crate::dates::parse_date_param(&gws_date(t)).unwrap();
        assert_eq!(back.start(&jiff::tz::TimeZone::UTC).unwrap(), t);
    }
}
