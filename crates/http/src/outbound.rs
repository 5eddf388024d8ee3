//! Where the server may send requests of its own (webhook deliveries, connectors' base
//! URLs): the guard against server-side request forgery.
//!
//! Threat: a tenant's admin registers a URL that makes the server reach something only
//! the server can reach — itself, the cloud metadata service, a private network — by an
//! address written directly, by a name that resolves inward (now or later: DNS
//! rebinding), or by an IPv6 form that carries an internal IPv4 address (NAT64, 6to4,
//! IPv4-mapped and -compatible), which a NAT64 gateway or the kernel turns into the IPv4
//! address.
//!
//! Policy: an address is refused when it lies in a range of the IANA IPv4 or IPv6
//! Special-Purpose Address Registry that is not globally reachable ([`special_purpose`]),
//! or in multicast, site-local or another deprecated form; forms that embed an IPv4
//! address are judged by it. No maintained crate covers the embedded forms (the standard
//! library's `is_global` is unstable, and the stable backports stop at the 2020 registry
//! without them), so the table is here, one line per registry entry, with its RFC.
//! The check runs when a URL is registered ([`check_url`]) and again at every connection
//! for every address a name resolves to ([`GuardedResolver`]) or that the URL writes
//! ([`refused_literal`]); redirects are never followed and no proxy is used, so the
//! address checked is the address connected to.

use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, LazyLock};

/// Longest URL the server stores and calls (bytes).
pub const MAX_URL_BYTES: usize = 2048;

/// What to do with an address of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Not globally reachable: refused.
    Refuse,
    /// Globally reachable, though inside a larger special-purpose block: allowed.
    Allow,
    /// The address carries an IPv4 address (its last 32 bits): judged by that.
    EmbeddedLast32,
    /// 6to4: the IPv4 address is bits 16 to 48.
    Embedded6to4,
}

/// IPv4 ranges: the IANA IPv4 Special-Purpose Address Registry, plus multicast. The more
/// specific entry wins where blocks nest.
const V4: &[(&str, &str, Rule)] = &[
    ("0.0.0.0/8", "\"this network\" (RFC 791)", Rule::Refuse),
    ("10.0.0.0/8", "private use (RFC 1918)", Rule::Refuse),
    (
        "100.64.0.0/10",
        "shared address space (RFC 6598)",
        Rule::Refuse,
    ),
    ("127.0.0.0/8", "loopback (RFC 1122)", Rule::Refuse),
    ("169.254.0.0/16", "link local (RFC 3927)", Rule::Refuse),
    ("172.16.0.0/12", "private use (RFC 1918)", Rule::Refuse),
    (
        "192.0.0.0/24",
        "IETF protocol assignments (RFC 6890)",
        Rule::Refuse,
    ),
    (
        "192.0.0.9/32",
        "port control protocol anycast (RFC 7723)",
        Rule::Allow,
    ),
    (
        "192.0.0.10/32",
        "traversal using relays around NAT anycast (RFC 8155)",
        Rule::Allow,
    ),
    (
        "192.0.2.0/24",
        "documentation, TEST-NET-1 (RFC 5737)",
        Rule::Refuse,
    ),
    (
        "192.88.99.0/24",
        "deprecated 6to4 relay anycast (RFC 7526)",
        Rule::Refuse,
    ),
    ("192.168.0.0/16", "private use (RFC 1918)", Rule::Refuse),
    ("198.18.0.0/15", "benchmarking (RFC 2544)", Rule::Refuse),
    (
        "198.51.100.0/24",
        "documentation, TEST-NET-2 (RFC 5737)",
        Rule::Refuse,
    ),
    (
        "203.0.113.0/24",
        "documentation, TEST-NET-3 (RFC 5737)",
        Rule::Refuse,
    ),
    ("224.0.0.0/4", "multicast (RFC 5771)", Rule::Refuse),
    ("240.0.0.0/4", "reserved (RFC 1112)", Rule::Refuse),
    (
        "255.255.255.255/32",
        "limited broadcast (RFC 919)",
        Rule::Refuse,
    ),
];

