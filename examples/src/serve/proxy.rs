//! One request: route, decide, then proxy to the route's service with Kong's headers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use mtls_gateway::config::Config;
use mtls_gateway::router::{NO_ROUTE_BODY, RequestInfo, RequestProtocol};
use mtls_gateway::{Decision, RequestFacts};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::pool::{PooledBody, Sender, UpstreamKey};
use super::{Gateway, Generation};

/// The response body type: streamed from the upstream, or generated here.
pub(crate) type Body = BoxBody<Bytes, hyper::Error>;

/// How long connecting to an upstream may take (TCP and TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an upstream may take to send its response's header section.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the TLS handshake told about a connection.
pub(crate) struct TlsInfo {
    /// The ClientHello's server name.
    pub(crate) sni: Option<String>,
    /// The client's chain (leaf first), if it sent one (also for resumed sessions).
    pub(crate) peer_certificates: Option<Vec<CertificateDer<'static>>>,
}

/// One client connection.
pub(crate) struct Connection {
    pub(crate) peer: SocketAddr,
    pub(crate) local_port: u16,
    pub(crate) tls: Option<TlsInfo>,
}

/// Where a route proxies to: its service's URL, and the route's path handling.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The service's id (for its upstream `ClientConfig`).
    service_id: String,
    /// The service's name or id, for logs.
    service_label: String,
    /// The route's name or id, for logs.
    route_label: String,
    https: bool,
    /// `None`: a protocol this proxy does not speak (grpc, tcp, ...).
    supported: bool,
    enabled: bool,
    host: String,
    port: u16,
    path: Option<String>,
    strip_path: bool,
    preserve_host: bool,
    route_paths: Vec<String>,
}

/// Every route with a service, by route id.
pub(crate) fn targets(config: &Config) -> HashMap<String, Target> {
    let mut out = HashMap::new();
    for route in config.routes() {
        let Some(service) = route.service.and_then(|id| config.service(id)) else {
            continue;
        };
        let protocol = service.protocol.as_str();
        out.insert(
            route.id.to_string(),
            Target {
                service_id: service.id.to_string(),
                service_label: service
                    .name
                    .clone()
                    .unwrap_or_else(|| service.id.to_string()),
                route_label: route.name.clone().unwrap_or_else(|| route.id.to_string()),
                https: protocol == "https",
                supported: matches!(protocol, "http" | "https"),
                enabled: service.enabled,
                host: service.host.clone(),
                port: service.port,
                path: service.path.clone(),
                strip_path: route.strip_path,
                preserve_host: route.preserve_host,
                route_paths: route.paths.clone(),
            },
        );
    }
    out
}

/// A generated JSON answer.
fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(
        Full::new(body.into())
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn message(status: StatusCode, text: &str) -> Response<Body> {
    json(status, serde_json::json!({ "message": text }).to_string())
}

/// Hop-by-hop fields, never forwarded (RFC 9110 section 7.6.1), with those `Connection` names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

/// The request's host, without port.
fn request_host(req: &Request<Incoming>) -> String {
    let raw = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_default();
    let host = match raw.strip_prefix('[') {
        // An IPv6 literal: `[::1]:8443`.
        Some(rest) => rest.split(']').next().unwrap_or_default().to_owned(),
        None => raw
            .rsplit_once(':')
            .map_or(raw.as_str(), |(h, _)| h)
            .to_owned(),
    };
    host.to_ascii_lowercase()
}

/// The port of the request's Host (or authority), if it has one.
fn request_port(req: &Request<Incoming>) -> Option<u16> {
    let raw = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    mtls_gateway::router::split_host_port(raw).1
}

/// The upstream path (Kong's `path_handling` v0) and the stripped prefix, if any.
fn upstream_path(target: &Target, path: &str) -> (String, Option<String>) {
    let mut rest = path;
    let mut prefix = None;
    if target.strip_path
        && let Some(p) = target
            .route_paths
            .iter()
            .filter(|p| !p.starts_with('~') && path.starts_with(p.as_str()))
            .max_by_key(|p| p.len())
    {
        rest = &path[p.len()..];
        prefix = Some(p.clone());
    }
    let joined = match target.path.as_deref() {
        None | Some("") => rest.to_owned(),
        Some(base) if rest.is_empty() => base.to_owned(),
        Some(base) => match (base.ends_with('/'), rest.starts_with('/')) {
            (true, true) => format!("{base}{}", &rest[1..]),
            (false, false) => format!("{base}/{rest}"),
            _ => format!("{base}{rest}"),
        },
    };
    let joined = if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    };
    (joined, prefix)
}

