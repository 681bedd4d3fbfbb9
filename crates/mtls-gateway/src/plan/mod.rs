//! The request plan: one call gives the whole answer for a request, as Kong would give it.
//!
//! [`Snapshot::plan`] reads the request head and what the connection's handshake told, and
//! returns a [`Plan`]: [`Plan::Respond`] (the gateway answers: 400, 404, 421, 426, 401, 403,
//! 503, ... with Kong's bodies, or as gRPC statuses to gRPC clients), [`Plan::Proxy`] (an
//! [`UpstreamPlan`]: where to send it, the path after `strip_path` and `path_handling`, the
//! Host, the headers to set and remove, the upstream's TLS and timeouts), or
//! [`Plan::Pending`] when a revocation answer is needed from the network first (the
//! [`crate::Driver`] fetches it and plans again, as quinn drives quinn-proto). `mtls serve`,
//! `mtls check`, the tower layer and any embedder read the same plan.
//!
//! In order (each step can answer):
//! 1. The head: one Host that agrees with the target, a transfer coding the gateway can pass
//!    on, header names with `_` dropped (decisions 14, 15).
//! 2. The path, normalised (decision 13): routing and the upstream see the normalised path.
//! 3. The route (Kong's precedence), and the route's protocol rules (426, redirects, gRPC).
//! 4. A route needing a client certificate on a connection whose handshake did not ask for
//!    one as a handshake for this host would have: 421 (decision 17).
//! 5. The route's service (503 without one, 404 when disabled), then its plugins.

mod forwarded;
pub(crate) mod head;
mod misdirected;
mod respond;

pub use respond::Respond;

use std::net::SocketAddr;
use std::sync::Arc;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Uri, Version};
use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_kong_config::path::{self, NormalizedPath};

use crate::compile::{CompiledRoute, RouteInfo, Upstream, UpstreamProtocol};
use crate::decision::{Allow, Answers, Decision, Needs, RequestFacts};
use crate::handshake::ClientAuth;
use crate::router::{Hit, NO_ROUTE_BODY, Outcome, Refusal, RequestInfo, RequestProtocol};
use crate::snapshot::Snapshot;
use forwarded::Forwarded;
use head::CheckedHead;

/// What a connection's TLS handshake told (kept once per connection).
#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// The ClientHello's server name.
    pub sni: Option<String>,
    /// The client's chain (leaf first), if it sent one (also for resumed sessions).
    pub peer_certificates: Option<Vec<CertificateDer<'static>>>,
    /// What the handshake asked of the client ([`crate::Selected::client_auth`]).
    pub client_auth: ClientAuth,
}

/// The connection a request arrived on.
#[derive(Debug, Clone, Copy)]
pub struct Connection<'a> {
    /// The directly connected peer.
    pub peer: SocketAddr,
    /// The listener's port (for `X-Forwarded-Port`, and hosts without a port).
    pub local_port: u16,
    /// The TLS handshake's facts; `None` for plain HTTP.
    pub tls: Option<&'a TlsInfo>,
}

/// What the plan reads from a request: its head (the body is the executor's).
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// The method.
    pub method: &'a Method,
    /// The request target (origin-form, or absolute-form with an authority; HTTP/2's
    /// `:authority` is the authority).
    pub uri: &'a Uri,
    /// The HTTP version.
    pub version: Version,
    /// The header fields.
    pub headers: &'a HeaderMap,
}

/// The whole answer for one request.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Plan {
    /// The gateway answers itself.
    Respond(Respond),
    /// Proxy the request as planned.
    Proxy(UpstreamPlan),
    /// Revocation answers are needed first: [`crate::Driver::plan`] fetches them and plans
    /// again ([`Pending::needs`] says what; [`Snapshot::plan_with`] takes the answers).
    Pending(Pending),
}

/// A plan waiting for answers from the network.
#[derive(Debug)]
pub struct Pending {
    pub(crate) needs: Needs,
}

impl Pending {
    /// What is needed.
    pub fn needs(&self) -> &Needs {
        &self.needs
    }
}

