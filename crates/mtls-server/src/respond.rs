//! Responses: the gateway's own answers from the plan, and Kong's response headers.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::Response;

use crate::ResponseHeaders;

/// The errors a response body can end with.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response body type: streamed from the upstream, or generated here.
pub(crate) type Body = BoxBody<Bytes, BoxError>;

/// `server_tokens` on the gateway's own answers.
pub(crate) const SERVER: HeaderValue =
    HeaderValue::from_static(concat!("mtls/", env!("CARGO_PKG_VERSION")));
/// `server_tokens` on proxied answers.
pub(crate) const VIA: HeaderValue =
    HeaderValue::from_static(concat!("1.1 mtls/", env!("CARGO_PKG_VERSION")));
pub(crate) const X_KONG_REQUEST_ID: HeaderName = HeaderName::from_static("x-kong-request-id");
pub(crate) const X_KONG_PROXY_LATENCY: HeaderName = HeaderName::from_static("x-kong-proxy-latency");
pub(crate) const X_KONG_UPSTREAM_LATENCY: HeaderName =
    HeaderName::from_static("x-kong-upstream-latency");
/// What Kong 3 also sends upstream.
pub(crate) const KONG_REQUEST_ID: HeaderName = HeaderName::from_static("kong-request-id");

/// A body of bytes generated here.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// The hyper response for the gateway's own answer.
pub(crate) fn gateway_answer(
    respond: mtls_gateway::Respond,
    headers: ResponseHeaders,
    request_id: Option<&HeaderValue>,
) -> Response<Body> {
    let mut response = Response::new(full(respond.body));
    *response.status_mut() = respond.status;
    let map = response.headers_mut();
    for (name, value) in respond.headers {
        map.append(name, value);
    }
    if headers.server_tokens {
        map.insert(http::header::SERVER, SERVER);
    }
    if let Some(id) = request_id {
        map.insert(X_KONG_REQUEST_ID, id.clone());
    }
    response
}

/// A 500 for what cannot happen.
pub(crate) fn internal_error(headers: ResponseHeaders) -> Response<Body> {
    gateway_answer(
        mtls_gateway::Respond {
            status: http::StatusCode::INTERNAL_SERVER_ERROR,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body: r#"{"message":"An unexpected error occurred"}"#.to_owned(),
            refused_by: None,
            reason: String::new(),
            route: None,
        },
        headers,
        None,
    )
}

/// A JSON answer with Kong's message.
pub(crate) fn message(
    status: http::StatusCode,
    text: &str,
    headers: ResponseHeaders,
) -> Response<Body> {
    gateway_answer(
        mtls_gateway::Respond {
            status,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body: serde_json::json!({ "message": text }).to_string(),
            refused_by: None,
            reason: String::new(),
            route: None,
        },
        headers,
        None,
    )
}

/// The next request id of this process.
pub(crate) fn request_id() -> HeaderValue {
    static IDS: std::sync::OnceLock<RequestIds> = std::sync::OnceLock::new();
    IDS.get_or_init(RequestIds::new).next()
}

/// Kong's request ids: 32 hex characters, unique per process (a random prefix and a
/// counter).
pub(crate) struct RequestIds {
    prefix: u64,
    next: AtomicU64,
}

impl RequestIds {
    pub(crate) fn new() -> Self {
        let mut seed = [0u8; 8];
        let prefix = match rustls::crypto::aws_lc_rs::default_provider()
            .secure_random
            .fill(&mut seed)
        {
            Ok(()) => u64::from_le_bytes(seed),
            Err(_) => u64::from(std::process::id()),
        };
        Self {
            prefix,
            next: AtomicU64::new(1),
        }
    }

    /// The next id.
    pub(crate) fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let text = format!("{:016x}{n:016x}", self.prefix);
        HeaderValue::from_maybe_shared(Bytes::from(text))
            .unwrap_or_else(|_| HeaderValue::from_static("0"))
    }
}

/// Removes hop-by-hop fields from an upstream response (RFC 9110 section 7.6.1).
pub(crate) fn strip_response(headers: &mut HeaderMap) {
    mtls_gateway::strip_hop_by_hop(headers);
}
