//! Whether one engagement matches a [`Filter`], decided in memory with exactly the
//! semantics every backend's listing has (see the conformance suite): for work that follows
//! engagements one at a time, like webhook filters.

use crate::terms::{filter_terms, terms};
use crate::{sort_value, Filter, SortKey, TimeRange};
use interlog_model::{Engagement, Timestamp};

/// Whether `e` matches `filter`, reading phone numbers with the tenant's country code.
pub fn matches(filter: &Filter, e: &Engagement, country_code: Option<&str>) -> bool {
    plain(filter, e, country_code)
        && filter
            .expr
            .as_ref()
            .is_none_or(|x| x.eval(&mut |leaf| plain(leaf, e, country_code)))
        && filter
            .text
            .as_ref()
            .is_none_or(|t| t.matches(&crate::search::words(e)))
}

/// Whether `e` matches the parts of `filter` other than its expression.
fn plain(filter: &Filter, e: &Engagement, country_code: Option<&str>) -> bool {
    let at = |ms: i64| Timestamp::from_millisecond(ms).ok();
    let within = |range: &TimeRange, t: Option<Timestamp>| {
        range.is_open() || t.is_some_and(|t| range.contains(t))
    };
    if !within(&filter.started, Some(e.started_at))
        || !within(&filter.ended, e.ended_at)
        || !within(&filter.updated, at(sort_value(e, SortKey::UpdatedAt)))
    {
        return false;
    }
    if !filter.states.is_empty() && !filter.states.contains(&e.effective_state()) {
        return false;
    }
    if !filter.outcomes.is_empty() && !e.outcome.is_some_and(|o| filter.outcomes.contains(&o)) {
        return false;
    }
    if !filter.directions.is_empty() && !e.direction.is_some_and(|d| filter.directions.contains(&d))
    {
        return false;
    }
    if !filter.channel_types.is_empty()
        && !e
            .channels
            .iter()
            .any(|c| filter.channel_types.contains(&c.kind))
    {
        return false;
    }
    if filter.min_duration_ms.is_some() || filter.max_duration_ms.is_some() {
        let Some(d) = e.effective_duration_ms() else {
            return false;
        };
        if filter.min_duration_ms.is_some_and(|m| d < m)
            || filter.max_duration_ms.is_some_and(|m| d > m)
        {
            return false;
        }
    }
    let groups = filter_terms(filter, country_code);
    if groups.is_empty() {
        return true;
    }
    let have = terms(e, country_code);
    groups
        .iter()
        .all(|(kind, values)| values.iter().any(|v| have.contains(&(*kind, v.clone()))))
}
