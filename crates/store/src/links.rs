//! Customer identity links: the identifiers (phones, emails, account ids… in any spelling)
//! known to belong to one customer.

use crate::{Result, Tenant};
use async_trait::async_trait;

/// An identifier as a client gave it: its value in the client's spelling and, when the
/// client said, its type (`phone`, `email`, `account`, or a custom type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub kind: Option<String>,
    pub value: String,
}

impl From<&str> for Identifier {
    /// An identifier of no stated type.
    fn from(value: &str) -> Self {
        Identifier::new(None, value)
    }
}

impl Identifier {
    pub fn new(kind: Option<&str>, value: impl Into<String>) -> Self {
        Identifier {
            kind: kind.map(str::to_owned),
            value: value.into(),
        }
    }
}

/// One identifier of a customer: its comparison form ([`crate::terms::customer_key`]), and
/// the type and spelling it was first linked with (the comparison form and no type when it
/// was never linked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentifier {
    pub key: String,
    pub kind: Option<String>,
    pub value: String,
}

/// The identifiers of a link call that say something (blank ones are skipped), each with
/// the key it is linked under ([`crate::terms::customer_key`], read with the tenant's
/// `country` code).
pub fn keyed<'a>(
    identifiers: &'a [Identifier],
    country: Option<&str>,
) -> Vec<(String, &'a Identifier)> {
    identifiers
        .iter()
        .filter(|i| !i.value.trim().is_empty())
        .map(|i| (crate::terms::customer_key(&i.value, country), i))
        .collect()
}

/// The customer that identifiers linked together end up in: the first of the `customers`
/// they already belong to (the others merge into it), or a new one.
pub fn link_target(customers: &[String]) -> String {
    customers.first().cloned().unwrap_or_else(crate::new_id)
}

/// A tenant's customer identity links. Identifiers are compared in their normalized form
/// (phones regardless of formatting, read with the tenant's country code; everything else
/// case-insensitively).
#[async_trait]
pub trait IdentityLinks: Send + Sync {
    /// Links identifiers as one customer: a search by any of them also finds engagements
    /// that carry only another. Linking identifiers that already belong to different
    /// customers merges them. The first type and spelling given for an identifier is the
    /// one kept.
    async fn link_identifiers(&self, tenant: &Tenant, identifiers: &[Identifier]) -> Result<()>;

    /// Removes one identifier from its customer; false when it was not linked.
    async fn unlink_identifier(&self, tenant: &Tenant, identifier: &str) -> Result<bool>;

    /// Every identifier linked with `identifier`, itself included, in the order of their
    /// comparison forms; just itself when it is not linked.
    async fn linked_identifiers(
        &self,
        tenant: &Tenant,
        identifier: &str,
    ) -> Result<Vec<LinkedIdentifier>>;
}
