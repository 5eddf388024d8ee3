//! The client side of the dialect: the `avaya_axp` connector, as far as the Customer
//! Journey API allows one (`docs/vendors/avaya-axp-journey.md`).
//!
//! AXP has **no listing of engagements by time**: "List Engagements" is a bulk get of up to
//! 50 ids already known, and the only date-range query, `journeys:search`, needs customer
//! identifiers (Avaya: "'Identifiers' must not be empty"). So the connector follows the
//! journeys of the customers it is given (`customers`: a list of identifier objects as
//! AXP writes them, e.g. `[{"phoneNumbers": ["+353 19 718 0171"]}, {"emailAddresses":
//! ["melinda14@example.org"]}]`, at most [`MAX_CUSTOMERS`]): every engagement those
//! customers had, as it appears and changes. A whole contact center cannot be read
//! through this API.
//!
//! - **Auth**: `POST {token_url}` (default `{host}/api/auth/v1/{account_id}/protocol/
//!   openid-connect/token`, beside the journey API) with the form `grant_type=
//!   client_credentials&client_id&client_secret` and the `appkey` header; tokens last 900
//!   seconds and are asked for again before they end (a refresh token would save nothing:
//!   the client credentials are at hand). Every journey call carries the bearer token and
//!   `appkey`.
//! - **Reading**: for each customer, `POST {base_url}/accounts/{account_id}/journeys:search
//!   ?pageSize=50&pageNumber=n` with `{"identifiers", "startDate", "endDate"}` (inclusive,
//!   Avaya says), pages until `pagination.total` is reached. A customer with no journey
//!   (404) has nothing to read.
//! - Engagements keep their AXP `id` and `updateDate` (as `updated_at`), so the store's
//!   rule keeps the newer of two readings. Avaya warns of an "update lag" between the
//!   journey and the rest of the contact center: the lookback reads recent days again.

use crate::ingest::decode_line;
use crate::NAME;
use async_trait::async_trait;
use interlog_http::connector::{
    excerpt, map_record, Authorized, ConnectorKind, Field, FieldProblem, Page, Read, Settings,
    Sink, Source, SourceError, TokenUrl, Tokens, VendorClient, Window,
};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::time::Duration;

/// Avaya's largest page.
pub const PAGE_SIZE: u32 = 50;
/// Customers one connector follows.
pub const MAX_CUSTOMERS: usize = 1000;

/// The `avaya_axp` connector kind.
pub static CONNECTOR: ConnectorKind = ConnectorKind {
    name: NAME,
    vendor: "Avaya Experience Platform",
    fields: &[
        Field::text(
            "account_id",
            "The 6-letter AXP account id in every path (e.g. ABCDEF)",
        ),
        Field::text("client_id", "The client id of the AXP application"),
        Field::secret("client_secret", "The client secret"),
        Field::secret("app_key", "The application key (the appkey header)"),
        Field::text(
            "customers",
            "The customers whose journeys are read: a list of AXP identifier objects, e.g. [{\"phoneNumbers\": [\"+353 19 718 0171\"]}]",
        )
        .json(),
    ],
    // The host names the region: no one root.
    default_base_url: None,
    token_url: TokenUrl::Derived(token_url),
    max_window: Duration::from_secs(365 * 86_400),
    first_window: Duration::from_secs(30 * 86_400),
    check,
    open: |settings, client| Box::new(AxpSource::new(settings, client)),
};

/// The token endpoint beside the journey API: `…/api/journey/v1` becomes
/// `…/api/auth/v1/{account}/protocol/openid-connect/token`.
fn token_url(s: &Settings) -> Option<String> {
    let account = s.text("account_id")?;
    let base = s.base_url.trim_end_matches('/');
    let root = match base.rfind("/api/journey/") {
        Some(i) => &base[..i],
        None => {
            let u = reqwest::Url::parse(base).ok()?;
            return Some(format!(
                "{}/api/auth/v1/{account}/protocol/openid-connect/token",
                u.origin().ascii_serialization()
            ));
        }
    };
    Some(format!(
        "{root}/api/auth/v1/{account}/protocol/openid-connect/token"
    ))
}

