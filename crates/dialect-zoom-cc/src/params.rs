//! The query parameters of Zoom's listings, read into what the store is asked.
//!
//! Parameters Zoom does not define are ignored, as Zoom ignores them; a defined parameter
//! given twice (other than the repeatable lists) is a validation error, so an ambiguous
//! request never silently picks one value. Empty values count as absent.

use crate::channels::{self, LegacySelect, CHANNELS, LEGACY_TYPES, SOURCES};
use crate::error::{ZoomError, ZoomResult};
use crate::page_token::fingerprint;
use interlog_http::params::Params;
use interlog_model::time::zone;
use interlog_model::{ChannelType, Direction, State};
use interlog_store::Filter;
use jiff::tz::TimeZone;

/// Longest value accepted for an id or number parameter.
const VALUE_MAX: usize = 1024;

/// The single, non-empty value of `name`.
pub fn one<'a>(p: &'a Params, name: &str) -> ZoomResult<Option<&'a str>> {
    let values = p.repeated(name);
    let mut it = values.into_iter().filter(|v| !v.is_empty());
    let first = it.next();
    if it.next().is_some() {
        return Err(ZoomError::field(name, "may be given only once"));
    }
    if let Some(v) = first {
        if v.len() > VALUE_MAX {
            return Err(ZoomError::field(
                name,
                format!("is longer than {VALUE_MAX} characters"),
            ));
        }
    }
    Ok(first)
}

/// `page_size`: `default` when absent, at most `max` (larger values are clamped, so that
/// over-large requests still succeed), at least 1.
pub fn page_size(p: &Params, default: u32, max: u32) -> ZoomResult<u32> {
    let Some(v) = one(p, "page_size")? else {
        return Ok(default);
    };
    match v.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.min(i64::from(max)) as u32),
        _ => Err(ZoomError::field(
            "page_size",
            format!("must be a whole number from 1 to {max}, not {v:?}"),
        )),
    }
}

