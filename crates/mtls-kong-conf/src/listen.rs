//! Kong's listen syntax (`proxy_listen`, `admin_listen`, `status_listen`): comma-separated
//! entries `ADDRESS:PORT [flags]`, or `off` first for none. Flags, as Kong's http
//! subsystem takes them: `ssl` (TLS on that address, plain otherwise), `http2`,
//! `reuseport`, `backlog=N`, `deferred`, `bind`, `ipv6only=on|off`, `so_keepalive=...`,
//! and `proxy_protocol` (refused here: this gateway does not read the PROXY protocol).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// One listen address with its flags.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listener {
    /// The host: an IP address (an IPv6 one without brackets) or a name.
    pub host: String,
    /// The port.
    pub port: u16,
    /// `ssl`: TLS on this address.
    pub ssl: bool,
    /// `http2`: HTTP/2 offered (over TLS by ALPN).
    pub http2: bool,
    /// `reuseport`.
    pub reuseport: bool,
    /// `backlog=N`.
    pub backlog: Option<u32>,
    /// `deferred` (nginx's; no effect here).
    pub deferred: bool,
    /// `bind` (nginx's; no effect here).
    pub bind: bool,
    /// `ipv6only=on|off`.
    pub ipv6only: Option<bool>,
    /// `so_keepalive=...` as written.
    pub so_keepalive: Option<String>,
}

impl Listener {
    /// The socket address, when the host is an IP address.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.host
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, self.port))
    }

    /// Whether the address speaks TLS (`ssl`).
    pub fn is_tls(&self) -> bool {
        self.ssl
    }
}

/// In Kong's spelling: `0.0.0.0:8443 ssl http2 reuseport backlog=16384`.
impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        for (on, flag) in [
            (self.ssl, "ssl"),
            (self.http2, "http2"),
            (self.reuseport, "reuseport"),
            (self.deferred, "deferred"),
            (self.bind, "bind"),
        ] {
            if on {
                write!(f, " {flag}")?;
            }
        }
        if let Some(b) = self.backlog {
            write!(f, " backlog={b}")?;
        }
        if let Some(v6) = self.ipv6only {
            write!(f, " ipv6only={}", if v6 { "on" } else { "off" })?;
        }
        if let Some(k) = &self.so_keepalive {
            write!(f, " so_keepalive={k}")?;
        }
        Ok(())
    }
}

/// Kong's usage line for a listen setting.
const USAGE: &str = "must be of form: [off] | <ip>:<port> [ssl] [http2] [proxy_protocol] \
                     [deferred] [bind] [reuseport] [backlog=%d+] [ipv6only=on] [ipv6only=off] \
                     [so_keepalive=on] [so_keepalive=off] [so_keepalive=%w*:%w*:%d*], [... \
                     next entry ...]";

/// Parses a listen value; empty for `off`. `Err` is the message.
pub fn parse_listeners(value: &str) -> Result<Vec<Listener>, String> {
    let entries: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let Some(first) = entries.first() else {
        return Err(USAGE.to_owned());
    };
    if *first == "off" {
        return Ok(Vec::new());
    }
    entries.into_iter().map(parse_entry).collect()
}

fn parse_entry(entry: &str) -> Result<Listener, String> {
    let mut words = entry.split_whitespace();
    let address = words.next().ok_or_else(|| USAGE.to_owned())?;
    let (host, port) = split_address(address)
        .ok_or_else(|| format!("{address:?} is not <ip>:<port> or <name>:<port>; {USAGE}"))?;
    let mut listener = Listener {
        host,
        port,
        ssl: false,
        http2: false,
        reuseport: false,
        backlog: None,
        deferred: false,
        bind: false,
        ipv6only: None,
        so_keepalive: None,
    };
    for flag in words {
        match flag {
            "ssl" => listener.ssl = true,
            "http2" => listener.http2 = true,
            "reuseport" => listener.reuseport = true,
            "deferred" => listener.deferred = true,
            "bind" => listener.bind = true,
            "ipv6only=on" => listener.ipv6only = Some(true),
            "ipv6only=off" => listener.ipv6only = Some(false),
            "proxy_protocol" => {
                return Err(format!(
                    "{entry:?}: proxy_protocol is not supported here (this gateway does not \
                     read the PROXY protocol)"
                ));
            }
            _ => {
                if let Some(n) = flag.strip_prefix("backlog=") {
                    let n = n
                        .parse::<u32>()
                        .map_err(|_| format!("{flag:?}: backlog takes a number; {USAGE}"))?;
                    listener.backlog = Some(n);
                } else if let Some(k) = flag.strip_prefix("so_keepalive=") {
                    if !valid_keepalive(k) {
                        return Err(format!("{flag:?}: {USAGE}"));
                    }
                    listener.so_keepalive = Some(k.to_owned());
                } else {
                    return Err(format!("{flag:?} is not a listen flag; {USAGE}"));
                }
            }
        }
    }
    Ok(listener)
}

/// `on`, `off` or `idle:interval:count` (each part may be empty, count digits).
fn valid_keepalive(k: &str) -> bool {
    if k == "on" || k == "off" {
        return true;
    }
    let parts: Vec<&str> = k.split(':').collect();
    parts.len() == 3
        && parts[..2]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

/// `ipv4:port`, `[ipv6]:port` or `name:port`.
fn split_address(address: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        (host, after.strip_prefix(':')?)
    } else {
        let (host, port) = address.rsplit_once(':')?;
        if host.contains(':') {
            return None;
        }
        (host, port)
    };
    if host.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let valid_host = host.parse::<IpAddr>().is_ok()
        || host == "*"
        || host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !valid_host {
        return None;
    }
    Some((host.to_owned(), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kong_defaults() {
        let proxy = parse_listeners(
            "0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384",
        )
        .unwrap();
        assert_eq!(proxy.len(), 2);
        assert!(!proxy[0].is_tls() && proxy[1].is_tls() && proxy[1].http2);
        assert_eq!(proxy[0].backlog, Some(16384));
        assert_eq!(proxy[1].socket_addr(), "0.0.0.0:8443".parse().ok());
        assert_eq!(
            proxy[1].to_string(),
            "0.0.0.0:8443 ssl http2 reuseport backlog=16384"
        );
        assert!(parse_listeners("off").unwrap().is_empty());
        assert!(parse_listeners(" off , 0.0.0.0:1").unwrap().is_empty());
        let v6 = parse_listeners("[::1]:8001, localhost:9000 ssl").unwrap();
        assert_eq!(v6[0].host, "::1");
        assert_eq!(v6[0].to_string(), "[::1]:8001");
        assert_eq!(v6[1].socket_addr(), None);
    }

    #[test]
    fn bad_syntax() {
        for bad in [
            "",
            "8000",
            "0.0.0.0",
            "0.0.0.0:http",
            "0.0.0.0:70000",
            "::1:8000",
            "0.0.0.0:8000 tls",
            "0.0.0.0:8000 backlog=x",
            "0.0.0.0:8000 proxy_protocol",
            "0.0.0.0:8000, [zz]:1",
            "a b:1",
        ] {
            assert!(parse_listeners(bad).is_err(), "{bad:?}");
        }
    }
}
