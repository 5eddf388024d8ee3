//! Bearer tokens a connector gets from its vendor's token endpoint: held until a little
//! before they end (a tenth of their life, at most a minute), so a token is never sent in its
//! last moments; forgotten when an answer says it ended, and asked for again.

use super::vendor::VendorResponse;
use super::{excerpt, SourceError};
use axum::http::StatusCode;
use serde::Deserialize;
use std::time::Duration;
use tokio::time::Instant;

/// The token a connector holds, if any.
pub struct Tokens {
    held: Option<(String, Instant)>,
    /// The life of a token whose answer does not say (the vendor's documented one).
    default_lifetime: Duration,
}

#[derive(Deserialize)]
struct Answer {
    access_token: String,
    /// Seconds; a number, or (Oracle's sibling endpoint) a string of digits.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl Tokens {
    pub fn new(default_lifetime: Duration) -> Self {
        Tokens {
            held: None,
            default_lifetime,
        }
    }

    /// The token held, while it is good.
    pub fn current(&self) -> Option<String> {
        self.held
            .as_ref()
            .filter(|(_, renew_at)| Instant::now() < *renew_at)
            .map(|(t, _)| t.clone())
    }

    /// Forgets the token: an answer said it ended.
    pub fn forget(&mut self) {
        self.held = None;
    }

    /// Reads the answer of the token endpoint at `url`: the token (now held), the vendor
    /// refusing the credentials (400, 401, 403), or an answer that cannot be used.
    pub fn accept(&mut self, url: &str, answer: &VendorResponse) -> Result<String, SourceError> {
        match answer.status {
            StatusCode::OK => {}
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(SourceError::Credentials(format!(
                    "the token request to {url} was refused: HTTP {}: {}",
                    answer.status.as_u16(),
                    excerpt(&answer.body, 300)
                )))
            }
            _ => return Err(answer.unexpected("the token request")),
        }
        let a: Answer = answer.json()?;
        let lifetime = a
            .expires_in
            .as_ref()
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .map_or(self.default_lifetime, Duration::from_secs);
        let early = (lifetime / 10).min(Duration::from_secs(60));
        self.held = Some((a.access_token.clone(), Instant::now() + lifetime - early));
        Ok(a.access_token)
    }
}

/// What a call made with a token came to.
pub enum Authorized {
    /// An answer for the caller to read.
    Answer(VendorResponse),
    /// The token ended: ask again (a new one is asked for first).
    Again,
}

impl Tokens {
    /// Reads an answer to `what`, a call made with a token: a 401 to the first try
    /// forgets the token, to be asked for again; a 401 after that, or a 403, is the
    /// credentials; any other answer is the caller's.
    pub fn check(
        &mut self,
        answer: VendorResponse,
        first_try: bool,
        what: &str,
    ) -> Result<Authorized, SourceError> {
        match answer.status {
            StatusCode::UNAUTHORIZED if first_try => {
                self.forget();
                Ok(Authorized::Again)
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(answer.refused(what)),
            _ => Ok(Authorized::Answer(answer)),
        }
    }
}

impl VendorResponse {
    /// A call the vendor refused even with a fresh token: the credentials (or what they
    /// may do).
    pub fn refused(&self, what: &str) -> SourceError {
        SourceError::Credentials(format!(
            "{what} was refused: HTTP {}: {}",
            self.status.as_u16(),
            excerpt(&self.body, 300)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn answer(status: u16, body: &str) -> VendorResponse {
        VendorResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.to_owned().into(),
        }
    }

    #[test]
    fn tokens_are_held_for_their_life_less_a_margin_and_refusals_are_credentials() {
        let mut t = Tokens::new(Duration::from_secs(3600));
        assert_eq!(t.current(), None);
        let got = t
            .accept(
                "u",
                &answer(200, r#"{"access_token":"a","expires_in":"1200"}"#),
            )
            .unwrap();
        assert_eq!((got.as_str(), t.current().as_deref()), ("a", Some("a")));
        t.forget();
        assert_eq!(t.current(), None);
        // An answer whose life is shorter than the margin is not held at all.
        t.accept("u", &answer(200, r#"{"access_token":"b","expires_in":0}"#))
            .unwrap();
        assert_eq!(t.current(), None);
        for status in [400, 401, 403] {
            assert!(matches!(
                t.accept("u", &answer(status, "{}")),
                Err(SourceError::Credentials(_))
            ));
        }
        assert!(matches!(
            t.accept("u", &answer(404, "")),
            Err(SourceError::Vendor(_))
        ));
        assert!(matches!(
            t.accept("u", &answer(200, "{}")),
            Err(SourceError::Vendor(_))
        ));
    }
}
