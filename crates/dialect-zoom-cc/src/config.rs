//! Configuration of the Zoom dialect: token and page-token lifetimes, and Zoom's rate limits.

use crate::scopes::Label;

/// Zoom's per-account limits for one rate-limit label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelLimit {
    /// Requests per second (Zoom's "QPS" type).
    pub per_second: u32,
    /// Requests per UTC day (Zoom's "Daily-limit" type), when the label has one.
    pub per_day: Option<u32>,
}

/// Limits per label, as a Zoom plan sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub light: LabelLimit,
    pub medium: LabelLimit,
    pub heavy: LabelLimit,
}

impl RateLimits {
    /// Zoom's Contact Center limits for Pro accounts.
    pub const PRO: RateLimits = RateLimits {
        light: LabelLimit {
            per_second: 20,
            per_day: None,
        },
        medium: LabelLimit {
            per_second: 10,
            per_day: None,
        },
        heavy: LabelLimit {
            per_second: 5,
            per_day: Some(15_000),
        },
    };

    /// Zoom's Contact Center limits for Business and larger accounts.
    pub const BUSINESS_PLUS: RateLimits = RateLimits {
        light: LabelLimit {
            per_second: 40,
            per_day: None,
        },
        medium: LabelLimit {
            per_second: 20,
            per_day: None,
        },
        heavy: LabelLimit {
            per_second: 10,
            per_day: Some(30_000),
        },
    };

    pub fn for_label(&self, label: Label) -> LabelLimit {
        match label {
            Label::Light => self.light,
            Label::Medium => self.medium,
            Label::Heavy => self.heavy,
        }
    }
}

/// The dialect's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoomConfig {
    /// Lifetime of access tokens from `POST /oauth/token`, in seconds (Zoom: one hour).
    pub token_ttl_secs: i64,
    /// How long a `next_page_token` stays valid, in seconds (Zoom promises 15 minutes).
    pub page_token_ttl_secs: i64,
    /// Per-account rate limits; `None` turns rate limiting (and its headers) off.
    pub rate_limits: Option<RateLimits>,
}

impl Default for ZoomConfig {
    /// Zoom's own behaviour: one-hour tokens, page tokens valid for 15 minutes, the Pro
    /// plan's rate limits.
    fn default() -> Self {
        ZoomConfig {
            token_ttl_secs: 3600,
            page_token_ttl_secs: 15 * 60,
            rate_limits: Some(RateLimits::PRO),
        }
    }
}

/// The keys of `[dialects.zoom_cc]`.
pub const CONFIG_KEYS: &[interlog_http::ConfigKey] = &[
    interlog_http::ConfigKey {
        key: "rate_limits",
        env: Some("INTERLOG_ZOOM_CC_RATE_LIMITS"),
        default: "\"pro\"",
        doc: "Zoom's per-account rate limits: \"pro\", \"business_plus\", \"off\", or a table that\nstarts from a plan and changes some limits, e.g.\n{ plan = \"pro\", medium_per_second = 20, heavy_per_day = 50000 }.",
    },
    interlog_http::ConfigKey {
        key: "page_token_ttl_secs",
        env: Some("INTERLOG_ZOOM_CC_PAGE_TOKEN_TTL_SECS"),
        default: "900",
        doc: "How long a next_page_token stays valid, in seconds (1 to 604800).",
    },
    interlog_http::ConfigKey {
        key: "token_ttl_secs",
        env: Some("INTERLOG_ZOOM_CC_TOKEN_TTL_SECS"),
        default: "3600",
        doc: "Lifetime of access tokens from POST /oauth/token, in seconds.",
    },
];

