//! `GET /ui/engagements.csv?…`: the current search (the same parameters as the search
//! page) downloaded as CSV, streamed a page of the listing at a time so a large search
//! holds no more than one page in memory. Times are in the tenant's zone, as on the page.

use crate::page::Failure;
use crate::search::native_params;
use crate::session::Session;
use crate::view::{zone, Row};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use interlog_http::params::Params;
use interlog_http::{listing, ApiState};
use interlog_store::{Query, Start};

/// Engagements read from the store at a time.
const CHUNK: u32 = 500;

/// Most engagements one download holds; a larger search is cut here (narrow it, or use
/// `interlog export` for everything).
pub const MAX_ROWS: usize = 100_000;

const HEADER: &str =
    "id,started,channels,direction,state,outcome,agents,customer,queues,duration,source\r\n";

pub async fn download(
    State(state): State<ApiState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Response {
    let resolved = async {
        let q = query(&state, &session, raw.as_deref())?;
        // Names in the filters stand for ids (no cursor of this query is handed out).
        Ok::<_, Failure>(interlog_http::names::resolved(&*state.store, &session.tenant, &q).await?)
    };
    match resolved.await {
        Ok(q) => stream(state, session, q),
        Err(f) => f.within(session.chrome("search")).into_response(),
    }
}

/// The search's query from its first row: any cursor or limit of the page it came from is
/// left out.
fn query(state: &ApiState, session: &Session, raw: Option<&str>) -> Result<Query, Failure> {
    let tz = zone(&session.tenant.time_zone);
    let given: Vec<(String, String)> = crate::search::given(raw)
        .into_iter()
        .filter(|(k, _)| k != "cursor" && k != "limit")
        .collect();
    let native = native_params(&given, &tz)?;
    let mut q = listing::query(state, &session.tenant.key, &Params::parse(Some(&native)))?;
    q.start = Start::First;
    q.limit = CHUNK;
    q.with_total = false;
    Ok(q)
}

fn stream(state: ApiState, session: Session, query: Query) -> Response {
    let tz = zone(&session.tenant.time_zone);
    // (query for the next chunk, rows written so far, header written)
    let start = (Some(query), 0usize, false);
    let body = futures_util::stream::unfold(start, move |(query, written, headed)| {
        let (state, tenant, tz) = (state.clone(), session.tenant.clone(), tz.clone());
        async move {
            if !headed {
                return Some((Ok(HEADER.to_owned()), (query, written, true)));
            }
            let mut query = query?;
            if written >= MAX_ROWS {
                return None;
            }
            let page = match state.store.list(&tenant, &query).await {
                Ok(p) => p,
                Err(e) => {
                    // The download is cut short: the client sees a broken transfer, not a
                    // complete-looking file.
                    tracing::error!(error = %e, "CSV download failed");
                    return Some((
                        Err(std::io::Error::other("store read failed")),
                        (None, written, true),
                    ));
                }
            };
            let mut out = String::new();
            let mut n = written;
            for stored in &page.items {
                if n >= MAX_ROWS {
                    break;
                }
                match stored.engagement() {
                    Ok(e) => {
                        line(&mut out, &Row::of(&e, &tz));
                        n += 1;
                    }
                    Err(e) => tracing::error!(error = %e, "CSV download skipped an unreadable row"),
                }
            }
            let next = page.next.map(|pos| {
                query.start = Start::After(pos);
                query
            });
            Some((Ok(out), (next, n, true)))
        }
    });
    let mut res = Body::from_stream(body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"engagements.csv\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// One row as a CSV line.
fn line(out: &mut String, r: &Row) {
    let cells = [
        r.id.clone(),
        r.started.clone(),
        r.channels.clone(),
        r.direction.clone(),
        r.state.clone(),
        r.outcome.clone(),
        r.agent_names(),
        r.customer
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or_default(),
        r.queue_names(),
        r.duration.clone(),
        r.source.clone(),
    ];
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell(out, c);
    }
    out.push_str("\r\n");
}

/// A value as a CSV cell: quoted when it holds a separator, a quote or a line break, and
/// kept from being read as a formula by a spreadsheet (a leading `=`, `@`, or a `+`/`-`
/// that does not start a number gets a `'` before it).
fn cell(out: &mut String, v: &str) {
    let numberish = |rest: &str| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || " ().-".contains(c))
    };
    let formula = match v.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !numberish(&v[1..]),
        _ => false,
    };
    let v = if formula {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: &str) -> String {
        let mut s = String::new();
        cell(&mut s, v);
        s
    }

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(c("plain"), "plain");
        assert_eq!(c("a, b"), "\"a, b\"");
        assert_eq!(c("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(c("two\nlines"), "\"two\nlines\"");
        assert_eq!(c("=1+2"), "'=1+2");
        assert_eq!(c("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(c("-cmd"), "'-cmd");
        assert_eq!(c("+353 1 555 0100"), "+353 1 555 0100");
    }
}
