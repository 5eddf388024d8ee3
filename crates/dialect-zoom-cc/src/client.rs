//! The client side of the dialect: the `zoom_cc` connector, reading a Zoom Contact Center
//! account's engagements as Zoom documents its API (`docs/vendors/zoom-contact-center.md`),
//! whichever server answers (Zoom, or an Interlog playing Zoom).
//!
//! - **Auth**: Server-to-Server OAuth, `POST {token_url}?grant_type=account_credentials&
//!   account_id=…` with HTTP Basic `client_id:client_secret` (default token URL
//!   `https://zoom.us/oauth/token`). Tokens last an hour and have no refresh token: a new one
//!   is asked for a minute before the old one ends, and at once when an answer says it
//!   expired (401); a second 401 in a row, or a refused token request, is a credentials
//!   error.
//! - **Reading**: `GET {base_url}/contact_center/engagements?from=…&to=…&page_size=100`
//!   (default base `https://api.zoom.us/v2`), then `&next_page_token=…` until Zoom answers
//!   an empty one. `from`/`to` are `yyyy-MM-dd'T'HH:mm:ss'Z'` in UTC (no `timezone`: Zoom's
//!   default is UTC); `to` is the window's end rounded up to the second, so consecutive
//!   windows share their boundary second and a record on it is read twice rather than
//!   never (whether Zoom's `to` is inclusive is undocumented). Windows span at most 28 days:
//!   Zoom answers at most a month of data a request.
//! - **Page tokens** expire after 15 minutes. A window whose first page counts more than
//!   [`MAX_WINDOW_RECORDS`] (`total_records`) is handed back to be read in halves, so each
//!   window pages through well within that; an answer refusing a page token (Zoom's body
//!   for it is undocumented: any 400 to a request that carried one) restarts the window
//!   from its first page, and three restarts of one window read it in halves.
//! - Each item maps through the dialect's `zoom_cc` ingest mapping ([`crate::ingest`]), so
//!   an engagement keeps Zoom's `engagement_id` as its id and `source: zoom_cc`. Only
//!   completed engagements are listed by Zoom; one that completes late (it started before
//!   the cursor) is read by the runner's lookback.

use crate::ingest::decode_item;
use crate::NAME;
use async_trait::async_trait;
use interlog_http::connector::{
    accept_record, Authorized, ConnectorKind, Field, Page, Read, Settings, Sink, Source,
    SourceError, TokenUrl, Tokens, VendorClient, Window,
};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde::Deserialize;
use std::time::Duration;

/// The records a window may count before it is read in halves: 500 pages of 100, under a
/// minute at Zoom's Medium limit and under ten even at one request a second, well inside
/// a page token's 15 minutes.
pub const MAX_WINDOW_RECORDS: u64 = 50_000;
/// Zoom's largest page of engagements.
pub const PAGE_SIZE: u32 = 100;
/// Restarts of one window (expired page tokens) before it is read in halves.
const RESTARTS: u32 = 3;

/// The `zoom_cc` connector kind.
pub static CONNECTOR: ConnectorKind = ConnectorKind {
    name: NAME,
    vendor: "Zoom Contact Center",
    fields: &[
        Field::text(
            "account_id",
            "The account ID of the Server-to-Server OAuth app (its App Credentials page)",
        ),
        Field::text("client_id", "The app's client ID"),
        Field::secret("client_secret", "The app's client secret"),
    ],
    default_base_url: Some("https://api.zoom.us/v2"),
    token_url: TokenUrl::Fixed("https://zoom.us/oauth/token"),
    // Under any calendar month: Zoom answers one month of data a request.
    max_window: Duration::from_secs(28 * 86_400),
    first_window: Duration::from_secs(7 * 86_400),
    check: |_| Ok(()),
    open: |settings, client| Box::new(ZoomSource::new(settings, client)),
};

struct ZoomSource {
    settings: Settings,
    token_url: String,
    client: VendorClient,
    tokens: Tokens,
}

/// One list page, with only what the connector reads.
#[derive(Deserialize)]
struct ListPage {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    total_records: Option<u64>,
    #[serde(default)]
    engagements: Vec<serde_json::Value>,
}

/// What a list request came to.
enum Listed {
    Page(ListPage),
    /// The page token was refused (expired).
    TokenRefused(String),
}

/// `yyyy-MM-dd'T'HH:mm:ss'Z'`.
fn zoom_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `t` rounded up to a whole second.
fn ceil_second(t: Timestamp) -> Timestamp {
    let s = t.as_second() + i64::from(t.subsec_nanosecond() > 0);
    Timestamp::from_second(s).unwrap_or(t)
}