fn set_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// Serves one request. Never fails: every problem is an HTTP answer and a log line.
pub(crate) async fn handle(
    gateway: Arc<Gateway>,
    conn: Arc<Connection>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let generation = gateway.current();
    // Boxed: an idle keep-alive connection then holds a pointer, not the whole request
    // future (about 7 KB per connection).
    Ok(Box::pin(proxy(&gateway, &generation, &conn, req)).await)
}

async fn proxy(
    gateway: &Gateway,
    generation: &Generation,
    conn: &Connection,
    req: Request<Incoming>,
) -> Response<Body> {
    let protocol = if conn.tls.is_some() { "https" } else { "http" };
    let sni = conn.tls.as_ref().and_then(|t| t.sni.as_deref());
    let host = request_host(&req);
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let snapshot = &generation.snapshot;
    let (route_id, needs_https) = {
        let value_of = |name: HeaderName| req.headers().get(name).map(HeaderValue::as_bytes);
        let fields: Vec<(&HeaderName, &HeaderValue)> = req.headers().iter().collect();
        let info = RequestInfo {
            host: &host,
            port: request_port(&req).unwrap_or(conn.local_port),
            path: &path,
            method: method.as_str(),
            sni,
            protocol: RequestProtocol::classify(
                conn.tls.is_some(),
                value_of(header::CONTENT_TYPE),
                value_of(header::UPGRADE),
            ),
            http2: req.version() == hyper::Version::HTTP_2,
            headers: &fields,
        };
        let id = snapshot.route_request(&info).map(str::to_owned);
        let needs_https = id.is_none() && snapshot.needs_https(&info);
        (id, needs_https)
    };
    let Some(route_id) = route_id else {
        if needs_https {
            tracing::info!(target: "mtls::serve", peer = %conn.peer, %method, path, host, status = 426, "request refused: the route takes HTTPS only");
            return message(StatusCode::UPGRADE_REQUIRED, "Please use HTTPS protocol");
        }
        tracing::info!(target: "mtls::serve", peer = %conn.peer, %method, path, host, ?sni, status = 404, "request refused: no route matched");
        return json(StatusCode::NOT_FOUND, NO_ROUTE_BODY);
    };
    let Some(target) = generation.targets.get(&route_id) else {
        tracing::info!(target: "mtls::serve", peer = %conn.peer, %method, path, route = route_id, status = 503, "request refused: the route has no service");
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "no Service found with those values",
        );
    };
    if !target.enabled {
        tracing::info!(target: "mtls::serve", peer = %conn.peer, %method, path, route = target.route_label, status = 404, "request refused: the route's service is disabled");
        return json(StatusCode::NOT_FOUND, NO_ROUTE_BODY);
    }

    let decision = {
        let fields: Vec<(&HeaderName, &HeaderValue)> = req.headers().iter().collect();
        let facts = RequestFacts {
            peer_certificates: conn
                .tls
                .as_ref()
                .and_then(|t| t.peer_certificates.as_deref()),
            headers: &fields,
            peer_addr: conn.peer.ip(),
            has_credential: false,
            now: UnixTime::now(),
        };
        snapshot.decide(&route_id, &facts).await
    };
    let allow = match decision {
        Decision::Deny(deny) => {
            tracing::info!(
                target: "mtls::serve",
                peer = %conn.peer,
                %method,
                path,
                route = target.route_label,
                status = deny.status,
                plugin = deny.plugin,
                reason = deny.reason,
                "request refused"
            );
            let status =
                StatusCode::from_u16(deny.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return json(status, deny.body);
        }
        Decision::Allow(allow) => allow,
    };
    if !target.supported {
        tracing::warn!(target: "mtls::serve", route = target.route_label, service = target.service_label, status = 502, "request refused: the service's protocol is not http or https");
        return message(
            StatusCode::BAD_GATEWAY,
            "An invalid response was received from the upstream server",
        );
    }

    let (mut parts, body) = req.into_parts();
    let headers = &mut parts.headers;
    strip_hop_by_hop(headers);
    for name in &allow.remove {
        headers.remove(name.as_str());
    }
    for (name, value) in &allow.set {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                headers.insert(n, v);
            }
            _ => {
                tracing::warn!(target: "mtls::serve", header = name, "an upstream header value is not a valid field value; left out")
            }
        }
    }

    // X-Forwarded-*, as Kong sets them: a trusted peer's own values are kept.
    let trusted = gateway.trusted_ips().contains(conn.peer.ip());
    let peer_ip = conn.peer.ip().to_string();
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) if !prior.trim().is_empty() => format!("{prior}, {peer_ip}"),
        _ => peer_ip.clone(),
    };
    set_header(headers, "x-forwarded-for", &forwarded_for);
    set_header(headers, "x-real-ip", &peer_ip);
    let (upstream_path, prefix) = upstream_path(target, &path);
    let computed = [
        ("x-forwarded-proto", protocol.to_owned()),
        ("x-forwarded-host", host.clone()),
        ("x-forwarded-port", conn.local_port.to_string()),
        ("x-forwarded-path", path.clone()),
    ];
    for (name, value) in computed {
        if !(trusted && headers.contains_key(name)) {
            set_header(headers, name, &value);
        }
    }
    match prefix {
        Some(p) if !(trusted && headers.contains_key("x-forwarded-prefix")) => {
            set_header(headers, "x-forwarded-prefix", &p);
        }
        None if !trusted => {
            headers.remove("x-forwarded-prefix");
        }
        _ => {}
    }
    if !target.preserve_host || !headers.contains_key(header::HOST) {
        let default_port = if target.https { 443 } else { 80 };
        let host_value = if target.port == default_port {
            target.host.clone()
        } else if target.host.contains(':') {
            format!("[{}]:{}", target.host, target.port)
        } else {
            format!("{}:{}", target.host, target.port)
        };
        set_header(headers, "host", &host_value);
    }
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    parts.uri = match Uri::try_from(format!("{upstream_path}{query}")) {
        Ok(u) => u,
        Err(e) => {
            tracing::info!(target: "mtls::serve", path, status = 400, "request refused: upstream path: {e}");
            return message(StatusCode::BAD_REQUEST, "Bad request");
        }
    };
    parts.version = hyper::Version::HTTP_11;
    let upstream_req = Request::from_parts(parts, body);

    tracing::debug!(
        target: "mtls::serve",
        peer = %conn.peer,
        %method,
        path,
        route = target.route_label,
        service = target.service_label,
        consumer = allow.consumer.as_ref().and_then(|c| c.username.as_deref()),
        "proxying"
    );
    match send(gateway, generation, target, upstream_req).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, body.boxed())
        }
        Err(UpstreamError::Timeout(what)) => {
            tracing::warn!(target: "mtls::serve", route = target.route_label, service = target.service_label, status = 504, "upstream timed out: {what}");
            message(
                StatusCode::GATEWAY_TIMEOUT,
                "The upstream server is timed out",
            )
        }
        Err(UpstreamError::Failed(e)) => {
            tracing::warn!(target: "mtls::serve", route = target.route_label, service = target.service_label, status = 502, "upstream failed: {e}");
            message(
                StatusCode::BAD_GATEWAY,
                "An invalid response was received from the upstream server",
            )
        }
    }
}

