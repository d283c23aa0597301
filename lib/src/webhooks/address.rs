//! Where a webhook may be sent. A webhook URL is chosen by a client, so the
//! server must not become its way into our own network (server-side request
//! forgery): the URL must name a public host over https, and every address
//! the host resolves to must be a public one. The addresses are checked
//! again once connected (`super::send`).

use crate::domain::Invalid;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Position, Url};

/// The longest URL accepted, as browsers and most servers cap them.
const MAX_URL_LENGTH: usize = 2048;

/// The hosts a developer's own receiver runs on, reachable in plain http
/// under [`Reach::LocalDevelopment`] (as [`Url`] writes them).
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// Which network the server runs in, so which receivers it may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// On AWS: public https receivers only.
    Public,
    /// The local server: also a receiver on this machine's loopback
    /// (`http://127.0.0.1`, `http://localhost`, `http://[::1]`, any port).
    LocalDevelopment,
}

/// A webhook URL that passed [`check_url`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    url: Url,
    host: String,
    port: u16,
    https: bool,
}

impl Target {
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The name to resolve and to present in TLS: a domain, or an IP
    /// address without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn https(&self) -> bool {
        self.https
    }

    /// The `Host` header: the host, and the port unless it is the scheme's.
    pub fn authority(&self) -> &str {
        self.url.authority()
    }

    /// What the request line asks for: the path and the query.
    pub fn path_and_query(&self) -> &str {
        &self.url[Position::BeforePath..Position::AfterQuery]
    }

    fn is_loopback_host(&self) -> bool {
        is_loopback_host(&self.url)
    }
}

/// `raw` as a URL a webhook may be sent to under `reach`, or why not, in
/// words for the client that registered it.
pub fn check_url(raw: &str, reach: Reach) -> Result<Target, Invalid> {
    if raw.len() > MAX_URL_LENGTH {
        return Err(Invalid::new(format!("must be at most {MAX_URL_LENGTH} characters")));
    }
    let url = Url::parse(raw).map_err(|_| Invalid::new("must be an absolute URL"))?;
    let https = check_scheme_and_host(&url, reach)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Invalid::new("must not hold a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(Invalid::new("must not have a fragment"));
    }
    let port = url.port_or_known_default().expect("http and https URLs always have a port");
    let host = match url.host() {
        Some(Host::Ipv6(address)) => address.to_string(),
        _ => url.host_str().expect("the scheme check found a host").to_owned(),
    };
    Ok(Target { url, host, port, https })
}

/// Whether the URL is https (rather than a local receiver's http), if its
/// scheme and host may be used under `reach`.
fn check_scheme_and_host(url: &Url, reach: Reach) -> Result<bool, Invalid> {
    let local_receiver = reach == Reach::LocalDevelopment && is_loopback_host(url);
    let refused = || match reach {
        Reach::Public => Invalid::new("must be an https URL with a host name"),
        Reach::LocalDevelopment => {
            Invalid::new("must be an https URL with a host name, or http to 127.0.0.1, localhost or [::1]")
        }
    };
    let https = match url.scheme() {
        "https" => true,
        "http" if local_receiver => false,
        _ => return Err(refused()),
    };
    match url.host() {
        Some(Host::Domain(name)) if reach == Reach::Public && is_local_name(name) => {
            Err(Invalid::new("must name a public host, not this machine"))
        }
        Some(Host::Domain(_)) => Ok(https),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) if local_receiver => Ok(https),
        _ => Err(refused()),
    }
}

fn is_loopback_host(url: &Url) -> bool {
    url.host_str().is_some_and(|host| LOOPBACK_HOSTS.contains(&host))
}

/// `localhost` and its subdomains always mean this machine (RFC 6761).
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name == "localhost" || name.ends_with(".localhost")
}

