//! Customer identifiers: AXP's `identifiers` objects, their home in the canonical
//! [`Customer`], and the typed form of linked identities.
//!
//! `phoneNumbers`, `emailAddresses` and `accountIds` are the canonical `phones`, `emails`
//! and `account_ids`; any other name (`twitterHandles`, `universalIds`…) is a `custom`
//! identifier type under that name.
//!
//! The store compares identifiers in a normalized form that has lost its type and spelling
//! (`+35387 12345` for `087 12345`). So that a journey's merged identity can be shown as
//! AXP shows it (`{"phoneNumbers": ["087 12345"], ...}`), the dialect links identifiers
//! with their type name and spelling, which the store keeps with each link.

use crate::json::Json;
use crate::problem::Violation;
use crate::validate::{chars, length_message, Check};
use indexmap::IndexMap;
use interlog_model::Customer;
use interlog_store::terms::customer_key;
use interlog_store::{Identifier, LinkedIdentifier, Tenant};

/// Longest identifier type name (Avaya: "The maximum length of an identifer key is 50").
pub const NAME_MAX: usize = 50;
const KEYS_MAX: usize = 10;
const VALUES_MAX: usize = 5;
const VALUE_MAX: usize = 256;

/// The identifier types with a field of their own in the canonical model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierName {
    Phone,
    Email,
    Account,
}

impl IdentifierName {
    pub const ALL: [IdentifierName; 3] = [
        IdentifierName::Phone,
        IdentifierName::Email,
        IdentifierName::Account,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            IdentifierName::Phone => "phoneNumbers",
            IdentifierName::Email => "emailAddresses",
            IdentifierName::Account => "accountIds",
        }
    }

    pub fn parse(name: &str) -> Option<IdentifierName> {
        IdentifierName::ALL.into_iter().find(|n| n.as_str() == name)
    }
}

/// Identifiers in the order a client gave them: (type name, values).
pub type IdentifierList = Vec<(String, Vec<String>)>;

/// The shortest value of an identifier type: Avaya's schema gives its three named types 3
/// characters and any other 1.
fn value_min(name: &str) -> usize {
    if IdentifierName::parse(name).is_some() {
        3
    } else {
        1
    }
}

/// Reads an `identifiers` object (1–10 types of 0–5 strings each). `None` when it is absent
/// (a violation when `required`) or broken (violations pushed).
pub fn parse(check: &mut Check, body: &Json, required: bool) -> Option<IdentifierList> {
    let Some(v) = body.field("identifiers") else {
        if required {
            check.push(Violation::missing("identifiers"));
        }
        return None;
    };
    parse_object(check, v, "identifiers")
}

/// Reads an identifiers object at `path`.
pub fn parse_object(check: &mut Check, v: &Json, path: &str) -> Option<IdentifierList> {
    let Some(members) = v.as_object() else {
        check.push(Violation::invalid(
            path,
            format!("must be an object, not {}", v.kind()),
        ));
        return None;
    };
    if members.is_empty() || members.len() > KEYS_MAX {
        check.push(Violation::invalid(path, length_message(1, KEYS_MAX)));
        return None;
    }
    let before = check.violations.len();
    let mut out = Vec::with_capacity(members.len());
    for (name, values) in members {
        let field = format!("{path}.{name}");
        if !(1..=NAME_MAX).contains(&chars(name)) {
            check.push(Violation::invalid(
                path,
                format!("identifier names must be 1 to {NAME_MAX} characters"),
            ));
            continue;
        }
        let Some(list) = values.as_array() else {
            check.push(Violation::invalid(
                &field,
                format!("must be an array, not {}", values.kind()),
            ));
            continue;
        };
        if list.len() > VALUES_MAX {
            check.push(Violation::invalid(&field, length_message(0, VALUES_MAX)));
            continue;
        }
        let mut kept = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            if let Some(s) =
                check.string_value(item, &format!("{field}[{i}]"), value_min(name), VALUE_MAX)
            {
                kept.push(s);
            }
        }
        out.push((name.clone(), kept));
    }
    (check.violations.len() == before).then_some(out)
}

/// Every value of the list, in order.
pub fn values(list: &IdentifierList) -> Vec<String> {
    list.iter().flat_map(|(_, v)| v.iter().cloned()).collect()
}

/// Every value of the list with its type name, as the store links them.
pub fn typed(list: &IdentifierList) -> Vec<Identifier> {
    list.iter()
        .flat_map(|(name, v)| v.iter().map(|v| Identifier::new(Some(name), v.as_str())))
        .collect()
}

fn list_mut<'a>(c: &'a mut Customer, name: &str) -> &'a mut Vec<String> {
    match IdentifierName::parse(name) {
        Some(IdentifierName::Phone) => &mut c.phones,
        Some(IdentifierName::Email) => &mut c.emails,
        Some(IdentifierName::Account) => &mut c.account_ids,
        None => c.custom.entry(name.to_owned()).or_default(),
    }
}

