//! Any cursor or bearer token a client sends.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let signer = interlog_http::auth::Signer::new(b"fuzz-key-fuzz-key-fuzz-key-fuzz!".to_vec());
        // Nobody without the key can make a value that opens.
        assert!(signer.open::<serde_json::Value>("acme", "native-cursor", s).is_err());
        let _ = signer.verify_jwt::<interlog_http::auth::Claims>(s);
    }
});
