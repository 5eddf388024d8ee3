//! Stored bodies: any bytes decode to a body or an error, never a panic; any text encodes
//! and decodes back to itself.
#![no_main]
use interlog_store::codec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = codec::decode(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let json = format!("{{{text}");
        assert_eq!(codec::decode(&codec::encode(&json)).unwrap(), json);
    }
});