/// Why the server may not connect to `ip`, if it may not: every address
/// that is not on the public internet, in both IP versions and in the IPv6
/// forms that carry an IPv4 address. The standard library's address
/// methods are the maintained classification; the ranges it only knows in
/// unstable methods are written here.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [first, second, ..] = ip.octets();
    let why = if ip.is_unspecified() {
        "the unspecified address"
    } else if first == 0 {
        "an address of \"this network\""
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if ip.is_link_local() {
        "a link-local address, as the cloud's metadata service is"
    } else if first == 100 && (64..128).contains(&second) {
        // Ipv4Addr::is_shared, unstable: 100.64.0.0/10.
        "a carrier-grade NAT address"
    } else if ip.is_documentation() {
        "a documentation address"
    } else if first == 198 && (18..20).contains(&second) {
        // Ipv4Addr::is_benchmarking, unstable: 198.18.0.0/15.
        "a benchmarking address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if ip.is_broadcast() {
        "the broadcast address"
    } else if first >= 240 {
        // Ipv4Addr::is_reserved, unstable: 240.0.0.0/4.
        "a reserved address"
    } else {
        return None;
    };
    Some(why)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    if let Some(why) = embedded_v4(ip).and_then(forbidden_v4) {
        return Some(why);
    }
    let segments = ip.segments();
    let why = if segments[..6] == [0; 6] {
        // ::a.b.c.d, IPv4-compatible: deprecated (RFC 4291), never routed.
        "a deprecated IPv4-compatible address"
    } else if segments[..3] == [0x64, 0xff9b, 1] {
        // 64:ff9b:1::/48: a network's own NAT64 (RFC 8215).
        "a private NAT64 address"
    } else if ip.is_unique_local() {
        "a private address"
    } else if ip.is_unicast_link_local() {
        "a link-local address"
    } else if segments[0] & 0xffc0 == 0xfec0 {
        // fec0::/10, site-local: deprecated (RFC 3879), private in effect.
        "a site-local address"
    } else if segments[..2] == [0x2001, 0xdb8] || (segments[0] == 0x3fff && segments[1] < 0x1000) {
        // Ipv6Addr::is_documentation, unstable: 2001:db8::/32 and 3fff::/20.
        "a documentation address"
    } else if segments[..3] == [0x2001, 2, 0] {
        // Ipv6Addr::is_benchmarking, unstable: 2001:2::/48.
        "a benchmarking address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else {
        return None;
    };
    Some(why)
}

/// The IPv4 address an IPv6 one carries, in the forms that reach it:
/// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
/// (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::/48).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let segments = ip.segments();
    let octets = ip.octets();
    let last_32_bits = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        Some(mapped)
    } else if segments[..6] == [0; 6] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(last_32_bits)
    } else if segments[0] == 0x2002 {
        Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]))
    } else {
        None
    }
}

/// Why `ip` may not be reached for `target` under `reach`, if it may not:
/// a forbidden address, except a development receiver's loopback one.
pub(super) fn refusal(target: &Target, reach: Reach, ip: IpAddr) -> Option<&'static str> {
    let local_receiver = reach == Reach::LocalDevelopment && target.is_loopback_host() && ip.is_loopback();
    if local_receiver { None } else { forbidden(ip) }
}

