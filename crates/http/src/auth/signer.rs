//! Tamper-proof strings: JWT-shaped HS256 tokens and opaque sealed values (cursors, page
//! tokens). One key signs both. A sealed value has its purpose and its tenant mixed into the
//! MAC, so a value sealed for one use is never accepted for another, and one made for one
//! tenant is never accepted from another (it does not open, exactly like a forged one).
//!
//! Sealed values are signed, not secret: their content is readable. What must also stay
//! secret at rest (the credentials a connector uses at a vendor) is **encrypted**
//! ([`Signer::encrypt`]): ChaCha20-Poly1305 (ring) under a key derived from the same key for
//! the purpose, a random 96-bit nonce each time, the tenant and purpose as associated data.
//! So the store never holds those credentials in plain text, and only a server with the
//! signing key reads them back.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a signed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    #[error("malformed")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
}

/// Signs and checks values with one secret key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

const JWT_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"; // {"alg":"HS256","typ":"JWT"}

impl Signer {
    /// A signer with this key (at least 32 bytes of randomness is expected).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Signer { key: key.into() }
    }

    fn mac(&self, tenant: &str, purpose: &str, data: &[u8]) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        // Neither a purpose nor a tenant key holds a NUL, so the parts cannot run together.
        m.update(purpose.as_bytes());
        m.update(&[0]);
        m.update(tenant.as_bytes());
        m.update(&[0]);
        m.update(data);
        m
    }

    /// A key for `purpose` derived from this signer's key (for keyed digests that must not
    /// be reversible, yet comparable by whoever holds the key).
    pub fn derived_key(&self, purpose: &str) -> Vec<u8> {
        self.mac("", purpose, b"derived key")
            .finalize()
            .into_bytes()
            .to_vec()
    }

    /// A compact HS256 JWT carrying `claims`.
    pub fn jwt<T: Serialize>(&self, claims: &T) -> String {
        let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signing_input = format!("{JWT_HEADER}.{payload}");
        let mut m = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(signing_input.as_bytes());
        let sig = B64.encode(m.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    /// The claims of a JWT this signer issued.
    pub fn verify_jwt<T: DeserializeOwned>(&self, token: &str) -> Result<T, SignerError> {
        let (signing_input, sig) = token.rsplit_once('.').ok_or(SignerError::Malformed)?;
        let (header, payload) = signing_input
            .split_once('.')
            .ok_or(SignerError::Malformed)?;
        if header != JWT_HEADER {
            return Err(SignerError::Malformed);
        }
        let sig = B64.decode(sig).map_err(|_| SignerError::Malformed)?;
        let mut m = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(signing_input.as_bytes());
        m.verify_slice(&sig)
            .map_err(|_| SignerError::BadSignature)?;
        let payload = B64.decode(payload).map_err(|_| SignerError::Malformed)?;
        serde_json::from_slice(&payload).map_err(|_| SignerError::Malformed)
    }

    /// An opaque, URL-safe string carrying `value`, only readable back for `purpose` in
    /// `tenant` (its key). Every opaque value Interlog hands a client (cursors, page tokens)
    /// is made here, so none can be replayed in another tenant.
    pub fn seal<T: Serialize>(&self, tenant: &str, purpose: &str, value: &T) -> String {
        let data = serde_json::to_vec(value).expect("sealed values serialize");
        let tag = self.mac(tenant, purpose, &data).finalize().into_bytes();
        let mut out = Vec::with_capacity(16 + data.len());
        out.extend_from_slice(&tag[..16]);
        out.extend_from_slice(&data);
        B64.encode(out)
    }

    /// The value sealed by [`Signer::seal`] for `purpose` in `tenant`.
    pub fn open<T: DeserializeOwned>(
        &self,
        tenant: &str,
        purpose: &str,
        sealed: &str,
    ) -> Result<T, SignerError> {
        if sealed.len() > 8192 {
            return Err(SignerError::Malformed);
        }
        let raw = B64.decode(sealed).map_err(|_| SignerError::Malformed)?;
        if raw.len() < 16 {
            return Err(SignerError::Malformed);
        }
        let (tag, data) = raw.split_at(16);
        self.mac(tenant, purpose, data)
            .verify_truncated_left(tag)
            .map_err(|_| SignerError::BadSignature)?;
        serde_json::from_slice(data).map_err(|_| SignerError::Malformed)
    }

    fn cipher(&self, purpose: &str) -> LessSafeKey {
        let key = self.derived_key(&format!("encryption:{purpose}"));
        LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, &key).expect("a derived key is 32 bytes"),
        )
    }

    /// An opaque string holding `value` **encrypted** (see the module's documentation),
    /// readable back only by [`Signer::decrypt`] with this key, `tenant` and `purpose`.
    pub fn encrypt<T: Serialize>(&self, tenant: &str, purpose: &str, value: &T) -> String {
        let mut data = serde_json::to_vec(value).expect("encrypted values serialize");
        let nonce: [u8; NONCE_LEN] = rand::random();
        self.cipher(purpose)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated(tenant, purpose)),
                &mut data,
            )
            .expect("the plaintext fits ChaCha20-Poly1305");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        B64.encode(out)
    }

    /// The value [`Signer::encrypt`] made for `purpose` in `tenant`.
    pub fn decrypt<T: DeserializeOwned>(
        &self,
        tenant: &str,
        purpose: &str,
        sealed: &str,
    ) -> Result<T, SignerError> {
        let raw = B64.decode(sealed).map_err(|_| SignerError::Malformed)?;
        if raw.len() < NONCE_LEN {
            return Err(SignerError::Malformed);
        }
        let (nonce, data) = raw.split_at(NONCE_LEN);
        let mut data = data.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SignerError::Malformed)?;
        let plain = self
            .cipher(purpose)
            .open_in_place(nonce, Aad::from(associated(tenant, purpose)), &mut data)
            .map_err(|_| SignerError::BadSignature)?;
        serde_json::from_slice(plain).map_err(|_| SignerError::Malformed)
    }
}

