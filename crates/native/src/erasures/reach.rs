//! Who an erasure reaches: the identifier given, every identifier explicitly linked with
//! it, and every identifier that appears together with one of those in an engagement's
//! customer block (or as a customer participant's number or email), transitively — a
//! person asking to be forgotten expects the engagement that carries only their phone to
//! go with the one that carries their phone and their email.

use interlog_model::Engagement;
use interlog_store::terms::{customer_key, customer_keys};
use interlog_store::{Filter, Query, Start, Store, StoreError, Tenant};
use std::collections::{BTreeMap, VecDeque};

/// Most identifiers one erasure reaches. An identifier many customers share (a switchboard
/// number, "anonymous") would chain whole customer bases together; past this the erasure is
/// refused, naming the bound, rather than erase far more than the person asked for.
pub const MAX_IDENTIFIERS: usize = 1000;
/// Identifiers looked up in one listing: a customer's identifiers walk the search index
/// together (see the store's listing).
const PER_LISTING: usize = 32;
/// Engagements read per listing page.
const PAGE: u32 = 500;

/// One identifier an erasure reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// The comparison form (what search terms hold).
    pub key: String,
    /// The type and spelling it was linked with, if it was.
    pub kind: Option<String>,
    pub spelling: Option<String>,
}

/// Why the identifiers could not be collected.
#[derive(Debug, thiserror::Error)]
pub enum ReachError {
    #[error(
        "the identifier reaches more than {MAX_IDENTIFIERS} identifiers through shared engagements"
    )]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every identifier `identifier` reaches, in the order of their keys.
pub async fn reach(
    store: &dyn Store,
    tenant: &Tenant,
    identifier: &str,
) -> Result<Vec<Reached>, ReachError> {
    let country = tenant.country_code.as_deref();
    let mut known: BTreeMap<String, Reached> = BTreeMap::new();
    let mut queue = VecDeque::from([customer_key(identifier, country)]);
    loop {
        // Explicit links first, then the engagements of everything new.
        let mut unread = Vec::new();
        while let Some(key) = queue.pop_front() {
            if known.contains_key(&key) {
                continue;
            }
            if known.len() >= MAX_IDENTIFIERS {
                return Err(ReachError::TooMany);
            }
            known.insert(
                key.clone(),
                Reached {
                    key: key.clone(),
                    kind: None,
                    spelling: None,
                },
            );
            for l in store.linked_identifiers(tenant, &key).await? {
                let entry = known.get_mut(&l.key);
                match entry {
                    Some(r) if l.key == key && l.kind.is_some() => {
                        r.kind = l.kind;
                        r.spelling = Some(l.value);
                    }
                    Some(_) => {}
                    None => queue.push_back(l.key),
                }
            }
            unread.push(key);
        }
        if unread.is_empty() {
            break;
        }
        for keys in unread.chunks(PER_LISTING) {
            let mut start = Start::First;
            loop {
                let page = store
                    .list(tenant, &by_customer(keys.to_vec(), start, PAGE))
                    .await?;
                for stored in &page.items {
                    let e: Engagement = serde_json::from_str(&stored.json)
                        .map_err(|e| StoreError::backend("stored engagement", e))?;
                    queue.extend(
                        customer_keys(&e, country)
                            .into_iter()
                            .filter(|k| !known.contains_key(k)),
                    );
                }
                match page.next {
                    Some(p) if page.has_more => start = Start::After(p),
                    _ => break,
                }
            }
        }
    }
    // Spellings of identifiers reached through links other than their own.
    for r in known.values_mut() {
        if r.kind.is_none() {
            if let Some(l) = store
                .linked_identifiers(tenant, &r.key)
                .await?
                .into_iter()
                .find(|l| l.key == r.key && l.kind.is_some())
            {
                r.kind = l.kind;
                r.spelling = Some(l.value);
            }
        }
    }
    Ok(known.into_values().collect())
}

/// The listing of the engagements carrying any of `keys`.
pub fn by_customer(keys: Vec<String>, start: Start, limit: u32) -> Query {
    Query {
        filter: Filter {
            customer: keys,
            ..Filter::default()
        },
        start,
        limit,
        ..Query::default()
    }
}
