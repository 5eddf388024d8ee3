//! The query parameters of `/v1/engagements/{tenant}` (and its count) read into a store
//! query. Every rule here is the dialect's documented behaviour (see the crate README).

use interlog_http::params::Params;
use interlog_http::{ApiError, ApiResult};
use interlog_model::time::LocalBound;
use interlog_model::Outcome;
use interlog_store::{Filter, Query, Sort, SortDir, SortKey, Start, TimeRange};
use jiff::tz::TimeZone;
use jiff::SignedDuration;

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
/// Most `user` values one request may carry.
pub const MAX_USERS: usize = 100;
/// Longest `user` value (an email address is at most 254 characters; this leaves room).
pub const MAX_USER_LEN: usize = 1024;
/// Largest `offset`: what the store's row counter can hold.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

pub const KNOWN: &[&str] = &[
    "status",
    "user",
    "startAfter",
    "startBefore",
    "endAfter",
    "endBefore",
    "limit",
    "offset",
    "sort",
];

/// A listing request as the store will run it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    pub filter: Filter,
    pub sort: Sort,
    pub limit: u32,
    pub offset: u64,
}

impl ListRequest {
    pub fn query(&self) -> Query {
        Query {
            filter: self.filter.clone(),
            sort: self.sort,
            start: if self.offset == 0 {
                Start::First
            } else {
                Start::Offset(self.offset)
            },
            limit: self.limit,
            with_total: false,
            count_within: None,
        }
    }
}

/// The single value of `name`, a blank one counting as absent ("leave it blank" is how
/// Oracle documents asking for the default).
fn value<'a>(p: &'a Params, name: &str) -> ApiResult<Option<&'a str>> {
    Ok(p.one(name)?.map(str::trim).filter(|v| !v.is_empty()))
}

/// `status=all`: Interlog's addition to Oracle's two values. It selects every engagement
/// whatever its outcome, including those with none recorded (still active, or from a
/// platform that records no outcome), which neither of Oracle's values matches.
pub const STATUS_ALL: &str = "all";

/// The outcomes `status` selects; empty for `all` (no restriction).
fn status(p: &Params) -> ApiResult<Vec<Outcome>> {
    match value(p, "status")? {
        None => Ok(vec![Outcome::Successful]),
        Some(v) if v.eq_ignore_ascii_case("successful") => Ok(vec![Outcome::Successful]),
        Some(v) if v.eq_ignore_ascii_case("unsuccessful") => Ok(vec![Outcome::Unsuccessful]),
        Some(v) if v.eq_ignore_ascii_case(STATUS_ALL) => Ok(Vec::new()),
        Some(v) => Err(ApiError::parameter(
            "status",
            format!("accepted: successful, unsuccessful, {STATUS_ALL}; not {v:?}"),
        )),
    }
}

fn users(p: &Params) -> ApiResult<Vec<String>> {
    let values: Vec<&str> = p
        .repeated("user")
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() > MAX_USERS {
        return Err(ApiError::parameter(
            "user",
            format!("at most {MAX_USERS} values"),
        ));
    }
    for v in &values {
        if v.len() > MAX_USER_LEN || !v.contains('@') {
            return Err(ApiError::parameter(
                "user",
                "must be an email address (repeat the parameter for several)",
            ));
        }
    }
    Ok(values.into_iter().map(str::to_owned).collect())
}

/// Which end of a bound a parameter gives.
#[derive(Clone, Copy)]
enum End {
    /// `…After`: the earliest instant, inclusive.
    Earliest,
    /// `…Before`: the latest instant, inclusive; as the exclusive end of what it covers.
    Latest,
}

/// A date bound: `yyyy-mm-dd` covers its whole day in `tz`; `yyyy-mm-ddThh:mi:ss` covers
/// that second (with a fraction, that millisecond).
fn bound(p: &Params, name: &str, end: End, tz: &TimeZone) -> ApiResult<Option<jiff::Timestamp>> {
    let Some(v) = value(p, name)? else {
        return Ok(None);
    };
    let b = LocalBound::parse(v, tz).map_err(|_| {
        ApiError::parameter(
            name,
            format!(
                "accepted: yyyy-mm-ddThh:mi:ss or yyyy-mm-dd (e.g. 2018-01-15T10:25:11 or 2018-01-10), read in the tenant's time zone {}; not {v:?}",
                tz.iana_name().unwrap_or("UTC")
            ),
        )
    })?;
    Ok(Some(match (end, b) {
        (End::Earliest, b) => b.first(),
        (End::Latest, LocalBound::At(t)) if !v.contains(['.', ',']) => t
            .checked_add(SignedDuration::from_secs(1))
            .unwrap_or_else(|_| b.end_exclusive()),
        (End::Latest, b) => b.end_exclusive(),
    }))
}

fn range(p: &Params, after: &str, before: &str, tz: &TimeZone) -> ApiResult<TimeRange> {
    let r = TimeRange {
        from: bound(p, after, End::Earliest, tz)?,
        to: bound(p, before, End::Latest, tz)?,
    };
    if r.is_empty() {
        return Err(ApiError::parameter(
            before,
            format!("must not be earlier than {after}"),
        ));
    }
    Ok(r)
}