/// Adds identifiers a customer does not have yet (compared as the search compares them:
/// phone numbers regardless of formatting, the rest regardless of case).
pub fn append(c: &mut Customer, list: &IdentifierList, country: Option<&str>) {
    for (name, values) in list {
        let target = list_mut(c, name);
        for v in values {
            let key = customer_key(v, country);
            if !target.iter().any(|have| customer_key(have, country) == key) {
                target.push(v.clone());
            }
        }
    }
    c.custom.retain(|_, v| !v.is_empty());
}

/// Replaces the values of each type named in `list`; other types are kept.
pub fn replace(c: &mut Customer, list: &IdentifierList) {
    for (name, values) in list {
        *list_mut(c, name) = values.clone();
    }
    c.custom.retain(|_, v| !v.is_empty());
}

/// A type for a normalized identifier nobody told us the type of.
fn classify(key: &str) -> &'static str {
    if key.contains('@') {
        IdentifierName::Email.as_str()
    } else if key.starts_with('+') || (!key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())) {
        IdentifierName::Phone.as_str()
    } else {
        IdentifierName::Account.as_str()
    }
}

/// A customer's merged identity in AXP's shape: the identifiers the client gave, in its
/// order and spelling, then every other linked one under the type and spelling it was
/// linked with.
pub fn merged(
    tenant: &Tenant,
    given: &IdentifierList,
    linked: &[LinkedIdentifier],
) -> IndexMap<String, Vec<String>> {
    let country = tenant.country_code.as_deref();
    let mut out: IndexMap<String, Vec<String>> = IndexMap::new();
    let mut seen = std::collections::HashSet::new();
    for (name, values) in given {
        for v in values {
            if seen.insert(customer_key(v, country)) {
                out.entry(name.clone()).or_default().push(v.clone());
            }
        }
    }
    for l in linked {
        if !seen.insert(l.key.clone()) {
            continue;
        }
        let name = l
            .kind
            .clone()
            .unwrap_or_else(|| classify(&l.key).to_owned());
        out.entry(name).or_default().push(l.value.clone());
    }
    out.retain(|_, v| !v.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(pairs: &[(&str, &[&str])]) -> IdentifierList {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn append_skips_what_the_customer_has_in_another_spelling() {
        let mut c = Customer::default();
        append(
            &mut c,
            &list(&[
                ("phoneNumbers", &["019 718 0171"]),
                ("twitterHandles", &["@a"]),
            ]),
            Some("353"),
        );
        append(
            &mut c,
            &list(&[
                (
                    "phoneNumbers",
                    &["019-718-0171", "+353 19 718 0171", "087 1"],
                ),
                ("emailAddresses", &["A@B.ORG"]),
                ("twitterHandles", &["@A"]),
            ]),
            Some("353"),
        );
        assert_eq!(c.phones, ["019 718 0171", "087 1"]);
        assert_eq!(c.emails, ["A@B.ORG"]);
        assert_eq!(c.custom["twitterHandles"], ["@a"]);
        replace(&mut c, &list(&[("twitterHandles", &[])]));
        assert!(c.custom.is_empty());
    }

    #[test]
    fn identifiers_objects_are_checked_field_by_field() {
        let mut check = Check::default();
        let body = Json::parse(
            br#"{"identifiers":{"phoneNumbers":["12"],"x":"y","emailAddresses":["a@b.c","d@e.f","1","2","3","4"]}}"#,
        )
        .unwrap();
        assert!(parse(&mut check, &body, true).is_none());
        let fields: Vec<_> = check.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "identifiers.phoneNumbers[0]",
                "identifiers.x",
                "identifiers.emailAddresses"
            ]
        );
        let mut check = Check::default();
        assert!(parse(&mut check, &Json::parse(b"{}").unwrap(), true).is_none());
        assert_eq!(check.violations[0].code, Some(crate::problem::NOT_NULL));
        let mut check = Check::default();
        let ok = parse(
            &mut check,
            &Json::parse(br#"{"identifiers":{"universalIds":["7"],"phoneNumbers":[]}}"#).unwrap(),
            true,
        )
        .unwrap();
        assert_eq!(ok, list(&[("universalIds", &["7"]), ("phoneNumbers", &[])]));
    }

    #[test]
    fn unknown_identifiers_are_typed_by_their_shape() {
        assert_eq!(classify("a@b.org"), "emailAddresses");
        assert_eq!(classify("+35312345"), "phoneNumbers");
        assert_eq!(classify("0871234"), "phoneNumbers");
        assert_eq!(classify("acc-1"), "accountIds");
    }
}
