//! What the router is told about a request.

use std::fmt;

use mtls_header::Headers;

/// The protocol of a request, as routes name protocols. How a caller picks it:
///
/// | the request | protocol |
/// |---|---|
/// | `Content-Type` starting with `application/grpc` ([`is_grpc_content_type`]) | `Grpcs` over TLS, else `Grpc` |
/// | a WebSocket upgrade (`Upgrade: websocket`, [`is_websocket_upgrade`]; or RFC 8441 extended CONNECT with `:protocol websocket`) | `Wss` over TLS, else `Ws` |
/// | anything else | `Https` over TLS, else `Http` |
///
/// [`RequestProtocol::classify`] applies the table. "Over TLS" is Kong's `forwarded_proto`:
/// the connection's TLS, or `X-Forwarded-Proto: https` from a trusted proxy. Kong's `http` and
/// `https` routes serve gRPC requests and WebSocket upgrades too; `grpc`/`grpcs` routes refuse
/// other requests, as `ws`/`wss` routes do (see [`crate::router::Refusal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestProtocol {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
    /// gRPC over plain HTTP/2 (h2c).
    Grpc,
    /// gRPC over TLS.
    Grpcs,
    /// A WebSocket upgrade over plain HTTP.
    Ws,
    /// A WebSocket upgrade over TLS.
    Wss,
}

impl RequestProtocol {
    /// The protocol from the request's transport and headers (the table above).
    ///
    /// ```
    /// use mtls_gateway::RequestProtocol;
    /// let grpc = RequestProtocol::classify(true, Some(b"application/grpc+proto"), None);
    /// assert_eq!(grpc, RequestProtocol::Grpcs);
    /// let ws = RequestProtocol::classify(false, None, Some(b"WebSocket"));
    /// assert_eq!(ws, RequestProtocol::Ws);
    /// ```
    pub fn classify(tls: bool, content_type: Option<&[u8]>, upgrade: Option<&[u8]>) -> Self {
        let grpc = content_type.is_some_and(is_grpc_content_type);
        let websocket = upgrade.is_some_and(is_websocket_upgrade);
        match (grpc, websocket, tls) {
            (true, _, true) => Self::Grpcs,
            (true, _, false) => Self::Grpc,
            (false, true, true) => Self::Wss,
            (false, true, false) => Self::Ws,
            (false, false, true) => Self::Https,
            (false, false, false) => Self::Http,
        }
    }

    /// Whether the request came over TLS (Kong's `forwarded_proto == "https"`).
    pub fn is_tls(self) -> bool {
        matches!(self, Self::Https | Self::Grpcs | Self::Wss)
    }

    /// Whether it is a gRPC request.
    pub fn is_grpc(self) -> bool {
        matches!(self, Self::Grpc | Self::Grpcs)
    }

    /// Whether it is a WebSocket upgrade.
    pub fn is_websocket(self) -> bool {
        matches!(self, Self::Ws | Self::Wss)
    }

    /// The protocol's name (`http`, `grpcs`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
            Self::Grpc => "grpc",
            Self::Grpcs => "grpcs",
            Self::Ws => "ws",
            Self::Wss => "wss",
        }
    }
}

/// Kong's gRPC test: the `Content-Type` starts with `application/grpc` (byte for byte, as
/// Kong compares it).
pub fn is_grpc_content_type(content_type: &[u8]) -> bool {
    content_type.starts_with(b"application/grpc")
}

/// Kong's WebSocket test: the `Upgrade` value is `websocket`, in any case.
pub fn is_websocket_upgrade(upgrade: &[u8]) -> bool {
    upgrade.eq_ignore_ascii_case(b"websocket")
}

/// Splits a `Host` header value (or a route's `hosts` entry) into host and port:
/// `example.com:8000`, `[::1]:8443`, `[::1]`, `example.com`. A value whose part after the
/// colon is not a port is all host (as Kong splits them). The brackets of an IPv6 literal are
/// removed.
///
/// ```
/// use mtls_gateway::split_host_port;
/// assert_eq!(split_host_port("example.com:8000"), ("example.com", Some(8000)));
/// assert_eq!(split_host_port("[::1]:8443"), ("::1", Some(8443)));
/// assert_eq!(split_host_port("::1"), ("::1", None));
/// assert_eq!(split_host_port("route.*:80"), ("route.*", Some(80)));
/// ```
pub fn split_host_port(value: &str) -> (&str, Option<u16>) {
    if let Some(rest) = value.strip_prefix('[')
        && let Some((host, after)) = rest.split_once(']')
    {
        return match after.strip_prefix(':') {
            Some(port) => match port.parse() {
                Ok(port) => (host, Some(port)),
                Err(_) if port.is_empty() => (host, None),
                Err(_) => (value, None),
            },
            None if after.is_empty() => (host, None),
            None => (value, None),
        };
    }
    match value.split_once(':') {
        Some((host, port)) if !port.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) if port.is_empty() => (host, None),
            Err(_) => (value, None),
        },
        _ => (value, None),
    }
}

/// A request as the router sees it. Everything is borrowed: building one allocates nothing.
///
/// ```
/// use mtls_gateway::{RequestInfo, RequestProtocol};
/// let headers = [("x-version", "v2")];
/// let req = RequestInfo {
///     host: "api.example.test",
///     port: 8443,
///     path: "/orders/7",
///     method: "GET",
///     sni: Some("api.example.test"),
///     protocol: RequestProtocol::Https,
///     http2: true,
///     headers: &headers,
/// };
/// # let _ = req;
/// ```
#[derive(Clone, Copy)]
pub struct RequestInfo<'a> {
    /// The host of the `Host` header (or HTTP/2 `:authority`), without its port and without
    /// the brackets of an IPv6 literal ([`split_host_port`]); `""` when there is none.
    pub host: &'a str,
    /// The port of the `Host` header when it has one, else the port the connection arrived
    /// on (Kong's `net.dst.port`); routes with `hosts: ["name:port"]` compare it.
    pub port: u16,
    /// The path, already normalised ([`mtls_kong_config::path::normalize`]'s
    /// [`as_str`](mtls_kong_config::path::NormalizedPath::as_str)), without the query.
    pub path: &'a str,
    /// The method.
    pub method: &'a str,
    /// The TLS server name, if the client sent one.
    pub sni: Option<&'a str>,
    /// The protocol ([`RequestProtocol`] says how to pick it).
    pub protocol: RequestProtocol,
    /// Whether the request came over HTTP/2 (gRPC routes need it, as in Kong).
    pub http2: bool,
    /// The request's header fields (for routes with `headers`). A slice of `(name, value)`
    /// pairs implements [`Headers`], one pair per field line.
    pub headers: &'a dyn Headers,
}

impl fmt::Debug for RequestInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestInfo")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("method", &self.method)
            .field("sni", &self.sni)
            .field("protocol", &self.protocol)
            .field("http2", &self.http2)
            .finish_non_exhaustive()
    }
}
