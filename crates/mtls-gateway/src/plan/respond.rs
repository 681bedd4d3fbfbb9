//! The gateway's own answers (Kong's bodies), and their gRPC form: a gRPC client gets its
//! refusal as a gRPC status over HTTP/2, with a 200 and `grpc-status` / `grpc-message`, as
//! Kong gives it.

use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};

/// An answer the gateway gives itself instead of proxying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respond {
    /// The status.
    pub status: StatusCode,
    /// The header fields (`Content-Type`, `Location`, `grpc-status`, ...).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body (Kong's JSON `{"message": "..."}`, or empty).
    pub body: String,
    /// The plugin that refused, for the access log (`mtls-auth`, ...); `None` for the
    /// gateway's own answers (400, 404, 421, 426, 503, ...).
    pub refused_by: Option<&'static str>,
    /// The precise reason, for the log. Never sent to the client.
    pub reason: String,
    /// The route the request matched, when it matched one.
    pub route: Option<std::sync::Arc<crate::compile::RouteInfo>>,
}

/// `{"message":"..."}` with `message` escaped.
pub(crate) fn message_body(message: &str) -> String {
    serde_json::json!({ "message": message }).to_string()
}

const JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

impl Respond {
    /// A JSON answer `{"message": message}`.
    pub(crate) fn message(status: u16, message: &str, reason: impl Into<String>) -> Self {
        Self::json(status, message_body(message), reason)
    }

    /// A JSON answer with this body.
    pub(crate) fn json(status: u16, body: String, reason: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: vec![(header::CONTENT_TYPE, JSON)],
            body,
            refused_by: None,
            reason: reason.into(),
            route: None,
        }
    }

    /// The same answer as a gRPC client expects it: 200, `grpc-status` and `grpc-message`
    /// (from the JSON message), no body (a Trailers-Only response). The plan gives its own
    /// answers in this form to gRPC requests; executors use it for theirs (502, 504).
    pub fn into_grpc(self) -> Self {
        let code = grpc_status(self.status.as_u16());
        let message = serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| self.status.canonical_reason().unwrap_or("").to_owned());
        let mut headers = vec![
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/grpc"),
            ),
            (
                HeaderName::from_static("grpc-status"),
                HeaderValue::from(code),
            ),
        ];
        if let Ok(value) = HeaderValue::from_str(&grpc_percent_encode(&message)) {
            headers.push((HeaderName::from_static("grpc-message"), value));
        }
        Self {
            status: StatusCode::OK,
            headers,
            body: String::new(),
            ..self
        }
    }
}

/// gRPC's mapping of HTTP statuses (grpc/doc/http-grpc-status-mapping.md), with every 5xx
/// UNAVAILABLE as Kong maps them.
pub(crate) fn grpc_status(http: u16) -> u16 {
    match http {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 => 14,
        500..=599 => 14,
        _ => 2,
    }
}

/// `grpc-message` is percent-encoded outside printable ASCII (and `%` itself).
fn grpc_percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for b in message.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_form() {
        let r = Respond::message(401, "No required TLS certificate was sent", "x").into_grpc();
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.is_empty());
        let get = |n: &str| {
            r.headers
                .iter()
                .find(|(h, _)| h == n)
                .map(|(_, v)| v.to_str().unwrap().to_owned())
        };
        assert_eq!(get("grpc-status").as_deref(), Some("16"));
        assert_eq!(
            get("grpc-message").as_deref(),
            Some("No required TLS certificate was sent")
        );
        assert_eq!(grpc_status(403), 7);
        assert_eq!(grpc_status(503), 14);
        assert_eq!(grpc_percent_encode("a%é"), "a%25%C3%A9");
    }
}
