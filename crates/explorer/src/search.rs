//! `GET /ui/engagements`: search with every native filter, sort and keyset paging, and the
//! total. The URL carries the whole search (the native parameter names, with times also
//! accepted as local date-times of the tenant's zone), so it can be bookmarked and shared.
//! A next-page link also carries the total counted for the first page (`total=N`), so
//! paging does not count every match again; it is only shown, never used to read.

use crate::page::{self, Failure};
use crate::session::Session;
use crate::view::{zone, Row, SearchForm};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_http::{cursor, listing};
use interlog_model::time::{parse_instant, LocalBound};
use interlog_model::{ChannelType, Direction, Outcome, State as LifeState};
use interlog_store::Total;
use jiff::tz::TimeZone;

const TIME_FROM: &[&str] = &["started_from", "ended_from", "updated_from"];
const TIME_TO: &[&str] = &["started_to", "ended_to", "updated_to"];
const SORTS: &[(&str, &str)] = &[
    ("-started_at", "newest first"),
    ("started_at", "oldest first"),
    ("-duration", "longest first"),
    ("duration", "shortest first"),
    ("-updated_at", "recently updated first"),
    ("-ended_at", "recently ended first"),
];

pub async fn page(
    State(state): State<ApiState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Response {
    let tz = zone(&session.tenant.time_zone);
    // The request's parameters as given, blank form fields dropped.
    let given: Vec<(String, String)> =
        form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
    let form = form_of(&given);
    let chrome = session.chrome("search");
    match search(&state, &session, &given, &tz).await {
        Ok((rows, total, next)) => {
            let first_page = given
                .iter()
                .any(|(k, _)| k == "cursor")
                .then(|| href(&given, None, None));
            // Only an exact total is carried to the next page.
            let carried = total.is_exact().then_some(total.value());
            page::html(&page::Search {
                chrome,
                form,
                error: None,
                rows,
                total: Some(total.value()),
                at_least: !total.is_exact(),
                next: next.map(|c| href(&given, Some(&c), carried)),
                first_page,
            })
        }
        Err(f) if f.status == StatusCode::BAD_REQUEST => {
            let mut res = page::html(&page::Search {
                chrome,
                form,
                error: Some(f.message),
                rows: Vec::new(),
                total: None,
                at_least: false,
                next: None,
                first_page: None,
            });
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        }
        Err(f) => f.within(session.chrome("")).into_response(),
    }
}

/// Runs the search: a page and the total, read side by side.
async fn search(
    state: &ApiState,
    session: &Session,
    given: &[(String, String)],
    tz: &TimeZone,
) -> Result<(Vec<Row>, Total, Option<String>), Failure> {
    let native = native_params(given, tz)?;
    let tenant = &session.tenant;
    let mut query = listing::query(state, &tenant.key, &Params::parse(Some(&native)))?;
    query.with_total = false;
    // A later page of the same search shows the total its link carries (counted for the
    // first page) rather than counting every match again.
    let carried = matches!(query.start, interlog_store::Start::After(_))
        .then(|| {
            given
                .iter()
                .find(|(k, _)| k == "total")
                .and_then(|(_, v)| v.parse::<u64>().ok())
        })
        .flatten();
    // Counting is heavy work: a turn for it, and at most the count budget.
    let turn = match carried {
        Some(_) => None,
        None => Some(state.heavy.turn(tenant).await.map_err(Failure::busy)?),
    };
    let count = async {
        match carried {
            Some(n) => Ok(Total::Exact(n)),
            None => {
                let within = Some(state.config.count_budget);
                state.store.count(tenant, &query.filter, within).await
            }
        }
    };
    let (page, total) = tokio::join!(state.store.list(tenant, &query), count);
    drop(turn);
    let (page, total) = (page?, total?);
    let rows = page
        .items
        .iter()
        .map(|s| s.engagement().map(|e| Row::of(&e, tz)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::internal)?;
    let next = page
        .next
        .as_ref()
        .map(|pos| cursor::encode(&state.signer, &tenant.key, &query.filter, &query.sort, pos));
    Ok((rows, total, next))
}

/// The explorer's parameters as the native listing's: local times and dates read in the
/// tenant's zone (a date as its whole day), `data_key`/`data_value` as `data.KEY=VALUE`.
pub(crate) fn native_params(given: &[(String, String)], tz: &TimeZone) -> Result<String, Failure> {
    let mut out = form_urlencoded::Serializer::new(String::new());
    let mut data_key = None;
    let mut data_value = None;
    for (k, v) in given {
        let k = k.as_str();
        let is_from = TIME_FROM.contains(&k);
        if is_from || TIME_TO.contains(&k) {
            let instant = match parse_instant(v) {
                Ok(t) => t,
                Err(_) => {
                    // A browser's datetime-local field leaves out zero seconds.
                    let minutes = v.len() == 16 && v.as_bytes()[10] == b'T';
                    let v = if minutes {
                        format!("{v}:00")
                    } else {
                        v.clone()
                    };
                    let b = LocalBound::parse(&v, tz).map_err(|_| {
                        Failure::new(
                            StatusCode::BAD_REQUEST,
                            format!("{k}: give a date, a local date and time, or an RFC 3339 instant, not {v:?}"),
                        )
                    })?;
                    if is_from {
                        b.first()
                    } else {
                        b.end_exclusive()
                    }
                }
            };
            out.append_pair(k, &instant.to_string());
        } else if k == "data_key" {
            data_key = Some(v.as_str());
        } else if k == "data_value" {
            data_value = Some(v.as_str());
        } else if k != "count" && k != "total" {
            out.append_pair(k, v);
        }
    }
    match (data_key, data_value) {
        (Some(k), Some(v)) => {
            out.append_pair(&format!("data.{k}"), v);
        }
        (None, None) => {}
        _ => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "data: give both a key and a value",
            ))
        }
    }
    Ok(out.finish())
}

