//! One request: its plan, then the gateway's answer or the proxied exchange, then the access
//! log line and the counters.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::header::HeaderValue;
use http::{StatusCode, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};
use mtls_cert::pki_types::UnixTime;
use mtls_gateway::{Connection, Consumer, Plan, RequestHead, TlsInfo, UpstreamPlan};

use crate::State;
use crate::access_log::Entry;
use crate::body::{ClientBody, IdleTimeout};
use crate::metrics::RequestKey;
use crate::respond::{
    Body, KONG_REQUEST_ID, VIA, X_KONG_PROXY_LATENCY, X_KONG_REQUEST_ID, X_KONG_UPSTREAM_LATENCY,
    gateway_answer, internal_error, message, strip_response,
};
use crate::upstream::{self, UpstreamError};

/// One client connection's facts, shared by its requests.
pub(crate) struct Conn {
    pub(crate) peer: SocketAddr,
    pub(crate) local_port: u16,
    pub(crate) tls: Option<TlsInfo>,
    pub(crate) tls_version: Option<&'static str>,
}

/// Serves one request. Never fails: every problem is an HTTP answer and a log line.
pub(crate) async fn handle(
    state: Arc<State>,
    conn: Arc<Conn>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    // Boxed: an idle keep-alive connection then holds a pointer, not the whole request
    // future.
    Ok(Box::pin(serve(&state, &conn, req)).await)
}

/// What one request did, for the access log and the counters.
struct Outcome {
    route: Option<Arc<str>>,
    consumer: Option<Arc<Consumer>>,
    upstream_status: Option<u16>,
    refused_by: Option<&'static str>,
}

async fn serve(state: &State, conn: &Conn, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let snapshot = state.handle.load();
    let request_id = state
        .options
        .response_headers
        .request_id
        .then(crate::respond::request_id);
    let plan = {
        let head = RequestHead {
            method: req.method(),
            uri: req.uri(),
            version: req.version(),
            headers: req.headers(),
        };
        let connection = Connection {
            peer: conn.peer,
            local_port: conn.local_port,
            tls: conn.tls.as_ref(),
        };
        mtls_gateway::drive(&snapshot, &connection, &head, UnixTime::now()).await
    };
    let method = req.method().clone();
    let path: Uri = req.uri().clone();
    let version = req.version();
    let mut outcome = Outcome {
        route: None,
        consumer: None,
        upstream_status: None,
        refused_by: None,
    };
    let mut response = match plan {
        Plan::Respond(respond) => {
            outcome.refused_by = respond.refused_by;
            outcome.route = respond.route.as_ref().map(|r| Arc::clone(&r.label));
            if let Some(plugin) = respond.refused_by {
                state.metrics.refusal(plugin, &respond.body);
            }
            if !respond.reason.is_empty() && respond.refused_by.is_none() {
                tracing::debug!(target: "mtls::serve", peer = %conn.peer, status = respond.status.as_u16(), reason = respond.reason, "answered by the gateway");
            }
            gateway_answer(respond, state.options.response_headers, request_id.as_ref())
        }
        Plan::Proxy(plan) => {
            outcome.route = Some(Arc::clone(&plan.route.label));
            outcome.consumer = plan.allow.consumer.clone();
            if let Some(revocation) = &plan.allow.revocation {
                state
                    .metrics
                    .revocation_answer(revocation_source(revocation));
            }
            proxy(state, plan, req, request_id.as_ref(), started, &mut outcome).await
        }
        Plan::Pending(_) => internal_error(state.options.response_headers),
    };
    // The gateway answers in its own HTTP version, whatever the upstream's.
    *response.version_mut() = version;
    record(
        state,
        conn,
        &method,
        &path,
        response.status().as_u16(),
        outcome,
        started,
    );
    response
}

/// The access line and the request counters of one answered request.
fn record(
    state: &State,
    conn: &Conn,
    method: &http::Method,
    path: &Uri,
    status: u16,
    outcome: Outcome,
    started: Instant,
) {
    let consumer = outcome.consumer.as_deref().map(consumer_name);
    state.access_log.write(&Entry {
        peer: conn.peer,
        method: method.as_str(),
        path: path.path(),
        status,
        consumer,
        route: outcome.route.as_deref(),
        upstream_status: outcome.upstream_status,
        latency: started.elapsed(),
        tls: conn.tls_version,
        sni: conn.tls.as_ref().and_then(|t| t.sni.as_deref()),
        refused_by: outcome.refused_by,
    });
    state.metrics.request(RequestKey {
        route: outcome.route.unwrap_or_else(|| Arc::from("-")),
        status,
        outcome: match outcome.refused_by {
            Some(plugin) => plugin,
            None if outcome.upstream_status.is_some() => "allowed",
            None => "gateway",
        },
    });
}

