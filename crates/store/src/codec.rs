//! The compact stored form of an engagement body: its canonical JSON compressed with zstd
//! and a dictionary trained on engagements (`dict/engagements-1.zdict`, made by
//! `bench/train-dictionary.sh`), about six times smaller than the JSON.
//!
//! Decoding gives back the canonical JSON byte for byte, so the native API still passes it
//! through without parsing. Backends may store bodies this way; the first byte says how a
//! body is encoded, so a store can hold bodies of earlier forms beside new ones:
//!
//! | first byte | form |
//! | --- | --- |
//! | `{` | canonical JSON as it is (the form before this codec) |
//! | `0x01` | a zstd frame compressed with dictionary 1 |
//!
//! A dictionary that has shipped never changes: a better one gets the next number, and
//! decoding keeps every earlier one.

use std::cell::RefCell;
use std::sync::OnceLock;
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// Dictionary 1, trained on 20,000 engagements of `interlog generate --seed 7`.
static DICTIONARY_1: &[u8] = include_bytes!("../dict/engagements-1.zdict");
const TAG_ZSTD_DICT_1: u8 = 0x01;
/// zstd's level: 3 is its default; level 1 is ~20% faster to encode and ~6% larger.
const LEVEL: i32 = 3;
/// The largest body decoded (a body's JSON is limited far below this by the model).
const MAX_DECODED: usize = 64 << 20;

/// Why a stored body could not be decoded (a corrupted store).
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("unknown body encoding {0:#04x}")]
    UnknownTag(u8),
    #[error("empty body")]
    Empty,
    #[error("corrupt compressed body: {0}")]
    Corrupt(#[from] std::io::Error),
    #[error("the body is not UTF-8")]
    NotUtf8,
}

fn encoder_dictionary() -> &'static EncoderDictionary<'static> {
    static D: OnceLock<EncoderDictionary<'static>> = OnceLock::new();
    D.get_or_init(|| EncoderDictionary::copy(DICTIONARY_1, LEVEL))
}

fn decoder_dictionary() -> &'static DecoderDictionary<'static> {
    static D: OnceLock<DecoderDictionary<'static>> = OnceLock::new();
    D.get_or_init(|| DecoderDictionary::copy(DICTIONARY_1))
}

thread_local! {
    // Contexts are reused: making one per body would cost more than compressing it.
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

/// Encodes canonical JSON into the stored form.
pub fn encode(json: &str) -> Vec<u8> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.get_or_insert_with(|| {
            let mut c =
                Compressor::with_prepared_dictionary(encoder_dictionary()).expect("a zstd context");
            // The dictionary id is implied by the tag byte.
            c.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false))
                .expect("a known parameter");
            c
        });
        let mut out = c
            .compress(json.as_bytes())
            .expect("compressing into a buffer of the bound cannot fail");
        // A few hundred bytes moved once: cheaper than a frame written at an offset.
        out.insert(0, TAG_ZSTD_DICT_1);
        out
    })
}

/// Decodes a stored body into its canonical JSON.
pub fn decode(body: &[u8]) -> Result<String, CodecError> {
    match body.first() {
        None => Err(CodecError::Empty),
        Some(b'{') => String::from_utf8(body.to_vec()).map_err(|_| CodecError::NotUtf8),
        Some(&TAG_ZSTD_DICT_1) => {
            let frame = &body[1..];
            let size = match zstd::zstd_safe::get_frame_content_size(frame) {
                Ok(Some(n)) if (n as usize) <= MAX_DECODED => n as usize,
                _ => {
                    return Err(CodecError::Corrupt(std::io::Error::other(
                        "no usable content size in the frame",
                    )))
                }
            };
            let bytes = DECOMPRESSOR.with(|d| {
                let mut d = d.borrow_mut();
                let d = match d.as_mut() {
                    Some(d) => d,
                    None => d.insert(Decompressor::with_prepared_dictionary(decoder_dictionary())?),
                };
                d.decompress(frame, size)
            })?;
            String::from_utf8(bytes).map_err(|_| CodecError::NotUtf8)
        }
        Some(&t) => Err(CodecError::UnknownTag(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip_and_shrink() {
        let json = r#"{"id":"019df580-010c-7a53-914f-5d215b4b9990","source":"native","started_at":"2026-05-05T00:18:20.044Z","channels":[{"type":"voice","id":"Voice","source":"pstn","media":"audio"}],"participants":[{"role":"agent","email":"niall.clarke@bench.example.com"}]}"#;
        let stored = encode(json);
        assert_eq!(stored[0], TAG_ZSTD_DICT_1);
        assert!(stored.len() < json.len() / 2, "{} bytes", stored.len());
        assert_eq!(decode(&stored).unwrap(), json);
    }

    #[test]
    fn plain_json_of_earlier_stores_reads_as_it_is() {
        assert_eq!(decode(br#"{"id":"a"}"#).unwrap(), r#"{"id":"a"}"#);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let mut stored = encode(r#"{"id":"a","started_at":"2024-01-01T00:00:00Z"}"#);
        assert!(matches!(decode(&[]), Err(CodecError::Empty)));
        assert!(matches!(decode(&[7, 1, 2]), Err(CodecError::UnknownTag(7))));
        assert!(decode(&stored[..stored.len() - 2]).is_err());
        let last = stored.len() - 1;
        stored[last] ^= 0xff;
        let _ = decode(&stored);
        assert!(decode(&[TAG_ZSTD_DICT_1]).is_err());
    }
}
