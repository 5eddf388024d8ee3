//! The search terms an engagement is found by, for the filters that look inside its lists
//! (agents, queues, customer identifiers…). Backends index these; computing them here keeps
//! every backend matching the same way.

use interlog_model::{phone, Engagement, Role};
use std::collections::BTreeSet;

/// Which filter a term serves. The numbers are stored by backends: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum TermKind {
    /// Agent participant id, or lowercased email.
    Agent = 1,
    /// Any participant's lowercased email.
    ParticipantEmail = 2,
    Queue = 3,
    /// Normalized customer identifier.
    Customer = 4,
    /// Disposition id or name.
    Disposition = 5,
    /// Key and value of a scalar `data` entry.
    Data = 6,
    ChannelSource = 7,
    Team = 8,
}

impl TermKind {
    pub const fn code(self) -> i64 {
        self as i64
    }

    /// This kind as a bit of a [`KindSet`].
    pub const fn bit(self) -> KindSet {
        KindSet(1 << (self as u8))
    }
}

/// A set of [`TermKind`]s as bits (`1 << code`): what one value is to one engagement, so a
/// backend may keep one entry for a value that is, say, both an agent's email and a
/// participant's email. The bits are stored by backends: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct KindSet(pub i64);

impl KindSet {
    pub fn with(self, kind: TermKind) -> KindSet {
        KindSet(self.0 | kind.bit().0)
    }

    pub fn contains(self, kind: TermKind) -> bool {
        self.0 & kind.bit().0 != 0
    }
}

/// The comparison form of a customer identifier: phone-like values normalized (digits,
/// E.164 when international or when the tenant's country code is known), everything else
/// trimmed and lowercased.
pub fn customer_key(raw: &str, country_code: Option<&str>) -> String {
    let t = raw.trim();
    let phone_like = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && t.chars().filter(char::is_ascii_digit).count() >= 3;
    if phone_like {
        if let Some(p) = phone::normalize(t, country_code) {
            return p;
        }
    }
    t.to_lowercase()
}

/// The term of a data entry, or `None` for values that are not scalars.
pub fn data_term(key: &str, value: &serde_json::Value) -> Option<String> {
    let v = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(data_key(key, &v))
}

/// The stored form of a data term; the unit separator cannot be confused with text.
fn data_key(key: &str, value: &str) -> String {
    format!("{key}\u{1f}{value}")
}

/// Every (kind, value) an engagement is found by, without duplicates.
pub fn terms(e: &Engagement, country_code: Option<&str>) -> BTreeSet<(TermKind, String)> {
    let mut out = BTreeSet::new();
    let customer = |out: &mut BTreeSet<_>, v: &str| {
        if !v.trim().is_empty() {
            out.insert((TermKind::Customer, customer_key(v, country_code)));
        }
    };
    for p in &e.participants {
        if let Some(email) = &p.email {
            out.insert((TermKind::ParticipantEmail, email.to_lowercase()));
        }
        match p.role {
            Role::Agent => {
                if let Some(id) = &p.id {
                    out.insert((TermKind::Agent, id.clone()));
                }
                if let Some(email) = &p.email {
                    out.insert((TermKind::Agent, email.to_lowercase()));
                }
            }
            Role::Customer => {
                for v in [&p.calling_number, &p.email].into_iter().flatten() {
                    customer(&mut out, v);
                }
            }
            _ => {}
        }
    }
    let c = &e.customer;
    for v in c
        .phones
        .iter()
        .chain(&c.emails)
        .chain(&c.account_ids)
        .chain(c.custom.values().flatten())
        .chain(&c.contact_id)
    {
        customer(&mut out, v);
    }
    for q in &e.queues {
        out.insert((TermKind::Queue, q.id.clone()));
    }
    for d in &e.dispositions {
        for v in [&d.id, &d.name].into_iter().flatten() {
            out.insert((TermKind::Disposition, v.clone()));
        }
    }
    for (k, v) in &e.data {
        if let Some(t) = data_term(k, v) {
            out.insert((TermKind::Data, t));
        }
    }
    for ch in &e.channels {
        if let Some(s) = &ch.source {
            out.insert((TermKind::ChannelSource, s.clone()));
        }
    }
    if let Some(t) = &e.team {
        out.insert((TermKind::Team, t.clone()));
    }
    out
}