/// What an encrypted value is bound to besides its key: its tenant and purpose.
fn associated(tenant: &str, purpose: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(tenant.len() + purpose.len() + 1);
    aad.extend_from_slice(purpose.as_bytes());
    aad.push(0);
    aad.extend_from_slice(tenant.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sealed_values_only_open_for_their_tenant_purpose_and_key() {
        let s = Signer::new(b"k".repeat(32));
        let sealed = s.seal("acme", "cursor", &(42, "abc"));
        assert_eq!(
            s.open::<(i32, String)>("acme", "cursor", &sealed).unwrap(),
            (42, "abc".into())
        );
        assert_eq!(
            s.open::<(i32, String)>("acme", "page", &sealed),
            Err(SignerError::BadSignature)
        );
        assert_eq!(
            s.open::<(i32, String)>("globex", "cursor", &sealed),
            Err(SignerError::BadSignature)
        );
        // The parts are separated: moving a character from the purpose to the tenant is
        // another MAC.
        let joined = s.seal("a", "bc", &1);
        assert!(s.open::<i32>("ab", "c", &joined).is_err());
        let other = Signer::new(b"x".repeat(32));
        assert_eq!(
            other.open::<(i32, String)>("acme", "cursor", &sealed),
            Err(SignerError::BadSignature)
        );
        let mut forged = sealed.into_bytes();
        let last = forged.len() - 2;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        assert!(s
            .open::<(i32, String)>("acme", "cursor", std::str::from_utf8(&forged).unwrap())
            .is_err());
    }

    #[test]
    fn jwts_verify_and_reject_tampering() {
        let s = Signer::new(b"k".repeat(32));
        let t = s.jwt(&serde_json::json!({"sub": "a"}));
        assert_eq!(t.split('.').count(), 3);
        let v: serde_json::Value = s.verify_jwt(&t).unwrap();
        assert_eq!(v["sub"], "a");
        let (head, _) = t.rsplit_once('.').unwrap();
        let forged_payload = B64.encode(br#"{"sub":"admin"}"#);
        let forged = format!(
            "{}.{}.{}",
            JWT_HEADER,
            forged_payload,
            t.rsplit_once('.').unwrap().1
        );
        assert!(s.verify_jwt::<serde_json::Value>(&forged).is_err());
        assert!(s.verify_jwt::<serde_json::Value>(head).is_err());
    }

    #[test]
    fn encrypted_values_are_unreadable_and_open_only_for_their_tenant_purpose_and_key() {
        let s = Signer::new(b"k".repeat(32));
        let secret = "hunter2-very-secret";
        let sealed = s.encrypt("acme", "connector", &secret);
        assert!(!sealed.contains("hunter2"));
        let raw = B64.decode(&sealed).unwrap();
        assert!(
            !raw.windows(7).any(|w| w == b"hunter2"),
            "the plaintext is not in it"
        );
        assert_eq!(
            s.decrypt::<String>("acme", "connector", &sealed).unwrap(),
            secret
        );
        // A fresh nonce each time: the same value never seals to the same text.
        assert_ne!(sealed, s.encrypt("acme", "connector", &secret));
        assert!(s.decrypt::<String>("globex", "connector", &sealed).is_err());
        assert!(s.decrypt::<String>("acme", "cursor", &sealed).is_err());
        let other = Signer::new(b"x".repeat(32));
        assert!(other
            .decrypt::<String>("acme", "connector", &sealed)
            .is_err());
        let mut tampered = raw.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(s
            .decrypt::<String>("acme", "connector", &B64.encode(tampered))
            .is_err());
    }

    proptest! {
        #[test]
        fn opening_garbage_never_panics(s in "\\PC{0,200}") {
            let signer = Signer::new(b"k".repeat(32));
            let _ = signer.open::<serde_json::Value>("acme", "cursor", &s);
            let _ = signer.verify_jwt::<serde_json::Value>(&s);
            let _ = signer.decrypt::<serde_json::Value>("acme", "connector", &s);
        }
    }
}
