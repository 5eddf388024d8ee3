//! `GET /ui/engagements`: search with every native filter, sort and keyset paging, and the
//! total. The URL carries the whole search (the native parameter names, with times also
//! accepted as local date-times of the tenant's zone), so it can be bookmarked and shared.
//! Page links also carry the total counted for the first page (`total=N`), so paging does
//! not count every match again (it is only shown, never used to read), and the cursors of
//! the pages before (see [`paging`]).

use crate::page::{self, Failure};
use crate::pickers;
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
    ("duration", "shortest first (finished only)"),
    ("-updated_at", "recently updated first"),
    ("-ended_at", "recently ended first"),
];

pub async fn page(
    State(state): State<ApiState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Response {
    let tz = zone(&session.tenant.time_zone);
    let given = given(raw.as_deref());
    let mut form = form_of(&given);
    let chrome = session.chrome("search");
    let (result, pickers) = tokio::join!(
        search(&state, &session, &given, &tz),
        pickers::load(&state, &session.tenant)
    );
    match result {
        Ok(found) => {
            let paging = paging(&given, &found);
            let search = query_of(&given, &[]);
            page::html(&page::Search {
                chrome,
                form,
                csv: format!("/ui/engagements.csv?{search}"),
                link: format!("/ui/engagements?{search}"),
                rows: found.rows,
                paging: Some(paging),
                pickers,
            })
        }
        Err(f) if f.status == StatusCode::BAD_REQUEST => {
            form.error_field = f.field.clone().unwrap_or_default();
            form.error = f.message;
            let mut res = page::html(&page::Search {
                chrome,
                form,
                csv: String::new(),
                link: String::new(),
                rows: Vec::new(),
                paging: None,
                pickers,
            });
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        }
        Err(f) => f.within(session.chrome("")).into_response(),
    }
}

/// The request's parameters as given, blank form fields dropped.
pub(crate) fn given(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The explorer's own paging parameters, never sent to the native listing: the total
/// counted for the first page, and the cursors of the pages before this one.
const PAGING: &[&str] = &["count", "total", "back", "cursor"];

/// Most earlier pages a URL remembers: further back, "First page" is the way.
const MAX_BACK: usize = 40;

/// One page of a search.
struct Found {
    rows: Vec<Row>,
    total: Total,
    next: Option<String>,
}

/// Where this page is: "51–100 of 406", and the links to the pages either side.
///
/// Previous pages are a stack of cursors in the URL (`back=`, oldest first) rather than a
/// backward cursor: each is the keyset position a page was first shown from, so going
/// back shows the same rows again in the same order however many engagements were added or
/// changed meanwhile, and the stores need no reversed reading. The position is the page's
/// number times its size; the total is the one counted for the first page, carried along.
fn paging(given: &[(String, String)], found: &Found) -> page::Paging {
    let cursor = given.iter().find(|(k, _)| k == "cursor").map(|(_, v)| v);
    let back: Vec<&String> = given
        .iter()
        .filter(|(k, _)| k == "back")
        .map(|(_, v)| v)
        .collect();
    // A hand-made URL may hold any number: only the last ones are kept.
    let back = &back[back.len().saturating_sub(MAX_BACK)..];
    let limit = given
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(listing::DEFAULT_LIMIT);
    // The page's number (0 for the first), as far as the URL remembers.
    let number = given
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .filter(|n| *n > 0 && *n < 1_000_000_000)
        .unwrap_or(back.len() as u64 + 1);
    let number = if cursor.is_some() { number } else { 0 };
    let carried = found.total.is_exact().then_some(found.total.value());
    let from = number.saturating_mul(limit).saturating_add(1);
    let shown = found.rows.len() as u64;
    let link = |cursor: Option<&str>, back: &[&String], number: u64| {
        let mut extra: Vec<(&str, String)> = back.iter().map(|b| ("back", (*b).clone())).collect();
        if let Some(c) = cursor {
            extra.push(("cursor", c.to_owned()));
            extra.push(("page", number.to_string()));
            if let Some(n) = carried {
                extra.push(("total", n.to_string()));
            }
        }
        format!("/ui/engagements?{}", query_of(given, &extra))
    };
    let previous = match number {
        0 => None,
        1 => Some(link(None, &[], 0)),
        // Further back than the URL remembers: only the first page.
        _ => back
            .split_last()
            .map(|(last, rest)| link(Some(last), rest, number - 1)),
    };
    let next = found.next.as_deref().map(|c| {
        let mut back = back.to_vec();
        if let Some(cur) = cursor {
            back.push(cur);
        }
        let skip = back.len().saturating_sub(MAX_BACK);
        link(Some(c), &back[skip..], number + 1)
    });
    page::Paging {
        from: if shown == 0 { 0 } else { from },
        to: if shown == 0 {
            0
        } else {
            from.saturating_add(shown - 1)
        },
        total: found.total.value(),
        at_least: !found.total.is_exact(),
        first: (number > 1).then(|| link(None, &[], 0)),
        previous,
        next,
    }
}

/// This search's query string without its paging, with `extra` appended.
fn query_of(given: &[(String, String)], extra: &[(&str, String)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in given
        .iter()
        .filter(|(k, _)| !PAGING.contains(&k.as_str()) && k != "page")
    {
        q.append_pair(k, v);
    }
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    q.finish()
}

/// Runs the search: a page and the total, read side by side.
async fn search(
    state: &ApiState,
    session: &Session,
    given: &[(String, String)],
    tz: &TimeZone,
) -> Result<Found, Failure> {
    let native = native_params(given, tz)?;
    let tenant = &session.tenant;
    let mut query = listing::query(state, &tenant.key, &Params::parse(Some(&native)))?;
    query.with_total = false;
    // Names in the filters stand for ids; the cursors stay bound to what was asked.
    let run = interlog_http::names::resolved(&*state.store, tenant, &query).await?;
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
                state.store.count(tenant, &run.filter, within).await
            }
        }
    };
    let (page, total) = tokio::join!(state.store.list(tenant, &run), count);
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
    Ok(Found { rows, total, next })
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
                    let b = LocalBound::parse(&v, tz).map_err(|_| time_failure(k, &v))?;
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
        } else if !["count", "total", "back", "page"].contains(&k) {
            out.append_pair(k, v);
        }
    }
    // In-progress engagements have no duration yet: "shortest first" lists finished ones
    // (the stores sort a missing duration below every other).
    let shortest_first = given.iter().any(|(k, v)| k == "sort" && v == "duration");
    let min_given = given.iter().any(|(k, _)| k == "min_duration_ms");
    if shortest_first && !min_given {
        out.append_pair("min_duration_ms", "0");
    }
    match (data_key, data_value) {
        (Some(k), Some(v)) => {
            out.append_pair(&format!("data.{k}"), v);
        }
        (None, None) => {}
        _ => {
            let missing = if data_key.is_none() {
                "data_key"
            } else {
                "data_value"
            };
            return Err(Failure::field(
                missing,
                "give both a data key and a data value",
            ));
        }
    }
    Ok(out.finish())
}

