//! The dialects this server speaks. Each is its own crate; adding one is its crate and one
//! line here.

use interlog_http::Dialect;

pub static DIALECTS: &[&Dialect] = &[
    &interlog_dialect_oracle_lx::DIALECT,
    &interlog_dialect_zoom_cc::DIALECT,
    &interlog_dialect_avaya_axp::DIALECT,
    &interlog_dialect_genesys_gws::DIALECT,
];

/// The dialect named `name`.
pub fn dialect(name: &str) -> Option<&'static Dialect> {
    DIALECTS.iter().copied().find(|d| d.name == name)
}

/// Every ingest format, for `interlog import`.
pub fn formats() -> interlog_http::formats::Formats {
    interlog_http::formats::Formats::new(DIALECTS.iter().map(|d| d.format))
}
