//! The address a hit (or an API call) comes from. Behind a load balancer the peer is the
//! balancer, so the client is read from `X-Forwarded-For`, but only when the peer is a
//! configured trusted proxy (anyone else could write that header), and then only the
//! right-most entry no trusted proxy added (entries further left are the client's own claims).

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The client address of a request as the router received it.
pub fn of_request(parts: &Parts, trusted: &[IpNet]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    client_ip(peer, &parts.headers, trusted)
}

pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let Some(peer) = peer.map(canonical) else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    if !is_trusted(peer, trusted) {
        return peer;
    }
    // Several X-Forwarded-For headers are one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        match parse_entry(entry) {
            Some(ip) if is_trusted(ip, trusted) => client = ip,
            Some(ip) => return ip,
            // Garbage from further left cannot be believed: the last trusted hop is what we know.
            None => return client,
        }
    }
    client
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// An entry is an address, possibly with a port (`1.2.3.4:5678`, `[2001:db8::1]:443`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    entry.parse::<SocketAddr>().ok().map(|s| canonical(s.ip()))
}

/// IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_without_a_trusted_peer() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            client_ip(Some(ip("198.51.100.1")), &h, &[]),
            ip("198.51.100.1")
        );
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(Some(ip("198.51.100.1")), &h, &trusted),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client claims 1.1.1.1; the edge proxy saw 203.0.113.9; an inner proxy 10.1.1.1.
        let h = headers(&["1.1.1.1, 203.0.113.9", "10.1.1.1"]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            ip("203.0.113.9")
        );
        let h = headers(&["[2001:db8::7]:443"]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            ip("2001:db8::7")
        );
        // Only trusted hops: the left-most of them.
        let h = headers(&["10.9.9.9"]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            ip("10.9.9.9")
        );
        // Garbage stops the walk at the last trusted hop.
        let h = headers(&["nonsense, 10.3.3.3"]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            ip("10.3.3.3")
        );
        assert_eq!(
            client_ip(
                Some(ip("::ffff:10.0.0.2")),
                &headers(&["192.0.2.5"]),
                &trusted
            ),
            ip("192.0.2.5")
        );
    }
}
