//! Encoders: the header values the gateway emits to upstreams (tls-metadata-headers'
//! `X-Client-Cert` / `X-Client-Cert-Chain` as nginx-escaped PEM, RFC 9440 `Client-Cert` /
//! `Client-Cert-Chain`, an Envoy XFCC element), plus the other formats' producers' output, so
//! that every decoder has an encoder to round-trip with. Decoding an encoding gives back the
//! same certificates.
//!
//! The functions take DER and do not check it.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
use sha2::{Digest, Sha256};

/// nginx `NGX_ESCAPE_URI_COMPONENT`: everything but `A-Za-z0-9-._~` is escaped.
const NGINX_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// PEM of one certificate as OpenSSL's `PEM_write_bio_X509` writes it: 64-column base64 lines,
/// LF line breaks, a final LF.
pub fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// `url_encoded`, byte-identical to nginx's `$ssl_client_escaped_cert` for one certificate
/// (and Kong tls-metadata-headers' `X-Client-Cert`): the PEM of each certificate, concatenated,
/// with every byte but `A-Za-z0-9-._~` written `%XX` (uppercase). Several certificates give an
/// ALB-style chain (tls-metadata-headers' `X-Client-Cert-Chain`).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = rcgen::KeyPair::generate()?;
/// # let der = rcgen::CertificateParams::new(vec!["client.test".into()])?.self_signed(&key)?.der().to_vec();
/// let value = mtls_header::encode::url_encoded_pem(&[&der]);
/// assert!(value.starts_with("-----BEGIN%20CERTIFICATE-----%0A"));
/// assert!(value.ends_with("%0A-----END%20CERTIFICATE-----%0A"));
/// assert!(!value.contains(['+', '/', '=', ' ']));
/// # Ok(()) }
/// ```
pub fn url_encoded_pem<D: AsRef<[u8]>>(ders: &[D]) -> String {
    ders.iter()
        .map(|d| percent_encode(pem(d.as_ref()).as_bytes(), NGINX_COMPONENT).to_string())
        .collect()
}

/// Envoy's URL encoding of PEM (`Cert=` / `Chain=` of XFCC): only LF, SP, `+`, `/` and `=`
/// are escaped, as `%0A %20 %2B %2F %3D`.
pub fn envoy_escaped_pem<D: AsRef<[u8]>>(ders: &[D]) -> String {
    let mut out = String::new();
    for d in ders {
        for c in pem(d.as_ref()).chars() {
            match c {
                '\n' => out.push_str("%0A"),
                ' ' => out.push_str("%20"),
                '+' => out.push_str("%2B"),
                '/' => out.push_str("%2F"),
                '=' => out.push_str("%3D"),
                c => out.push(c),
            }
        }
    }
    out
}

/// `base64_encoded`: the base64 of one certificate's DER (Cloudflare, HAProxy, App Service).
pub fn base64_der(der: &[u8]) -> String {
    STANDARD.encode(der)
}

/// `base64_der_list`: each certificate's base64 DER joined by `,` (Traefik >= 2.9.2).
pub fn base64_der_list<D: AsRef<[u8]>>(ders: &[D]) -> String {
    let parts: Vec<String> = ders.iter().map(|d| STANDARD.encode(d.as_ref())).collect();
    parts.join(",")
}

/// `pem_space_joined`: PEM with every line break turned into a space and the final one
/// dropped, as Apache mod_headers sends `%{SSL_CLIENT_CERT}s`.
pub fn pem_space_joined<D: AsRef<[u8]>>(ders: &[D]) -> String {
    let text: String = ders.iter().map(|d| pem(d.as_ref())).collect();
    text.trim_end().replace('\n', " ")
}

/// RFC 9440 `Client-Cert`: an RFC 9651 Byte Sequence `:base64(DER):`.
pub fn rfc9440_item(der: &[u8]) -> String {
    format!(":{}:", STANDARD.encode(der))
}

/// RFC 9440 `Client-Cert-Chain`: an RFC 9651 List of Byte Sequences, `, `-separated, in TLS
/// order. Empty when there are no certificates.
pub fn rfc9440_list<D: AsRef<[u8]>>(ders: &[D]) -> String {
    let parts: Vec<String> = ders.iter().map(|d| rfc9440_item(d.as_ref())).collect();
    parts.join(", ")
}