/// Where and how to proxy a request.
#[derive(Debug)]
pub struct UpstreamPlan {
    /// The route that serves the request.
    pub route: Arc<RouteInfo>,
    /// The service's upstream: address, protocol, TLS, timeouts, retries.
    pub upstream: Arc<Upstream>,
    /// The upstream request target: path (after `strip_path` and `path_handling`, escaped as
    /// Kong escapes it) and query.
    pub path_and_query: String,
    /// The `Host` to send.
    pub host: HeaderValue,
    /// Headers to set (replacing any of the same name): the consumer's, `X-Forwarded-*`.
    pub set: Vec<(HeaderName, HeaderValue)>,
    /// Headers to remove: those the gateway owns and did not set, names with `_`.
    pub remove: Vec<HeaderName>,
    /// Whether the request is a WebSocket upgrade (its `Connection` / `Upgrade` are kept).
    pub upgrade: bool,
    /// What the plugins decided (consumer, groups, revocation), for logs and diagnostics.
    pub allow: Allow,
}

/// Hop-by-hop fields, never forwarded (RFC 9110 section 7.6.1).
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

impl UpstreamPlan {
    /// Applies the plan to the request's header fields: hop-by-hop fields (and those its
    /// `Connection` names) dropped, the plan's removals and settings applied, `Host` set.
    /// A WebSocket upgrade keeps `Connection: upgrade` and `Upgrade`.
    pub fn apply(&self, headers: &mut HeaderMap) {
        strip_hop_by_hop(headers);
        if self.upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        } else {
            headers.remove(header::UPGRADE);
        }
        for name in &self.remove {
            headers.remove(name);
        }
        for (name, value) in &self.set {
            headers.insert(name.clone(), value.clone());
        }
        headers.insert(header::HOST, self.host.clone());
    }
}

/// Removes hop-by-hop fields (RFC 9110 section 7.6.1), with those `Connection` names. `TE:
/// trailers` survives for HTTP/2 upstreams only when the executor adds it back (gRPC).
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .filter(|n| n != header::UPGRADE)
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The request's header fields as mtls-header and the router read them.
pub(crate) struct Fields<'a>(pub(crate) &'a HeaderMap);

impl mtls_header::Headers for Fields<'_> {
    fn visit_fields<'a>(&'a self, visit: &mut dyn FnMut(&'a [u8], &'a [u8])) {
        for (name, value) in self.0 {
            visit(name.as_str().as_bytes(), value.as_bytes());
        }
    }
}

impl Snapshot {
    /// The plan for a request, with nothing fetched yet.
    pub fn plan(&self, conn: &Connection<'_>, req: &RequestHead<'_>, now: UnixTime) -> Plan {
        self.plan_with(conn, req, &Answers::new(), now)
    }

