//! What the app needs to know of a vendor dialect, as one value. The binary keeps the one
//! list of them (its registry); routes, ingest formats, config sections and tenant aliases
//! all come from it.

use crate::formats::Format;
use crate::routes::Routes;
use crate::settings::{SettingError, SettingValues};
use interlog_model::{Engagement, SourcePlatform};
use interlog_store::Tenant;

/// One vendor dialect.
pub struct Dialect {
    /// Its name: the config section `[dialects.NAME]`, the ingest format's name and the
    /// namespace of tenant aliases (`--alias NAME=ALIAS`).
    pub name: &'static str,
    /// The platform its engagements come from.
    pub platform: SourcePlatform,
    /// Its ingest format (`?format=NAME`, `interlog import --format NAME`).
    pub format: Format,
    /// The vendor's shape of a tenant (account) id. An alias in this dialect must have it;
    /// a tenant whose key has it (ignoring case) answers under its key without an alias.
    pub tenant_id: TenantIdShape,
    /// The settings of its config section.
    pub settings: &'static [Setting],
    /// Builds its routes from its settings (the config section with the environment
    /// applied). A bad value is an error naming the key.
    pub routes: fn(&SettingValues) -> Result<Routes, SettingError>,
    /// How one engagement of a tenant is read through this dialect's API (the explorer
    /// links to it); `None` when the tenant has no name in the dialect.
    pub record_link: fn(&Tenant, &Engagement) -> Option<RecordLink>,
}

/// A request that reads one engagement through a dialect's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLink {
    /// `GET`, or the method of a dialect whose read is not a GET (GWS's content is a POST).
    pub method: &'static str,
    /// Path and query.
    pub path: String,
}

impl RecordLink {
    pub fn get(path: String) -> Self {
        RecordLink {
            method: "GET",
            path,
        }
    }
}

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

/// One setting of a dialect's config section.
pub struct Setting {
    /// Its key in `[dialects.NAME]`.
    pub key: &'static str,
    /// The environment variable that overrides it, if any.
    pub env: Option<&'static str>,
    /// Its default, as a TOML value (shown commented out by `interlog config`).
    pub default: &'static str,
    /// What it does, in one or two lines (shown by `interlog config`).
    pub doc: &'static str,
}

impl Dialect {
    /// Whether `alias` may name a tenant in this dialect.
    pub fn check_alias(&self, alias: &str) -> Result<(), String> {
        if (self.tenant_id.accepts)(alias) {
            Ok(())
        } else {
            Err(format!(
                "a {} alias must be {}, not {alias:?}",
                self.name, self.tenant_id.description
            ))
        }
    }

    /// The commented config section of this dialect (for `interlog config`).
    pub fn config_section(&self) -> String {
        let mut out = format!("[dialects.{}]\n", self.name);
        for s in self.settings {
            for line in s.doc.lines() {
                out.push_str("# ");
                out.push_str(line.trim());
                out.push('\n');
            }
            if let Some(env) = s.env {
                out.push_str(&format!("# (environment: {env})\n"));
            }
            out.push_str(&format!("# {} = {}\n", s.key, s.default));
        }
        out
    }
}
