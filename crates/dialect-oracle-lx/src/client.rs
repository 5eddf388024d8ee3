//! The client side of the dialect: the `oracle_lx` connector, reading a Live Experience
//! tenant's engagements as Oracle documents its REST API
//! (`docs/vendors/oracle-live-experience.md`), whichever server answers.
//!
//! - **Auth**: `GET {token_url}` (default `{base_url}/v1/auth/{tenant}`, Oracle's token
//!   resource) with the keys `grant_type=password`, `domain_name` and `credentials`
//!   (base64 of `clientId:clientSecret`) in the query string — Oracle calls them "keys of
//!   the GET request" and says no more — and `Accept: application/json`, `Origin: {domain}`.
//!   Tokens last 20 minutes; one is asked for again a minute before, and once more when an
//!   answer is 401.
//! - **Reading**: `GET {base_url}/v1/engagements/{tenant}?status=…&startAfter=…&
//!   startBefore=…&sort=oldest&limit=100&offset=…` (default base
//!   `https://api.live.oraclecloud.com`), `offset` growing by the page while `hasMore`.
//!   Oracle lists **successful** engagements unless told otherwise, so each window is read
//!   twice: `status=successful` and `status=unsuccessful` (the value Oracle's description
//!   implies; it documents none). An engagement with no recorded outcome is in neither:
//!   Interlog's own dialect has an extra `status=all` for those, which Oracle does not
//!   have, so the connector does not use it.
//! - **Dates** are `yyyy-mm-ddThh:mi:ss` without a zone; Oracle does not say which zone it
//!   reads them in, so the connector writes them in the `time_zone` setting (default UTC)
//!   — set it to the tenant's zone when the server reads them so (Interlog's dialect reads
//!   them in the tenant's zone). `startBefore` is the window's end rounded up to the
//!   second (and past a repeated hour), so windows overlap at their edges rather than
//!   miss one.
//! - **Paging** is by offset, which grows slower with depth; a window holding more than
//!   [`MAX_OFFSET`] engagements of one status is handed back to be read in halves.
//! - Each record maps through the dialect's `oracle_lx` ingest mapping, keeping its `id`
//!   and `source: oracle_lx`.

use crate::ingest::decode_json_line;
use crate::NAME;
use async_trait::async_trait;
use base64::Engine;
use interlog_http::connector::{
    excerpt, map_record, Authorized, ConnectorKind, Field, FieldProblem, Page, Read, Settings,
    Sink, Source, SourceError, TokenUrl, Tokens, VendorClient, Window,
};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::time::Duration;

/// Oracle's largest page.
pub const PAGE_SIZE: u32 = 100;
/// The deepest offset read in one window before it is read in halves.
pub const MAX_OFFSET: u64 = 10_000;
/// The statuses a window is read with.
const STATUSES: [&str; 2] = ["successful", "unsuccessful"];

/// The `oracle_lx` connector kind.
pub static CONNECTOR: ConnectorKind = ConnectorKind {
    name: NAME,
    vendor: "Oracle Live Experience",
    fields: &[
        Field::text(
            "tenant",
            "The tenant key (tenant name, such as PremierTenant) in every resource path",
        ),
        Field::text("client_id", "The application's Client ID (Admin Console)"),
        Field::secret("client_secret", "The application's Client Secret"),
        Field::text(
            "domain_name",
            "The domain_name key of token requests (live.oraclecloud.com, emea.live.oraclecloud.com); default: the base URL's host without api.",
        )
        .optional(),
        Field::text(
            "time_zone",
            "The IANA zone the date filters are written in (Oracle leaves it undocumented); default UTC",
        )
        .optional(),
    ],
    default_base_url: Some("https://api.live.oraclecloud.com"),
    token_url: TokenUrl::Derived(|s| {
        s.text("tenant")
            .map(|t| s.url(&format!("/v1/auth/{}", path_segment(t))))
    }),
    max_window: Duration::from_secs(7 * 86_400),
    first_window: Duration::from_secs(86_400),
    check,
    open: |settings, client| Box::new(LxSource::new(settings, client)),
};

