//! A small fault-injecting HTTP proxy for connector tests: it stands between a connector
//! and the server playing its vendor, forwards every request, records what passed, and
//! answers chosen requests with a fault instead — a 429 with `Retry-After`, a 500, a slow
//! answer, a connection dropped in the middle of the body, or a refused page token.
//!
//! Faults are planned by request: the `n`th request (counted from 1) whose path ends with a
//! suffix and, optionally, whose query holds a parameter (or the next such request, when
//! another fault took the `n`th). Each planned fault fires once;
//! [`FaultProxy::unfired`] says which did not, so a test can check that every fault it
//! planned was met.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does instead of (or before) forwarding.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `Retry-After: secs` and this body (the vendor's shape).
    TooMany { retry_after: u64, body: String },
    /// 500 with this body.
    ServerError(String),
    /// Forwards after waiting this long.
    Slow(Duration),
    /// Forwards, then sends part of the answer's body and drops the connection.
    Drop,
    /// Answers this status and body without forwarding (e.g. a refused page token).
    Answer(u16, String),
}

/// One planned fault: the `nth` request whose path ends with `path` (and whose query holds
/// `query`, when given).
#[derive(Debug, Clone)]
pub struct Planned {
    pub path: String,
    pub query: Option<String>,
    pub nth: usize,
    pub fault: Fault,
    fired: bool,
}

impl Planned {
    pub fn new(path: &str, nth: usize, fault: Fault) -> Self {
        Planned {
            path: path.to_owned(),
            query: None,
            nth,
            fault,
            fired: false,
        }
    }

    /// Only requests whose query holds `param` count.
    pub fn with_query(mut self, param: &str) -> Self {
        self.query = Some(param.to_owned());
        self
    }
}

/// A request that passed: method, path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
}

#[derive(Default)]
struct Plan {
    planned: Vec<Planned>,
    seen: Vec<Seen>,
}

struct Shared {
    target: String,
    http: reqwest::Client,
    plan: Mutex<Plan>,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    /// `http://ADDR`.
    pub base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// A proxy to `target` (`http://HOST:PORT`) on 127.0.0.1:0.
    pub async fn start(target: &str) -> FaultProxy {
        let shared = Arc::new(Shared {
            target: target.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            plan: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultProxy {
            base: format!("http://{addr}"),
            shared,
            task,
        }
    }

    /// Plans a fault.
    pub fn plan(&self, p: Planned) {
        self.shared.plan.lock().unwrap().planned.push(p);
    }

    /// The planned faults that did not fire.
    pub fn unfired(&self) -> Vec<Planned> {
        let plan = self.shared.plan.lock().unwrap();
        plan.planned.iter().filter(|p| !p.fired).cloned().collect()
    }

    /// Every request that reached the proxy, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.plan.lock().unwrap().seen.clone()
    }
}

/// The fault planned for this request, if any (and marks it fired).
fn fault_for(shared: &Shared, path: &str, query: &str, method: &str) -> Option<Fault> {
    let mut plan = shared.plan.lock().unwrap();
    plan.seen.push(Seen {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
    });
    let seen = plan.seen.clone();
    for p in plan.planned.iter_mut() {
        if p.fired {
            continue;
        }
        let matches = |s: &Seen| {
            s.path.ends_with(&p.path)
                && p.query
                    .as_deref()
                    .is_none_or(|q| s.query.split('&').any(|kv| kv.split('=').next() == Some(q)))
        };
        let count = seen.iter().filter(|s| matches(s)).count();
        // At the nth matching request, or the first after it when another fault took
        // that one.
        if matches(seen.last().unwrap()) && count >= p.nth {
            p.fired = true;
            return Some(p.fault.clone());
        }
    }
    None
}

async fn forward(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let fault = fault_for(&shared, &path, &query, method.as_str());
    match &fault {
        Some(Fault::TooMany { retry_after, body }) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("retry-after", retry_after.to_string()),
                    ("content-type", "application/json".to_owned()),
                ],
                body.clone(),
            )
                .into_response()
        }
        Some(Fault::ServerError(body)) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, body.clone()).into_response()
        }
        Some(Fault::Answer(status, body)) => {
            return (
                StatusCode::from_u16(*status).unwrap(),
                [("content-type", "application/json")],
                body.clone(),
            )
                .into_response()
        }
        Some(Fault::Slow(d)) => tokio::time::sleep(*d).await,
        Some(Fault::Drop) | None => {}
    }
    let url = if query.is_empty() {
        format!("{}{path}", shared.target)
    } else {
        format!("{}{path}?{query}", shared.target)
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut headers = parts.headers.clone();
    headers.remove("host");
    let answer = shared
        .http
        .request(method, url)
        .headers(headers)
        .body(bytes)
        .send()
        .await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let mut out_headers = HeaderMap::new();
    for (k, v) in answer.headers() {
        if k != "content-length" && k != "transfer-encoding" && k != "connection" {
            out_headers.append(k.clone(), v.clone());
        }
    }
    let body = answer.bytes().await.unwrap_or_default();
    if matches!(fault, Some(Fault::Drop)) {
        // Half the body, then an error: the server drops the connection.
        let half = body.slice(..body.len() / 2);
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
            Ok(half),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped by the fault proxy",
            )),
        ];
        out_headers.insert(
            "content-length",
            HeaderValue::from(body.len().max(1) as u64),
        );
        let mut res = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
        *res.status_mut() = status;
        *res.headers_mut() = out_headers;
        return res;
    }
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    *res.headers_mut() = out_headers;
    res
}
