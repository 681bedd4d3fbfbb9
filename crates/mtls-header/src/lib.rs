//! # mtls-header
//!
//! Client certificates forwarded in HTTP headers, for the mtls workspace that brings Kong
//! Gateway's mutual-TLS plugins to Rust proxies.
//!
//! # Where this crate sits
//!
//! Where TLS ends at a CDN or load balancer, the client certificate reaches the gateway in a
//! request header. This crate is Kong's `header-cert-auth` up to the point where a certificate
//! chain exists: it checks that the directly connected peer may send the header at all
//! (`secure_source`, [`TrustedIps`]), finds the configured header (exact name, one field line,
//! alias spellings refused), applies the hygiene rules ([`Limits`]), and decodes it with the
//! configured [`HeaderFormat`] into a [`ForwardedChain`] (the leaf, then a pool of untrusted
//! intermediates in any order, each strict DER and parsed by `mtls-cert`). Chain validation, consumer matching and the
//! upstream headers are done next by `mtls-cert` and `mtls-consumer`; the gateway wires
//! hyper's `HeaderMap` to the [`Headers`] trait. Like the other core crates it is sans-IO: no
//! sockets, no runtime, plain data in and out.
//!
//! Six formats, never auto-detected (the same bytes are valid in several, and one header name
//! carries different formats behind different proxies): Kong's `base64_encoded` and
//! `url_encoded`, and `rfc9440`, `xfcc`, `base64_der_list`, `pem_space_joined` (see
//! [`formats`]). [`encode`] writes the formats the gateway itself emits upstream.
//!
//! Client-facing answers ([`Rejection`]: Kong's 403 "Forbidden", 401 "No required TLS
//! certificate header was sent", 401 "TLS certificate failed verification") are kept apart
//! from the precise internal reason ([`Reason`], [`HeaderError`]) in [`Refusal`].
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mtls_header::{HeaderCertAuth, HeaderFormat, Reason, Rejection, SourcePolicy, TrustedIps};
//!
//! // A client certificate, as an AWS ALB in passthrough mode forwards it.
//! let key = rcgen::KeyPair::generate()?;
//! let mut params = rcgen::CertificateParams::new(vec!["client.example.test".into()])?;
//! params.distinguished_name.push(rcgen::DnType::CommonName, "kongclient");
//! let der = params.self_signed(&key)?.der().to_vec();
//! let value = mtls_header::encode::url_encoded_pem(&[&der]);
//!
//! let plugin = HeaderCertAuth::new(
//!     HeaderFormat::UrlEncoded,
//!     "X-Amzn-Mtls-Clientcert",
//!     SourcePolicy::secure(TrustedIps::parse(["10.0.0.0/8"])?),
//! )?;
//! let alb = "10.1.2.3".parse()?;
//! let headers = [("host", "api.example.test"), ("x-amzn-mtls-clientcert", value.as_str())];
//!
//! let chain = plugin.extract(alb, &headers)?;
//! assert_eq!(chain.leaf().der().as_ref(), der.as_slice());
//! assert_eq!(chain.subject_dn_slash(), "CN=kongclient");
//!
//! // The same header from a peer outside trusted_ips: 403 before anything is decoded.
//! let refusal = plugin.extract("203.0.113.9".parse()?, &headers).unwrap_err();
//! assert_eq!(refusal.rejection(), Rejection::Forbidden);
//! assert_eq!(refusal.rejection().body(), r#"{"message":"Forbidden"}"#);
//!
//! // A damaged header: Kong's generic 401 for the client, the precise reason for the log.
//! let broken = [("X-Amzn-Mtls-Clientcert", "-----BEGIN%20CERTIFICATE-----%0AMII%ZZ")];
//! let refusal = plugin.extract(alb, &broken).unwrap_err();
//! assert_eq!(refusal.rejection().message(), "TLS certificate failed verification");
//! assert_eq!(refusal.reason().to_string(), "url_encoded: bad percent escape at offset 35");
//!
//! // No header: Kong's "No required TLS certificate header was sent" (or `anonymous`).
//! let refusal = plugin.extract(alb, &[("host", "api.example.test")]).unwrap_err();
//! assert_eq!(refusal.reason(), &Reason::Absent);
//! assert_eq!(refusal.rejection(), Rejection::NoCertificateHeader);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod chain;
pub mod encode;
mod error;
pub mod formats;
mod hygiene;
mod pem;
mod trusted_ips;

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

pub use chain::ForwardedChain;
pub use error::{
    Base64Problem, ConfigError, DerProblem, HeaderError, PemProblem, Reason, Refusal, Rejection,
    XfccSyntax,
};
pub use hygiene::{Limits, is_token as is_header_name};
pub use trusted_ips::{SourcePolicy, TrustedIps, normalise};