enum UpstreamError {
    Timeout(&'static str),
    Failed(String),
}

async fn send(
    gateway: &Gateway,
    generation: &Generation,
    target: &Target,
    req: Request<Incoming>,
) -> Result<Response<PooledBody>, UpstreamError> {
    let tls = if target.https {
        match generation.snapshot.upstream(&target.service_id) {
            Some(config) => Some(Arc::clone(config)),
            None => {
                return Err(UpstreamError::Failed(format!(
                    "no upstream TLS configuration for service {}",
                    target.service_label
                )));
            }
        }
    } else {
        None
    };
    let key = UpstreamKey {
        host: target.host.clone(),
        port: target.port,
        tls,
    };
    let pool = gateway.upstream_pool();
    let mut req = req;
    if let Some(mut sender) = pool.take(&key).await {
        match tokio::time::timeout(RESPONSE_TIMEOUT, sender.try_send_request(req)).await {
            Err(_) => return Err(UpstreamError::Timeout("response")),
            Ok(Ok(response)) => {
                return Ok(
                    response.map(|body| PooledBody::new(body, Arc::clone(pool), key, sender))
                );
            }
            Ok(Err(mut e)) => match e.take_message() {
                // The idle connection closed before the request went out: a new one.
                Some(unsent) => req = unsent,
                None => {
                    return Err(UpstreamError::Failed(format!(
                        "request: {}",
                        e.into_error()
                    )));
                }
            },
        }
    }
    let mut sender = connect(target, key.tls.as_ref()).await?;
    let response = tokio::time::timeout(RESPONSE_TIMEOUT, sender.send_request(req))
        .await
        .map_err(|_| UpstreamError::Timeout("response"))?
        .map_err(|e| UpstreamError::Failed(format!("request: {e}")))?;
    Ok(response.map(|body| PooledBody::new(body, Arc::clone(pool), key, sender)))
}

/// A new connection to the target (TCP, then TLS with `tls`), ready for requests.
async fn connect(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Sender, UpstreamError> {
    let connect = async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|e| format!("connect to {}:{}: {e}", target.host, target.port))?;
        let _ = tcp.set_nodelay(true);
        Ok::<_, String>(tcp)
    };
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| UpstreamError::Timeout("connect"))?
        .map_err(UpstreamError::Failed)?;
    let Some(config) = tls else {
        return handshake(tcp).await;
    };
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| UpstreamError::Failed(format!("server name {}: {e}", target.host)))?;
    let tls = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_rustls::TlsConnector::from(Arc::clone(config)).connect(name, tcp),
    )
    .await
    .map_err(|_| UpstreamError::Timeout("TLS handshake"))?
    .map_err(|e| UpstreamError::Failed(format!("TLS handshake with {}: {e}", target.host)))?;
    handshake(tls).await
}