fn check(s: &Settings) -> Result<(), FieldProblem> {
    let account = s.text("account_id").unwrap_or_default();
    if account.len() != 6 || !account.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(FieldProblem::new(
            "account_id",
            "must be 6 letters (AXP: ^[a-zA-Z]{6}$)",
        ));
    }
    let customers = s
        .values
        .get("customers")
        .and_then(Value::as_array)
        .ok_or_else(|| FieldProblem::new("customers", "must be a list of identifier objects"))?;
    if customers.is_empty() || customers.len() > MAX_CUSTOMERS {
        return Err(FieldProblem::new(
            "customers",
            format!("must hold 1 to {MAX_CUSTOMERS} customers"),
        ));
    }
    for (i, c) in customers.iter().enumerate() {
        let field = format!("customers[{i}]");
        let o = c.as_object().ok_or_else(|| {
            FieldProblem::new(&field, "must be an object of identifier lists, e.g. {\"phoneNumbers\": [\"+353 19 718 0171\"]}")
        })?;
        // Avaya's JourneyQuery: 1 to 10 types, each 0 to 5 values.
        if o.is_empty() || o.len() > 10 {
            return Err(FieldProblem::new(
                &field,
                "must name 1 to 10 identifier types",
            ));
        }
        for (k, v) in o {
            let values = v.as_array().ok_or_else(|| {
                FieldProblem::new(format!("{field}.{k}"), "must be a list of strings")
            })?;
            if values.len() > 5
                || values
                    .iter()
                    .any(|x| x.as_str().is_none_or(|s| s.is_empty() || s.len() > 256))
            {
                return Err(FieldProblem::new(
                    format!("{field}.{k}"),
                    "must hold at most 5 strings of 1 to 256 characters",
                ));
            }
        }
    }
    Ok(())
}

struct AxpSource {
    settings: Settings,
    token_url: String,
    client: VendorClient,
    tokens: Tokens,
}

#[derive(Deserialize)]
struct SearchPage<'a> {
    #[serde(default, borrow)]
    engagements: Vec<&'a RawValue>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    total: Option<u64>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<String>,
}

/// RFC 3339 in UTC to the millisecond.
fn axp_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl AxpSource {
    fn new(settings: Settings, client: VendorClient) -> Self {
        let token_url = CONNECTOR.token_url_of(&settings).unwrap_or_default();
        AxpSource {
            settings,
            token_url,
            client,
            // Avaya: expires_in 900.
            tokens: Tokens::new(Duration::from_secs(900)),
        }
    }

    async fn token(&mut self) -> Result<String, SourceError> {
        if let Some(t) = self.tokens.current() {
            return Ok(t);
        }
        let id = self.settings.required("client_id")?.to_owned();
        let secret = self.settings.required("client_secret")?.to_owned();
        let app_key = self.settings.required("app_key")?.to_owned();
        let url = self.token_url.clone();
        let answer = self
            .client
            .send(|http| {
                http.post(&url).header("appkey", &app_key).form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                ])
            })
            .await?;
        self.tokens.accept(&url, &answer)
    }

    /// One search page of one customer; `None` when the customer has no journey.
    async fn search(
        &mut self,
        customer: &Value,
        window: Window,
        page: u32,
    ) -> Result<Option<interlog_http::connector::vendor::VendorResponse>, SourceError> {
        let account = self.settings.required("account_id")?.to_owned();
        let app_key = self.settings.required("app_key")?.to_owned();
        let url = self
            .settings
            .url(&format!("/accounts/{account}/journeys:search"));
        let body = json!({
            "identifiers": customer,
            "startDate": axp_time(window.from),
            // Inclusive: the last millisecond before the window's end.
            "endDate": axp_time(window.to.checked_sub(jiff::SignedDuration::from_millis(1)).unwrap_or(window.to)),
        })
        .to_string();
        let (size, number) = (PAGE_SIZE.to_string(), page.to_string());
        let mut first_try = true;
        loop {
            let bearer = self.token().await?;
            let answer = self
                .client
                .send(|http| {
                    http.post(&url)
                        .query(&[("pageSize", size.as_str()), ("pageNumber", number.as_str())])
                        .bearer_auth(&bearer)
                        .header("appkey", &app_key)
                        .header("content-type", "application/json")
                        .body(body.clone())
                })
                .await?;
            match self.tokens.check(answer, first_try, "journeys:search")? {
                Authorized::Again => first_try = false,
                Authorized::Answer(a) => {
                    return match a.status {
                        StatusCode::OK => Ok(Some(a)),
                        StatusCode::NOT_FOUND => Ok(None),
                        _ => Err(a.unexpected("journeys:search")),
                    }
                }
            }
        }
    }
}