/// Where an allowed request's revocation answer came from, for the metrics.
fn revocation_source(revocation: &mtls_gateway::RevocationOutcome) -> &'static str {
    if revocation.cached {
        return "cache";
    }
    match revocation.source {
        mtls_gateway::RevocationSource::Ocsp => "ocsp",
        mtls_gateway::RevocationSource::Crl => "crl",
        mtls_gateway::RevocationSource::StaticCrl => "crl file",
        _ => "none",
    }
}

/// A consumer as logged: its username, else its custom_id.
fn consumer_name(consumer: &Consumer) -> &str {
    consumer
        .username
        .as_deref()
        .or(consumer.custom_id.as_deref())
        .unwrap_or("(id only)")
}

async fn proxy(
    state: &State,
    plan: UpstreamPlan,
    req: Request<Incoming>,
    request_id: Option<&HeaderValue>,
    started: Instant,
    outcome: &mut Outcome,
) -> Response<Body> {
    let headers = state.options.response_headers;
    let grpc = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| mtls_gateway::is_grpc_content_type(v.as_bytes()));
    let Ok((parts, body, client_upgrade)) = upstream_request(&plan, req, request_id, grpc) else {
        return own_answer(StatusCode::BAD_REQUEST, "Bad request", headers, grpc);
    };
    // The client's gRPC deadline, from when the request came.
    let deadline = parts
        .headers
        .get(crate::grpc::GRPC_TIMEOUT)
        .filter(|_| grpc)
        .and_then(crate::grpc::parse_timeout)
        .map(|t| tokio::time::Instant::from_std(started) + t);
    let (body, body_state) = ClientBody::new(body, started);
    let upstream_req = Request::from_parts(parts, body);
    let sent_at = Instant::now();
    let send = upstream::send(
        &state.pool,
        &state.h2,
        &plan.upstream,
        upstream_req,
        &body_state,
        started,
    );
    let result = match deadline {
        None => send.await,
        Some(at) => match tokio::time::timeout_at(at, send).await {
            Ok(result) => result,
            Err(_) => {
                tracing::info!(target: "mtls::serve", route = &*plan.route.label, "the client's grpc-timeout passed before the upstream answered");
                return grpc_deadline_exceeded(headers);
            }
        },
    };
    let timing = Timing {
        started,
        sent_at,
        upstream: sent_at.elapsed(),
    };
    match result {
        Ok(response) => {
            state.metrics.upstream_latency(timing.upstream);
            outcome.upstream_status = Some(response.status().as_u16());
            client_response(
                state,
                &plan,
                response,
                client_upgrade,
                &timing,
                deadline,
                request_id,
            )
        }
        Err(e) => upstream_failure(&plan, &e, headers, grpc),
    }
}

/// When a proxied request started, was sent upstream, and how long the upstream took to
/// answer (for Kong's latency headers).
struct Timing {
    started: Instant,
    sent_at: Instant,
    upstream: std::time::Duration,
}

/// The request as the upstream gets it: the plan's headers, the request id, the upstream's
/// target (HTTP/2 for grpc and h2 services); the client's upgrade when it asked for one.
/// `Err` when the upstream path is not a valid target (400).
fn upstream_request(
    plan: &UpstreamPlan,
    req: Request<Incoming>,
    request_id: Option<&HeaderValue>,
    grpc: bool,
) -> Result<
    (
        http::request::Parts,
        Incoming,
        Option<hyper::upgrade::OnUpgrade>,
    ),
    (),
> {
    let mut req = req;
    let client_upgrade = plan.upgrade.then(|| hyper::upgrade::on(&mut req));
    let (mut parts, body) = req.into_parts();
    plan.apply(&mut parts.headers);
    if let Some(id) = request_id {
        parts.headers.insert(X_KONG_REQUEST_ID, id.clone());
        parts.headers.insert(KONG_REQUEST_ID, id.clone());
    }
    let target = if plan.upstream.protocol().is_http2() {
        http2_request(&mut parts, plan, grpc).map_err(|e| e.to_string())
    } else {
        parts.version = http::Version::HTTP_11;
        Uri::try_from(plan.path_and_query.as_str()).map_err(|e| e.to_string())
    };
    match target {
        Ok(uri) => {
            parts.uri = uri;
            Ok((parts, body, client_upgrade))
        }
        Err(e) => {
            tracing::debug!(target: "mtls::serve", route = &*plan.route.label, "upstream path {:?}: {e}", plan.path_and_query);
            Err(())
        }
    }
}