/// IPv6 ranges: the IANA IPv6 Special-Purpose Address Registry, plus multicast and the
/// deprecated forms a kernel or gateway may still route.
const V6: &[(&str, &str, Rule)] = &[
    ("::/128", "unspecified address (RFC 4291)", Rule::Refuse),
    ("::1/128", "loopback (RFC 4291)", Rule::Refuse),
    (
        "::/96",
        "deprecated IPv4-compatible address (RFC 4291)",
        Rule::Refuse,
    ),
    (
        "::ffff:0:0/96",
        "IPv4-mapped address (RFC 4291)",
        Rule::EmbeddedLast32,
    ),
    (
        "::ffff:0:0:0/96",
        "IPv4-translated address (RFC 2765)",
        Rule::Refuse,
    ),
    (
        "64:ff9b::/96",
        "NAT64 well-known prefix (RFC 6052)",
        Rule::EmbeddedLast32,
    ),
    (
        "64:ff9b:1::/48",
        "local-use NAT64 prefix (RFC 8215)",
        Rule::Refuse,
    ),
    ("100::/64", "discard-only (RFC 6666)", Rule::Refuse),
    ("100:0:0:1::/64", "dummy prefix (RFC 9780)", Rule::Refuse),
    (
        "2001::/23",
        "IETF protocol assignments (RFC 2928)",
        Rule::Refuse,
    ),
    (
        "2001:1::1/128",
        "port control protocol anycast (RFC 7723)",
        Rule::Allow,
    ),
    (
        "2001:1::2/128",
        "traversal using relays around NAT anycast (RFC 8155)",
        Rule::Allow,
    ),
    (
        "2001:1::3/128",
        "DNS-SD service registration protocol anycast (RFC 9665)",
        Rule::Allow,
    ),
    (
        "2001:3::/32",
        "automatic multicast tunneling (RFC 7450)",
        Rule::Allow,
    ),
    ("2001:4:112::/48", "AS112-v6 (RFC 7535)", Rule::Allow),
    ("2001:20::/28", "ORCHIDv2 (RFC 7343)", Rule::Allow),
    (
        "2001:30::/28",
        "drone remote ID protocol entity tags (RFC 9374)",
        Rule::Allow,
    ),
    ("2001:db8::/32", "documentation (RFC 3849)", Rule::Refuse),
    ("2002::/16", "6to4 (RFC 3056)", Rule::Embedded6to4),
    ("3fff::/20", "documentation (RFC 9637)", Rule::Refuse),
    ("5f00::/16", "segment routing SIDs (RFC 9602)", Rule::Refuse),
    ("fc00::/7", "unique local (RFC 4193)", Rule::Refuse),
    ("fe80::/10", "link-local unicast (RFC 4291)", Rule::Refuse),
    (
        "fec0::/10",
        "deprecated site-local unicast (RFC 3879)",
        Rule::Refuse,
    ),
    ("ff00::/8", "multicast (RFC 4291)", Rule::Refuse),
];

type Table<N> = Vec<(N, &'static str, Rule)>;

/// A table parsed, most specific prefixes first, so the first match is the one that counts.
fn parsed<N: std::str::FromStr + Copy>(
    rows: &[(&str, &'static str, Rule)],
    len: impl Fn(&N) -> u8,
) -> Table<N>
where
    N::Err: std::fmt::Debug,
{
    let mut t: Table<N> = rows
        .iter()
        .map(|(net, name, rule)| (net.parse().expect("the tables are valid"), *name, *rule))
        .collect();
    t.sort_by_key(|(n, ..)| std::cmp::Reverse(len(n)));
    t
}

static V4_TABLE: LazyLock<Table<Ipv4Net>> = LazyLock::new(|| parsed(V4, Ipv4Net::prefix_len));
static V6_TABLE: LazyLock<Table<Ipv6Net>> = LazyLock::new(|| parsed(V6, Ipv6Net::prefix_len));

/// The special-purpose range that makes `ip` unfit as a target, by its registry name; `None`
/// for an address the server may call.
pub fn special_purpose(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_range(v4),
        IpAddr::V6(v6) => {
            let (name, rule) = V6_TABLE
                .iter()
                .find(|(net, ..)| net.contains(&v6))
                .map(|(_, name, rule)| (*name, *rule))?;
            let o = v6.octets();
            match rule {
                Rule::Refuse => Some(name),
                Rule::Allow => None,
                Rule::EmbeddedLast32 => {
                    v4_range(Ipv4Addr::new(o[12], o[13], o[14], o[15])).map(|_| name)
                }
                Rule::Embedded6to4 => v4_range(Ipv4Addr::new(o[2], o[3], o[4], o[5])).map(|_| name),
            }
        }
    }
}

fn v4_range(v4: Ipv4Addr) -> Option<&'static str> {
    V4_TABLE
        .iter()
        .find(|(net, ..)| net.contains(&v4))
        .and_then(|(_, name, rule)| (*rule == Rule::Refuse).then_some(*name))
}

/// Whether the server must not call `ip` (see [`special_purpose`]).
pub fn is_internal(ip: IpAddr) -> bool {
    special_purpose(ip).is_some()
}

/// Checks a URL the server will call: at most [`MAX_URL_BYTES`], http(s), a host, no
/// credentials, and (unless `allow_internal`) no address of the host in a special-purpose
/// range, resolving names now. The message names what is wrong, never repeats the URL.
pub async fn check_url(url: &str, allow_internal: bool) -> Result<Url, String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!(
            "is {} bytes long; at most {MAX_URL_BYTES} are accepted",
            url.len()
        ));
    }
    let parsed = Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be http or https".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials".into());
    }
    let host = match parsed.host() {
        Some(h) => h.to_owned(),
        None => return Err("has no host".into()),
    };
    if allow_internal {
        return Ok(parsed);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<IpAddr> = match &host {
        url::Host::Ipv4(ip) => vec![IpAddr::V4(*ip)],
        url::Host::Ipv6(ip) => vec![IpAddr::V6(*ip)],
        url::Host::Domain(name) => tokio::net::lookup_host((name.as_str(), port))
            .await
            .map_err(|_| "names a host that does not resolve".to_owned())?
            .map(|a| a.ip())
            .collect(),
    };
    if let Some(range) = addrs.iter().find_map(|ip| special_purpose(*ip)) {
        return Err(format!(
            "reaches an address in a special-purpose range ({range}); only globally \
             reachable addresses may be called unless allow_private_targets is set"
        ));
    }
    Ok(parsed)
}

