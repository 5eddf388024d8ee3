//! The Bayeux endpoint, `/api/v2/notifications` (and any path below it: the CometD
//! JavaScript client appends the message type, e.g. `/api/v2/notifications/connect`).
//! Long polling over POST: handshake, connect, subscribe, unsubscribe, disconnect.

use super::hub::{Client, Refused, SubscribeError};
use super::protocol::{
    advice_handshake, advice_none, failure, parse_batch, reply, Advice, Incoming,
};
use crate::session;
use crate::shared::Gws;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use bytes::Bytes;
use interlog_http::ApiState;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Largest Bayeux request body.
pub const MAX_BODY: usize = 256 * 1024;
/// Long polling over POST only: callback polling (JSONP over GET) is not served.
const TRANSPORTS: [&str; 1] = ["long-polling"];

fn bayeux_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        )],
        body,
    )
        .into_response()
}

pub async fn endpoint(
    State(state): State<ApiState>,
    Extension(gws): Extension<Arc<Gws>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > MAX_BODY {
        return bayeux_response(
            StatusCode::BAD_REQUEST,
            json!([{"successful": false, "error": "413::Message too large"}]).to_string(),
        );
    }
    let batch = match parse_batch(&body) {
        Ok(b) => b,
        Err(e) => {
            return bayeux_response(
                StatusCode::BAD_REQUEST,
                json!([{"successful": false, "error": format!("400::{}", e.0)}]).to_string(),
            )
        }
    };
    let cookie_key = session::cookie(&headers).and_then(session::key_of);
    let advice = Advice {
        timeout_ms: gws.config.connect_timeout.as_millis() as u64,
        max_interval_ms: gws.config.max_interval.as_millis() as u64,
    };
    let mut replies: Vec<Value> = Vec::with_capacity(batch.len());
    let mut new_cookie: Option<String> = None;
    let mut held: Option<(Incoming, Arc<Client>, Duration)> = None;

    for m in batch {
        match m.channel.as_str() {
            "/meta/handshake" => {
                let (r, cookie) = handshake(&state, &gws, &headers, &m, advice).await;
                new_cookie = new_cookie.or(cookie);
                replies.push(r);
            }
            "/meta/connect" => {
                if held.is_some() {
                    replies.push(failure(&m, "400::One connect per request", None));
                    continue;
                }
                match connect_client(&state, &gws, cookie_key.as_deref(), &m).await {
                    Ok((client, hold)) => held = Some((m, client, hold)),
                    Err(r) => replies.push(r),
                }
            }
            "/meta/subscribe" | "/meta/unsubscribe" => {
                replies.push(subscription(&gws, cookie_key.as_deref(), &m));
            }
            "/meta/disconnect" => {
                let Some(client) = known(&gws, cookie_key.as_deref(), &m) else {
                    replies.push(unknown_client(&m));
                    continue;
                };
                gws.hub.remove(&client.id);
                replies.push(reply(&m, true, json!({"clientId": client.id})));
            }
            c if c.starts_with("/meta/") => {
                replies.push(failure(&m, "400::Unknown meta channel", None));
            }
            // Clients only listen: GWS publishes, they do not.
            _ => replies.push(failure(&m, "403::Publish denied", None)),
        }
    }

    let mut delivered: Vec<Arc<str>> = Vec::new();
    if let Some((m, client, hold)) = held {
        delivered = client.poll(hold).await;
        if client.is_gone() {
            replies.push(failure(&m, "402::Unknown client", Some(advice_none())));
        } else {
            replies.push(reply(
                &m,
                true,
                json!({"clientId": client.id, "advice": advice.retry()}),
            ));
        }
    }

    let mut out = String::with_capacity(
        2 + delivered.iter().map(|d| d.len() + 1).sum::<usize>() + replies.len() * 96,
    );
    out.push('[');
    for d in &delivered {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(d);
    }
    for r in &replies {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&r.to_string());
    }
    out.push(']');
    let mut res = bayeux_response(StatusCode::OK, out);
    if let Some(v) = new_cookie.and_then(|c| session::set_cookie(&gws, &c)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn unknown_client(m: &Incoming) -> Value {
    failure(m, "402::Unknown client", Some(advice_handshake()))
}

/// The client a message names, if it belongs to the request's session.
fn known(gws: &Gws, cookie_key: Option<&str>, m: &Incoming) -> Option<Arc<Client>> {
    let client = gws.hub.client(m.client_id.as_deref()?, cookie_key?)?;
    client.touch();
    Some(client)
}

async fn handshake(
    state: &ApiState,
    gws: &Arc<Gws>,
    headers: &HeaderMap,
    m: &Incoming,
    advice: Advice,
) -> (Value, Option<String>) {
    if let Some(types) = &m.supported_connection_types {
        if !types.iter().any(|t| TRANSPORTS.contains(&t.as_str())) {
            let mut r = failure(m, "400::Unsupported connection types", Some(advice_none()));
            r["supportedConnectionTypes"] = json!(TRANSPORTS);
            return (r, None);
        }
    }
    let caller = match session::open(state, gws, headers).await {
        Ok(c) => c,
        Err(e) => {
            let code = if e.code == crate::envelope::code::NOT_AUTHENTICATED {
                "401::Authentication failed"
            } else {
                "500::Internal error"
            };
            return (failure(m, code, Some(advice_none())), None);
        }
    };
    let Some(session) = caller.session else {
        return (failure(m, "500::Internal error", Some(advice_none())), None);
    };
    gws.start_sweeper();
    match gws.hub.handshake(&session.key, caller.tenant.id) {
        Ok(client) => {
            // Results of the session's operations may be made by any instance.
            if let Err(e) = gws
                .follow(state.store.clone(), &caller.tenant, &session.key)
                .await
            {
                tracing::warn!(error = %e, "cannot follow the session's notifications");
                gws.hub.remove(&client.id);
                let r = failure(
                    m,
                    "503::Notifications unavailable",
                    Some(json!({"reconnect": "handshake", "interval": 5000})),
                );
                return (r, session.new_cookie);
            }
            (
                reply(
                    m,
                    true,
                    json!({
                        "version": "1.0",
                        "minimumVersion": "1.0",
                        "supportedConnectionTypes": TRANSPORTS,
                        "clientId": client.id,
                        "advice": advice.retry(),
                    }),
                ),
                session.new_cookie,
            )
        }
        Err(Refused::TooManyClients) => (
            failure(
                m,
                "503::Too many clients",
                Some(json!({"reconnect": "handshake", "interval": 5000})),
            ),
            session.new_cookie,
        ),
        Err(Refused::TooManyForSession) => (
            failure(
                m,
                "403::Too many clients for this session",
                Some(advice_none()),
            ),
            session.new_cookie,
        ),
    }
}

/// Checks a connect and says how long to hold it.
async fn connect_client(
    state: &ApiState,
    gws: &Gws,
    cookie_key: Option<&str>,
    m: &Incoming,
) -> Result<(Arc<Client>, Duration), Value> {
    let client = known(gws, cookie_key, m).ok_or_else(|| unknown_client(m))?;
    if let Some(t) = &m.connection_type {
        if !TRANSPORTS.contains(&t.as_str()) {
            return Err(failure(m, "400::Unsupported connection type", None));
        }
    }
    // A session that ended (expired in the store, possibly by another instance) takes its
    // clients with it; checked now and then rather than on every connect.
    let every = (gws.config.session_ttl / 4).min(Duration::from_secs(60));
    if client.needs_validation(every) {
        match session::is_live(state, gws, &client.session).await {
            Ok(true) => {}
            Ok(false) => {
                gws.hub.remove(&client.id);
                return Err(unknown_client(m));
            }
            Err(e) => {
                tracing::warn!(error = %e.message, "could not check a CometD client's session");
            }
        }
    }
    let asked = m
        .advice
        .as_ref()
        .and_then(|a| a.timeout)
        .filter(|t| t.is_finite() && *t >= 0.0)
        .map(|t| Duration::from_millis(t.min(u32::MAX as f64) as u64));
    let hold = asked.map_or(gws.config.connect_timeout, |a| {
        a.min(gws.config.connect_timeout)
    });
    Ok((client, hold))
}

fn subscription(gws: &Gws, cookie_key: Option<&str>, m: &Incoming) -> Value {
    let Some(client) = known(gws, cookie_key, m) else {
        return unknown_client(m);
    };
    let Some(sub) = &m.subscription else {
        return failure(m, "403::Missing subscription", None);
    };
    let channels = sub.channels();
    if channels.is_empty() {
        return failure(m, "403::Missing subscription", None);
    }
    let subscribe = m.channel == "/meta/subscribe";
    for ch in channels {
        if subscribe {
            match client.subscribe(ch) {
                Ok(()) => {}
                Err(SubscribeError::BadChannel) => {
                    return failure(m, "403::Invalid channel", None);
                }
                Err(SubscribeError::TooMany) => {
                    return failure(m, "403::Too many subscriptions", None);
                }
            }
        } else {
            client.unsubscribe(ch);
        }
    }
    let subscription = match sub {
        super::protocol::Subscription::One(s) => json!(s),
        super::protocol::Subscription::Many(v) => json!(v),
    };
    reply(
        m,
        true,
        json!({"clientId": client.id, "subscription": subscription}),
    )
}