/// Why a webhook's host may not be connected to. It says which host and
/// which address, never anything of the delivery itself.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{host} cannot be resolved")]
    Unresolvable {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{host} resolves to no address")]
    NoAddress { host: String },
    #[error("{host} is at {address}, {why}")]
    Forbidden { host: String, address: IpAddr, why: &'static str },
}

/// Every address of `target`'s host, if none is forbidden under `reach`.
/// One forbidden address refuses them all: the host's owner could have
/// the others fail and make us use it.
pub async fn resolve(target: &Target, reach: Reach) -> Result<Vec<SocketAddr>, Refused> {
    let host = || target.host().to_owned();
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((target.host(), target.port()))
        .await
        .map_err(|source| Refused::Unresolvable { host: host(), source })?
        .collect();
    if addresses.is_empty() {
        return Err(Refused::NoAddress { host: host() });
    }
    for address in &addresses {
        check_address(target, reach, address.ip())?;
    }
    Ok(addresses)
}

/// `Ok` if `ip` may be reached for `target` under `reach`.
pub(super) fn check_address(target: &Target, reach: Reach, ip: IpAddr) -> Result<(), Refused> {
    match refusal(target, reach, ip) {
        None => Ok(()),
        Some(why) => Err(Refused::Forbidden { host: target.host().to_owned(), address: ip, why }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// First, middle and last address of every refused range.
    const REFUSED: &[(&str, &[&str])] = &[
        ("the unspecified address", &["0.0.0.0", "::"]),
        ("an address of \"this network\"", &["0.0.0.1", "0.128.0.0", "0.255.255.255"]),
        ("a loopback address", &["127.0.0.0", "127.0.0.1", "127.128.0.0", "127.255.255.255", "::1"]),
        (
            "a private address",
            &[
                "10.0.0.0",
                "10.128.0.0",
                "10.255.255.255",
                "172.16.0.0",
                "172.24.0.0",
                "172.31.255.255",
                "192.168.0.0",
                "192.168.128.0",
                "192.168.255.255",
                "fc00::",
                "fd12:3456::1",
                "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ],
        ),
        (
            "a link-local address, as the cloud's metadata service is",
            &["169.254.0.0", "169.254.169.254", "169.254.255.255"],
        ),
        ("a link-local address", &["fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("a site-local address", &["fec0::", "fed0::1", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("a carrier-grade NAT address", &["100.64.0.0", "100.100.100.100", "100.127.255.255"]),
        (
            "a documentation address",
            &[
                "192.0.2.0",
                "192.0.2.128",
                "192.0.2.255",
                "198.51.100.0",
                "198.51.100.255",
                "203.0.113.0",
                "203.0.113.255",
                "2001:db8::",
                "2001:db8:8000::1",
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                "3fff::",
                "3fff:0fff:ffff:ffff:ffff:ffff:ffff:ffff",
            ],
        ),
        (
            "a benchmarking address",
            &["198.18.0.0", "198.19.0.0", "198.19.255.255", "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff"],
        ),
        (
            "a multicast address",
            &[
                "224.0.0.0",
                "232.1.2.3",
                "239.255.255.255",
                "ff00::",
                "ff02::1",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ],
        ),
        ("a reserved address", &["240.0.0.0", "250.1.2.3", "255.255.255.254"]),
        ("the broadcast address", &["255.255.255.255"]),
        ("a deprecated IPv4-compatible address", &["::1.0.0.0", "::8.8.8.8", "::223.255.255.255"]),
        ("a private NAT64 address", &["64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"]),
    ];

    /// The IPv6 forms that carry an IPv4 address, each with a refused one.
    const REFUSED_IN_V6: &[(&str, &str)] = &[
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.1.2.3", "a private address"),
        ("::ffff:169.254.169.254", "a link-local address, as the cloud's metadata service is"),
        ("::ffff:100.64.0.1", "a carrier-grade NAT address"),
        ("::ffff:0.0.0.0", "the unspecified address"),
        ("::0.0.0.2", "an address of \"this network\""),
        ("::127.0.0.1", "a loopback address"),
        ("::192.168.1.1", "a private address"),
        ("64:ff9b::127.0.0.1", "a loopback address"),
        ("64:ff9b::a9fe:a9fe", "a link-local address, as the cloud's metadata service is"),
        ("64:ff9b::172.16.0.1", "a private address"),
        ("2002:7f00:1::", "a loopback address"),
        ("2002:a9fe:a9fe::1", "a link-local address, as the cloud's metadata service is"),
    ];

    /// Public addresses, most of them next to a refused range.
    const ALLOWED: &[&str] = &[
        "1.0.0.0",
        "9.255.255.255",
        "11.0.0.0",
        "8.8.8.8",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2001:4860::8888",
        "2001:4860:4860::8888",
        "2606:4700:4700::1111",
        "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db9::",
        "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:8.8.8.8",
        "64:ff9b::8.8.8.8",
        "2002:808:808::1",
    ];

    #[test]
    fn every_refused_range_is_refused_from_first_to_last() {
        for (why, addresses) in REFUSED {
            for address in *addresses {
                assert_eq!(forbidden(ip(address)), Some(*why), "{address}");
            }
        }
    }

    #[test]
    fn refused_ipv4_addresses_are_refused_in_their_ipv6_forms() {
        for (address, why) in REFUSED_IN_V6 {
            assert_eq!(forbidden(ip(address)), Some(*why), "{address}");
        }
    }

    #[test]
    fn public_addresses_next_to_refused_ranges_are_allowed() {
        for address in ALLOWED {
            assert_eq!(forbidden(ip(address)), None, "{address}");
        }
    }

    #[test]
    fn a_public_url_is_https_to_a_host_name() {
        let target = check_url("https://Hooks.Example.com/estate/in?tenant=7", Reach::Public).unwrap();
        assert_eq!(target.url().as_str(), "https://hooks.example.com/estate/in?tenant=7");
        assert_eq!((target.host(), target.port(), target.https()), ("hooks.example.com", 443, true));
        assert_eq!((target.authority(), target.path_and_query()), ("hooks.example.com", "/estate/in?tenant=7"));
        let with_port = check_url("https://hooks.example.com:8443", Reach::Public).unwrap();
        assert_eq!(
            (with_port.port(), with_port.authority(), with_port.path_and_query()),
            (8443, "hooks.example.com:8443", "/")
        );
    }

    #[test]
    fn a_url_that_is_not_https_to_a_host_name_is_refused() {
        let not_https = "must be an https URL with a host name";
        let cases = [
            ("http://hooks.example.com/in", not_https),
            ("ftp://hooks.example.com/in", not_https),
            ("https://93.184.215.14/in", not_https),
            ("https://[2606:4700::1111]/in", not_https),
            ("https://0x7f.1/in", not_https),
            ("http://127.0.0.1:8080/in", not_https),
            ("https://localhost/in", "must name a public host, not this machine"),
            ("https://hooks.localhost./in", "must name a public host, not this machine"),
            ("hooks.example.com/in", "must be an absolute URL"),
            ("https://", "must be an absolute URL"),
            ("https://user:pass@hooks.example.com/in", "must not hold a user name or password"),
            ("https://user@hooks.example.com/in", "must not hold a user name or password"),
            ("https://hooks.example.com/in#part", "must not have a fragment"),
        ];
        for (raw, why) in cases {
            assert_eq!(check_url(raw, Reach::Public), Err(Invalid::new(why)), "{raw}");
        }
    }

    #[test]
    fn a_url_is_at_most_2048_characters() {
        let at_limit = format!("https://hooks.example.com/{}", "a".repeat(2048 - "https://hooks.example.com/".len()));
        assert!(check_url(&at_limit, Reach::Public).is_ok());
        let over = format!("{at_limit}a");
        assert_eq!(check_url(&over, Reach::Public), Err(Invalid::new("must be at most 2048 characters")));
    }

    #[test]
    fn local_development_also_reaches_this_machine_in_http() {
        for (raw, host, port) in [
            ("http://127.0.0.1:9000/in", "127.0.0.1", 9000),
            ("http://localhost:3000", "localhost", 3000),
            ("http://[::1]:8080/in", "::1", 8080),
            ("http://[::1]/in", "::1", 80),
        ] {
            let target = check_url(raw, Reach::LocalDevelopment).unwrap();
            assert_eq!((target.host(), target.port(), target.https()), (host, port, false), "{raw}");
        }
        assert_eq!(check_url("http://[::1]:8080/in", Reach::LocalDevelopment).unwrap().authority(), "[::1]:8080");
        assert!(check_url("https://hooks.example.com/in", Reach::LocalDevelopment).unwrap().https());
        for raw in
            ["http://hooks.example.com/in", "http://10.0.0.1/in", "https://192.168.1.1/in", "http://127.0.0.2/in"]
        {
            let refused = check_url(raw, Reach::LocalDevelopment).unwrap_err().0;
            assert!(refused.starts_with("must be an https URL with a host name"), "{raw}: {refused}");
        }
    }

    #[tokio::test]
    async fn a_host_that_resolves_to_a_refused_address_is_refused() {
        let target = check_url("http://localhost:9000/in", Reach::LocalDevelopment).unwrap();
        assert!(matches!(
            resolve(&target, Reach::Public).await,
            Err(Refused::Forbidden { why: "a loopback address", .. })
        ));
        let addresses = resolve(&target, Reach::LocalDevelopment).await.unwrap();
        assert!(!addresses.is_empty() && addresses.iter().all(|a| a.ip().is_loopback() && a.port() == 9000));
    }

    #[test]
    fn only_the_loopback_hosts_may_use_loopback_addresses() {
        let local = check_url("http://127.0.0.1:9000/in", Reach::LocalDevelopment).unwrap();
        let remote = check_url("https://hooks.example.com/in", Reach::LocalDevelopment).unwrap();
        assert_eq!(refusal(&local, Reach::LocalDevelopment, ip("127.0.0.1")), None);
        assert_eq!(refusal(&local, Reach::LocalDevelopment, ip("10.0.0.1")), Some("a private address"));
        assert_eq!(refusal(&local, Reach::Public, ip("127.0.0.1")), Some("a loopback address"));
        assert_eq!(refusal(&remote, Reach::LocalDevelopment, ip("127.0.0.1")), Some("a loopback address"));
        assert_eq!(refusal(&remote, Reach::LocalDevelopment, ip("8.8.8.8")), None);
    }

    #[test]
    fn a_refusal_names_the_host_and_the_address() {
        let target = check_url("https://hooks.example.com/in", Reach::Public).unwrap();
        let refused = check_address(&target, Reach::Public, ip("169.254.169.254")).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "hooks.example.com is at 169.254.169.254, a link-local address, as the cloud's metadata service is"
        );
    }
}