/// Values of a repeatable parameter, from repeated keys and comma-separated lists, each
/// one of `accepted` (compared without regard to case).
fn words(p: &Params, name: &str, accepted: &[&'static str]) -> ZoomResult<Vec<&'static str>> {
    let mut out: Vec<&'static str> = Vec::new();
    for v in p.all(name) {
        let Some(w) = accepted.iter().find(|a| a.eq_ignore_ascii_case(v)) else {
            return Err(ZoomError::field(
                name,
                format!("{v:?} is not one of: {}", accepted.join(", ")),
            ));
        };
        if !out.contains(w) {
            out.push(w);
        }
    }
    Ok(out)
}

fn word(p: &Params, name: &str, accepted: &[&'static str]) -> ZoomResult<Option<&'static str>> {
    let Some(v) = one(p, name)? else {
        return Ok(None);
    };
    accepted
        .iter()
        .find(|a| a.eq_ignore_ascii_case(v))
        .copied()
        .map(Some)
        .ok_or_else(|| {
            ZoomError::field(
                name,
                format!("{v:?} is not one of: {}", accepted.join(", ")),
            )
        })
}

/// A list-engagements request.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub page_size: u32,
    pub next_page_token: Option<String>,
    pub tz: TimeZone,
    /// The zone's name as echoed in the envelope.
    pub tz_name: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Everything but the time window.
    pub filter: Filter,
    pub queue_id: Option<String>,
    pub user_id: Option<String>,
}

impl ListRequest {
    /// What a page token is bound to: every parameter but `page_size` and the token.
    pub fn fingerprint(&self) -> String {
        fingerprint(&[
            &format!("{:?}", self.filter),
            self.from.as_deref().unwrap_or(""),
            self.to.as_deref().unwrap_or(""),
            &self.tz_name,
        ])
    }
}

/// The deprecated `channel_types` as a filter: the types, or the sources, they select. A
/// source whose type is also selected adds nothing; sources and other types together
/// cannot be one filter and are refused.
fn legacy_filter(words: &[&'static str], f: &mut Filter) -> ZoomResult<()> {
    let selects: Vec<LegacySelect> = words
        .iter()
        .filter_map(|w| channels::legacy_select(w))
        .collect();
    let kinds: Vec<ChannelType> = selects
        .iter()
        .filter_map(|s| match s {
            LegacySelect::Kind(k) => Some(*k),
            LegacySelect::Source(..) => None,
        })
        .collect();
    let sources: Vec<String> = selects
        .iter()
        .filter_map(|s| match s {
            LegacySelect::Source(src, kind) if !kinds.contains(kind) => Some((*src).to_owned()),
            _ => None,
        })
        .collect();
    match (kinds.is_empty(), sources.is_empty()) {
        (_, true) => f.channel_types = kinds,
        (true, false) => {
            if f.channel_sources.is_empty() {
                f.channel_sources = sources;
            } else {
                // Both lists restrict the sources: what they share.
                f.channel_sources.retain(|s| sources.contains(s));
                if f.channel_sources.is_empty() {
                    return Err(ZoomError::field(
                        "channel_types",
                        "selects no source that channel_sources allows",
                    ));
                }
            }
        }
        (false, false) => {
            return Err(ZoomError::field(
                "channel_types",
                "in_app_chat, in_app_video and kiosk can only be combined with their own channel (chat, video); use channel and channel_sources",
            ))
        }
    }
    Ok(())
}

pub fn list_request(raw: Option<&str>) -> ZoomResult<ListRequest> {
    let p = Params::parse(raw);
    let page_size = page_size(&p, 10, 100)?;
    let next_page_token = one(&p, "next_page_token")?.map(str::to_owned);
    let (tz, tz_name) = match one(&p, "timezone")? {
        None => (TimeZone::UTC, "UTC".to_owned()),
        Some(name) => {
            let tz = zone(name).map_err(|_| {
                ZoomError::field("timezone", format!("{name:?} is not a time zone ID"))
            })?;
            let canonical = tz.iana_name().unwrap_or(name).to_owned();
            (tz, canonical)
        }
    };
    let from = one(&p, "from")?.map(str::to_owned);
    let to = one(&p, "to")?.map(str::to_owned);
    let queue_id = one(&p, "queue_id")?.map(str::to_owned);
    let user_id = one(&p, "user_id")?.map(str::to_owned);
    let consumer_number = one(&p, "consumer_number")?.map(str::to_owned);
    let channel = word(&p, "channel", &CHANNELS)?;
    let sources = words(&p, "channel_sources", &SOURCES)?;
    let direction = word(&p, "direction", &["inbound", "outbound"])?;

    let mut f = Filter {
        // Zoom lists completed engagements only.
        states: vec![State::Completed],
        channel_sources: sources.iter().map(|s| (*s).to_owned()).collect(),
        queue_ids: queue_id.iter().cloned().collect(),
        agents: user_id.iter().cloned().collect(),
        customer: consumer_number.into_iter().collect(),
        directions: match direction {
            Some("inbound") => vec![Direction::Inbound],
            Some(_) => vec![Direction::Outbound],
            None => vec![],
        },
        ..Filter::default()
    };
    match channel {
        // `channel` replaces the deprecated `channel_types`, which is then not processed.
        Some(c) => f.channel_types = channels::kinds_of_channel(c).unwrap_or_default(),
        None => legacy_filter(&words(&p, "channel_types", &LEGACY_TYPES)?, &mut f)?,
    }
    Ok(ListRequest {
        page_size,
        next_page_token,
        tz,
        tz_name,
        from,
        to,
        filter: f,
        queue_id,
        user_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(q: &str) -> ListRequest {
        list_request(Some(q)).unwrap()
    }

    fn err_field(q: &str) -> String {
        let e = list_request(Some(q)).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, 300), "{q}");
        e.errors[0].field.clone()
    }

    #[test]
    fn defaults_and_page_size_bounds() {
        let r = req("");
        assert_eq!(r.page_size, 10);
        assert_eq!(r.tz_name, "UTC");
        assert_eq!(r.filter.states, [State::Completed]);
        assert_eq!(req("page_size=300").page_size, 100);
        assert_eq!(req("page_size=7&unknown=1").page_size, 7);
        assert_eq!(err_field("page_size=0"), "page_size");
        assert_eq!(err_field("page_size=ten"), "page_size");
        assert_eq!(err_field("page_size=1&page_size=2"), "page_size");
        assert_eq!(req("timezone=&from=").tz_name, "UTC");
        assert_eq!(err_field("timezone=Mars/Base"), "timezone");
    }

    #[test]
    fn channel_replaces_the_deprecated_channel_types() {
        let r = req("channel=video&channel_types=voice&channel_types=pigeon");
        assert_eq!(
            r.filter.channel_types,
            [ChannelType::Video, ChannelType::Kiosk]
        );
        let r = req("channel_types=in_app_video&channel_types=video");
        assert_eq!(r.filter.channel_types, [ChannelType::Video]);
        assert!(r.filter.channel_sources.is_empty());
        let r = req("channel_types=in_app_chat");
        assert_eq!(r.filter.channel_sources, ["in_app_chat"]);
        assert!(r.filter.channel_types.is_empty());
        let r = req("channel_types=SMS,voice");
        assert_eq!(
            r.filter.channel_types,
            [ChannelType::Sms, ChannelType::Voice]
        );
        assert_eq!(
            err_field("channel_types=voice&channel_types=in_app_chat"),
            "channel_types"
        );
        assert_eq!(err_field("channel_types=pigeon"), "channel_types");
        assert_eq!(err_field("channel=fax"), "channel");
    }

    #[test]
    fn channel_sources_accept_repeated_keys_and_commas() {
        let r = req("channel_sources=web_chat,in_app_chat&channel_sources=sms");
        assert_eq!(r.filter.channel_sources, ["web_chat", "in_app_chat", "sms"]);
        let r = req("channel_sources=web_chat,in_app_chat&channel_types=in_app_chat");
        assert_eq!(r.filter.channel_sources, ["in_app_chat"]);
        assert_eq!(err_field("channel_sources=telegram"), "channel_sources");
        assert_eq!(
            err_field("channel_sources=sms&channel_types=kiosk"),
            "channel_types"
        );
    }

    #[test]
    fn the_fingerprint_ignores_page_size_and_the_token_only() {
        let a = req("from=2024-01-01&to=2024-01-31&queue_id=q&page_size=5");
        let b = req("queue_id=q&to=2024-01-31&from=2024-01-01&page_size=50&next_page_token=x");
        assert_eq!(a.fingerprint(), b.fingerprint());
        for other in [
            "from=2024-01-01&to=2024-01-31&queue_id=r",
            "from=2024-01-01&to=2024-01-30&queue_id=q",
            "from=2024-01-01&to=2024-01-31&queue_id=q&timezone=Europe/Dublin",
            "from=2024-01-01&to=2024-01-31&queue_id=q&direction=inbound",
        ] {
            assert_ne!(req(other).fingerprint(), a.fingerprint(), "{other}");
        }
    }

    proptest! {
        #[test]
        fn any_query_string_is_read_or_refused_with_a_field(q in "\\PC{0,200}") {
            match list_request(Some(&q)) {
                Ok(r) => prop_assert!((1..=100).contains(&r.page_size)),
                Err(e) => {
                    prop_assert_eq!(e.code, 300);
                    prop_assert!(!e.errors.is_empty());
                }
            }
        }

        #[test]
        fn page_sizes_clamp(n in 1i64..100_000) {
            let r = list_request(Some(&format!("page_size={n}"))).unwrap();
            prop_assert_eq!(i64::from(r.page_size), n.min(100));
        }
    }
}
