//! The token signing key: generated at first start and kept in the data directory, or
//! read from a file the operator provides.

use rand::RngCore;
use std::io::Write;
use std::path::Path;

const MIN_KEY_BYTES: usize = 32;

fn read_key(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read signing key {}: {e}", path.display()))?;
    let key = hex::decode(text.trim())
        .map_err(|_| format!("signing key {} is not hex", path.display()))?;
    if key.len() < MIN_KEY_BYTES {
        return Err(format!(
            "signing key {} is shorter than {MIN_KEY_BYTES} bytes",
            path.display()
        ));
    }
    Ok(key)
}

/// The key in `explicit`, or the data directory's key (created on first use).
pub fn signing_key(data: &Path, explicit: Option<&Path>) -> Result<Vec<u8>, String> {
    if let Some(path) = explicit {
        return read_key(path);
    }
    crate::private_files::ensure_dir(data)?;
    let path = data.join("signing.key");
    if path.exists() {
        return read_key(&path);
    }
    let mut key = vec![0u8; MIN_KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut f) => {
            f.write_all(hex::encode(&key).as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("cannot write signing key {}: {e}", path.display()))?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(&path),
        Err(e) => Err(format!("cannot create signing key {}: {e}", path.display())),
    }
}
