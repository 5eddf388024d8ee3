//! Sorts, keyset and offset paging, and paging while others write
//! ([`crate::Engagements::list`]).

use super::support::*;
use crate::{
    sort_value, Filter, Query, Sort, SortDir, SortKey, Start, Store, Total, NO_DURATION, NO_END,
};
use interlog_model::{Engagement, State, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

// --- sorts --------------------------------------------------------------------------------

/// Engagements with ties on every sort key, engagements without an end, and engagements
/// without a duration, in no particular order.
fn sort_fixture(base: Timestamp) -> Vec<Engagement> {
    (0..24i64)
        .map(|i| {
            let id = format!("s{:02}", (i * 7) % 24);
            let start = plus(base, (i % 4) * MINUTE);
            let mut b = eng(&id, start).updated(plus(base, DAY + (i % 3) * HOUR));
            if i % 5 != 0 {
                b = b.lasting((i % 3) * MINUTE);
            }
            if i % 6 == 1 {
                b = b.duration(90_000);
            }
            b.build()
        })
        .collect()
}

/// Asserts the fixture really has what a sort test needs: ties and sentinel values.
fn assert_has_ties_and_sentinels(engagements: &[Engagement]) {
    for key in [
        SortKey::StartedAt,
        SortKey::EndedAt,
        SortKey::Duration,
        SortKey::UpdatedAt,
    ] {
        let values: BTreeSet<i64> = engagements.iter().map(|e| sort_value(e, key)).collect();
        assert!(
            values.len() < engagements.len(),
            "the fixture needs ties on {key:?}"
        );
    }
    let ended: Vec<i64> = engagements
        .iter()
        .map(|e| sort_value(e, SortKey::EndedAt))
        .collect();
    assert!(ended.contains(&NO_END) && ended.iter().any(|v| *v != NO_END));
    let durations: Vec<i64> = engagements
        .iter()
        .map(|e| sort_value(e, SortKey::Duration))
        .collect();
    assert!(durations.contains(&NO_DURATION) && durations.iter().any(|v| *v != NO_DURATION));
}

/// Every sort key in both directions orders by its sort value and breaks ties by id in the
/// same direction; not ended sorts after every end ascending, no duration before every
/// duration ascending. Checked on one page, and across pages of 3.
pub async fn sorts_break_ties_by_id_in_the_same_direction(store: &dyn Store) {
    let t = new_tenant(store, "sorts", None).await;
    let fixture = sort_fixture(ts("2024-08-01T00:00:00Z"));
    assert_has_ties_and_sentinels(&fixture);
    let all_ids: Vec<String> = fixture.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t, fixture).await;
    let stored = stored_all(store, &t, &all_ids).await;

    for sort in ALL_SORTS {
        let expected = expected_order(&stored, sort);
        let q = query(Filter::default(), sort, 100);
        let one_page = list(store, &t, &q).await;
        check_page(&one_page, &q, &format!("one page sorted by {sort:?}"));
        assert_eq!(
            ids(&one_page.items),
            expected,
            "one page sorted by {sort:?}"
        );
        assert!(!one_page.has_more(), "everything fit on the page");
        assert_eq!(
            list_all_ids(store, &t, &query(Filter::default(), sort, 3)).await,
            expected,
            "pages of 3 sorted by {sort:?}"
        );
    }

    let last_ended_asc = expected_order(&stored, sort_of(SortKey::EndedAt, SortDir::Asc));
    let not_ended: BTreeSet<&String> = stored
        .iter()
        .filter(|e| e.ended_at.is_none())
        .map(|e| &e.id)
        .collect();
    let tail = &last_ended_asc[last_ended_asc.len() - not_ended.len()..];
    assert!(
        tail.iter().all(|id| not_ended.contains(id)),
        "ascending by end, the engagements that have not ended come last: {last_ended_asc:?}"
    );
}

// --- keyset paging ------------------------------------------------------------------------

/// `n` engagements with ids in no relation to their order; with 250, five share each of
/// 50 start times.
fn paging_fixture(base: Timestamp, n: i64) -> Vec<Engagement> {
    (0..n)
        .map(|i| {
            let id = format!("k{:03}", (i * 97) % n);
            let mut b = eng(&id, plus(base, ((i * 7) % 50) * MINUTE))
                .updated(plus(base, DAY + (i % 10) * MINUTE));
            if i % 4 != 0 {
                b = b.lasting((i % 6) * 10 * SECOND);
            }
            b.build()
        })
        .collect()
}