/// Why a URL whose host is an IP address must not be called now, if it must not: the
/// resolver never sees such a host, so a client checks it before each request.
pub fn refused_literal(url: &Url, allow_internal: bool) -> Option<&'static str> {
    if allow_internal {
        return None;
    }
    match url.host()? {
        url::Host::Ipv4(ip) => special_purpose(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => special_purpose(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// A resolver that drops every address in a special-purpose range (unless allowed), so a
/// name that resolves inward at connection time (DNS rebinding) is not reached.
pub struct GuardedResolver {
    pub allow_internal: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_internal;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| allow || !is_internal(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err("the host resolves to no address the server may call".into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client builder for calls to client-supplied URLs: names resolved through
/// [`GuardedResolver`], no redirects followed, no proxy from the environment. Callers add
/// their timeouts and user agent; they check IP-literal hosts with [`refused_literal`].
pub fn guarded_client(allow_internal: bool) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_internal }))
}

/// A client for calls to client-supplied URLs ([`guarded_client`]) with `timeout` per
/// request (connecting within at most 5 s of it) and `user_agent` (e.g.
/// `Interlog-Webhooks/0.1.0`).
pub fn client(
    allow_internal: bool,
    timeout: std::time::Duration,
    user_agent: &str,
) -> reqwest::Client {
    guarded_client(allow_internal)
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .user_agent(user_agent)
        .pool_max_idle_per_host(4)
        .build()
        .expect("the outbound client builds")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv6Addr;

    fn refused(ip: &str) -> bool {
        is_internal(ip.parse().unwrap())
    }

    #[test]
    fn the_disguises_of_internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "100::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:a9fe:a9fe",
            "::127.0.0.1",
            "::7f00:1",
            "::a9fe:a9fe",
            "::ffff:0:a9fe:a9fe",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2001::1",
            "2001:db8::1",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
        for ip in [
            "8.8.8.8",
            "93.184.216.34",
            "100.128.0.1",
            "198.20.0.1",
            "192.0.0.9",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
            "2001:4:112::1",
        ] {
            assert!(!refused(ip), "{ip} is globally reachable");
        }
    }

    /// Every entry of the tables that refuses, as (network, prefix length).
    fn refusing_v4() -> Vec<Ipv4Net> {
        V4.iter()
            .filter(|(.., r)| *r == Rule::Refuse)
            .map(|(n, ..)| n.parse().unwrap())
            .collect()
    }

    fn refusing_v6() -> Vec<Ipv6Net> {
        V6.iter()
            .filter(|(.., r)| *r == Rule::Refuse)
            .map(|(n, ..)| n.parse().unwrap())
            .collect()
    }

    fn allowed_v4(ip: Ipv4Addr) -> bool {
        V4.iter()
            .filter(|(.., r)| *r == Rule::Allow)
            .any(|(n, ..)| n.parse::<Ipv4Net>().unwrap().contains(&ip))
    }

    fn allowed_v6(ip: Ipv6Addr) -> bool {
        V6.iter()
            .filter(|(.., r)| *r == Rule::Allow)
            .any(|(n, ..)| n.parse::<Ipv6Net>().unwrap().contains(&ip))
    }

    /// An address inside `net`: its prefix, then `bits` for the rest.
    fn inside_v4(net: Ipv4Net, bits: u32) -> Ipv4Addr {
        let host = if net.prefix_len() == 32 {
            0
        } else {
            bits & (u32::MAX >> net.prefix_len())
        };
        Ipv4Addr::from(u32::from(net.network()) | host)
    }

    fn inside_v6(net: Ipv6Net, bits: u128) -> Ipv6Addr {
        let host = if net.prefix_len() == 128 {
            0
        } else {
            bits & (u128::MAX >> net.prefix_len())
        };
        Ipv6Addr::from(u128::from(net.network()) | host)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// An address inside any refusing IPv4 range is refused (unless a globally
        /// reachable entry nested in it covers it), written as IPv4, IPv4-mapped,
        /// IPv4-compatible, NAT64 and 6to4.
        #[test]
        fn internal_ipv4_is_refused_in_every_form(which in any::<prop::sample::Index>(), bits in any::<u32>(), tail in any::<u128>()) {
            let nets = refusing_v4();
            let v4 = inside_v4(nets[which.index(nets.len())], bits);
            prop_assume!(!allowed_v4(v4));
            let n = u32::from(v4) as u128;
            prop_assert!(is_internal(IpAddr::V4(v4)), "{}", v4);
            for v6 in [
                v4.to_ipv6_mapped(),
                v4.to_ipv6_compatible(),
                Ipv6Addr::from((0x64_ff9b_u128 << 96) | n),
                Ipv6Addr::from((0x2002_u128 << 112) | (n << 80) | (tail & ((1 << 80) - 1))),
            ] {
                prop_assert!(is_internal(IpAddr::V6(v6)), "{} ({})", v6, v4);
            }
        }

        /// An address inside any refusing IPv6 range is refused, unless a globally
        /// reachable entry nested in it covers it.
        #[test]
        fn internal_ipv6_is_refused(which in any::<prop::sample::Index>(), bits in any::<u128>()) {
            let nets = refusing_v6();
            let v6 = inside_v6(nets[which.index(nets.len())], bits);
            prop_assume!(!allowed_v6(v6));
            prop_assert!(is_internal(IpAddr::V6(v6)), "{}", v6);
        }

        /// A global unicast IPv4 address passes in every form that carries it.
        #[test]
        fn a_global_ipv4_passes(bits in any::<u32>()) {
            let v4 = Ipv4Addr::from(bits);
            let special = refusing_v4().iter().any(|n| n.contains(&v4));
            prop_assume!(!special);
            prop_assert!(!is_internal(IpAddr::V4(v4)));
            prop_assert!(!is_internal(IpAddr::V6(v4.to_ipv6_mapped())));
            prop_assert!(!is_internal(IpAddr::V6(Ipv6Addr::from((0x64_ff9b_u128 << 96) | bits as u128))));
        }
    }

    #[tokio::test]
    async fn urls_are_checked() {
        assert!(check_url("http://127.0.0.1:9/x", false).await.is_err());
        assert!(check_url("http://[::1]/x", false).await.is_err());
        assert!(check_url("http://[64:ff9b::7f00:1]/x", false)
            .await
            .is_err());
        assert!(check_url("http://localhost/x", false).await.is_err());
        assert!(check_url("http://127.0.0.1:9/x", true).await.is_ok());
        assert!(check_url("ftp://example.com/x", true).await.is_err());
        assert!(check_url("http://u:p@example.com/x", true).await.is_err());
        assert!(check_url("http://93.184.216.34/x", false).await.is_ok());
        let long = format!("http://93.184.216.34/{}", "a".repeat(MAX_URL_BYTES));
        let refused = check_url(&long, false).await.unwrap_err();
        assert!(
            refused.contains("2048") && !refused.contains("aaaa"),
            "{refused}"
        );
        let literal = Url::parse("http://[::7f00:1]/x").unwrap();
        assert!(refused_literal(&literal, false).is_some());
        assert!(refused_literal(&literal, true).is_none());
    }
}