/// The comparison forms of the customer identifiers an engagement carries (its customer
/// block, and its customer participants' numbers and emails): identifiers that appear
/// together belong to one person, as far as an erasure is concerned.
pub fn customer_keys(e: &Engagement, country_code: Option<&str>) -> Vec<String> {
    terms(e, country_code)
        .into_iter()
        .filter(|(kind, _)| *kind == TermKind::Customer)
        .map(|(_, value)| value)
        .collect()
}

/// [`terms`] grouped by value: each distinct value once, with every kind it is a term of,
/// in value order. Backends that key their index by value store one entry per value.
pub fn terms_by_value(e: &Engagement, country_code: Option<&str>) -> Vec<(String, KindSet)> {
    let mut by_value: std::collections::BTreeMap<String, KindSet> = Default::default();
    for (kind, value) in terms(e, country_code) {
        let kinds = by_value.entry(value).or_default();
        *kinds = kinds.with(kind);
    }
    by_value.into_iter().collect()
}

/// The terms a filter value is looked up by (the same normalization as [`terms`]).
pub fn filter_terms(
    filter: &crate::Filter,
    country_code: Option<&str>,
) -> Vec<(TermKind, Vec<String>)> {
    let mut groups = Vec::new();
    let mut add = |kind, values: Vec<String>| {
        if !values.is_empty() {
            let mut v = values;
            v.sort();
            v.dedup();
            groups.push((kind, v));
        }
    };
    // Most selective first: backends may drive the search from the first group.
    add(
        TermKind::Customer,
        filter
            .customer
            .iter()
            .map(|v| customer_key(v, country_code))
            .collect(),
    );
    add(
        TermKind::Agent,
        filter
            .agents
            .iter()
            .map(|v| {
                if v.contains('@') {
                    v.to_lowercase()
                } else {
                    v.clone()
                }
            })
            .collect(),
    );
    add(
        TermKind::ParticipantEmail,
        filter
            .participant_emails
            .iter()
            .map(|v| v.to_lowercase())
            .collect(),
    );
    add(TermKind::Disposition, filter.dispositions.clone());
    // Each data pair is its own group: all of them must match.
    for (k, v) in &filter.data {
        add(TermKind::Data, vec![data_key(k, v)]);
    }
    add(TermKind::Queue, filter.queue_ids.clone());
    add(TermKind::Team, filter.teams.clone());
    add(TermKind::ChannelSource, filter.channel_sources.clone());
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_of_several_kinds_is_one_entry() {
        let e: Engagement = serde_json::from_value(serde_json::json!({
            "id": "e", "started_at": "2024-01-01T00:00:00Z",
            "participants": [
                {"role": "agent", "id": "a1", "email": "Ann@X.test"},
                {"role": "customer", "email": "c@y.test"}
            ],
            "customer": {"emails": ["C@Y.test"]}
        }))
        .unwrap();
        let t = terms_by_value(&e, None);
        let ann = t.iter().find(|(v, _)| v == "ann@x.test").unwrap().1;
        assert!(ann.contains(TermKind::Agent) && ann.contains(TermKind::ParticipantEmail));
        assert!(!ann.contains(TermKind::Customer));
        let c = t.iter().find(|(v, _)| v == "c@y.test").unwrap().1;
        assert!(c.contains(TermKind::Customer) && c.contains(TermKind::ParticipantEmail));
        assert_eq!(t.len(), 3, "{t:?}");
    }

    #[test]
    fn phones_match_regardless_of_format_and_emails_regardless_of_case() {
        assert_eq!(
            customer_key("019 718 0171", None),
            customer_key("0197180171", None)
        );
        assert_eq!(
            customer_key("Melinda14@Example.org", None),
            "melinda14@example.org"
        );
        assert_eq!(customer_key("ACC-123", None), "acc-123");
    }
}
