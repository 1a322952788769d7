//! The client's address behind a reverse proxy: `X-Forwarded-For` is believed only when the
//! connection comes from the configured proxy network (`serve --trusted-proxy CIDR`).

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// An address network such as `10.0.0.0/8`, `127.0.0.1` (one address) or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an address network: write it like 10.0.0.0/8, 192.168.1.10 or fd00::/8")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || CidrError(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { network, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// The address a request comes from: the peer's, or, when the peer is the trusted proxy,
/// the nearest hop of `X-Forwarded-For` (read from the right) that is not itself in the
/// trusted network. Hops may carry a port (`1.2.3.4:5678`, `[2001:db8::1]:443`). A hop that
/// cannot be read before that one is reached leaves the peer's address, as does a header
/// that is not text. The trusted network must hold only proxies: a client inside it could
/// name any address.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: Option<Cidr>) -> IpAddr {
    let Some(trusted) = trusted.filter(|trusted| trusted.contains(peer)) else {
        return peer;
    };
    let mut values = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return peer;
        };
        values.push(value);
    }
    let mut nearest_trusted = None;
    for hop in values.iter().rev().flat_map(|value| value.rsplit(',')) {
        let Some(address) = parse_hop(hop) else {
            return peer;
        };
        if !trusted.contains(address) {
            return address;
        }
        nearest_trusted = Some(address);
    }
    // Every hop is a proxy of ours: the farthest one is where the request came from.
    nearest_trusted.unwrap_or(peer)
}

/// One hop: an address, optionally with a port (IPv6 with a port in brackets).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (address, _port) = rest.split_once(']')?;
        return address.parse().ok();
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|addr| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn networks_parse_and_contain() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped IPv6");
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_the_trusted_proxy() {
        let proxy: Cidr = "10.0.0.0/8".parse().unwrap();
        let headers = forwarded("203.0.113.7, 10.0.0.5");
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers, Some(proxy)),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("198.51.100.1"), &headers, Some(proxy)),
            ip("198.51.100.1"),
            "a peer that is not the proxy cannot choose its address"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers, None),
            ip("10.0.0.2")
        );
        // A client that sends its own header: the proxy appends the real peer; only the
        // nearest untrusted hop counts.
        let spoofed = forwarded("1.2.3.4, 203.0.113.9");
        assert_eq!(
            client_address(ip("10.0.0.2"), &spoofed, Some(proxy)),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &forwarded("garbage"), Some(proxy)),
            ip("10.0.0.2")
        );
        // Ports, brackets, and a malformed hop farther than the real client's.
        assert_eq!(
            client_address(ip("10.0.0.2"), &forwarded("203.0.113.7:51000"), Some(proxy)),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &forwarded("[2001:db8::7]:443"), Some(proxy)),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &forwarded("unknown, 203.0.113.7"),
                Some(proxy)
            ),
            ip("203.0.113.7")
        );
        // Two headers: the later one is nearer.
        let mut two = forwarded("198.51.100.1");
        two.append("x-forwarded-for", HeaderValue::from_static("203.0.113.8"));
        assert_eq!(
            client_address(ip("10.0.0.2"), &two, Some(proxy)),
            ip("203.0.113.8")
        );
        // Only proxies in the chain: the farthest of them.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &forwarded("10.9.9.9, 10.0.0.5"),
                Some(proxy)
            ),
            ip("10.9.9.9")
        );
    }
}