/// Kong's `certificate_header_format`, with this workspace's additions. The serde names are
/// the configuration values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderFormat {
    /// Kong `base64_encoded`: base64 of one certificate's DER
    /// ([`formats::base64_encoded`]).
    Base64Encoded,
    /// Kong `url_encoded`: percent-encoded PEM, 1..n blocks ([`formats::url_encoded`]).
    UrlEncoded,
    /// RFC 9440 `Client-Cert` / `Client-Cert-Chain` ([`formats::rfc9440`]).
    Rfc9440,
    /// Envoy `x-forwarded-client-cert` ([`formats::xfcc`]).
    Xfcc,
    /// Traefik >= 2.9.2 `X-Forwarded-Tls-Client-Cert` ([`formats::base64_der_list`]).
    Base64DerList,
    /// Apache `%{SSL_CLIENT_CERT}s` with spaces for line breaks
    /// ([`formats::pem_space_joined`]).
    PemSpaceJoined,
}

impl HeaderFormat {
    /// Every format.
    pub const ALL: [HeaderFormat; 6] = [
        Self::Base64Encoded,
        Self::UrlEncoded,
        Self::Rfc9440,
        Self::Xfcc,
        Self::Base64DerList,
        Self::PemSpaceJoined,
    ];

    /// The configuration value (`base64_encoded`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Base64Encoded => "base64_encoded",
            Self::UrlEncoded => "url_encoded",
            Self::Rfc9440 => "rfc9440",
            Self::Xfcc => "xfcc",
            Self::Base64DerList => "base64_der_list",
            Self::PemSpaceJoined => "pem_space_joined",
        }
    }

    /// Whether Kong's header-cert-auth has this value (the others are additions).
    pub fn is_kong(&self) -> bool {
        matches!(self, Self::Base64Encoded | Self::UrlEncoded)
    }
}

impl fmt::Display for HeaderFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HeaderFormat {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| ConfigError::UnknownFormat {
                value: s.to_owned(),
            })
    }
}

/// A request's header fields, visited in order without copying. Implemented for slices,
/// arrays and vectors of `(name, value)` pairs; the gateway implements it for hyper's
/// `HeaderMap` (`for (n, v) in map { visit(n.as_str().as_bytes(), v.as_bytes()) }`).
/// Trailers must never be passed.
pub trait Headers {
    /// Calls `visit` once per field line, with its name and value.
    fn visit_fields<'a>(&'a self, visit: &mut dyn FnMut(&'a [u8], &'a [u8]));
}

impl<N: AsRef<[u8]>, V: AsRef<[u8]>> Headers for [(N, V)] {
    fn visit_fields<'a>(&'a self, visit: &mut dyn FnMut(&'a [u8], &'a [u8])) {
        for (n, v) in self {
            visit(n.as_ref(), v.as_ref());
        }
    }
}

impl<N: AsRef<[u8]>, V: AsRef<[u8]>, const M: usize> Headers for [(N, V); M] {
    fn visit_fields<'a>(&'a self, visit: &mut dyn FnMut(&'a [u8], &'a [u8])) {
        self[..].visit_fields(visit);
    }
}

impl<N: AsRef<[u8]>, V: AsRef<[u8]>> Headers for Vec<(N, V)> {
    fn visit_fields<'a>(&'a self, visit: &mut dyn FnMut(&'a [u8], &'a [u8])) {
        self[..].visit_fields(visit);
    }
}

/// Finds the configured header in `headers` and decodes it with `format`.
///
/// The name matches ASCII case-insensitively and exactly; a request that also carries an alias
/// spelling (`_` or `.` for `-`) is refused ([`HeaderError::AliasHeader`]). The header must be
/// on one field line ([`HeaderError::DuplicateHeader`]), except `xfcc`, whose lines combine as
/// more elements. For `rfc9440`, `header_name` is the leaf header (normally `Client-Cert`) and
/// the chain is read from `header_name` + `-Chain`
/// ([`formats::rfc9440::chain_header_name`]), which may have several lines.
///
/// Returns `Ok(None)` when the header is absent or holds the format's "no certificate" value.
/// This does not check the peer: see [`HeaderCertAuth::extract`].
pub fn decode_headers<H: Headers + ?Sized>(
    format: HeaderFormat,
    header_name: &str,
    headers: &H,
    limits: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let chain_name =
        (format == HeaderFormat::Rfc9440).then(|| formats::rfc9440::chain_header_name(header_name));
    let mut values: Vec<&[u8]> = Vec::new();
    let mut chain_values: Vec<&[u8]> = Vec::new();
    let mut alias: Option<&[u8]> = None;
    headers.visit_fields(&mut |name, value| {
        if hygiene::is_name(name, header_name) {
            values.push(value);
        } else if let Some(chain_name) = &chain_name {
            if hygiene::is_name(name, chain_name) {
                chain_values.push(value);
            } else if alias.is_none()
                && (hygiene::is_alias(name, header_name) || hygiene::is_alias(name, chain_name))
            {
                alias = Some(name);
            }
        } else if alias.is_none() && hygiene::is_alias(name, header_name) {
            alias = Some(name);
        }
    });
    if let Some(alias) = alias {
        return Err(HeaderError::AliasHeader {
            format,
            header: header_name.to_owned(),
            alias: String::from_utf8_lossy(alias).into_owned(),
        });
    }
    if format == HeaderFormat::Xfcc {
        return formats::xfcc::decode(header_name, &values, limits);
    }
    if values.len() > 1 {
        return Err(HeaderError::DuplicateHeader {
            format,
            header: header_name.to_owned(),
            count: values.len(),
        });
    }
    let value = values.first().copied();
    match (format, value) {
        (HeaderFormat::Rfc9440, leaf) => formats::rfc9440::decode(
            header_name,
            leaf,
            chain_name.as_deref().unwrap_or_default(),
            &chain_values,
            limits,
        ),
        (_, None) => Ok(None),
        (HeaderFormat::Base64Encoded, Some(v)) => {
            formats::base64_encoded::decode(header_name, v, limits)
        }
        (HeaderFormat::UrlEncoded, Some(v)) => formats::url_encoded::decode(header_name, v, limits),
        (HeaderFormat::Base64DerList, Some(v)) => {
            formats::base64_der_list::decode(header_name, v, limits)
        }
        (HeaderFormat::PemSpaceJoined, Some(v)) => {
            formats::pem_space_joined::decode(header_name, v, limits)
        }
        (HeaderFormat::Xfcc, Some(_)) => formats::xfcc::decode(header_name, &values, limits),
    }
}

