//! The request head's hygiene, before anything is routed (decisions 14 and 15, RFC 9112):
//! exactly one Host that agrees with the target, a transfer coding the gateway can pass on,
//! and no header name with `_` (which CGI, WSGI, PHP and Rack read as `-`).

use std::borrow::Cow;

use http::header::{self, HeaderMap, HeaderName};
use http::{Uri, Version};

/// Why a request head is refused before routing: the status and Kong-style message the
/// client gets, and the reason for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeadError {
    /// More than one Host header (decision 15).
    #[error("{count} Host headers")]
    DuplicateHost {
        /// How many.
        count: usize,
    },
    /// An HTTP/1.1 request without Host (RFC 9112 section 3.2).
    #[error("HTTP/1.1 request without Host")]
    MissingHost,
    /// A Host header that is not a valid authority.
    #[error("Host header {0:?} is not a valid host")]
    BadHost(String),
    /// A Host that disagrees with the absolute-form target's authority.
    #[error("Host {host:?} disagrees with the request target's authority {authority:?}")]
    HostMismatch {
        /// The Host header.
        host: String,
        /// The target's authority.
        authority: String,
    },
    /// A `Transfer-Encoding` other than a lone `chunked` (RFC 9112 section 6.1: 501).
    #[error("Transfer-Encoding {0:?} is not supported (only chunked)")]
    UnsupportedTransferCoding(String),
    /// `Transfer-Encoding` together with `Content-Length` (a smuggling vector).
    #[error("both Transfer-Encoding and Content-Length")]
    LengthAndChunked,
}

impl HeadError {
    /// The status the client gets: 501 for a transfer coding, 400 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnsupportedTransferCoding(_) => 501,
            _ => 400,
        }
    }

    /// The message of the JSON body.
    pub fn message(&self) -> &'static str {
        match self {
            Self::UnsupportedTransferCoding(_) => "Not Implemented",
            _ => "Bad request",
        }
    }
}

/// The host a request names, checked: from Host (or the absolute-form or HTTP/2 authority
/// when there is none), lower case, with its port if it had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHost<'a> {
    /// The host name or IP literal (IPv6 without brackets), lower case (borrowed from the
    /// request when it already was).
    pub name: Cow<'a, str>,
    /// The port written after it, if any.
    pub port: Option<u16>,
}

impl<'a> RequestHost<'a> {
    /// Splits `authority` (`host`, `host:port`, `[v6]:port`), checks the name's characters
    /// and lower-cases it.
    pub fn parse(authority: &'a str) -> Option<Self> {
        let (name, port) = crate::router::split_host_port(authority);
        if port.is_none() && name.contains(':') && !authority.starts_with('[') {
            // `a:b` with a port that is not a number, or a bare IPv6 literal.
            return None;
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
        {
            return None;
        }
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
        Some(Self { name, port })
    }
}

/// What the head checks found: the request's host, and the header names to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedHead<'a> {
    /// The host the request names (`None`: an HTTP/1.0 request without Host).
    pub host: Option<RequestHost<'a>>,
    /// Header names containing `_`, dropped before proxying (decision 14).
    pub underscored: Vec<HeaderName>,
}

/// Checks the head: Host, transfer coding, and which header names carry `_`.
pub(crate) fn check<'a>(
    version: Version,
    uri: &'a Uri,
    headers: &'a HeaderMap,
) -> Result<CheckedHead<'a>, HeadError> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let first = hosts.next();
    let more = hosts.count();
    if more > 0 {
        return Err(HeadError::DuplicateHost { count: more + 1 });
    }
    let authority = uri.authority().map(|a| a.as_str());
    let host = match (first, authority) {
        (Some(value), target) => {
            let text = value.to_str().map_err(|_| {
                HeadError::BadHost(String::from_utf8_lossy(value.as_bytes()).into())
            })?;
            let host = RequestHost::parse(text).ok_or_else(|| HeadError::BadHost(text.into()))?;
            if let Some(target) = target {
                let target_host = RequestHost::parse(target)
                    .ok_or_else(|| HeadError::BadHost(target.to_owned()))?;
                if target_host.name != host.name || target_host.port != host.port {
                    return Err(HeadError::HostMismatch {
                        host: text.to_owned(),
                        authority: target.to_owned(),
                    });
                }
            }
            Some(host)
        }
        (None, Some(target)) => {
            Some(RequestHost::parse(target).ok_or_else(|| HeadError::BadHost(target.to_owned()))?)
        }
        (None, None) if version == Version::HTTP_11 => return Err(HeadError::MissingHost),
        (None, None) if version >= Version::HTTP_2 => return Err(HeadError::MissingHost),
        (None, None) => None,
    };
    transfer_coding(headers)?;
    let mut underscored: Vec<HeaderName> = Vec::new();
    for name in headers.keys() {
        if name.as_str().contains('_') && !underscored.contains(name) {
            underscored.push(name.clone());
        }
    }
    Ok(CheckedHead { host, underscored })
}