fn whole(p: &Params, name: &str, max: u64) -> ApiResult<Option<u64>> {
    let Some(v) = value(p, name)? else {
        return Ok(None);
    };
    match v.parse::<u64>() {
        Ok(n) if n <= max => Ok(Some(n)),
        _ => Err(ApiError::parameter(
            name,
            format!("must be a whole number from 0 to {max}, not {v:?}"),
        )),
    }
}

fn sort(p: &Params) -> ApiResult<Sort> {
    let (key, dir) = match value(p, "sort")? {
        None => (SortKey::StartedAt, SortDir::Desc),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "newest" => (SortKey::StartedAt, SortDir::Desc),
            "oldest" => (SortKey::StartedAt, SortDir::Asc),
            "shortest" => (SortKey::Duration, SortDir::Asc),
            "longest" => (SortKey::Duration, SortDir::Desc),
            _ => {
                return Err(ApiError::parameter(
                    "sort",
                    format!("accepted: newest, oldest, shortest, longest; not {v:?}"),
                ))
            }
        },
    };
    Ok(Sort { key, dir })
}

/// The filter the parameters describe (`status`, `user` and the four date bounds).
pub fn filter(p: &Params, tz: &TimeZone) -> ApiResult<Filter> {
    Ok(Filter {
        outcomes: status(p)?,
        participant_emails: users(p)?,
        started: range(p, "startAfter", "startBefore", tz)?,
        ended: range(p, "endAfter", "endBefore", tz)?,
        ..Filter::default()
    })
}

/// Reads a listing's query string; `tz` is the tenant's time zone.
pub fn list_request(query: Option<&str>, tz: &TimeZone) -> ApiResult<ListRequest> {
    let p = Params::parse(query);
    p.reject_unknown(KNOWN, &[])?;
    let filter = filter(&p, tz)?;
    let limit = whole(&p, "limit", u64::from(MAX_LIMIT))?;
    let offset = whole(&p, "offset", MAX_OFFSET)?;
    if offset.is_some() && limit.is_none() {
        return Err(ApiError::parameter(
            "offset",
            "needs limit: when offset is set, limit must also be set",
        ));
    }
    Ok(ListRequest {
        filter,
        sort: sort(&p)?,
        limit: limit.map_or(DEFAULT_LIMIT, |l| l as u32),
        offset: offset.unwrap_or(0),
    })
}