    /// The plan for a request with the answers a driver fetched for an earlier
    /// [`Plan::Pending`].
    pub fn plan_with(
        &self,
        conn: &Connection<'_>,
        req: &RequestHead<'_>,
        answers: &Answers,
        now: UnixTime,
    ) -> Plan {
        let grpc = req
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| crate::router::is_grpc_content_type(v.as_bytes()));
        match self.plan_inner(conn, req, answers, now) {
            Plan::Respond(r) if grpc && r.status != http::StatusCode::MISDIRECTED_REQUEST => {
                Plan::Respond(r.into_grpc())
            }
            other => other,
        }
    }

    fn plan_inner(
        &self,
        conn: &Connection<'_>,
        req: &RequestHead<'_>,
        answers: &Answers,
        now: UnixTime,
    ) -> Plan {
        let checked = match head::check(req.version, req.uri, req.headers) {
            Ok(checked) => checked,
            Err(e) => {
                return Plan::Respond(Respond::message(e.status(), e.message(), e.to_string()));
            }
        };
        if let Some(first) = checked.underscored.first() {
            tracing::debug!(target: "mtls_gateway::plan", header = %first, count = checked.underscored.len(), "request header names with '_' dropped");
        }
        let path = match path::normalize(req.uri.path()) {
            Ok(path) => path,
            Err(e) => {
                return Plan::Respond(Respond::message(
                    e.status(),
                    "Bad request",
                    format!("request path {:?}: {e}", req.uri.path()),
                ));
            }
        };
        let fields = Fields(req.headers);
        let host = checked.host.as_ref();
        let host_name = host.map_or("", |h| &*h.name);
        let protocol = RequestProtocol::classify(
            conn.tls.is_some(),
            req.headers
                .get(header::CONTENT_TYPE)
                .map(HeaderValue::as_bytes),
            req.headers.get(header::UPGRADE).map(HeaderValue::as_bytes),
        );
        let info = RequestInfo {
            host: host_name,
            port: host.and_then(|h| h.port).unwrap_or(conn.local_port),
            path: path.as_str(),
            method: req.method.as_str(),
            sni: conn.tls.and_then(|t| t.sni.as_deref()),
            protocol,
            http2: req.version == Version::HTTP_2,
            headers: &fields,
        };
        let hit = match self.router.route(&info) {
            Outcome::Matched(hit) => hit,
            Outcome::NotFound => {
                if let Some(respond) = self.misdirected_elsewhere(conn, &info) {
                    return Plan::Respond(respond);
                }
                return Plan::Respond(Respond::json(
                    404,
                    NO_ROUTE_BODY.to_owned(),
                    "no route matched",
                ));
            }
            Outcome::Refused { route, refusal } => {
                let mut respond = self.refused(route, refusal, host_name, req.uri);
                respond.route = self.routes.get(route).map(|r| Arc::clone(&r.info));
                return Plan::Respond(respond);
            }
        };
        let Some(route) = self.routes.get(hit.route) else {
            return Plan::Respond(Respond::message(
                500,
                "An unexpected error occurred",
                "router answered an unknown route",
            ));
        };
        let ctx = Context {
            conn,
            req,
            checked: &checked,
            path: &path,
            hit: &hit,
            route,
            protocol,
        };
        match self.plan_route(&ctx, &fields, answers, now) {
            Plan::Respond(mut respond) => {
                respond.route = Some(Arc::clone(&route.info));
                Plan::Respond(respond)
            }
            other => other,
        }
    }

    fn plan_route(
        &self,
        ctx: &Context<'_>,
        fields: &Fields<'_>,
        answers: &Answers,
        now: UnixTime,
    ) -> Plan {
        let route = ctx.route;
        if let Some(tls) = ctx.conn.tls
            && route.plugins.requests_certificate
            && !self.handshake.asked_as_for(
                &tls.client_auth,
                ctx.checked.host.as_ref().map(|h| &*h.name),
            )
        {
            return Plan::Respond(Respond::message(
                421,
                "Misdirected Request",
                format!(
                    "route {} needs a client certificate that this connection's handshake (SNI {:?}) did not ask for",
                    route.info.label, tls.sni
                ),
            ));
        }
        let Some(upstream) = route.upstream.as_ref() else {
            return Plan::Respond(Respond::message(
                503,
                "no Service found with those values",
                format!("route {} has no service", route.info.label),
            ));
        };
        if !upstream.enabled() {
            return Plan::Respond(Respond::json(
                404,
                NO_ROUTE_BODY.to_owned(),
                format!("service {} is disabled", upstream.label()),
            ));
        }
        let facts = RequestFacts {
            peer_certificates: ctx.conn.tls.and_then(|t| t.peer_certificates.as_deref()),
            headers: fields,
            peer_addr: ctx.conn.peer.ip(),
            has_credential: false,
            now,
        };
        let allow = match self.decider.decide(&route.plugins, &facts, answers) {
            Decision::Allow(allow) => allow,
            Decision::Deny(deny) => {
                let mut respond = Respond::json(deny.status, deny.body, deny.reason);
                respond.refused_by = Some(deny.plugin);
                return Plan::Respond(respond);
            }
            Decision::Pending(needs) => return Plan::Pending(Pending { needs }),
        };
        if upstream.protocol() == UpstreamProtocol::Unsupported {
            return Plan::Respond(Respond::message(
                502,
                "An invalid response was received from the upstream server",
                format!(
                    "service {}'s protocol is not proxied by this gateway",
                    upstream.label()
                ),
            ));
        }
        Plan::Proxy(self.upstream_plan(ctx, upstream, allow))
    }

    fn upstream_plan(
        &self,
        ctx: &Context<'_>,
        upstream: &Arc<Upstream>,
        allow: Allow,
    ) -> UpstreamPlan {
        let route = ctx.route;
        let escaped = ctx.path.escaped();
        let upstream_path = crate::router::upstream_path(
            upstream.path(),
            ctx.hit,
            ctx.path.as_str(),
            route.strip_path,
            route.path_handling,
        );
        let mut path_and_query = upstream_path;
        if let Some(q) = ctx.req.uri.query() {
            path_and_query.reserve_exact(q.len() + 1);
            path_and_query.push('?');
            path_and_query.push_str(q);
        }
        let prefix = route
            .strip_path
            .then(|| ctx.hit.matched_path(ctx.path.as_str()))
            .flatten()
            .filter(|p| !p.is_empty())
            .map(path::escape);
        let mut set: Vec<(HeaderName, HeaderValue)> = Vec::with_capacity(allow.set.len() + 8);
        for (name, value) in &allow.set {
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(n), Ok(v)) => set.push((n, v)),
                _ => {
                    tracing::warn!(target: "mtls_gateway::plan", header = %name, "an upstream header value is not a valid field value; left out")
                }
            }
        }
        let mut remove: Vec<HeaderName> = allow
            .remove
            .iter()
            .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
            .collect();
        remove.extend(ctx.checked.underscored.iter().cloned());
        let host_text = ctx
            .req
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| ctx.req.uri.authority().map(|a| a.as_str()))
            .unwrap_or("");
        let forwarded_host = crate::router::split_host_port(host_text).0;
        Forwarded {
            peer: ctx.conn.peer.ip(),
            trusted: self.trusted_ips.contains(ctx.conn.peer.ip()),
            proto: if ctx.conn.tls.is_some() {
                "https"
            } else {
                "http"
            },
            host: forwarded_host,
            port: ctx.conn.local_port,
            path: &escaped,
            prefix: prefix.as_deref(),
        }
        .headers(ctx.req.headers, &mut set, &mut remove);
        // HTTP/2 requests carry the host as `:authority`, without a Host field.
        let original = ctx.req.headers.get(header::HOST).cloned().or_else(|| {
            let authority = ctx.req.uri.authority()?;
            HeaderValue::from_str(authority.as_str()).ok()
        });
        let host = match original {
            Some(original) if route.preserve_host => original,
            _ => upstream.host_header().clone(),
        };
        UpstreamPlan {
            route: Arc::clone(&route.info),
            upstream: Arc::clone(upstream),
            path_and_query,
            host,
            set,
            remove,
            upgrade: ctx.protocol.is_websocket(),
            allow,
        }
    }

    /// Kong's answer when the best route does not take the request's protocol.
    fn refused(&self, route: usize, refusal: Refusal, host: &str, uri: &Uri) -> Respond {
        let label = self.routes.get(route).map_or("?", |r| &*r.info.label);
        let reason = format!("route {label} refuses the request's protocol ({refusal:?})");
        let mut respond = match refusal.message() {
            Some(message) => Respond::message(refusal.status(), message, reason),
            None => Respond {
                status: http::StatusCode::from_u16(refusal.status())
                    .unwrap_or(http::StatusCode::OK),
                headers: Vec::new(),
                body: String::new(),
                refused_by: None,
                reason,
                route: None,
            },
        };
        for (name, value) in refusal.headers() {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                respond.headers.retain(|(h, _)| h != n);
                respond.headers.push((n, v));
            }
        }
        if refusal.is_redirect() {
            let target = uri.path_and_query().map_or("/", |p| p.as_str());
            if let Ok(location) =
                HeaderValue::from_str(&crate::router::https_location(host, target))
            {
                respond.headers.push((header::LOCATION, location));
            }
        }
        respond
    }
}

/// One request's facts while its route is planned.
struct Context<'a> {
    conn: &'a Connection<'a>,
    req: &'a RequestHead<'a>,
    checked: &'a CheckedHead<'a>,
    path: &'a NormalizedPath<'a>,
    hit: &'a Hit,
    route: &'a CompiledRoute,
    protocol: RequestProtocol,
}