/// A lone `chunked` is the only transfer coding passed on; with Content-Length it is refused.
fn transfer_coding(headers: &HeaderMap) -> Result<(), HeadError> {
    let mut codings = Vec::new();
    for value in headers.get_all(header::TRANSFER_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        codings.extend(
            text.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty()),
        );
    }
    if codings.is_empty() {
        return Ok(());
    }
    if codings != ["chunked"] {
        return Err(HeadError::UnsupportedTransferCoding(codings.join(", ")));
    }
    if headers.contains_key(header::CONTENT_LENGTH) {
        return Err(HeadError::LengthAndChunked);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in pairs {
            map.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn origin() -> Uri {
        Uri::from_static("/mtls")
    }

    #[test]
    fn host_rules() {
        let v11 = Version::HTTP_11;
        let uri = origin();
        let h = headers(&[("host", "API.example.test:8443")]);
        let ok = check(v11, &uri, &h).unwrap();
        assert_eq!(
            ok.host,
            Some(RequestHost {
                name: Cow::Borrowed("api.example.test"),
                port: Some(8443)
            })
        );
        let two = headers(&[("host", "a"), ("host", "b")]);
        assert_eq!(
            check(v11, &uri, &two),
            Err(HeadError::DuplicateHost { count: 2 })
        );
        let none = headers(&[]);
        assert_eq!(check(v11, &uri, &none), Err(HeadError::MissingHost));
        assert_eq!(check(Version::HTTP_10, &uri, &none).unwrap().host, None);
        let absolute = Uri::from_static("http://other.test/mtls");
        let api = headers(&[("host", "api.test")]);
        assert!(matches!(
            check(v11, &absolute, &api),
            Err(HeadError::HostMismatch { .. })
        ));
        let other = headers(&[("host", "OTHER.test")]);
        assert!(check(v11, &absolute, &other).is_ok());
        let spaced = headers(&[("host", "a b")]);
        assert!(check(v11, &uri, &spaced).is_err());
        let v6h = headers(&[("host", "[::1]:8443")]);
        let v6 = check(v11, &uri, &v6h).unwrap();
        assert_eq!(v6.host.unwrap().name, "::1");
    }

    #[test]
    fn transfer_codings_and_underscores() {
        let v11 = Version::HTTP_11;
        let uri = origin();
        let with = |pairs: &[(&str, &str)]| {
            let mut all = vec![("host", "a.test")];
            all.extend_from_slice(pairs);
            headers(&all)
        };
        let chunked = with(&[("transfer-encoding", "chunked")]);
        assert!(check(v11, &uri, &chunked).is_ok());
        let gzip = with(&[("transfer-encoding", "gzip, chunked")]);
        assert_eq!(check(v11, &uri, &gzip).unwrap_err().status(), 501);
        let both = with(&[("transfer-encoding", "chunked"), ("content-length", "5")]);
        assert_eq!(check(v11, &uri, &both), Err(HeadError::LengthAndChunked));
        let underscores = with(&[("x_consumer_username", "admin"), ("x-fine", "1")]);
        let checked = check(v11, &uri, &underscores).unwrap();
        assert_eq!(
            checked.underscored,
            [HeaderName::from_static("x_consumer_username")]
        );
    }
}
