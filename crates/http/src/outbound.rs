//! Where the server itself may send requests: webhook deliveries and connectors' calls to a
//! vendor. A target on a loopback, private, link-local or otherwise internal address is
//! refused unless the configuration allows it (`[webhooks] allow_private_targets`), both
//! when the target is registered and at every connection (the resolver drops such
//! addresses, so a name that later resolves inward is refused too); redirects are not
//! followed. Without this, a tenant's admin could make the server probe its own network.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Whether `ip` is an address of this host or a private network.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The longest URL the server keeps for a client.
pub const MAX_URL_BYTES: usize = 2048;

/// Checks a target URL: at most [`MAX_URL_BYTES`], http(s), a host, no credentials in it,
/// and (unless allowed) no internal address. The error says what is wrong, for a message
/// naming the field.
pub async fn check(url: &str, allow_internal: bool) -> Result<Url, String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!("must be at most {MAX_URL_BYTES} bytes"));
    }
    let parsed = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be http or https".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials".into());
    }
    let host = parsed
        .host_str()
        .ok_or("has no host")?
        .trim_matches(|c| c == '[' || c == ']')
        .to_owned();
    if allow_internal {
        return Ok(parsed);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("{host} does not resolve ({e})"))?
            .collect(),
    };
    if addrs.iter().any(|a| is_internal(a.ip())) {
        return Err(format!(
            "{host} is a loopback, private or link-local address; the server does not \
             send requests to internal addresses unless [webhooks] allow_private_targets is set"
        ));
    }
    Ok(parsed)
}

/// A resolver that drops internal addresses (unless allowed).
pub struct SafeResolver {
    pub allow_internal: bool,
}

impl Resolve for SafeResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_internal;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| allow || !is_internal(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{} resolves to no address the server may send to",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client for outbound requests: no redirects, the safe resolver, `timeout` per
/// request, `user_agent` (e.g. `Interlog-Webhooks/0.1.0`).
pub fn client(
    allow_internal: bool,
    timeout: std::time::Duration,
    user_agent: &str,
) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .dns_resolver(Arc::new(SafeResolver { allow_internal }))
        .user_agent(user_agent)
        .pool_max_idle_per_host(4)
        .build()
        .expect("the outbound client builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "100.128.0.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked() {
        assert!(check("http://127.0.0.1:9/x", false).await.is_err());
        assert!(check("http://[::1]/x", false).await.is_err());
        assert!(check("http://localhost/x", false).await.is_err());
        assert!(check("http://127.0.0.1:9/x", true).await.is_ok());
        assert!(check("ftp://example.com/x", true).await.is_err());
        assert!(check("http://u:p@example.com/x", true).await.is_err());
        assert!(check("http://93.184.216.34/x", false).await.is_ok());
    }
}
