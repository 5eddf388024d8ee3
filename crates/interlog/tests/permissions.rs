//! The data directory and every file Interlog creates in it are the owner's alone; an
//! existing directory that others can read is reported at start.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_data_directory_and_its_files_are_private() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--demo",
            "--demo-count",
            "50",
        ])
        .env("INTERLOG_DATA", &data)
        .env("INTERLOG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the demo is written and the server listens (the WAL exists then).
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
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
    let _ = server.kill();
    let _ = server.wait();

    // An existing directory that others can read is kept, and reported.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args([
            "serve",
            "--listen",
            &taken.local_addr().unwrap().to_string(),
        ])
        .env("INTERLOG_DATA", &data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("readable by other users"), "{stderr}");
}
