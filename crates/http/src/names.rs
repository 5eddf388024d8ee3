//! Names in the listing's filters: `queue_id` (and `queue`), `agent`, `team` and
//! `disposition` take what a thing is called as well as its id. Each value is kept as it
//! was given (an id, an email) and the ids of the tenant's names that equal it, case and
//! accents folded, are added to it (see [`interlog_store::names`]): `queue=billing` finds
//! the engagements of every queue called Billing, and an id still finds its own.
//!
//! `customer` also takes the end of a phone number: a value of at least
//! [`MIN_PHONE_DIGITS`] digits, written with any spaces and punctuation a phone number has
//! (`218 3800`, `(218) 38-00`), also finds the customers whose phone number ends with those
//! digits (too many such numbers is a 400 asking for more digits).
//!
//! The listing binds its cursors to the filter as asked, not as resolved, so a page's
//! cursor stays valid while names come and go. `filter=` expressions and webhooks' filters
//! take ids as before.

use crate::error::{ApiError, ApiResult};
use crate::params::MAX_VALUES;
use interlog_store::names::MIN_PHONE_DIGITS;
use interlog_store::{Filter, NameKind, Query, Store, Tenant};

/// `query` as the store runs it: its filter with the ids its names stand for (its cursors
/// stay bound to `query` itself).
pub async fn resolved(store: &dyn Store, tenant: &Tenant, query: &Query) -> ApiResult<Query> {
    Ok(Query {
        filter: resolve(store, tenant, &query.filter).await?,
        ..query.clone()
    })
}

/// `filter` with the ids its name-taking values name added.
pub async fn resolve(store: &dyn Store, tenant: &Tenant, filter: &Filter) -> ApiResult<Filter> {
    let mut out = filter.clone();
    for (kind, parameter, values) in [
        (NameKind::Queue, "queue_id", &mut out.queue_ids),
        (NameKind::Agent, "agent", &mut out.agents),
        (NameKind::Team, "team", &mut out.teams),
        (NameKind::Disposition, "disposition", &mut out.dispositions),
    ] {
        if values.is_empty() {
            continue;
        }
        for id in store.ids_named(tenant, kind, values).await? {
            if !values.contains(&id) {
                values.push(id);
            }
        }
        if values.len() > MAX_VALUES {
            return Err(ApiError::parameter(
                parameter,
                format!("these names stand for more than {MAX_VALUES} ids: choose by id"),
            ));
        }
    }
    let mut ends = Vec::new();
    for v in &out.customer {
        let Some(digits) = phone_end(v) else {
            continue;
        };
        let limit = (MAX_VALUES + 1) as u32;
        let found = store.phones_ending(tenant, &digits, limit).await?;
        if found.len() > MAX_VALUES {
            return Err(ApiError::parameter(
                "customer",
                format!("more than {MAX_VALUES} phone numbers end with {digits}: give more digits"),
            ));
        }
        ends.extend(found);
    }
    for key in ends {
        if !out.customer.contains(&key) {
            out.customer.push(key);
        }
    }
    if out.customer.len() > MAX_VALUES {
        return Err(ApiError::parameter(
            "customer",
            format!("these phone number ends stand for more than {MAX_VALUES} numbers: give more digits"),
        ));
    }
    Ok(out)
}

/// The digits of `value` when it is written as (the end of) a phone number: digits with
/// the spaces and punctuation of phone numbers, at least [`MIN_PHONE_DIGITS`] of them.
fn phone_end(value: &str) -> Option<String> {
    let phone_like = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    (phone_like && digits.len() >= MIN_PHONE_DIGITS).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::phone_end;

    #[test]
    fn a_phone_end_is_four_digits_or_more_with_phone_punctuation() {
        assert_eq!(phone_end("218 3800").as_deref(), Some("2183800"));
        assert_eq!(phone_end("(218) 38-00").as_deref(), Some("2183800"));
        assert_eq!(phone_end("+353 1 218 3800").as_deref(), Some("35312183800"));
        assert_eq!(phone_end("3800").as_deref(), Some("3800"));
        assert_eq!(phone_end("380"), None);
        assert_eq!(phone_end("ann@x.test"), None);
        assert_eq!(phone_end("CS-3800"), None);
    }
}
