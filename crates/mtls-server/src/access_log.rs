//! The access log: one line per request, target `access`, with what an operator greps for.
//!
//! Text (the default) reads as
//! `INFO access: request peer=192.0.2.10:50614 method=GET path=/mtls status=200 consumer=alice
//! route=example-route upstream_status=200 latency_ms=3 tls=TLSv1.3 sni=api.example.com`;
//! with `--log-format json` the same fields are a JSON object. The path is the request's path
//! as the client sent it, without the query (queries often carry tokens).

use std::time::Duration;

/// Whether access lines are written (they are, by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLog {
    enabled: bool,
}

impl Default for AccessLog {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl AccessLog {
    /// An access log that writes (`true`) or stays silent.
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    pub(crate) fn write(&self, entry: &Entry<'_>) {
        if !self.enabled {
            return;
        }
        tracing::info!(
            target: "access",
            peer = %entry.peer,
            // Display (`%`), not Debug: `method=GET`, not `method="GET"`, in the text format.
            method = %entry.method,
            path = %entry.path,
            status = entry.status,
            consumer = %entry.consumer.unwrap_or("-"),
            route = %entry.route.unwrap_or("-"),
            upstream_status = %entry.upstream_status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            latency_ms = entry.latency.as_millis() as u64,
            tls = %entry.tls.unwrap_or("-"),
            sni = %entry.sni.unwrap_or("-"),
            refused_by = %entry.refused_by.unwrap_or("-"),
            "request"
        );
    }
}

/// One request's line.
pub(crate) struct Entry<'a> {
    pub(crate) peer: std::net::SocketAddr,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) status: u16,
    pub(crate) consumer: Option<&'a str>,
    pub(crate) route: Option<&'a str>,
    pub(crate) upstream_status: Option<u16>,
    pub(crate) latency: Duration,
    pub(crate) tls: Option<&'a str>,
    pub(crate) sni: Option<&'a str>,
    pub(crate) refused_by: Option<&'a str>,
}
