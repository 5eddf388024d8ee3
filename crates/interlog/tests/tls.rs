//! `tls_cert`/`tls_key`: `interlog serve` speaks HTTPS with a certificate from a throw-away
//! CA made here, marks the explorer's cookies `Secure`, and after the certificate files are
//! replaced and SIGHUP sent, new connections get the new certificate (no restart).

mod common;

use common::{serve, Server};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A CA: its certificate (PEM), and a function making server certificates it signs.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    /// A certificate for localhost and 127.0.0.1, written as `cert.pem` and `key.pem` in
    /// `dir` (each replaced whole, as a renewal does).
    fn issue_into(&self, dir: &Path) {
        let params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        for (name, pem) in [("cert.pem", cert.pem()), ("key.pem", key.serialize_pem())] {
            let tmp = dir.join(format!("{name}.new"));
            std::fs::write(&tmp, pem).unwrap();
            std::fs::rename(&tmp, dir.join(name)).unwrap();
        }
    }

    /// A client that trusts this CA only.
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.cert.pem().as_bytes()).unwrap(),
            )
            // A new connection for every request: each sees the certificate in use.
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }
}

#[tokio::test]
async fn serve_speaks_tls_with_secure_cookies_and_reloads_its_certificate_on_sighup() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let tls = work.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let first = Ca::new("first test CA");
    first.issue_into(&tls);
    let server = Server::start(
        serve(&data)
            .env("INTERLOG_LOG", "info")
            .env("INTERLOG_TLS_CERT", tls.join("cert.pem"))
            .env("INTERLOG_TLS_KEY", tls.join("key.pem")),
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let base = format!("https://localhost:{}", server.addr.port());

    assert_eq!(healthz(&first, &base).await.unwrap(), 200);
    // Plain HTTP gets no answer from a TLS listener.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", server.addr))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
    // The explorer's cookies are Secure without being told.
    let login = first
        .client()
        .get(format!("{base}/ui/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookies: Vec<String> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(!cookies.is_empty());
    for c in &cookies {
        assert!(c.contains("; Secure"), "{c}");
    }

    // A renewal from another CA, then SIGHUP.
    let second = Ca::new("second test CA");
    second.issue_into(&tls);
    hang_up(&server, "reloaded the TLS certificate");
    assert_eq!(healthz(&second, &base).await.unwrap(), 200);
    assert!(
        healthz(&first, &base).await.is_err(),
        "the old certificate is still served"
    );

    // A reload that cannot read the files keeps the certificate in use.
    std::fs::write(tls.join("key.pem"), "not a key").unwrap();
    hang_up(&server, "could not reload the TLS certificate");
    assert_eq!(healthz(&second, &base).await.unwrap(), 200);
}

/// Sends the server SIGHUP and waits until it says `then`.
fn hang_up(server: &Server, then: &str) {
    let pid = server.pid().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    server.wait_printed(|t| t.contains(then), Duration::from_secs(30));
}

/// The status of `GET /healthz` on a new connection of a client trusting `ca` only.
async fn healthz(ca: &Ca, base: &str) -> reqwest::Result<reqwest::StatusCode> {
    let answer = ca.client().get(format!("{base}/healthz")).send().await?;
    Ok(answer.status())
}
