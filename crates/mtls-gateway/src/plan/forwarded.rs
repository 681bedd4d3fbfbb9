//! Kong's `X-Forwarded-*` and `X-Real-IP` headers for the upstream request. A peer in
//! `trusted_ips` keeps its own values (it is a proxy in front of the gateway); anyone else's
//! are replaced.

use std::net::IpAddr;

use http::header::{HeaderMap, HeaderName, HeaderValue};

pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub(crate) const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
pub(crate) const X_FORWARDED_PATH: HeaderName = HeaderName::from_static("x-forwarded-path");
pub(crate) const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");

/// What the forwarded headers are computed from.
pub(crate) struct Forwarded<'a> {
    pub(crate) peer: IpAddr,
    pub(crate) trusted: bool,
    pub(crate) proto: &'static str,
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    /// The normalised path, escaped as the upstream receives it before the service's path.
    pub(crate) path: &'a str,
    /// The stripped prefix, when `strip_path` removed one.
    pub(crate) prefix: Option<&'a str>,
}

impl Forwarded<'_> {
    /// Appends the headers to set to `set` and those to drop to `remove`.
    pub(crate) fn headers(
        &self,
        incoming: &HeaderMap,
        set: &mut Vec<(HeaderName, HeaderValue)>,
        remove: &mut Vec<HeaderName>,
    ) {
        // Sized for the longest address text, so writing it never reallocates.
        let mut peer = String::with_capacity(45);
        let _ = std::fmt::Write::write_fmt(&mut peer, format_args!("{}", self.peer));
        let prior = incoming
            .get(&X_FORWARDED_FOR)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(prior) = prior {
            owned(set, X_FORWARDED_FOR, format!("{prior}, {peer}"));
        } else if let Ok(v) = HeaderValue::from_str(&peer) {
            set.push((X_FORWARDED_FOR, v));
        }
        owned(set, X_REAL_IP, peer);
        let keep = |name: &HeaderName| self.trusted && incoming.contains_key(name);
        if !keep(&X_FORWARDED_PROTO) {
            set.push((X_FORWARDED_PROTO, HeaderValue::from_static(self.proto)));
        }
        if !keep(&X_FORWARDED_HOST) {
            push(set, X_FORWARDED_HOST, self.host);
        }
        if !keep(&X_FORWARDED_PORT) {
            set.push((X_FORWARDED_PORT, HeaderValue::from(self.port)));
        }
        if !keep(&X_FORWARDED_PATH) {
            push(set, X_FORWARDED_PATH, self.path);
        }
        match self.prefix {
            Some(prefix) if !keep(&X_FORWARDED_PREFIX) => push(set, X_FORWARDED_PREFIX, prefix),
            None if !self.trusted => remove.push(X_FORWARDED_PREFIX),
            _ => {}
        }
    }
}

/// Adds a header whose value was made here, without copying it again.
fn owned(set: &mut Vec<(HeaderName, HeaderValue)>, name: HeaderName, value: String) {
    if let Ok(v) = HeaderValue::from_maybe_shared(bytes::Bytes::from(value)) {
        set.push((name, v));
    }
}

/// Adds a header whose value came from the request; a value that cannot be a header value
/// (it cannot: every input was one) is left out.
fn push(set: &mut Vec<(HeaderName, HeaderValue)>, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        set.push((name, v));
    }
}