/// What goes into an XFCC element ([`xfcc_element`]).
#[derive(Debug, Clone)]
pub struct XfccElement<'a> {
    leaf: &'a [u8],
    intermediates: Vec<&'a [u8]>,
    by: Vec<&'a str>,
    subject: Option<&'a str>,
    cert: bool,
    chain: bool,
}

impl<'a> XfccElement<'a> {
    /// An element for `leaf` with `Hash` and `Cert` (Envoy's `set_current_client_cert_details`
    /// with `cert: true`).
    pub fn new(leaf: &'a [u8]) -> Self {
        Self {
            leaf,
            intermediates: Vec::new(),
            by: Vec::new(),
            subject: None,
            cert: true,
            chain: false,
        }
    }

    /// Adds `Chain` (leaf then `intermediates`).
    #[must_use]
    pub fn with_chain(mut self, intermediates: Vec<&'a [u8]>) -> Self {
        self.intermediates = intermediates;
        self.chain = true;
        self
    }

    /// Leaves `Cert` out (then `Chain` should be there).
    #[must_use]
    pub fn without_cert(mut self) -> Self {
        self.cert = false;
        self
    }

    /// Adds a `By` (this proxy's URI SAN), written unquoted as Envoy does: it must not
    /// contain `,`, `;` or `"`.
    #[must_use]
    pub fn with_by(mut self, uri: &'a str) -> Self {
        self.by.push(uri);
        self
    }

    /// Adds a quoted `Subject` (RFC 2253 text). `"` and `\` are backslash-escaped, so no DN
    /// can close the quotes early.
    #[must_use]
    pub fn with_subject(mut self, subject: &'a str) -> Self {
        self.subject = Some(subject);
        self
    }
}

/// One XFCC element in Envoy's order: `By=...;Hash=<sha256 hex>;Cert="...";Chain="...";
/// Subject="..."`. Append it to an existing header after a `,` (APPEND_FORWARD) or send it
/// alone (SANITIZE_SET).
pub fn xfcc_element(e: &XfccElement<'_>) -> String {
    let mut out = String::new();
    for by in &e.by {
        let _ = write!(out, "By={by};");
    }
    out.push_str("Hash=");
    for b in Sha256::digest(e.leaf) {
        let _ = write!(out, "{b:02x}");
    }
    if e.cert {
        let _ = write!(out, ";Cert=\"{}\"", envoy_escaped_pem(&[e.leaf]));
    }
    if e.chain {
        let mut all = vec![e.leaf];
        all.extend(e.intermediates.iter().copied());
        let _ = write!(out, ";Chain=\"{}\"", envoy_escaped_pem(&all));
    }
    if let Some(subject) = e.subject {
        out.push_str(";Subject=\"");
        for c in subject.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_lines_are_64_columns() {
        let p = pem(&[0u8; 90]);
        let lines: Vec<&str> = p.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 120 - 64);
        assert_eq!(lines[3], "-----END CERTIFICATE-----");
        assert!(p.ends_with('\n'));
    }

    #[test]
    fn nginx_and_envoy_escaping() {
        let der = [0xfb, 0xff, 0xbf];
        // base64 "+/+/" + "" ; PEM is "-----BEGIN CERTIFICATE-----\n+/+/\n-----END...".
        let nginx = url_encoded_pem(&[der]);
        assert_eq!(
            nginx,
            "-----BEGIN%20CERTIFICATE-----%0A%2B%2F%2B%2F%0A-----END%20CERTIFICATE-----%0A"
        );
        assert_eq!(envoy_escaped_pem(&[der]), nginx);
        assert_eq!(rfc9440_list(&[der, der]), ":+/+/:, :+/+/:");
        assert_eq!(rfc9440_list::<&[u8]>(&[]), "");
        assert_eq!(
            pem_space_joined(&[der]),
            "-----BEGIN CERTIFICATE----- +/+/ -----END CERTIFICATE-----"
        );
    }

    #[test]
    fn xfcc_subject_is_escaped() {
        let e = xfcc_element(
            &XfccElement::new(b"x")
                .without_cert()
                .with_subject(r#"CN=\"a\""#),
        );
        assert!(e.ends_with(r#";Subject="CN=\\\"a\\\"""#), "{e}");
        assert!(
            e.starts_with("Hash=2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
        );
    }
}
