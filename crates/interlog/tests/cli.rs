//! The `interlog` binary, run as a user would.

mod common;

use common::{import_stdin, interlog, ok, run};
use serde_json::Value;
use std::process::Stdio;

#[test]
fn tenants_and_clients_are_created_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    let t: Value = serde_json::from_str(&ok(run(
        &[
            "tenant",
            "create",
            "acme-eu",
            "--name",
            "Acme EU",
            "--time-zone",
            "Europe/Berlin",
            "--alias",
            "avaya_axp=ACMEEU",
        ],
        dir.path(),
    )))
    .unwrap();
    assert_eq!(t["key"], "acme-eu");
    assert_eq!(t["aliases"][0], "avaya_axp=ACMEEU");
    let dup = run(&["tenant", "create", "acme-eu"], dir.path());
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    for bad in [
        vec!["tenant", "create", "Bad Key"],
        vec!["tenant", "create", "x", "--time-zone", "Mars/Base"],
    ] {
        let out = run(&bad, dir.path());
        assert!(!out.status.success(), "{bad:?}");
    }
    // An alias must have its vendor's shape of an account id: AXP's is six letters.
    for (alias, why) in [
        ("avaya_axp=ABC", "six letters"),
        ("avaya_axp=ACME-1", "six letters"),
        ("nonesuch=X", "no dialect"),
        ("avaya_axp", "DIALECT=ALIAS"),
    ] {
        let out = run(&["tenant", "create", "y", "--alias", alias], dir.path());
        assert!(!out.status.success(), "{alias}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{alias}: {err}");
    }
    let listed = ok(run(&["tenant", "list"], dir.path()));
    assert!(!listed.contains("\"key\":\"y\""), "{listed}");
    let c: Value = serde_json::from_str(&ok(run(
        &[
            "client",
            "create",
            "--tenant",
            "acme-eu",
            "--role",
            "reader",
            "--scope",
            "a",
            "--app-key",
        ],
        dir.path(),
    )))
    .unwrap();
    assert!(c["client_id"].as_str().unwrap().starts_with("acme-eu-"));
    assert_eq!(c["client_secret"].as_str().unwrap().len(), 43);
    assert!(c["app_key"].is_string());
    assert!(!run(
        &["client", "create", "--tenant", "nope", "--role", "reader"],
        dir.path()
    )
    .status
    .success());
    assert!(!run(
        &["client", "create", "--tenant", "acme-eu", "--role", "boss"],
        dir.path()
    )
    .status
    .success());
    let list = ok(run(&["tenant", "list"], dir.path()));
    assert_eq!(list.lines().count(), 1);
    let u: Value = serde_json::from_str(&ok(run(
        &[
            "user",
            "create",
            "--tenant",
            "acme-eu",
            "--username",
            "jo",
            "--password",
            "long-enough",
            "--role",
            "agent",
        ],
        dir.path(),
    )))
    .unwrap();
    assert_eq!(u["username"], "jo");
}

#[test]
fn generate_is_deterministic_and_import_reports_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let a = ok(run(
        &["generate", "--tenant", "t", "--count", "300", "--seed", "9"],
        dir.path(),
    ));
    let b = ok(run(
        &["generate", "--tenant", "t", "--count", "300", "--seed", "9"],
        dir.path(),
    ));
    let c = ok(run(
        &[
            "generate", "--tenant", "t", "--count", "300", "--seed", "10",
        ],
        dir.path(),
    ));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.lines().count(), 300);

    ok(run(&["tenant", "create", "t"], dir.path()));
    let mut lines: Vec<&str> = a.lines().collect();
    lines.insert(5, "{\"id\": \"broken\"");
    let file = dir.path().join("in.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = run(
        &["import", "--tenant", "t", file.to_str().unwrap()],
        dir.path(),
    );
    assert!(
        !out.status.success(),
        "a rejected line makes the import fail"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 6: rejected"), "{stderr}");
    assert!(stderr.contains("300 created"), "{stderr}");

    // Importing the same lines again changes nothing and reports it.
    let out = import_stdin(dir.path(), "t", a.as_bytes());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 created, 300 updated"));

    let exported = ok(run(&["export", "--tenant", "t"], dir.path()));
    assert_eq!(exported.lines().count(), 300);
    let csv = ok(run(
        &[
            "export",
            "--tenant",
            "t",
            "--format",
            "csv",
            "--filter",
            "channel_type=voice",
        ],
        dir.path(),
    ));
    assert!(csv.starts_with("id,source,started_at,"));
    let voice = csv.lines().count() - 1;
    assert!(voice > 50 && voice < 300, "{voice}");
    let bad = run(
        &["export", "--tenant", "t", "--filter", "direction=up"],
        dir.path(),
    );
    assert!(!bad.status.success());
}

#[test]
fn the_default_config_file_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let text = ok(run(&["config"], dir.path()));
    assert!(text.contains("# listen = \"127.0.0.1:8080\""));
}

#[test]
fn a_dialect_xml_document_imports_whole() {
    let dir = tempfile::tempdir().unwrap();
    ok(run(&["tenant", "create", "t"], dir.path()));
    let file = dir.path().join("lx.xml");
    std::fs::write(
        &file,
        "<engagementListV1>\n<engagements>\n<startDate>2024-03-01T09:30:00.000Z</startDate>\n\
         <endDate>2024-03-01T09:40:00.000Z</endDate>\n<id>lx-cli-1</id>\n\
         <associateInitiated>false</associateInitiated>\n</engagements>\n<engagements>\n\
         <startDate>2024-03-02T09:30:00.000Z</startDate>\n<id>lx-cli-2</id>\n\
         <associateInitiated>true</associateInitiated>\n</engagements>\n</engagementListV1>\n",
    )
    .unwrap();
    let out = run(
        &[
            "import",
            "--tenant",
            "t",
            "--format",
            "oracle_lx",
            file.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("2 created"), "{stderr}");
    let exported = ok(run(&["export", "--tenant", "t"], dir.path()));
    assert!(
        exported.contains("\"id\":\"lx-cli-2\",\"source\":\"oracle_lx\""),
        "{exported}"
    );
    let unknown = run(
        &[
            "import",
            "--tenant",
            "t",
            "--format",
            "nope",
            file.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("accepted: "));
}

#[test]
fn logs_into_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    // The server logs the unknown key as a warning at start-up, then stops: its address is
    // taken.
    let config = dir.path().join("interlog.toml");
    std::fs::write(&config, "no_such_key = 1\n").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let out = interlog(dir.path())
        .args(["serve", "--listen", &listen])
        .arg("--config")
        .arg(&config)
        .env("INTERLOG_LOG", "info")
        .env("INTERLOG_LOG_FORMAT", "text")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("WARN") && stderr.contains("no_such_key"),
        "the warning is logged: {stderr}"
    );
    assert!(
        !stderr.contains("\x1b["),
        "no ANSI escape codes: {stderr:?}"
    );
}

/// A PostgreSQL store that cannot be reached is a clear error and a non-zero exit, for
/// `serve` and the admin commands alike; its password is never printed.
#[test]
fn an_unreachable_postgres_store_stops_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on the loopback: nothing listens there.
    let url = "postgres://interlog:s3cret@127.0.0.1:1/interlog";
    for args in [
        vec!["serve", "--listen", "127.0.0.1:0", "--store", url],
        vec!["tenant", "list", "--store", url],
    ] {
        let out = run(&args, dir.path());
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot open postgres://interlog:***@127.0.0.1:1/interlog")
                && err.contains("unavailable"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }
}