/// Following `next` from the first page lists every match exactly once, in order, for every
/// sort and page size; the last page has no `next`, also when it is exactly full.
pub async fn keyset_paging_has_no_gaps_or_duplicates(store: &dyn Store) {
    let t = new_tenant(store, "keyset", None).await;
    let base = ts("2024-09-01T00:00:00Z");
    let fixture = paging_fixture(base, 250);
    let all_ids: Vec<String> = fixture.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t, fixture).await;
    let stored = stored_all(store, &t, &all_ids).await;

    for sort in ALL_SORTS {
        let limits: &[u32] = match (sort.key, sort.dir) {
            (SortKey::StartedAt, _) | (SortKey::EndedAt, SortDir::Desc) => &[1, 7, 100],
            _ => &[7, 100],
        };
        let expected = expected_order(&stored, sort);
        for &limit in limits {
            assert_eq!(
                list_all_ids(store, &t, &query(Filter::default(), sort, limit)).await,
                expected,
                "keyset pages of {limit} sorted by {sort:?}"
            );
        }
    }

    // `total` counts every match on every page, not just those after the start.
    let mut q = Query {
        limit: 100,
        with_total: true,
        ..Query::default()
    };
    let mut pages = 0;
    loop {
        let page = list(store, &t, &q).await;
        assert_eq!(
            page.total,
            Some(crate::Total::Exact(250)),
            "total on keyset page {pages}"
        );
        pages += 1;
        match page.next {
            Some(next) => q.start = Start::After(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);

    // Paging a filtered listing.
    let ended = Filter {
        ended: range(Some(base), None),
        ..Filter::default()
    };
    let ended_stored: Vec<Engagement> = stored
        .iter()
        .filter(|e| e.ended_at.is_some())
        .cloned()
        .collect();
    assert_eq!(
        list_all_ids(store, &t, &query(ended, Sort::default(), 7)).await,
        expected_order(&ended_stored, Sort::default()),
        "keyset pages of a filtered listing"
    );

    // The exact boundary: 14 matches in pages of 7.
    let t14 = new_tenant(store, "keyset14", None).await;
    let fourteen = paging_fixture(base, 14);
    let ids14: Vec<String> = fourteen.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t14, fourteen).await;
    let expected14 = expected_order(&stored_all(store, &t14, &ids14).await, Sort::default());

    let q = query(Filter::default(), Sort::default(), 7);
    let first = list(store, &t14, &q).await;
    check_page(&first, &q, "the first 7 of 14");
    assert_eq!(ids(&first.items), expected14[..7]);
    assert!(first.has_more(), "7 of 14: more follow");
    let q = Query {
        start: Start::After(first.next.clone().expect("next")),
        ..q
    };
    let second = list(store, &t14, &q).await;
    check_page(&second, &q, "the last 7 of 14");
    assert_eq!(ids(&second.items), expected14[7..]);
    assert!(
        !second.has_more(),
        "the last 7 of 14: nothing follows, though the page is full"
    );
    for (limit, more) in [(13, true), (14, false), (15, false)] {
        let q = query(Filter::default(), Sort::default(), limit);
        let page = list(store, &t14, &q).await;
        check_page(&page, &q, &format!("a page of {limit} of 14"));
        assert_eq!(
            page.items.len(),
            (limit as usize).min(14),
            "a page of {limit} of 14"
        );
        assert_eq!(page.has_more(), more, "has_more on a page of {limit} of 14");
    }
}

// --- offset paging ------------------------------------------------------------------------

