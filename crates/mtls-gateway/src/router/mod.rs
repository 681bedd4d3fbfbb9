//! A Kong-compatible router for embedders without their own: Kong's `traditional_compatible`
//! flavour (Kong 3.x's default), pure and sans-IO.
//!
//! Build a [`Router`] once per configuration from [`RouteMatch`]es (every regex compiled
//! then), route each request with [`Router::route`] on a [`RequestInfo`] whose path went
//! through [`mtls_kong_config::path::normalize`], and join the upstream path with [`upstream_path`]. The
//! answer names the route by its position in the list the router was built from.
//!
//! # Kong's rules, as implemented
//!
//! Matching (a route matches when every field it sets matches; `kong/router/transform.lua`'s
//! expression builder):
//! - `hosts`: the name exactly, a leftmost wildcard as a suffix (`*.example.com` matches
//!   `a.b.example.com`), a rightmost one as a prefix (`example.*`). An entry with a port
//!   (`example.com:8000`) also requires [`RequestInfo::port`] (the `Host` header's port, else
//!   the listener's); an entry without one matches any port.
//! - `paths`: a prefix, byte for byte; or after `~` a regex (the `regex` crate, as Kong's ATC
//!   router), anchored with `^` as Kong anchors it and with `(?<` read as `(?P<`. A regex
//!   whose top-level alternation `a|b` leaves later branches unanchored stays so (as in Kong).
//! - `methods`: one of them.
//! - `headers`: for every configured name, one request field of that name (case-insensitive;
//!   `_` in the configured name stands for `-`, as nginx looks names up) has one of the values,
//!   compared case-insensitively, or matches a `~*` value's regex (unanchored, pattern and
//!   value lower-cased as Kong lower-cases both).
//! - `snis`: as hosts, without ports; checked only on requests over TLS (Kong: `net.protocol
//!   != "https" || tls.sni == ...`), so a plain-HTTP request ignores them.
//! - Routes whose `protocols` hold no HTTP protocol (`tcp`, `tls`, `udp`,
//!   `tls_passthrough`) are left out, as Kong's HTTP subsystem leaves them out.
//!
//! Precedence (`get_priority`): a route whose paths differ in kind or length is split into
//! one route per group (all regexes; each prefix length), each with its own priority. Routes
//! are tried from the highest priority, compared field by field: how many of `methods`,
//! `hosts`, `headers`, `snis`, `paths` are set; then `hosts` set with no wildcard; then the
//! number of header names; then regex paths over prefix paths; then `regex_priority` (regex
//! routes only); then the prefix length. Equal priorities: the greater route id first (Kong's
//! ATC router keys routes by priority and id; a split group's id is Kong's v5 id of
//! `"<id>#<n>"`), then declaration order. The first route that matches is the best; within it
//! the first matching path of the group (in `paths` order) is the matched path.
//!
//! Protocols (`kong/runloop/handler.lua`: Kong routes first, then checks the best route's
//! protocols, and never falls back to a lower route): an https-only route asked over plain
//! HTTP gives [`Refusal::HttpsRequired`] (426, or `https_redirect_status_code` 301/302/307/308
//! with a `Location`); a `grpc`/`grpcs` route gives 415 to a request that is not gRPC, 426 to
//! gRPC over HTTP/1, and `grpc-status: 1` to plain gRPC on a `grpcs`-only route. `http`/`https`
//! routes serve WebSocket upgrades and gRPC requests alike, as in Kong. `ws`/`wss` routes
//! (Kong Enterprise's protocols) take only WebSocket upgrades ([`Refusal::WebSocketRequired`])
//! and a `wss`-only route only over TLS.
//!
//! Paths for the upstream ([`upstream_path`]): `path_handling` `v0` (Kong's
//! `get_upstream_uri_v0`) and `v1` (the `traditional` router's join; Kong's
//! `traditional_compatible` router treats `v1` as `v0`), `strip_path` removing the matched
//! prefix or the regex's whole match, then Kong's escaping.
//!
//! # Where this router differs, and why
//!
//! - Hosts, SNIs and methods compare ASCII case-insensitively, and a trailing dot of the
//!   request's host is ignored; Kong's ATC router compares them byte for byte. A `Host:
//!   API.example.com` must not slip past the route for `api.example.com` to a catch-all.
//! - A header value is lower-cased ASCII-only before comparing (Kong lower-cases the request's
//!   value with Unicode rules, the route's with ASCII rules): values differ only outside ASCII.
//! - `regex_priority` is compared as a whole signed number. Kong packs it into 32 bits of a
//!   64-bit priority, where negative or very large values spill into the other fields.
//! - Kong 3.x computes that 64-bit priority with LuaJIT's `bit.lshift` on plain Lua numbers,
//!   which shifts in 32 bits (checked with LuaJIT 2.1 on x86-64). In a running Kong, for
//!   routes with up to three fields, the "plain hosts" and "regex" bits therefore outrank the
//!   number of fields set (a `hosts: [api.example.com]` route beats `paths: [/v1], methods:
//!   [GET]` for `GET api.example.com/v1`), and a `regex_priority` of 2 or more spills into
//!   the header count; routes with four or more fields all get one value (2^63, plus the plain
//!   host and regex bits), so their field count, and without those bits everything else, is
//!   lost and the route id decides. This router implements the documented order (the layout
//!   drawn in Kong's source, and Kong's documentation), which every case of Kong's router
//!   test suite transcribed in `tests/` agrees with.
//!
//! # Kong router features left out
//!
//! - `sources` / `destinations` (IP and port of the client and listener) on HTTP routes: the
//!   configuration does not load them.
//! - The `expressions` flavour (`expression`, `priority`) and the `traditional` flavour's own
//!   precedence: Kong 3.x's default is `traditional_compatible`.
//! - Stream routes (`tcp`, `tls`, `udp`, `tls_passthrough`): the gateway proxies HTTP only.
//! - Kong's LRU match cache: every lookup walks the routes in priority order (nothing to
//!   invalidate; a cache would change nothing but speed).
//! - Header-regex captures: Kong's ATC router also records captures of a `~*` header regex
//!   among `uri_captures`; here captures come from the path only.
//!
//! ```
//! use mtls_gateway::{RequestInfo, RequestProtocol, RouteMatch, Router};
//! let router = Router::new(vec![
//!     RouteMatch { paths: vec!["/".into()], ..RouteMatch::default() },
//!     RouteMatch { paths: vec!["/mtls".into()], ..RouteMatch::default() },
//! ])?;
//! let no_headers: [(&str, &str); 0] = [];
//! let req = |path| RequestInfo { host: "a.test", port: 443, path, method: "GET", sni: None,
//!     protocol: RequestProtocol::Https, http2: false, headers: &no_headers };
//! assert_eq!(router.route(&req("/mtls/x")).route(), Some(1));
//! assert_eq!(router.route(&req("/other")).route(), Some(0));
//! # Ok::<(), mtls_gateway::RouterError>(())
//! ```