/// The upstream's answer as the client gets it: hop-by-hop headers stripped, Kong's
/// response headers added, a WebSocket tunnel joined on 101, the body bounded by the read
/// timeout (and the gRPC deadline).
fn client_response(
    state: &State,
    plan: &UpstreamPlan,
    mut response: Response<upstream::PooledBody<ClientBody>>,
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    timing: &Timing,
    deadline: Option<tokio::time::Instant>,
    request_id: Option<&HeaderValue>,
) -> Response<Body> {
    let headers = state.options.response_headers;
    let read_timeout = plan.upstream.timeouts().read;
    let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
    if let (true, Some(client)) = (switching, client_upgrade) {
        let upstream = hyper::upgrade::on(&mut response);
        crate::tunnel::spawn(
            client,
            upstream,
            read_timeout,
            state.options.websocket_max_message,
            Arc::clone(&plan.route.label),
        );
    }
    let (mut parts, body) = response.into_parts();
    strip_response(&mut parts.headers);
    if switching {
        parts.headers.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("upgrade"),
        );
    }
    if headers.server_tokens {
        parts.headers.insert(http::header::VIA, VIA);
    }
    if headers.latency_tokens {
        let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let proxy_ms = millis(timing.sent_at.duration_since(timing.started));
        parts
            .headers
            .insert(X_KONG_PROXY_LATENCY, HeaderValue::from(proxy_ms));
        parts.headers.insert(
            X_KONG_UPSTREAM_LATENCY,
            HeaderValue::from(millis(timing.upstream)),
        );
    }
    if let Some(id) = request_id {
        parts.headers.insert(X_KONG_REQUEST_ID, id.clone());
    }
    let body = IdleTimeout::new(body, read_timeout);
    match deadline {
        Some(at) => Response::from_parts(parts, crate::grpc::Deadline::new(body, at).boxed()),
        None => Response::from_parts(parts, body.boxed()),
    }
}

/// Kong's answer when the upstream exchange failed: 400 when the client's body was at
/// fault, 504 past a timeout, 502 otherwise; logged with the route and service.
fn upstream_failure(
    plan: &UpstreamPlan,
    error: &UpstreamError,
    headers: crate::ResponseHeaders,
    grpc: bool,
) -> Response<Body> {
    let route = &*plan.route.label;
    match error {
        UpstreamError::ClientBody => {
            tracing::info!(target: "mtls::serve", route, "400: the client's request body is malformed or broke off (the client's fault, not the upstream's)");
            own_answer(StatusCode::BAD_REQUEST, "Bad request", headers, grpc)
        }
        UpstreamError::Timeout { .. } => {
            tracing::warn!(target: "mtls::serve", route, service = plan.upstream.label(), status = 504, "upstream: {error}");
            own_answer(
                StatusCode::GATEWAY_TIMEOUT,
                "The upstream server is timed out",
                headers,
                grpc,
            )
        }
        _ => {
            tracing::warn!(target: "mtls::serve", route, service = plan.upstream.label(), status = 502, "upstream: {error}");
            own_answer(
                StatusCode::BAD_GATEWAY,
                "An invalid response was received from the upstream server",
                headers,
                grpc,
            )
        }
    }
}

fn http2_request(
    parts: &mut http::request::Parts,
    plan: &UpstreamPlan,
    grpc: bool,
) -> Result<Uri, http::Error> {
    parts.version = http::Version::HTTP_2;
    let scheme = if plan.upstream.protocol().is_tls() {
        http::uri::Scheme::HTTPS
    } else {
        http::uri::Scheme::HTTP
    };
    let authority = match parts.headers.remove(http::header::HOST) {
        Some(host) => http::uri::Authority::try_from(host.as_bytes())?,
        None => http::uri::Authority::try_from(plan.host.as_bytes())?,
    };
    if grpc {
        parts
            .headers
            .insert(http::header::TE, HeaderValue::from_static("trailers"));
    }
    Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(plan.path_and_query.as_str())
        .build()
}

/// The gateway's own answer for a proxied request (400, 502, 504): Kong's JSON, or for a
/// gRPC request a gRPC status (502 and 504 are `UNAVAILABLE`).
fn own_answer(
    status: StatusCode,
    text: &str,
    headers: crate::ResponseHeaders,
    grpc: bool,
) -> Response<Body> {
    if !grpc {
        return message(status, text, headers);
    }
    let respond = mtls_gateway::Respond {
        status,
        headers: vec![(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body: serde_json::json!({ "message": text }).to_string(),
        refused_by: None,
        reason: String::new(),
        route: None,
    };
    gateway_answer(respond.into_grpc(), headers, None)
}

/// A Trailers-Only `DEADLINE_EXCEEDED` (the client's `grpc-timeout` passed).
fn grpc_deadline_exceeded(headers: crate::ResponseHeaders) -> Response<Body> {
    let mut fields = vec![(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    )];
    fields.extend(crate::grpc::deadline_exceeded());
    let respond = mtls_gateway::Respond {
        status: StatusCode::OK,
        headers: fields,
        body: String::new(),
        refused_by: None,
        reason: String::new(),
        route: None,
    };
    gateway_answer(respond, headers, None)
}