impl ZoomSource {
    fn new(settings: Settings, client: VendorClient) -> Self {
        let token_url = CONNECTOR
            .token_url_of(&settings)
            .unwrap_or_else(|| "https://zoom.us/oauth/token".into());
        ZoomSource {
            settings,
            token_url,
            client,
            // Zoom: "The token's time to live is one hour."
            tokens: Tokens::new(Duration::from_secs(3600)),
        }
    }

    /// A bearer token: the one held while it is good, else a new one.
    async fn token(&mut self) -> Result<String, SourceError> {
        if let Some(t) = self.tokens.current() {
            return Ok(t);
        }
        let account = self.settings.required("account_id")?.to_owned();
        let id = self.settings.required("client_id")?.to_owned();
        let secret = self.settings.required("client_secret")?.to_owned();
        let url = self.token_url.clone();
        let answer = self
            .client
            .send(|http| {
                http.post(&url)
                    .query(&[
                        ("grant_type", "account_credentials"),
                        ("account_id", account.as_str()),
                    ])
                    .basic_auth(&id, Some(&secret))
                    .header("accept", "application/json")
            })
            .await?;
        self.tokens.accept(&url, &answer)
    }

    /// One list request, renewing the token once if the answer says it ended.
    async fn list(
        &mut self,
        from: &str,
        to: &str,
        page_token: Option<&str>,
    ) -> Result<Listed, SourceError> {
        let url = self.settings.url("/contact_center/engagements");
        let size = PAGE_SIZE.to_string();
        let mut first_try = true;
        loop {
            let bearer = self.token().await?;
            let answer = self
                .client
                .send(|http| {
                    let mut q = vec![("from", from), ("to", to), ("page_size", size.as_str())];
                    if let Some(t) = page_token {
                        q.push(("next_page_token", t));
                    }
                    http.get(&url)
                        .query(&q)
                        .bearer_auth(&bearer)
                        .header("accept", "application/json")
                })
                .await?;
            // Expired (code 124) or revoked: one new token, then it is the credentials.
            let answer = match self
                .tokens
                .check(answer, first_try, "listing engagements")?
            {
                Authorized::Again => {
                    first_try = false;
                    continue;
                }
                Authorized::Answer(a) => a,
            };
            return match answer.status {
                StatusCode::OK => Ok(Listed::Page(answer.json()?)),
                StatusCode::BAD_REQUEST if page_token.is_some() => Ok(Listed::TokenRefused(
                    interlog_http::connector::excerpt(&answer.body, 200),
                )),
                _ => Err(answer.unexpected("listing engagements")),
            };
        }
    }
}

#[async_trait]
impl Source for ZoomSource {
    async fn read(&mut self, window: Window, sink: &mut dyn Sink) -> Result<Read, SourceError> {
        let from = zoom_time(window.from);
        let to = zoom_time(ceil_second(window.to));
        let splittable = window.length() > Duration::from_secs(1);
        let mut restarts = 0;
        'window: loop {
            let mut page_token: Option<String> = None;
            loop {
                let page = match self.list(&from, &to, page_token.as_deref()).await? {
                    Listed::Page(p) => p,
                    Listed::TokenRefused(why) => {
                        restarts += 1;
                        tracing::info!(kind = NAME, %from, %to, restarts, reason = %why, "a page token was refused; reading the window again");
                        if restarts >= RESTARTS && splittable {
                            return Ok(Read::TooLarge);
                        }
                        if restarts >= RESTARTS * 3 {
                            return Err(SourceError::Vendor(format!(
                                "page tokens of the window {from}..{to} keep being refused: {why}"
                            )));
                        }
                        continue 'window;
                    }
                };
                if page_token.is_none()
                    && splittable
                    && page.total_records.unwrap_or(0) > MAX_WINDOW_RECORDS
                {
                    return Ok(Read::TooLarge);
                }
                let records = page
                    .engagements
                    .into_iter()
                    .map(|item| {
                        let id = item
                            .get("engagement_id")
                            .and_then(|v| v.as_str())
                            .map(str::to_owned);
                        accept_record(decode_item(item), id.as_deref())
                    })
                    .collect();
                sink.page(Page { records }).await?;
                match page.next_page_token.filter(|t| !t.is_empty()) {
                    Some(t) => page_token = Some(t),
                    None => return Ok(Read::Done),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_seconds_in_zoom_s_format() {
        let t: Timestamp = "2026-03-01T10:00:00.250Z".parse().unwrap();
        assert_eq!(zoom_time(t), "2026-03-01T10:00:00Z");
        assert_eq!(zoom_time(ceil_second(t)), "2026-03-01T10:00:01Z");
        let whole: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        assert_eq!(ceil_second(whole), whole);
    }
}