mod matchers;
mod outcome;
mod priority;
mod request;
mod route;
mod upstream;

use std::sync::Arc;

use uuid::Uuid;

use matchers::{Common, HeaderMatcher, HostPattern, PathMatcher, Protocols, SniPattern};
pub use outcome::{Captures, Hit, NO_ROUTE_BODY, Outcome, Refusal, https_location};
use priority::Priority;
pub use request::{
    RequestInfo, RequestProtocol, is_grpc_content_type, is_websocket_upgrade, split_host_port,
};
pub use route::{REDIRECT_STATUS_CODES, RouteMatch, RouterError};
pub use upstream::upstream_path;

/// One group of a (split) route: what [`Router::route`] walks, in priority order.
#[derive(Debug, Clone)]
struct Candidate {
    /// The route's position.
    route: usize,
    /// The group's paths: their positions in the route's `paths`, compiled.
    paths: Vec<(usize, PathMatcher)>,
}

/// Routes compiled for matching, in Kong's order of trial. Cheap to share behind an `Arc`;
/// immutable.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RouteMatch>,
    /// By route position; `None` for a route with no HTTP protocol.
    common: Vec<Option<Common>>,
    candidates: Vec<Candidate>,
}

fn compile_common(index: usize, route: &RouteMatch) -> Result<Option<Common>, RouterError> {
    let Some(protocols) = Protocols::from_route(&route.protocols) else {
        return Ok(None);
    };
    if !route::REDIRECT_STATUS_CODES.contains(&route.https_redirect_status_code) {
        return Err(RouterError::InvalidRedirectStatus {
            route: index,
            id: route.id,
            status: route.https_redirect_status_code,
        });
    }
    let mut headers = Vec::with_capacity(route.headers.len());
    for (name, values) in &route.headers {
        let matcher = HeaderMatcher::compile(name, values).map_err(|(value, reason)| {
            RouterError::InvalidHeaderRegex {
                route: index,
                id: route.id,
                name: name.clone(),
                value,
                reason,
            }
        })?;
        headers.push(matcher);
    }
    Ok(Some(Common {
        hosts: route.hosts.iter().map(|h| HostPattern::parse(h)).collect(),
        methods: route.methods.clone(),
        headers,
        snis: route.snis.iter().map(|s| SniPattern::parse(s)).collect(),
        protocols,
        redirect_status: route.https_redirect_status_code,
    }))
}

fn compile_path(index: usize, route: &RouteMatch, path: usize) -> Result<PathMatcher, RouterError> {
    let text = route
        .paths
        .get(path)
        .map(String::as_str)
        .unwrap_or_default();
    match mtls_kong_config::patterns::compile_path_regex(text) {
        Ok(Some(regex)) => Ok(PathMatcher::Regex {
            groups: regex.captures_len() > 1,
            regex,
        }),
        Ok(None) => Ok(PathMatcher::Prefix(text.to_owned())),
        Err(reason) => Err(RouterError::InvalidRegexPath {
            route: index,
            id: route.id,
            path,
            reason,
        }),
    }
}