/// Reads the count's query string: the listing's parameters, all checked; only the filter
/// counts.
pub fn count_filter(query: Option<&str>, tz: &TimeZone) -> ApiResult<Filter> {
    Ok(list_request(query, tz)?.filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dublin() -> TimeZone {
        interlog_model::time::zone("Europe/Dublin").unwrap()
    }

    fn req(q: &str) -> ApiResult<ListRequest> {
        list_request(Some(q), &dublin())
    }

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_are_successful_newest_ten_from_the_start() {
        let r = req("").unwrap();
        assert_eq!(r.filter.outcomes, [Outcome::Successful]);
        assert_eq!(r.sort, Sort::default());
        assert_eq!((r.limit, r.offset), (10, 0));
        assert_eq!(r.query().start, Start::First);
        // Blank values ask for the default.
        assert_eq!(req("status=&sort=&limit=").unwrap(), r);
    }

    #[test]
    fn every_parameter_is_read() {
        let r = req("status=Unsuccessful&user=a@x.ie&user=B@x.ie&sort=longest&limit=100&offset=20")
            .unwrap();
        assert_eq!(r.filter.outcomes, [Outcome::Unsuccessful]);
        assert_eq!(r.filter.participant_emails, ["a@x.ie", "B@x.ie"]);
        assert_eq!(
            r.sort,
            Sort {
                key: SortKey::Duration,
                dir: SortDir::Desc
            }
        );
        assert_eq!(r.query().start, Start::Offset(20));
        assert_eq!(r.limit, 100);
        for (word, key, dir) in [
            ("newest", SortKey::StartedAt, SortDir::Desc),
            ("oldest", SortKey::StartedAt, SortDir::Asc),
            ("shortest", SortKey::Duration, SortDir::Asc),
            ("LONGEST", SortKey::Duration, SortDir::Desc),
        ] {
            assert_eq!(
                req(&format!("sort={word}")).unwrap().sort,
                Sort { key, dir }
            );
        }
        assert_eq!(req("limit=0").unwrap().limit, 0);
    }

    #[test]
    fn dates_are_local_to_the_tenant_and_cover_what_they_name() {
        // Dublin is UTC+1 in summer.
        let r = req("startAfter=2024-07-01&startBefore=2024-07-01&endAfter=2024-07-01T10:00:00&endBefore=2024-07-01T10:00:00").unwrap();
        assert_eq!(r.filter.started.from, Some(ts("2024-06-30T23:00:00Z")));
        assert_eq!(r.filter.started.to, Some(ts("2024-07-01T23:00:00Z")));
        assert_eq!(r.filter.ended.from, Some(ts("2024-07-01T09:00:00Z")));
        assert_eq!(r.filter.ended.to, Some(ts("2024-07-01T09:00:01Z")));
        let r = req("startBefore=2024-01-15T10:25:11.250").unwrap();
        assert_eq!(r.filter.started.to, Some(ts("2024-01-15T10:25:11.251Z")));
        let utc = list_request(Some("startAfter=2024-07-01"), &TimeZone::UTC).unwrap();
        assert_eq!(utc.filter.started.from, Some(ts("2024-07-01T00:00:00Z")));
    }

    #[test]
    fn status_all_lifts_the_outcome_restriction() {
        for q in ["status=all", "status=ALL", "status=%20All%20"] {
            let r = req(q).unwrap();
            assert!(r.filter.outcomes.is_empty(), "{q}");
            assert_eq!(
                r.filter,
                Filter::default(),
                "{q}: nothing else is restricted"
            );
        }
        let r = req("status=unsuccessful").unwrap();
        assert_eq!(r.filter.outcomes, [Outcome::Unsuccessful]);
    }

    #[test]
    fn bad_values_name_the_parameter_and_what_it_accepts() {
        for (q, name, words) in [
            ("status=failed", "status", "successful, unsuccessful, all"),
            ("sort=biggest", "sort", "newest, oldest, shortest, longest"),
            ("limit=101", "limit", "0 to 100"),
            ("limit=-1", "limit", "0 to 100"),
            ("limit=ten", "limit", "0 to 100"),
            ("limit=5&limit=6", "limit", "only once"),
            ("offset=10", "offset", "limit must also be set"),
            ("limit=1&offset=-1", "offset", "whole number"),
            ("startAfter=2024-13-01", "startAfter", "yyyy-mm-ddThh:mi:ss"),
            ("endBefore=2024-01-01 10:00:00", "endBefore", "yyyy-mm-dd"),
            (
                "startAfter=2024-01-02&startBefore=2024-01-01",
                "startBefore",
                "startAfter",
            ),
            ("user=nobody", "user", "email"),
            ("email=a@b.c", "email", "accepted: status, user"),
        ] {
            let e = req(q).unwrap_err();
            assert_eq!(e.parameter.as_deref(), Some(name), "{q}");
            assert!(e.detail.contains(words), "{q}: {}", e.detail);
            assert_eq!(e.kind.status().as_u16(), 400);
        }
        let many: String = (0..=MAX_USERS)
            .map(|i| format!("user=u{i}@x.ie&"))
            .collect();
        assert_eq!(req(&many).unwrap_err().parameter.as_deref(), Some("user"));
    }

    #[test]
    fn the_count_reads_the_same_parameters() {
        let f = count_filter(
            Some("status=unsuccessful&user=a@x.ie&limit=5&offset=5"),
            &dublin(),
        )
        .unwrap();
        assert_eq!(f.outcomes, [Outcome::Unsuccessful]);
        assert!(count_filter(Some("limit=500"), &dublin()).is_err());
    }

    proptest! {
        #[test]
        fn any_query_string_is_read_or_refused_without_panicking(q in "\\PC{0,120}") {
            if let Err(e) = req(&q) {
                prop_assert_eq!(e.kind.status().as_u16(), 400);
                prop_assert!(e.parameter.is_some());
            }
        }

        #[test]
        fn parameter_shaped_strings_are_read_or_refused_by_name(
            pairs in proptest::collection::vec(
                (proptest::sample::select(KNOWN), "[0-9a-zA-Z@.:T-]{0,24}"),
                0..8,
            )
        ) {
            let q: String = pairs.iter().map(|(k, v)| format!("{k}={v}&")).collect();
            match req(&q) {
                Ok(r) => {
                    prop_assert!(r.limit <= MAX_LIMIT);
                    prop_assert!(!r.filter.started.is_empty() && !r.filter.ended.is_empty());
                    prop_assert_eq!(r.filter.outcomes.len(), 1);
                }
                Err(e) => {
                    let named = e.parameter.clone().unwrap_or_default();
                    prop_assert!(KNOWN.contains(&named.as_str()), "{}", named);
                }
            }
        }

        #[test]
        fn limits_and_offsets_in_range_are_taken_as_given(limit in 0u32..=100, offset in 0u64..1_000_000_000) {
            let r = req(&format!("limit={limit}&offset={offset}")).unwrap();
            prop_assert_eq!(r.limit, limit);
            prop_assert_eq!(r.offset, offset);
        }

        #[test]
        fn a_date_bound_contains_exactly_its_local_day(days in 0i64..40_000) {
            let date = jiff::civil::date(1970, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let r = req(&format!("startAfter={date}&startBefore={date}")).unwrap();
            let (from, to) = (r.filter.started.from.unwrap(), r.filter.started.to.unwrap());
            let tz = dublin();
            prop_assert_eq!(from.to_zoned(tz.clone()).date(), date);
            prop_assert_eq!(to.to_zoned(tz.clone()).date(), date.tomorrow().unwrap());
            prop_assert_eq!(to.to_zoned(tz).time(), jiff::civil::Time::midnight());
        }
    }
}