async fn handshake<S>(io: S) -> Result<Sender, UpstreamError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| UpstreamError::Failed(format!("HTTP handshake: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(target: "mtls::serve", "upstream connection: {e}");
        }
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: Option<&str>, strip: bool) -> Target {
        Target {
            service_id: String::new(),
            service_label: String::new(),
            route_label: String::new(),
            https: false,
            supported: true,
            enabled: true,
            host: "h".into(),
            port: 80,
            path: path.map(str::to_owned),
            strip_path: strip,
            preserve_host: false,
            route_paths: vec!["/mtls".into()],
        }
    }

    #[test]
    fn paths_as_kong_v0() {
        let t = target(Some("/anything"), true);
        assert_eq!(upstream_path(&t, "/mtls").0, "/anything");
        assert_eq!(upstream_path(&t, "/mtls/").0, "/anything/");
        assert_eq!(upstream_path(&t, "/mtls/x").0, "/anything/x");
        assert_eq!(upstream_path(&t, "/mtls/x").1.as_deref(), Some("/mtls"));
        let t = target(None, true);
        assert_eq!(upstream_path(&t, "/mtls").0, "/");
        let t = target(None, false);
        assert_eq!(upstream_path(&t, "/mtls/a").0, "/mtls/a");
        let t = target(Some("/base/"), false);
        assert_eq!(upstream_path(&t, "/mtls").0, "/base/mtls");
    }
}
