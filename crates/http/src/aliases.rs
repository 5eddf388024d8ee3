//! How a dialect names tenants: by an alias given at creation (`--alias NAME=ALIAS`), or by
//! a tenant's key when it has the vendor's shape of a tenant id.

use interlog_store::Tenant;

/// The alias `tenant` answers to in `dialect`, if it has one.
pub fn alias_in<'a>(tenant: &'a Tenant, dialect: &str) -> Option<&'a str> {
    tenant
        .aliases
        .iter()
        .find(|(d, _)| d == dialect)
        .map(|(_, a)| a.as_str())
}

/// What a vendor's tenant ids look like.
#[derive(Clone, Copy)]
pub struct TenantIdShape {
    /// Whether `id` has the shape.
    pub accepts: fn(&str) -> bool,
    /// The shape in words, for errors: e.g. "six letters".
    pub description: &'static str,
}

impl TenantIdShape {
    /// Any non-empty id of at most 128 visible ASCII characters without `/`.
    pub const ANY: TenantIdShape = TenantIdShape {
        accepts: |id| {
            !id.is_empty()
                && id.len() <= 128
                && id.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
        },
        description: "1 to 128 visible characters without '/'",
    };
}