fn check(s: &Settings) -> Result<(), FieldProblem> {
    if let Some(z) = s.text("time_zone") {
        TimeZone::get(z).map_err(|_| {
            FieldProblem::new("time_zone", format!("{z:?} is not an IANA time zone"))
        })?;
    }
    Ok(())
}

/// `text` as one URL path segment.
fn path_segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

struct LxSource {
    settings: Settings,
    token_url: String,
    zone: TimeZone,
    client: VendorClient,
    tokens: Tokens,
}

#[derive(Deserialize)]
struct ListPage<'a> {
    #[serde(default, rename = "hasMore")]
    has_more: bool,
    #[serde(default, borrow)]
    engagements: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<String>,
}

/// The wall-clock second of `t` in `zone`, as Oracle writes dates.
fn local(t: Timestamp, zone: &TimeZone) -> String {
    t.to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// A `…Before` bound covering `t`: its second rounded up, and, when that wall-clock time
/// occurs twice (a repeated hour), the later of the two, so no instant before `t` is left
/// out whichever the server picks.
fn local_upper(t: Timestamp, zone: &TimeZone) -> String {
    let ceil =
        Timestamp::from_second(t.as_second() + i64::from(t.subsec_nanosecond() > 0)).unwrap_or(t);
    let civil = ceil.to_zoned(zone.clone()).datetime();
    let back = zone
        .to_ambiguous_timestamp(civil)
        .compatible()
        .unwrap_or(ceil);
    let later = if back < ceil {
        ceil.checked_add(ceil.duration_since(back)).unwrap_or(ceil)
    } else {
        ceil
    };
    local(later, zone)
}

impl LxSource {
    fn new(settings: Settings, client: VendorClient) -> Self {
        let token_url = CONNECTOR
            .token_url_of(&settings)
            .unwrap_or_else(|| settings.url("/v1/auth/"));
        let zone = settings
            .text("time_zone")
            .and_then(|z| TimeZone::get(z).ok())
            .unwrap_or(TimeZone::UTC);
        LxSource {
            settings,
            token_url,
            zone,
            client,
            // "A JWT automatically expires after 20 minutes."
            tokens: Tokens::new(Duration::from_secs(1200)),
        }
    }

    /// The `domain_name` key: the setting, else the base URL's host without `api.`.
    fn domain(&self) -> String {
        if let Some(d) = self.settings.text("domain_name") {
            return d.to_owned();
        }
        reqwest::Url::parse(&self.settings.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .map(|h| h.strip_prefix("api.").unwrap_or(&h).to_owned())
            .unwrap_or_else(|| "live.oraclecloud.com".into())
    }

    async fn token(&mut self) -> Result<String, SourceError> {
        if let Some(t) = self.tokens.current() {
            return Ok(t);
        }
        let id = self.settings.required("client_id")?;
        let secret = self.settings.required("client_secret")?;
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let domain = self.domain();
        let url = self.token_url.clone();
        let answer = self
            .client
            .send(|http| {
                http.get(&url)
                    .query(&[
                        ("grant_type", "password"),
                        ("domain_name", domain.as_str()),
                        ("credentials", credentials.as_str()),
                    ])
                    .header("accept", "application/json")
                    .header("origin", domain.as_str())
            })
            .await?;
        self.tokens.accept(&url, &answer)
    }

    /// One page of one status, renewing the token once on a 401.
    async fn page(
        &mut self,
        status: &str,
        after: &str,
        before: &str,
        offset: u64,
    ) -> Result<interlog_http::connector::vendor::VendorResponse, SourceError> {
        let tenant = self.settings.required("tenant")?.to_owned();
        let url = self
            .settings
            .url(&format!("/v1/engagements/{}", path_segment(&tenant)));
        let (limit, offset) = (PAGE_SIZE.to_string(), offset.to_string());
        let mut first_try = true;
        loop {
            let bearer = self.token().await?;
            let answer = self
                .client
                .send(|http| {
                    http.get(&url)
                        .query(&[
                            ("status", status),
                            ("startAfter", after),
                            ("startBefore", before),
                            ("sort", "oldest"),
                            ("limit", limit.as_str()),
                            ("offset", offset.as_str()),
                        ])
                        .bearer_auth(&bearer)
                        .header("accept", "application/json")
                })
                .await?;
            match self
                .tokens
                .check(answer, first_try, "listing engagements")?
            {
                Authorized::Again => first_try = false,
                Authorized::Answer(a) if a.status == StatusCode::OK => return Ok(a),
                Authorized::Answer(a) => return Err(a.unexpected("listing engagements")),
            }
        }
    }
}

#[async_trait]
impl Source for LxSource {
    async fn read(&mut self, window: Window, sink: &mut dyn Sink) -> Result<Read, SourceError> {
        let after = local(window.from, &self.zone);
        let before = local_upper(window.to, &self.zone);
        let splittable = window.length() > Duration::from_secs(1);
        for status in STATUSES {
            let mut offset = 0u64;
            loop {
                if offset >= MAX_OFFSET && splittable {
                    return Ok(Read::TooLarge);
                }
                let answer = self.page(status, &after, &before, offset).await?;
                let page: ListPage<'_> = serde_json::from_slice(&answer.body).map_err(|e| {
                    SourceError::Vendor(format!(
                        "the engagement list is not EngagementListV1 JSON ({e}): {}",
                        excerpt(&answer.body, 200)
                    ))
                })?;
                let n = page.engagements.len() as u64;
                let records = page
                    .engagements
                    .iter()
                    .map(|raw| {
                        let id = serde_json::from_str::<IdOnly>(raw.get())
                            .ok()
                            .and_then(|i| i.id);
                        map_record(decode_json_line, raw.get().as_bytes(), id.as_deref())
                    })
                    .collect();
                sink.page(Page { records }).await?;
                if !page.has_more || n == 0 {
                    break;
                }
                offset += n;
            }
        }
        Ok(Read::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_wall_clock_seconds_and_the_upper_bound_covers_a_repeated_hour() {
        let dublin = TimeZone::get("Europe/Dublin").unwrap();
        let t: Timestamp = "2026-07-01T09:30:00.5Z".parse().unwrap();
        assert_eq!(local(t, &dublin), "2026-07-01T10:30:00");
        assert_eq!(local_upper(t, &dublin), "2026-07-01T10:30:01");
        assert_eq!(local(t, &TimeZone::UTC), "2026-07-01T09:30:00");
        // 01:30 happens twice on 25 October 2026 in Dublin (00:30Z and 01:30Z); a server
        // reading a wall time takes the earlier: each bound read back is not before its
        // instant.
        for (t, want) in [
            ("2026-10-25T00:30:00Z", "2026-10-25T01:30:00"),
            ("2026-10-25T01:30:00Z", "2026-10-25T02:30:00"),
        ] {
            let t: Timestamp = t.parse().unwrap();
            let upper = local_upper(t, &dublin);
            assert_eq!(upper, want);
            let civil: jiff::civil::DateTime = upper.parse().unwrap();
            let read_back = dublin.to_ambiguous_timestamp(civil).compatible().unwrap();
            assert!(read_back >= t, "{upper}");
        }
    }

    #[test]
    fn the_token_url_is_under_the_base_by_default() {
        let s = Settings {
            base_url: "https://api.emea.live.oraclecloud.com/".into(),
            token_url: None,
            values: [("tenant".to_owned(), serde_json::json!("Premier Tenant"))]
                .into_iter()
                .collect(),
        };
        assert_eq!(
            CONNECTOR.token_url_of(&s).unwrap(),
            "https://api.emea.live.oraclecloud.com/v1/auth/Premier%20Tenant"
        );
    }
}