/// `Start::Offset(n)` gives the slice of the sorted listing from `n` (empty past the end);
/// `with_total` counts every match.
///
/// With `limit: 0` the suite asserts: no items and no `next`; `total` is every match when
/// asked for; `has_more()` is whether any match follows the start (for `First`, whether
/// anything matches; for `Offset(n)`, whether more than `n` match; for `After(p)`, whether a
/// match sorts after `p`).
pub async fn offset_paging_matches_the_sorted_slice(store: &dyn Store) {
    let t = new_tenant(store, "offset", None).await;
    let base = ts("2024-10-01T00:00:00Z");
    let fixture: Vec<Engagement> = (0..30i64)
        .map(|i| {
            let id = format!("o{:02}", (i * 11) % 30);
            let b = eng(&id, plus(base, (i % 6) * MINUTE)).updated(base);
            if i % 3 == 0 {
                b.normalized()
            } else {
                b.lasting((i % 4) * MINUTE).normalized()
            }
        })
        .collect();
    let all_ids: Vec<String> = fixture.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t, fixture).await;
    let stored = stored_all(store, &t, &all_ids).await;

    let completed = Filter {
        states: vec![State::Completed],
        ..Filter::default()
    };
    let completed_stored: Vec<Engagement> = stored
        .iter()
        .filter(|e| e.effective_state() == State::Completed)
        .cloned()
        .collect();
    assert_eq!(completed_stored.len(), 20);

    let sorts = [
        Sort::default(),
        sort_of(SortKey::EndedAt, SortDir::Asc),
        sort_of(SortKey::Duration, SortDir::Desc),
    ];
    for (filter, matching) in [
        (Filter::default(), &stored),
        (completed.clone(), &completed_stored),
    ] {
        let total = matching.len();
        for sort in sorts {
            let full = expected_order(matching, sort);
            for n in [
                0usize,
                1,
                6,
                7,
                13,
                total - 2,
                total - 1,
                total,
                total + 1,
                1000,
            ] {
                let q = Query {
                    filter: filter.clone(),
                    sort,
                    start: Start::Offset(n as u64),
                    limit: 7,
                    with_total: true,
                    count_within: None,
                };
                let context = format!("offset {n} of {total} by {sort:?} ({filter:?})");
                let page = list(store, &t, &q).await;
                check_page(&page, &q, &context);
                let want = &full[n.min(total)..(n + 7).min(total)];
                assert_eq!(ids(&page.items), want, "{context}");
                assert_eq!(
                    page.total,
                    Some(Total::Exact(total as u64)),
                    "total, {context}"
                );
                assert_eq!(page.has_more(), n + 7 < total, "has_more, {context}");

                // Keyset paging continues where an offset page ends.
                if let Some(next) = page.next {
                    let rest = list_all_ids(
                        store,
                        &t,
                        &Query {
                            start: Start::After(next),
                            with_total: false,
                            ..q.clone()
                        },
                    )
                    .await;
                    assert_eq!(rest, full[n + 7..], "after the offset page, {context}");
                }

                let counted = list(
                    store,
                    &t,
                    &Query {
                        limit: 0,
                        ..q.clone()
                    },
                )
                .await;
                assert!(counted.items.is_empty(), "limit 0 lists nothing, {context}");
                assert_eq!(counted.next, None, "limit 0 has no next, {context}");
                assert_eq!(
                    counted.total,
                    Some(Total::Exact(total as u64)),
                    "limit 0 total, {context}"
                );
                assert_eq!(counted.has_more(), n < total, "limit 0 has_more, {context}");
            }
        }
    }

    // Limit 0 from the first position and from keyset positions.
    let sort = Sort::default();
    let full_items = list_all(store, &t, &query(Filter::default(), sort, 100)).await;
    let zero = |start: Start, filter: Filter| Query {
        filter,
        sort,
        start,
        limit: 0,
        with_total: true,
        count_within: None,
    };
    let first = list(store, &t, &zero(Start::First, Filter::default())).await;
    assert!(first.items.is_empty());
    assert_eq!(first.next, None, "limit 0: no item, so no next");
    assert_eq!(first.total, Some(Total::Exact(30)));
    assert!(first.has_more(), "limit 0 from the start: matches follow");
    for k in [0usize, 14, 28, 29] {
        let after = Start::After(position(&full_items[k], sort.key));
        let page = list(store, &t, &zero(after, Filter::default())).await;
        assert!(page.items.is_empty());
        assert_eq!(page.next, None, "limit 0 after item {k}: no next");
        assert_eq!(page.total, Some(Total::Exact(30)), "limit 0 after item {k}");
        assert_eq!(page.has_more(), k + 1 < 30, "limit 0 after item {k}");
    }
    let nothing = Filter {
        teams: strings(&["no-such-team"]),
        ..Filter::default()
    };
    let empty = list(store, &t, &zero(Start::First, nothing.clone())).await;
    assert!(empty.items.is_empty());
    assert_eq!(
        (empty.total, empty.next.as_ref()),
        (Some(Total::Exact(0)), None)
    );
    assert!(!empty.has_more(), "limit 0 with no match: nothing follows");
    let empty = list(
        store,
        &t,
        &Query {
            limit: 10,
            ..zero(Start::First, nothing)
        },
    )
    .await;
    assert!(empty.items.is_empty());
    assert_eq!(
        (empty.total, empty.next.as_ref()),
        (Some(Total::Exact(0)), None)
    );
    assert!(!empty.has_more());
}

// --- paging during writes -----------------------------------------------------------------