/// Why a time bound was refused: a date or local time in the right shape that is out of the
/// range an engagement's times may take is said to be so, not "not a date".
fn time_failure(field: &str, v: &str) -> Failure {
    use interlog_model::time::{parse_date, parse_local};
    let shaped = parse_date(v).is_ok() || parse_local(v).is_ok();
    if shaped {
        Failure::field(
            field,
            format!("{v} is outside the supported range of dates (years 0001 to 9999)"),
        )
    } else {
        Failure::field(
            field,
            format!("give a date (2026-03-01), a local date and time (2026-03-01T10:00), or an RFC 3339 instant, not {v:?}"),
        )
    }
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
        team: one("team"),
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
        error_field: String::new(),
        error: String::new(),
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
            let _ = query_of(&given, &[("back", "c".into())]);
        }
    }

    fn found(rows: usize, exact: u64, next: Option<&str>) -> Found {
        let e: interlog_model::Engagement = serde_json::from_value(serde_json::json!({
            "id": "e", "started_at": "2024-03-20T10:00:00Z"
        }))
        .unwrap();
        Found {
            rows: (0..rows).map(|_| Row::of(&e, &TimeZone::UTC)).collect(),
            total: Total::Exact(exact),
            next: next.map(str::to_owned),
        }
    }

    #[test]
    fn pages_say_where_they_are_and_link_both_ways_with_a_stack_of_cursors() {
        // The first page of 5 with 2 a page.
        let p = paging(
            &pairs("agent=ann%40x.test&limit=2"),
            &found(2, 5, Some("c1")),
        );
        assert_eq!((p.from, p.to, p.total), (1, 2, 5));
        assert!(p.previous.is_none() && p.first.is_none());
        let next = p.next.unwrap();
        assert_eq!(
            next,
            "/ui/engagements?agent=ann%40x.test&limit=2&cursor=c1&page=1&total=5"
        );
        // The second page goes back to the first, and on with the stack.
        let given = pairs(next.split_once('?').unwrap().1);
        let p = paging(&given, &found(2, 5, Some("c2")));
        assert_eq!((p.from, p.to), (3, 4));
        assert_eq!(
            p.previous.as_deref(),
            Some("/ui/engagements?agent=ann%40x.test&limit=2")
        );
        let next = p.next.unwrap();
        assert_eq!(
            next,
            "/ui/engagements?agent=ann%40x.test&limit=2&back=c1&cursor=c2&page=2&total=5"
        );
        // The third (last) page goes back to the second, as it was first shown.
        let given = pairs(next.split_once('?').unwrap().1);
        let p = paging(&given, &found(1, 5, None));
        assert_eq!((p.from, p.to, p.total), (5, 5, 5));
        assert!(p.next.is_none());
        assert_eq!(
            p.previous.as_deref(),
            Some("/ui/engagements?agent=ann%40x.test&limit=2&cursor=c1&page=1&total=5")
        );
        assert_eq!(
            p.first.as_deref(),
            Some("/ui/engagements?agent=ann%40x.test&limit=2")
        );
        // A tampered page number cannot overflow.
        let p = paging(
            &pairs("cursor=c&page=999999999&limit=1000"),
            &found(1, 5, None),
        );
        assert!(p.from > 1);
    }

    #[test]
    fn shortest_first_lists_finished_engagements_and_paging_is_not_sent_on() {
        let tz = zone("UTC");
        let native =
            native_params(&pairs("sort=duration&back=x&page=2&total=3&cursor=c"), &tz).unwrap();
        assert_eq!(native, "sort=duration&cursor=c&min_duration_ms=0");
        let native = native_params(&pairs("sort=-duration"), &tz).unwrap();
        assert_eq!(native, "sort=-duration");
    }

    #[test]
    fn a_far_future_date_is_said_to_be_out_of_range_not_malformed() {
        let tz = zone("UTC");
        let f = native_params(&pairs("started_to=9999-12-31"), &tz).unwrap_err();
        assert_eq!(f.field.as_deref(), Some("started_to"));
        assert!(f.message.contains("outside"), "{}", f.message);
        let f = native_params(&pairs("started_from=soon"), &tz).unwrap_err();
        assert!(f.message.contains("not \"soon\""), "{}", f.message);
        assert!(native_params(&pairs("started_from=2999-01-01"), &tz).is_ok());
    }
}
