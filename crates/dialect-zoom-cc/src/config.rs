//! Settings of the Zoom dialect: token and page-token lifetimes, and Zoom's rate limits.

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

/// Settings of the dialect.
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

/// The environment variable choosing the rate-limit plan: `pro` (default), `business_plus`
/// or `off`.
pub const ENV_RATE_LIMITS: &str = "INTERLOG_ZOOM_CC_RATE_LIMITS";
/// The environment variable setting the page-token lifetime in seconds.
pub const ENV_PAGE_TOKEN_TTL: &str = "INTERLOG_ZOOM_CC_PAGE_TOKEN_TTL_SECS";

impl ZoomConfig {
    /// The defaults, with what the environment overrides. The server's configuration file
    /// belongs to the binary; the environment lets an operator choose a plan (or turn the
    /// limits off) without it.
    pub fn from_env() -> Result<ZoomConfig, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`ZoomConfig::from_env`] over any lookup, so it can be tested without touching the
    /// process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<ZoomConfig, String> {
        let mut c = ZoomConfig::default();
        if let Some(v) = get(ENV_RATE_LIMITS) {
            c.rate_limits = match v.trim().to_ascii_lowercase().as_str() {
                "" | "pro" => Some(RateLimits::PRO),
                "business_plus" | "business" => Some(RateLimits::BUSINESS_PLUS),
                "off" | "none" => None,
                other => {
                    return Err(format!(
                        "{ENV_RATE_LIMITS}={other:?}; accepted: pro, business_plus, off"
                    ))
                }
            };
        }
        if let Some(v) = get(ENV_PAGE_TOKEN_TTL) {
            c.page_token_ttl_secs = match v.trim().parse::<i64>() {
                Ok(n) if (60..=7 * 24 * 3600).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "{ENV_PAGE_TOKEN_TTL}={v:?}; a number of seconds from 60 to 604800"
                    ))
                }
            };
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_chooses_the_plan_and_token_lifetime() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            ZoomConfig::from_lookup(env(&[])).unwrap(),
            ZoomConfig::default()
        );
        let off = ZoomConfig::from_lookup(env(&[(ENV_RATE_LIMITS, "off")])).unwrap();
        assert_eq!(off.rate_limits, None);
        let biz = ZoomConfig::from_lookup(env(&[
            (ENV_RATE_LIMITS, "Business_Plus"),
            (ENV_PAGE_TOKEN_TTL, "3600"),
        ]))
        .unwrap();
        assert_eq!(biz.rate_limits, Some(RateLimits::BUSINESS_PLUS));
        assert_eq!(biz.page_token_ttl_secs, 3600);
        assert!(ZoomConfig::from_lookup(env(&[(ENV_RATE_LIMITS, "enterprise")])).is_err());
        assert!(ZoomConfig::from_lookup(env(&[(ENV_PAGE_TOKEN_TTL, "5")])).is_err());
    }
}
