//! The data directory and every file Interlog creates in it are the owner's alone; an
//! existing directory that others can read is reported at start.
#![cfg(unix)]

mod common;

use common::{interlog, serve, Server};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_data_directory_and_its_files_are_private() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    // Once it listens, the demo is written and the WAL exists.
    let mut server = Server::start(serve(&data).args(["--demo", "--demo-count", "50"]));
    assert_eq!(mode(&data), 0o700, "data directory");
    for f in [
        "interlog.db",
        "interlog.db-wal",
        "interlog.db-shm",
        "signing.key",
        "demo-credentials.json",
    ] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    server.kill();

    // An existing directory that others can read is kept, and reported.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = interlog(&data)
        .args([
            "serve",
            "--listen",
            &taken.local_addr().unwrap().to_string(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("readable by other users"), "{stderr}");
}
