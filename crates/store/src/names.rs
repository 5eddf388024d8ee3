//! Names: what the tenant's queues, agents, teams and dispositions are called, so that
//! people can choose them by name rather than by id (suggestions as they type, and names in
//! the listing's filters).
//!
//! Each backend keeps one small table per tenant of (kind, id, name) with how many stored
//! engagements mention that pair and the latest start among them. It is derived from the
//! engagements and kept in their transactions: a write adds the pairs of its engagement and
//! removes those of the version it replaces, a deletion removes them ([`NameChanges`] says
//! what changed, once per transaction), and `interlog check` compares it with the bodies.
//! Pairs no stored engagement mentions any more are gone from it.

use crate::{Result, Tenant};
use async_trait::async_trait;
use interlog_model::{Engagement, Role, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// What a name is the name of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    /// A queue visit's queue: its id and name.
    Queue,
    /// An agent participant: its id (else its email) and name (else its email or id).
    Agent,
    /// The engagement's team, which is its own name.
    Team,
    /// A disposition: its id (else its name) and name (else its id).
    Disposition,
    /// A customer's phone number, as the customer filter compares it (its id and name), so
    /// that the last digits of a number find it. Not suggested.
    Phone,
}

impl NameKind {
    /// The kinds people choose by name.
    pub const NAMED: [NameKind; 4] = [
        NameKind::Queue,
        NameKind::Agent,
        NameKind::Team,
        NameKind::Disposition,
    ];
    pub const ALL: [NameKind; 5] = [
        NameKind::Queue,
        NameKind::Agent,
        NameKind::Team,
        NameKind::Disposition,
        NameKind::Phone,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            NameKind::Queue => "queue",
            NameKind::Agent => "agent",
            NameKind::Team => "team",
            NameKind::Disposition => "disposition",
            NameKind::Phone => "phone",
        }
    }

    /// One of the [`NameKind::NAMED`] kinds by its name.
    pub fn parse(s: &str) -> Option<NameKind> {
        NameKind::NAMED.into_iter().find(|k| k.as_str() == s)
    }

    /// The number backends store it as.
    pub const fn code(self) -> i16 {
        match self {
            NameKind::Queue => 0,
            NameKind::Agent => 1,
            NameKind::Team => 2,
            NameKind::Disposition => 3,
            NameKind::Phone => 4,
        }
    }

    pub fn from_code(code: i64) -> Option<NameKind> {
        NameKind::ALL
            .into_iter()
            .find(|k| i64::from(k.code()) == code)
    }
}

/// One (kind, id, name) an engagement mentions. The id is what the listing's filter of
/// that kind matches (`queue_id`, `agent`, `team`, `disposition`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameRef {
    pub kind: NameKind,
    pub id: String,
    pub name: String,
}

impl NameRef {
    /// The form it is looked up by: a name's [`fold`]; a phone number's digits, last first
    /// (so that its last digits are a prefix).
    pub fn folded(&self) -> String {
        match self.kind {
            NameKind::Phone => reversed_digits(&self.id),
            _ => fold(&self.name),
        }
    }
}

/// The ASCII digits of `s`, last first.
pub fn reversed_digits(s: &str) -> String {
    s.chars().rev().filter(char::is_ascii_digit).collect()
}

/// Fewest digits that find a phone number by its end: fewer match too many to be useful.
pub const MIN_PHONE_DIGITS: usize = 4;

/// Every (kind, id, name) `e` mentions, once each; its customer's phone numbers compared as
/// with the tenant's country code `country`.
pub fn names_of(e: &Engagement, country: Option<&str>) -> BTreeSet<NameRef> {
    let mut out = BTreeSet::new();
    let mut add = |kind, id: &str, name: Option<&str>| {
        let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(id);
        if !id.is_empty() {
            out.insert(NameRef {
                kind,
                id: id.to_owned(),
                name: name.to_owned(),
            });
        }
    };
    for q in &e.queues {
        add(NameKind::Queue, &q.id, q.name.as_deref());
    }
    for p in e.participants.iter().filter(|p| p.role == Role::Agent) {
        let email = p.email.as_ref().map(|m| m.to_lowercase());
        let Some(id) = p.id.clone().or_else(|| email.clone()) else {
            continue;
        };
        let name = p.name().or(email);
        add(NameKind::Agent, &id, name.as_deref());
    }
    if let Some(t) = &e.team {
        add(NameKind::Team, t, None);
    }
    for d in &e.dispositions {
        if let Some(id) = d.id.as_deref().or(d.name.as_deref()) {
            add(NameKind::Disposition, id, d.name.as_deref());
        }
    }
    for key in crate::terms::customer_keys(e, country) {
        let digits = key.bytes().filter(u8::is_ascii_digit).count();
        let phone = key.bytes().all(|b| b.is_ascii_digit() || b == b'+');
        if phone && digits >= MIN_PHONE_DIGITS {
            add(NameKind::Phone, &key, None);
        }
    }
    out
}

