//! `next_page_token`s: opaque, sealed by the server's signer for the account (tenant) whose
//! listing made them (tamper-proof, readable by any instance sharing the key, refused in
//! any other account), bound to the query that made them by a fingerprint, and expiring.
//! Each listing seals with its own purpose, so a token of one listing is never accepted by
//! another.

use crate::error::ZoomError;
use interlog_http::auth::Signer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The listings that issue tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Engagements,
    Notes,
    Recordings,
}

impl Listing {
    const fn purpose(self) -> &'static str {
        match self {
            Listing::Engagements => "zoom-cc-engagements-page",
            Listing::Notes => "zoom-cc-notes-page",
            Listing::Recordings => "zoom-cc-recordings-page",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// Fingerprint of the query.
    f: String,
    /// Expiry, seconds since the epoch.
    x: i64,
    /// Where the next page starts (and what the listing carries between pages).
    b: T,
}

/// A short fingerprint of the parts that define a query. Each part is length-prefixed so
/// that no two different lists of parts hash alike.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    // Ten hex digits: the MAC makes tokens unforgeable; the fingerprint only has to tell
    // queries apart, and short tokens fit Zoom's 100-character recordings token.
    h.finalize()[..5]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Seals `body` into a token for `tenant`'s query with `fingerprint`, valid for `ttl_secs`.
pub fn seal<T: Serialize>(
    signer: &Signer,
    tenant: &str,
    listing: Listing,
    fingerprint: &str,
    now_secs: i64,
    ttl_secs: i64,
    body: T,
) -> String {
    signer.seal(
        tenant,
        listing.purpose(),
        &Envelope {
            f: fingerprint.to_owned(),
            x: now_secs.saturating_add(ttl_secs),
            b: body,
        },
    )
}

fn refused(message: &str) -> ZoomError {
    ZoomError::field("next_page_token", message)
}

/// Opens a token of `tenant`'s `listing` for the query with `fingerprint`; a forged,
/// another account's, another server's, expired or other query's token is a 400 (code 300)
/// naming `next_page_token`.
pub fn open<T: DeserializeOwned>(
    signer: &Signer,
    tenant: &str,
    listing: Listing,
    fingerprint: &str,
    now_secs: i64,
    token: &str,
) -> Result<T, ZoomError> {
    let env: Envelope<T> = signer
        .open(tenant, listing.purpose(), token)
        .map_err(|_| refused("is not a next page token this server issued"))?;
    if env.f != fingerprint {
        return Err(refused(
            "belongs to a different query; send the other query parameters unchanged",
        ));
    }
    if now_secs >= env.x {
        return Err(refused("has expired; start again from the first page"));
    }
    Ok(env.b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn signer() -> Signer {
        Signer::new(b"k".repeat(32))
    }

    #[test]
    fn tokens_open_only_for_their_query_listing_and_lifetime() {
        let s = signer();
        let f = fingerprint(&["a", "b"]);
        let t = seal(
            &s,
            "acme",
            Listing::Engagements,
            &f,
            1000,
            900,
            (5i64, "id"),
        );
        let back: (i64, String) = open(&s, "acme", Listing::Engagements, &f, 1899, &t).unwrap();
        assert_eq!(back, (5, "id".into()));
        let msg = |r: Result<(i64, String), ZoomError>| r.unwrap_err().errors[0].message.clone();
        assert!(msg(open(&s, "acme", Listing::Engagements, &f, 1900, &t)).contains("expired"));
        let other = fingerprint(&["ab", ""]);
        assert_ne!(other, f);
        assert!(
            msg(open(&s, "acme", Listing::Engagements, &other, 1000, &t))
                .contains("different query")
        );
        assert!(
            msg(open(&s, "acme", Listing::Notes, &f, 1000, &t)).contains("not a next page token")
        );
        assert!(msg(open(&s, "globex", Listing::Engagements, &f, 1000, &t))
            .contains("not a next page token"));
        let e = open::<(i64, String)>(&signer(), "acme", Listing::Engagements, &f, 1000, "AAAA")
            .unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, 300));
        assert_eq!(e.errors[0].field, "next_page_token");
    }

    #[test]
    fn recording_tokens_fit_zoom_s_hundred_characters() {
        let t = seal(
            &signer(),
            "acme",
            Listing::Recordings,
            &fingerprint(&["x"; 9]),
            4_000_000_000,
            604_800,
            (200usize, Some(4_000_000_000i64)),
        );
        assert!(t.len() <= 100, "{}", t.len());
    }

    proptest! {
        #[test]
        fn garbage_tokens_are_refused_without_panicking(t in "\\PC{0,300}") {
            prop_assert!(open::<serde_json::Value>(&signer(), "acme", Listing::Notes, "f", 0, &t).is_err());
        }
    }
}