impl ZoomConfig {
    /// The defaults with the section's values applied.
    pub fn from_section(
        values: &interlog_http::ConfigSection,
    ) -> Result<ZoomConfig, interlog_http::ConfigValueError> {
        let mut c = ZoomConfig::default();
        let plan = |name: &str| match name.trim().to_ascii_lowercase().as_str() {
            "pro" => Ok(Some(RateLimits::PRO)),
            "business_plus" | "business" => Ok(Some(RateLimits::BUSINESS_PLUS)),
            "off" | "none" => Ok(None),
            _ => Err(values.invalid(
                "rate_limits",
                format!("{name:?}; accepted: pro, business_plus, off"),
            )),
        };
        let as_table = values.text("rate_limits").is_err();
        if as_table {
            let table = values.table("rate_limits")?.unwrap_or_default();
            let mut limits = RateLimits::PRO;
            if let Some((_, p)) = table.iter().find(|(k, _)| k == "plan") {
                limits = plan(p)?.ok_or_else(|| {
                    values.invalid(
                        "rate_limits",
                        "a table changes a plan; \"off\" has no limits",
                    )
                })?;
            }
            for (k, v) in &table {
                if k == "plan" {
                    continue;
                }
                let n: u32 = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    values.invalid("rate_limits", format!("{k}: must be a positive number"))
                })?;
                let (label, kind) = k.rsplit_once("_per_").unwrap_or((k, ""));
                let limit = match label {
                    "light" => &mut limits.light,
                    "medium" => &mut limits.medium,
                    "heavy" => &mut limits.heavy,
                    _ => return Err(values.invalid("rate_limits", format!("unknown key {k}"))),
                };
                match kind {
                    "second" => limit.per_second = n,
                    "day" => limit.per_day = Some(n),
                    _ => return Err(values.invalid("rate_limits", format!("unknown key {k}"))),
                }
            }
            c.rate_limits = Some(limits);
        } else if let Some(v) = values.text("rate_limits")? {
            c.rate_limits = plan(&v)?;
        }
        if let Some(n) = values.number("page_token_ttl_secs", 1..=7 * 24 * 3600)? {
            c.page_token_ttl_secs = n as i64;
        }
        if let Some(n) = values.number("token_ttl_secs", 60..=24 * 3600)? {
            c.token_ttl_secs = n as i64;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interlog_http::ConfigSection;
    use serde_json::json;

    #[test]
    fn the_section_chooses_the_plan_and_token_lifetime() {
        let empty = ConfigSection::new("dialects.zoom_cc");
        assert_eq!(
            ZoomConfig::from_section(&empty).unwrap(),
            ZoomConfig::default()
        );
        let mut off = ConfigSection::new("dialects.zoom_cc");
        off.set_env("rate_limits", "INTERLOG_ZOOM_CC_RATE_LIMITS", "off".into());
        assert_eq!(ZoomConfig::from_section(&off).unwrap().rate_limits, None);
        let mut biz = ConfigSection::new("dialects.zoom_cc");
        biz.set_file("rate_limits", json!("Business_Plus"));
        biz.set_file("page_token_ttl_secs", json!(3600));
        let c = ZoomConfig::from_section(&biz).unwrap();
        assert_eq!(c.rate_limits, Some(RateLimits::BUSINESS_PLUS));
        assert_eq!(c.page_token_ttl_secs, 3600);
        let mut bad = ConfigSection::new("dialects.zoom_cc");
        bad.set_file("rate_limits", json!("enterprise"));
        assert_eq!(
            ZoomConfig::from_section(&bad).unwrap_err().place,
            "[dialects.zoom_cc] rate_limits"
        );
        let mut custom = ConfigSection::new("dialects.zoom_cc");
        custom.set_file(
            "rate_limits",
            json!({"plan": "business_plus", "medium_per_second": 2, "light_per_day": 5}),
        );
        let limits = ZoomConfig::from_section(&custom)
            .unwrap()
            .rate_limits
            .unwrap();
        assert_eq!(limits.medium.per_second, 2);
        assert_eq!(limits.light.per_day, Some(5));
        assert_eq!(limits.heavy, RateLimits::BUSINESS_PLUS.heavy);
        let mut unknown = ConfigSection::new("dialects.zoom_cc");
        unknown.set_file("rate_limits", json!({"medium_per_week": 2}));
        assert!(ZoomConfig::from_section(&unknown).is_err());
        let mut short = ConfigSection::new("dialects.zoom_cc");
        short.set_env(
            "page_token_ttl_secs",
            "INTERLOG_ZOOM_CC_PAGE_TOKEN_TTL_SECS",
            "0".into(),
        );
        assert_eq!(
            ZoomConfig::from_section(&short).unwrap_err().place,
            "INTERLOG_ZOOM_CC_PAGE_TOKEN_TTL_SECS"
        );
    }
}