/// A name as it is compared: its words, case and accents folded (the full-text
/// tokenizer's folding), joined by single spaces. `Crème  Brûlée` is `creme brulee`.
pub fn fold(name: &str) -> String {
    crate::search::tokenize(name).words.join(" ")
}

/// A name the tenant's engagements use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownName {
    pub kind: NameKind,
    /// What the listing's filter of its kind matches.
    pub id: String,
    pub name: String,
    /// How many stored engagements mention this id with this name.
    pub engagements: u64,
    /// The latest start among the engagements that mentioned it (deletions do not move it
    /// back).
    pub last_seen: Timestamp,
}

impl KnownName {
    /// A row of a backend's names table: the kind's code, id, name, count and latest start
    /// (milliseconds).
    pub fn stored(kind: i64, id: String, name: String, n: i64, last_seen: i64) -> KnownName {
        KnownName {
            kind: NameKind::from_code(kind).unwrap_or(NameKind::Queue),
            id,
            name,
            engagements: n.max(0) as u64,
            last_seen: Timestamp::from_millisecond(last_seen).unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }
}

/// How the names table of a transaction changes: for each (tenant, name) the number of
/// engagements added (negative: removed) and the latest start added.
///
/// Keyed by tenant, then name: a name already counted in the transaction (most are, on a
/// load) is found by reference, without cloning it for the key.
#[derive(Debug, Default)]
pub struct NameChanges(BTreeMap<i64, BTreeMap<NameRef, (i64, i64)>>);

/// One changed row: tenant, the name, its folded form, the change of its count, and the
/// latest start added (`i64::MIN` when none was).
pub type NameChange<'a> = (i64, &'a NameRef, String, i64, i64);

impl NameChanges {
    /// `names` (of an engagement that started at `started`) are now mentioned once more.
    pub fn add<'a>(
        &mut self,
        tenant: i64,
        started: i64,
        names: impl IntoIterator<Item = &'a NameRef>,
    ) {
        let counts = self.0.entry(tenant).or_default();
        for n in names {
            let c = count_of(counts, n);
            c.0 += 1;
            c.1 = c.1.max(started);
        }
    }

    /// `names` are mentioned once less (their engagement is replaced or gone).
    pub fn remove<'a>(&mut self, tenant: i64, names: impl IntoIterator<Item = &'a NameRef>) {
        let counts = self.0.entry(tenant).or_default();
        for n in names {
            count_of(counts, n).0 -= 1;
        }
    }

    /// Forgets what was recorded for `tenant` (whose names are being removed at once).
    pub fn forget_tenant(&mut self, tenant: i64) {
        self.0.remove(&tenant);
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeMap::is_empty)
    }

    /// Whether some count goes down (rows may have to go).
    pub fn has_removals(&self) -> bool {
        self.0.values().flat_map(BTreeMap::values).any(|c| c.0 < 0)
    }

    /// The rows that change, in key order; pairs whose count did not change and whose start
    /// was not seen are left out.
    pub fn rows(&self) -> impl Iterator<Item = NameChange<'_>> {
        self.0
            .iter()
            .flat_map(|(t, counts)| counts.iter().map(move |(n, c)| (*t, n, c)))
            .filter(|(_, _, c)| c.0 != 0 || c.1 != i64::MIN)
            .map(|(t, n, c)| (t, n, n.folded(), c.0, c.1))
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The entry of `n` in a tenant's counts, made when there is none.
fn count_of<'a>(counts: &'a mut BTreeMap<NameRef, (i64, i64)>, n: &NameRef) -> &'a mut (i64, i64) {
    if !counts.contains_key(n) {
        counts.insert(n.clone(), (0, i64::MIN));
    }
    counts.get_mut(n).expect("just inserted")
}

/// The names of a tenant's queues, agents, teams and dispositions.
#[async_trait]
pub trait Names: Send + Sync {
    /// Names of `kind` one of whose words starts with `prefix` (folded; empty: every name),
    /// the most mentioned first (then by name), at most `limit`.
    async fn suggest_names(
        &self,
        tenant: &Tenant,
        kind: NameKind,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<KnownName>>;

    /// The ids of `kind` whose name is one of `names` (folded equal), in id order, without
    /// duplicates.
    async fn ids_named(
        &self,
        tenant: &Tenant,
        kind: NameKind,
        names: &[String],
    ) -> Result<Vec<String>>;

    /// The customer phone numbers (as the customer filter compares them) whose digits end
    /// with `digits` (ASCII digits), in the order of their digits last first, at most
    /// `limit`.
    async fn phones_ending(&self, tenant: &Tenant, digits: &str, limit: u32)
        -> Result<Vec<String>>;
}
