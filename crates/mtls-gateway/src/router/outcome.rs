//! What the router answers: the route and what it matched, a refusal, or no route.

use std::ops::Range;
use std::sync::Arc;

use super::matchers::Protocols;
use super::request::RequestProtocol;

/// Kong's answer when no route matches (404).
pub const NO_ROUTE_BODY: &str = r#"{"message":"no Route matched with those values"}"#;

/// The router's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The best route serves the request.
    Matched(Hit),
    /// The best route does not take the request's protocol: answer with the refusal (Kong
    /// never falls back to a lower route then).
    Refused {
        /// The route's position in the list the router was built from.
        route: usize,
        /// What to answer.
        refusal: Refusal,
    },
    /// No route matches: 404 with [`NO_ROUTE_BODY`].
    NotFound,
}

impl Outcome {
    /// The hit, when the request is served.
    pub fn hit(&self) -> Option<&Hit> {
        match self {
            Self::Matched(hit) => Some(hit),
            _ => None,
        }
    }

    /// The position of the route that matched (served or refused).
    pub fn route(&self) -> Option<usize> {
        match self {
            Self::Matched(hit) => Some(hit.route),
            Self::Refused { route, .. } => Some(*route),
            Self::NotFound => None,
        }
    }
}

/// The route that serves a request, and what of the path it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The route's position in the list the router was built from.
    pub route: usize,
    /// The position in the route's `paths` of the path that matched; `None` for a route
    /// without paths.
    pub path: Option<usize>,
    /// The matched part of the request path (a prefix path, or the regex's whole match).
    pub(super) matched: Range<usize>,
    pub(super) captures: Option<Box<Captures>>,
}

impl Hit {
    /// The part of `request_path` (the path that was routed) the route's path matched: the
    /// prefix, or the regex's whole match. `None` for a route without paths.
    pub fn matched_path<'p>(&self, request_path: &'p str) -> Option<&'p str> {
        self.path?;
        request_path.get(self.matched.clone())
    }

    /// The length of the matched part (what `strip_path` removes).
    pub fn matched_len(&self) -> usize {
        self.matched.len()
    }

    /// A regex path's captures (Kong's `uri_captures`), when at least one group took part in
    /// the match.
    pub fn captures(&self) -> Option<&Captures> {
        self.captures.as_deref()
    }
}

/// A regex path's captures, as byte ranges of the routed path (Kong's `uri_captures`: index
/// 0 is the whole match; a group that took no part in the match is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captures {
    pub(super) groups: Vec<Option<Range<usize>>>,
    pub(super) names: Vec<(Arc<str>, Range<usize>)>,
}

impl Captures {
    /// Group `index` (0: the whole match), if it took part.
    pub fn get(&self, index: usize) -> Option<Range<usize>> {
        self.groups.get(index).cloned().flatten()
    }

    /// The named group `name`, if it took part.
    pub fn name(&self, name: &str) -> Option<Range<usize>> {
        self.names
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, r)| r.clone())
    }

    /// How many numbered groups the regex has, the whole match included.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Never true (the whole match is always there); for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The named groups that took part, in the regex's order.
    pub fn named(&self) -> impl Iterator<Item = (&str, Range<usize>)> {
        self.names.iter().map(|(n, r)| (&**n, r.clone()))
    }
}

/// Why the best route refuses a request, with Kong's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// An https-only route (or wss-only) asked over plain HTTP: 426 `Please use HTTPS
    /// protocol`, or the route's `https_redirect_status_code` (301, 302, 307, 308) with a
    /// `Location` ([`https_location`]) and no body.
    HttpsRequired {
        /// 426, 301, 302, 307 or 308.
        status: u16,
    },
    /// A gRPC request over HTTP/1: 426 `Please use HTTP2 protocol`.
    Http2Required,
    /// A request that is not gRPC on a `grpc`/`grpcs` route: 415 `Non-gRPC request matched
    /// gRPC route`.
    NotGrpc,
    /// A plain gRPC request on a `grpcs`-only route: 200 with `grpc-status: 1` and
    /// `grpc-message: gRPC request matched gRPCs route`.
    GrpcsRequired,
    /// A request that is not a WebSocket upgrade on a `ws`/`wss`-only route: 426 `Please use
    /// WebSocket protocol` (Kong's open-source router has no `ws`/`wss`; this answer is ours).
    WebSocketRequired,
}

impl Refusal {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::HttpsRequired { status } => *status,
            Self::Http2Required | Self::WebSocketRequired => 426,
            Self::NotGrpc => 415,
            Self::GrpcsRequired => 200,
        }
    }

    /// The JSON body's `message`, when the answer has a body (`{"message": "..."}`).
    pub fn message(&self) -> Option<&'static str> {
        match self {
            Self::HttpsRequired { status: 426 } => Some("Please use HTTPS protocol"),
            Self::HttpsRequired { .. } | Self::GrpcsRequired => None,
            Self::Http2Required => Some("Please use HTTP2 protocol"),
            Self::NotGrpc => Some("Non-gRPC request matched gRPC route"),
            Self::WebSocketRequired => Some("Please use WebSocket protocol"),
        }
    }

    /// The headers Kong sends with the answer (a redirect's `Location` comes from
    /// [`https_location`]).
    pub fn headers(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::HttpsRequired { status: 426 } => {
                &[("Connection", "Upgrade"), ("Upgrade", "TLS/1.2, HTTP/1.1")]
            }
            Self::HttpsRequired { .. } | Self::NotGrpc => &[],
            Self::Http2Required => &[("Connection", "Upgrade"), ("Upgrade", "HTTP/2")],
            Self::GrpcsRequired => &[
                ("Content-Type", "application/grpc"),
                ("grpc-status", "1"),
                ("grpc-message", "gRPC request matched gRPCs route"),
            ],
            Self::WebSocketRequired => &[("Connection", "Upgrade"), ("Upgrade", "websocket")],
        }
    }

    /// Whether the answer is a redirect (it then needs a `Location`).
    pub fn is_redirect(&self) -> bool {
        matches!(self, Self::HttpsRequired { status } if *status != 426)
    }
}

/// The `Location` of an https redirect, as Kong writes it: `https://`, the request's host
/// without its port, and the request target as the client sent it (path and query).
///
/// ```
/// use mtls_gateway::https_location;
/// assert_eq!(https_location("api.example.test", "/a?b=1"), "https://api.example.test/a?b=1");
/// ```
pub fn https_location(host: &str, request_target: &str) -> String {
    format!("https://{host}{request_target}")
}

/// Kong's checks after the best route is found (`kong/runloop/handler.lua`, access phase),
/// and ours for `ws`/`wss` routes.
pub(super) fn check_protocol(
    protocols: Protocols,
    redirect_status: u16,
    protocol: RequestProtocol,
    http2: bool,
) -> Option<Refusal> {
    let tls = protocol.is_tls();
    let https_only = protocols.https && !protocols.http;
    let ws_family = (protocols.ws || protocols.wss)
        && !(protocols.http || protocols.https || protocols.grpc || protocols.grpcs);
    if (https_only || (ws_family && protocols.wss && !protocols.ws)) && !tls {
        return Some(Refusal::HttpsRequired {
            status: redirect_status,
        });
    }
    if protocols.grpc || protocols.grpcs {
        if !protocol.is_grpc() {
            return Some(Refusal::NotGrpc);
        }
        if !http2 {
            return Some(Refusal::Http2Required);
        }
        if !protocols.grpc && !tls {
            return Some(Refusal::GrpcsRequired);
        }
    }
    if ws_family && !protocol.is_websocket() {
        return Some(Refusal::WebSocketRequired);
    }
    None
}