/// The header part of a header-cert-auth configuration: `certificate_header_format`,
/// `certificate_header_name`, `secure_source` with `trusted_ips`, and the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderCertAuth {
    format: HeaderFormat,
    header_name: String,
    source: SourcePolicy,
    limits: Limits,
}

impl HeaderCertAuth {
    /// A configuration with the default [`Limits`]. Fails when `header_name` is not a valid
    /// header name (an RFC 9110 token).
    pub fn new(
        format: HeaderFormat,
        header_name: &str,
        source: SourcePolicy,
    ) -> Result<Self, ConfigError> {
        if !hygiene::is_token(header_name) {
            return Err(ConfigError::InvalidHeaderName {
                name: header_name.to_owned(),
            });
        }
        Ok(Self {
            format,
            header_name: header_name.to_owned(),
            source,
            limits: Limits::default(),
        })
    }

    /// Replaces the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The format.
    pub fn format(&self) -> HeaderFormat {
        self.format
    }

    /// The header name, as configured.
    pub fn header_name(&self) -> &str {
        &self.header_name
    }

    /// The source policy.
    pub fn source(&self) -> &SourcePolicy {
        &self.source
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Kong's order: an untrusted `peer` (with `secure_source`) is refused with 403 before the
    /// headers are looked at; then the header is found and decoded. An absent header is a
    /// [`Refusal`] with [`Reason::Absent`] and [`Rejection::NoCertificateHeader`] (the gateway
    /// applies `anonymous` there); any decoding error gives
    /// [`Rejection::CertificateFailedVerification`].
    pub fn extract<H: Headers + ?Sized>(
        &self,
        peer: IpAddr,
        headers: &H,
    ) -> Result<ForwardedChain, Refusal> {
        if !self.source.allows(peer) {
            return Err(Refusal::new(
                Rejection::Forbidden,
                Reason::UntrustedPeer {
                    peer: normalise(peer),
                },
            ));
        }
        match decode_headers(self.format, &self.header_name, headers, &self.limits) {
            Ok(Some(chain)) => Ok(chain),
            Ok(None) => Err(Refusal::new(Rejection::NoCertificateHeader, Reason::Absent)),
            Err(e) => Err(Refusal::new(
                Rejection::CertificateFailedVerification,
                Reason::Header(e),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names() {
        for f in HeaderFormat::ALL {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
            assert_eq!(serde_json::from_str::<HeaderFormat>(&json).unwrap(), f);
            assert_eq!(f.as_str().parse::<HeaderFormat>().unwrap(), f);
        }
        assert!(serde_json::from_str::<HeaderFormat>("\"pem\"").is_err());
        assert!("Base64_Encoded".parse::<HeaderFormat>().is_err());
        assert!(HeaderFormat::UrlEncoded.is_kong() && !HeaderFormat::Xfcc.is_kong());
    }

    #[test]
    fn header_name_must_be_a_token() {
        assert!(HeaderCertAuth::new(HeaderFormat::Xfcc, "x y", SourcePolicy::default()).is_err());
        assert!(HeaderCertAuth::new(HeaderFormat::Xfcc, "", SourcePolicy::default()).is_err());
    }

    #[test]
    fn rejections_are_kongs() {
        assert_eq!(Rejection::Forbidden.status(), 403);
        assert_eq!(
            Rejection::NoCertificateHeader.body(),
            r#"{"message":"No required TLS certificate header was sent"}"#
        );
        assert_eq!(
            Rejection::CertificateFailedVerification.to_string(),
            "401 TLS certificate failed verification"
        );
    }
}