#[async_trait]
impl Source for AxpSource {
    async fn read(&mut self, window: Window, sink: &mut dyn Sink) -> Result<Read, SourceError> {
        let customers = self
            .settings
            .values
            .get("customers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for customer in &customers {
            let mut page = 1u32;
            let mut seen = 0u64;
            loop {
                let Some(answer) = self.search(customer, window, page).await? else {
                    break;
                };
                let found: SearchPage<'_> = serde_json::from_slice(&answer.body).map_err(|e| {
                    SourceError::Vendor(format!(
                        "journeys:search answered no JourneyQueryResponse ({e}): {}",
                        excerpt(&answer.body, 200)
                    ))
                })?;
                let n = found.engagements.len() as u64;
                seen += n;
                let records = found
                    .engagements
                    .iter()
                    .map(|raw| {
                        let id = serde_json::from_str::<IdOnly>(raw.get())
                            .ok()
                            .and_then(|i| i.id);
                        map_record(decode_line, raw.get().as_bytes(), id.as_deref())
                    })
                    .collect();
                sink.page(Page { records }).await?;
                let total = found.pagination.and_then(|p| p.total).unwrap_or(0);
                if n == 0 || seen >= total {
                    break;
                }
                page += 1;
            }
        }
        Ok(Read::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(base: &str, customers: Value) -> Settings {
        Settings {
            base_url: base.into(),
            token_url: None,
            values: [
                ("account_id".to_owned(), json!("ABCDEF")),
                ("customers".to_owned(), customers),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn the_token_endpoint_sits_beside_the_journey_api() {
        let s = settings("https://na.api.avayacloud.com/api/journey/v1", json!([]));
        assert_eq!(
            token_url(&s).unwrap(),
            "https://na.api.avayacloud.com/api/auth/v1/ABCDEF/protocol/openid-connect/token"
        );
        let s = settings("http://127.0.0.1:9/x", json!([]));
        assert_eq!(
            token_url(&s).unwrap(),
            "http://127.0.0.1:9/api/auth/v1/ABCDEF/protocol/openid-connect/token"
        );
    }

    #[test]
    fn customers_must_be_avaya_s_identifier_objects() {
        let ok = settings("https://x", json!([{"phoneNumbers": ["+353 19 718 0171"]}]));
        assert!(check(&ok).is_ok());
        for (bad, field) in [
            (json!([]), "customers"),
            (json!("x"), "customers"),
            (json!([["+353"]]), "customers[0]"),
            (json!([{}]), "customers[0]"),
            (
                json!([{"phoneNumbers": "+353"}]),
                "customers[0].phoneNumbers",
            ),
            (
                json!([{"phoneNumbers": ["", "a"]}]),
                "customers[0].phoneNumbers",
            ),
        ] {
            assert_eq!(check(&settings("https://x", bad)).unwrap_err().field, field);
        }
        let mut wrong = ok.clone();
        wrong.values.insert("account_id".into(), json!("ABC"));
        assert_eq!(check(&wrong).unwrap_err().field, "account_id");
    }
}