/// This search's URL, at `cursor` with the total counted so far (or its first page).
fn href(given: &[(String, String)], cursor: Option<&str>, total: Option<u64>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in given.iter().filter(|(k, _)| k != "cursor" && k != "total") {
        q.append_pair(k, v);
    }
    if let Some(c) = cursor {
        q.append_pair("cursor", c);
    }
    if let (Some(n), Some(_)) = (total, cursor) {
        q.append_pair("total", &n.to_string());
    }
    format!("/ui/engagements?{}", q.finish())
}

fn form_of(given: &[(String, String)]) -> SearchForm {
    let one = |name: &str| {
        given
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let channels: Vec<&str> = given
        .iter()
        .filter(|(k, _)| k == "channel_type")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    SearchForm {
        q: one("q"),
        started_from: one("started_from"),
        started_to: one("started_to"),
        channel_types: ChannelType::ALL
            .iter()
            .map(|c| (c.as_str(), channels.contains(&c.as_str())))
            .collect(),
        direction: one("direction"),
        state: one("state"),
        outcome: one("outcome"),
        agent: one("agent"),
        queue_id: one("queue_id"),
        customer: one("customer"),
        disposition: one("disposition"),
        data_key: one("data_key"),
        data_value: one("data_value"),
        sort: one("sort"),
        limit: one("limit"),
        directions: Direction::ALL.iter().map(|d| d.as_str()).collect(),
        states: LifeState::ALL.iter().map(|d| d.as_str()).collect(),
        outcomes: Outcome::ALL.iter().map(|d| d.as_str()).collect(),
        sorts: SORTS.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn local_times_and_dates_become_instants_of_the_tenants_zone() {
        let tz = zone("Europe/Dublin");
        let native = native_params(
            &pairs("started_from=2024-07-01T10:00&started_to=2024-07-02&channel_type=voice&data_key=k&data_value=v&count=exact"),
            &tz,
        )
        .unwrap();
        let p: Vec<(String, String)> = pairs(&native);
        assert_eq!(
            p,
            [
                ("started_from".into(), "2024-07-01T09:00:00Z".into()),
                ("started_to".into(), "2024-07-02T23:00:00Z".into()),
                ("channel_type".into(), "voice".into()),
                ("data.k".into(), "v".into()),
            ]
        );
        assert!(native_params(&pairs("started_from=soon"), &tz).is_err());
        assert!(native_params(&pairs("data_key=k"), &tz).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_query_string_is_read_or_refused_without_panicking(
            q in "\\PC{0,200}",
            time in "(started|ended|updated)_(from|to)=[0-9T:.Z+-]{0,30}",
        ) {
            let given = pairs(&format!("{q}&{time}"));
            let _ = native_params(&given, &zone("Europe/Dublin"));
            let _ = form_of(&given);
            let _ = href(&given, Some("c"), Some(1));
        }
    }

    #[test]
    fn page_links_keep_the_search_and_replace_the_cursor() {
        let given = pairs("agent=ann%40x.test&cursor=old&total=9");
        assert_eq!(
            href(&given, Some("new"), Some(9)),
            "/ui/engagements?agent=ann%40x.test&cursor=new&total=9"
        );
        assert_eq!(
            href(&given, None, Some(9)),
            "/ui/engagements?agent=ann%40x.test"
        );
    }
}
