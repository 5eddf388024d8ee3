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
//! cursor stays valid while names come and go. A `filter=` expression's terms take names
//! the same way (`queue:Billing OR agent:"Niall Campbell"`), and so do the filters of
//! webhooks and export jobs: every peer resolves through [`resolve`].

use crate::error::{ApiError, ApiResult};
use crate::params::MAX_VALUES;
use interlog_store::names::MIN_PHONE_DIGITS;
use interlog_store::{Filter, NameKind, Query, Store, Tenant};
use std::collections::HashMap;

/// `query` as the store runs it: its filter with the ids its names stand for (its cursors
/// stay bound to `query` itself).
pub async fn resolved(store: &dyn Store, tenant: &Tenant, query: &Query) -> ApiResult<Query> {
    Ok(Query {
        filter: resolve(store, tenant, &query.filter).await?,
        ..query.clone()
    })
}

/// `filter` with the ids its name-taking values name added, in its plain lists and in
/// each term of its expression.
pub async fn resolve(store: &dyn Store, tenant: &Tenant, filter: &Filter) -> ApiResult<Filter> {
    let mut out = filter.clone();
    let mut lookups = Lookups::default();
    lookups
        .add_ids(store, tenant, &mut out, Place::Parameters)
        .await?;
    if let Some(expr) = out.expr.as_mut() {
        for leaf in expr.leaves_mut() {
            lookups
                .add_ids(store, tenant, leaf, Place::Expression)
                .await?;
        }
    }
    Ok(out)
}

/// Where the values being resolved were given, for the error that names them.
#[derive(Clone, Copy)]
enum Place {
    /// The plain parameters: an error names the parameter.
    Parameters,
    /// A term of `filter=`: an error names `filter` and quotes the term.
    Expression,
}

impl Place {
    fn error(self, parameter: &str, values: &[String], why: String) -> ApiError {
        match self {
            Place::Parameters => ApiError::parameter(parameter, why),
            Place::Expression => {
                let term = format!("{parameter}:{}", values.first().map_or("", String::as_str));
                ApiError::parameter("filter", format!("{term}: {why}"))
            }
        }
    }
}

/// What one resolution has looked up already: an expression may name the same thing in
/// many terms, and each is read from the store once.
#[derive(Default)]
struct Lookups {
    named: HashMap<(NameKind, Vec<String>), Vec<String>>,
    phones: HashMap<String, Vec<String>>,
}

impl Lookups {
    async fn ids_named(
        &mut self,
        store: &dyn Store,
        tenant: &Tenant,
        kind: NameKind,
        values: &[String],
    ) -> ApiResult<&[String]> {
        let key = (kind, values.to_vec());
        if !self.named.contains_key(&key) {
            let ids = store.ids_named(tenant, kind, values).await?;
            self.named.insert(key.clone(), ids);
        }
        Ok(&self.named[&key])
    }

    async fn phones_ending(
        &mut self,
        store: &dyn Store,
        tenant: &Tenant,
        digits: &str,
    ) -> ApiResult<&[String]> {
        if !self.phones.contains_key(digits) {
            let limit = (MAX_VALUES + 1) as u32;
            let found = store.phones_ending(tenant, digits, limit).await?;
            self.phones.insert(digits.to_owned(), found);
        }
        Ok(&self.phones[digits])
    }

    /// Adds to `filter`'s lists the ids their names stand for and the phone numbers their
    /// phone ends stand for.
    async fn add_ids(
        &mut self,
        store: &dyn Store,
        tenant: &Tenant,
        filter: &mut Filter,
        place: Place,
    ) -> ApiResult<()> {
        for (kind, parameter, values) in [
            (NameKind::Queue, "queue_id", &mut filter.queue_ids),
            (NameKind::Agent, "agent", &mut filter.agents),
            (NameKind::Team, "team", &mut filter.teams),
            (
                NameKind::Disposition,
                "disposition",
                &mut filter.dispositions,
            ),
        ] {
            if values.is_empty() {
                continue;
            }
            let given = values.clone();
            for id in self.ids_named(store, tenant, kind, &given).await? {
                if !values.contains(id) {
                    values.push(id.clone());
                }
            }
            if values.len() > MAX_VALUES {
                let why = format!("these names stand for more than {MAX_VALUES} ids: choose by id");
                return Err(place.error(parameter, &given, why));
            }
        }
        let given = filter.customer.clone();
        for v in &given {
            let Some(digits) = phone_end(v) else {
                continue;
            };
            let found = self.phones_ending(store, tenant, &digits).await?;
            if found.len() > MAX_VALUES {
                let why = format!(
                    "more than {MAX_VALUES} phone numbers end with {digits}: give more digits"
                );
                return Err(place.error("customer", &given, why));
            }
            for key in found {
                if !filter.customer.contains(key) {
                    filter.customer.push(key.clone());
                }
            }
        }
        if filter.customer.len() > MAX_VALUES {
            let why = format!(
                "these phone number ends stand for more than {MAX_VALUES} numbers: give more digits"
            );
            return Err(place.error("customer", &given, why));
        }
        Ok(())
    }
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
