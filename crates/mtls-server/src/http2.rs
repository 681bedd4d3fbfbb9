//! HTTP/2 on the client side: the bounded settings every HTTP/2 connection is served with
//! (concurrent streams, header list size, flow-control windows, keep-alive pings) and the
//! abuse limits of hyper's HTTP/2 server (rapid reset, CVE-2023-44487; locally provoked
//! resets; a header block's size across CONTINUATION frames).
//!
//! TLS connections speak HTTP/2 when ALPN chose `h2` (the ALPN list is the embedder's:
//! `CompileOptions::alpn_protocols`); plain connections speak HTTP/2 when they open with the
//! HTTP/2 preface (h2c with prior knowledge, as Kong's `http2` listen flag allows).

use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;

/// HTTP/2 settings and limits for client connections. [`Http2Options::default`] documents
/// each default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http2Options {
    /// Serve HTTP/2 at all (default `true`). When `false`, every connection speaks HTTP/1.1
    /// (then do not offer `h2` by ALPN either).
    pub enabled: bool,
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` (default 128, nginx's `http2_max_concurrent_streams`).
    pub max_concurrent_streams: u32,
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`, also the bound on one header block across HEADERS
    /// and CONTINUATION frames (default 64 KiB, as for HTTP/1.1).
    pub max_header_list_size: u32,
    /// The initial flow-control window of each stream (default 1 MiB).
    pub initial_stream_window: u32,
    /// The initial flow-control window of the connection (default 2 MiB).
    pub initial_connection_window: u32,
    /// The most bytes buffered for sending per stream (default 400 KiB).
    pub max_send_buffer: usize,
    /// Streams the client may open and reset before the gateway accepted them; past it the
    /// connection is closed with `GOAWAY ENHANCE_YOUR_CALM` (default 20: the rapid-reset
    /// bound).
    pub max_pending_accept_reset_streams: usize,
    /// Streams the gateway may reset because of the client's protocol errors; past it the
    /// connection is closed with `GOAWAY ENHANCE_YOUR_CALM` (default 1024).
    pub max_local_error_reset_streams: usize,
    /// How often an idle connection is pinged (default 60 s); `None`: never.
    pub keep_alive_interval: Option<Duration>,
    /// How long a ping may go unanswered before the connection is closed (default 20 s).
    pub keep_alive_timeout: Duration,
}

impl Default for Http2Options {
    fn default() -> Self {
        Self {
            enabled: true,
            max_concurrent_streams: 128,
            max_header_list_size: 64 * 1024,
            initial_stream_window: 1024 * 1024,
            initial_connection_window: 2 * 1024 * 1024,
            max_send_buffer: 400 * 1024,
            max_pending_accept_reset_streams: 20,
            max_local_error_reset_streams: 1024,
            keep_alive_interval: Some(Duration::from_secs(60)),
            keep_alive_timeout: Duration::from_secs(20),
        }
    }
}

/// Which protocol a connection is served with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocols {
    /// HTTP/1.1 only (TLS without `h2` chosen, or HTTP/2 disabled).
    Http1,
    /// HTTP/2 only (TLS with ALPN `h2`).
    Http2,
    /// Either, by the connection's first bytes (plain listeners: h2c with prior knowledge).
    Detect,
}

impl Protocols {
    /// The protocols for a connection: `alpn` is what the TLS handshake chose (`None` for a
    /// plain connection).
    pub(crate) fn choose(tls: bool, alpn: Option<&[u8]>, options: &Http2Options) -> Self {
        match (tls, alpn) {
            _ if !options.enabled => Self::Http1,
            (true, Some(b"h2")) => Self::Http2,
            (true, _) => Self::Http1,
            (false, _) => Self::Detect,
        }
    }
}

/// The connection builder for these HTTP/1.1 and HTTP/2 settings. `hyper_header_timeout`:
/// hyper's own HTTP/1.1 header timer (`None` where [`crate::idle`] times the connection).
pub(crate) fn builder(
    protocols: Protocols,
    h1: &crate::ServerOptions,
    hyper_header_timeout: Option<std::time::Duration>,
) -> auto::Builder<TokioExecutor> {
    let o = &h1.http2;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // `mtls serve`'s listeners time this in `idle` instead, apart from the keep-alive wait
        // (hyper's timer starts at the end of each response, so it also ends idle ones).
        .header_read_timeout(hyper_header_timeout)
        .max_buf_size(h1.max_header_bytes)
        .max_headers(h1.max_headers)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(o.max_concurrent_streams)
        .max_header_list_size(o.max_header_list_size)
        .initial_stream_window_size(o.initial_stream_window)
        .initial_connection_window_size(o.initial_connection_window)
        .max_send_buf_size(o.max_send_buffer)
        .max_pending_accept_reset_streams(o.max_pending_accept_reset_streams)
        .max_local_error_reset_streams(o.max_local_error_reset_streams)
        .keep_alive_interval(o.keep_alive_interval)
        .keep_alive_timeout(o.keep_alive_timeout);
    match protocols {
        Protocols::Http1 => builder.http1_only(),
        Protocols::Http2 => builder.http2_only(),
        Protocols::Detect => builder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_choice() {
        let on = Http2Options::default();
        let off = Http2Options {
            enabled: false,
            ..on
        };
        assert_eq!(Protocols::choose(true, Some(b"h2"), &on), Protocols::Http2);
        assert_eq!(
            Protocols::choose(true, Some(b"http/1.1"), &on),
            Protocols::Http1
        );
        assert_eq!(Protocols::choose(true, None, &on), Protocols::Http1);
        assert_eq!(Protocols::choose(false, None, &on), Protocols::Detect);
        assert_eq!(Protocols::choose(true, Some(b"h2"), &off), Protocols::Http1);
        assert_eq!(Protocols::choose(false, None, &off), Protocols::Http1);
    }
}