/// Keyset paging newest-first while engagements are written between pages: everything that
/// existed at the start is seen exactly once, what is written behind the cursor is not seen,
/// what is written ahead of it is.
pub async fn keyset_paging_survives_concurrent_writes(store: &dyn Store) {
    let t = new_tenant(store, "writes", None).await;
    let base = ts("2024-11-01T00:00:00Z");
    let originals: Vec<Engagement> = (0..40i64)
        .map(|i| {
            eng(&format!("w{i:03}5"), plus(base, (i / 2) * MINUTE))
                .lasting(MINUTE)
                .updated(base)
                .normalized()
        })
        .collect();
    let original_ids: BTreeSet<String> = originals.iter().map(|e| e.id.clone()).collect();
    let by_id: BTreeMap<String, Engagement> = originals
        .iter()
        .map(|e| (e.id.clone(), e.clone()))
        .collect();
    insert_all(store, &t, originals).await;

    let mut seen: Vec<String> = Vec::new();
    let mut must_see: BTreeSet<String> = BTreeSet::new();
    let mut must_not_see: BTreeSet<String> = BTreeSet::new();
    let mut q = query(Filter::default(), Sort::default(), 6);
    for round in 0..100i64 {
        let page = list(store, &t, &q).await;
        check_page(&page, &q, &format!("page {round} while writing"));
        seen.extend(ids(&page.items));
        let Some(next) = page.next else { break };
        let cursor_at = Timestamp::from_millisecond(next.value).expect("a start time");
        let cursor_id = &next.id;

        // Ahead of the cursor in this order: an older start, or the same start and a
        // smaller id. Behind it: a newer start, or the same start and a bigger id.
        let ahead = [
            eng(&format!("o{round:03}"), plus(cursor_at, -1)),
            eng(
                &format!("{}-a{round:03}", &cursor_id[..cursor_id.len() - 1]),
                cursor_at,
            ),
        ];
        let behind = [
            eng(&format!("n{round:03}"), plus(base, DAY + round * MINUTE)),
            eng(&format!("{cursor_id}~b{round:03}"), cursor_at),
        ];
        let mut writes = Vec::new();
        for b in ahead {
            let e = b.updated(base).normalized();
            must_see.insert(e.id.clone());
            writes.push(e);
        }
        for b in behind {
            let e = b.updated(base).normalized();
            must_not_see.insert(e.id.clone());
            writes.push(e);
        }
        // Rewriting an engagement already seen must not bring it back.
        if let Some(seen_id) = seen.first() {
            if let Some(e) = by_id.get(seen_id) {
                let mut e = e.clone();
                e.updated_at = Some(plus(base, (round + 1) * SECOND));
                e.subject = Some(format!("rewritten in round {round}"));
                writes.push(e);
            }
        }
        store
            .upsert_many(&t, writes)
            .await
            .expect("writes between pages");
        q.start = Start::After(next);
    }

    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for id in &seen {
        *counts.entry(id).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "seen more than once: {repeated:?}");
    let seen_set: BTreeSet<String> = seen.iter().cloned().collect();
    let missed: Vec<_> = original_ids.difference(&seen_set).collect();
    assert!(
        missed.is_empty(),
        "existed at the start but never seen: {missed:?}"
    );
    let missed_ahead: Vec<_> = must_see.difference(&seen_set).collect();
    assert!(
        missed_ahead.is_empty(),
        "written ahead of the cursor but never seen: {missed_ahead:?}"
    );
    let seen_behind: Vec<_> = must_not_see.intersection(&seen_set).collect();
    assert!(
        seen_behind.is_empty(),
        "written behind the cursor yet seen: {seen_behind:?}"
    );
    assert!(!must_see.is_empty(), "the case wrote between pages");
}

// --- helpers of these cases ------------------------------------------------------------

const ALL_SORTS: [Sort; 8] = {
    const fn s(key: SortKey, dir: SortDir) -> Sort {
        Sort { key, dir }
    }
    [
        s(SortKey::StartedAt, SortDir::Asc),
        s(SortKey::StartedAt, SortDir::Desc),
        s(SortKey::EndedAt, SortDir::Asc),
        s(SortKey::EndedAt, SortDir::Desc),
        s(SortKey::Duration, SortDir::Asc),
        s(SortKey::Duration, SortDir::Desc),
        s(SortKey::UpdatedAt, SortDir::Asc),
        s(SortKey::UpdatedAt, SortDir::Desc),
    ]
};

/// The ids of `engagements` in the order `sort` lists them: by sort value, ties by id, both
/// in the sort's direction.
fn expected_order(engagements: &[Engagement], sort: Sort) -> Vec<String> {
    let mut keyed: Vec<(i64, &str)> = engagements
        .iter()
        .map(|e| (sort_value(e, sort.key), e.id.as_str()))
        .collect();
    keyed.sort();
    if sort.dir == SortDir::Desc {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, id)| id.to_string()).collect()
}