impl Router {
    /// Compiles `routes` (in declaration order): splits them by path group, compiles every
    /// regex, and orders them by Kong's precedence. An invalid regex (path or `~*` header
    /// value) or redirect status is refused with the route's position and id.
    pub fn new(routes: Vec<RouteMatch>) -> Result<Self, RouterError> {
        let mut common = Vec::with_capacity(routes.len());
        let mut keyed: Vec<(Priority, Option<Uuid>, usize, usize, Candidate)> = Vec::new();
        for (index, route) in routes.iter().enumerate() {
            let compiled = compile_common(index, route)?;
            let http = compiled.is_some();
            common.push(compiled);
            if !http {
                // A stream route: its paths are still checked, it is never a candidate.
                for path in 0..route.paths.len() {
                    compile_path(index, route, path)?;
                }
                continue;
            }
            let groups = priority::path_groups(&route.paths);
            let count = groups.len();
            for (group, members) in groups.into_iter().enumerate() {
                let priority = Priority::of(route, &members);
                let mut paths = Vec::with_capacity(members.len());
                for path in members {
                    paths.push((path, compile_path(index, route, path)?));
                }
                let id = priority::split_id(route.id, group, count);
                keyed.push((
                    priority,
                    id,
                    index,
                    group,
                    Candidate {
                        route: index,
                        paths,
                    },
                ));
            }
        }
        keyed.sort_by(|a, b| priority::try_order((&a.0, a.1, a.2, a.3), (&b.0, b.1, b.2, b.3)));
        Ok(Self {
            routes,
            common,
            candidates: keyed.into_iter().map(|k| k.4).collect(),
        })
    }

    /// The routes, as given to [`Router::new`] (a hit's `route` indexes them).
    pub fn routes(&self) -> &[RouteMatch] {
        &self.routes
    }

    /// Routes `req`: the best route and what it matched, the best route's refusal of the
    /// request's protocol, or no route. Allocates nothing, except for the captures of a regex
    /// path with groups that took part in the match, and the lower-cased copy of a header
    /// value a `~*` header regex is tried on.
    pub fn route(&self, req: &RequestInfo<'_>) -> Outcome {
        let host = req.host.strip_suffix('.').unwrap_or(req.host);
        for candidate in &self.candidates {
            let Some(Some(common)) = self.common.get(candidate.route) else {
                continue;
            };
            if !common.matches(req, host) {
                continue;
            }
            let Some(hit) = match_paths(candidate, req.path) else {
                continue;
            };
            return match outcome::check_protocol(
                common.protocols,
                common.redirect_status,
                req.protocol,
                req.http2,
            ) {
                Some(refusal) => Outcome::Refused {
                    route: candidate.route,
                    refusal,
                },
                None => Outcome::Matched(hit),
            };
        }
        Outcome::NotFound
    }
}

/// The group's first path (in `paths` order) that matches `path`, as a hit.
fn match_paths(candidate: &Candidate, path: &str) -> Option<Hit> {
    if candidate.paths.is_empty() {
        return Some(Hit {
            route: candidate.route,
            path: None,
            matched: 0..0,
            captures: None,
        });
    }
    for (index, matcher) in &candidate.paths {
        let hit = |matched, captures| Hit {
            route: candidate.route,
            path: Some(*index),
            matched,
            captures,
        };
        match matcher {
            PathMatcher::Prefix(prefix) => {
                if path.starts_with(prefix.as_str()) {
                    return Some(hit(0..prefix.len(), None));
                }
            }
            PathMatcher::Regex {
                regex,
                groups: false,
            } => {
                if let Some(m) = regex.find(path) {
                    return Some(hit(m.range(), None));
                }
            }
            PathMatcher::Regex {
                regex,
                groups: true,
            } => {
                if let Some(caps) = regex.captures(path) {
                    let whole = caps.get(0).map_or(0..0, |m| m.range());
                    return Some(hit(whole, captures(regex, &caps)));
                }
            }
        }
    }
    None
}

/// Kong's `uri_captures`: present when a group other than the whole match took part.
fn captures(regex: &regex::Regex, caps: &regex::Captures<'_>) -> Option<Box<Captures>> {
    let groups: Vec<_> = caps.iter().map(|m| m.map(|m| m.range())).collect();
    if groups.iter().skip(1).all(Option::is_none) {
        return None;
    }
    let names = regex
        .capture_names()
        .flatten()
        .filter_map(|name| caps.name(name).map(|m| (Arc::<str>::from(name), m.range())))
        .collect();
    Some(Box::new(Captures { groups, names }))
}

#[cfg(test)]
mod tests;
