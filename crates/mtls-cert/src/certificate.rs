//! One parsed X.509 certificate and the facts the gateway reads from it.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use der::{Decode, Encode};
use pki_types::{CertificateDer, UnixTime};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::certificate::CertificateInner;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName as SanExt};

use crate::error::Error;
use crate::name;
use crate::san::{SanKind, SubjectAltName};

/// The x509-cert certificate type used throughout (RFC 5280 profile).
pub(crate) type X509 = CertificateInner;

/// A parsed X.509 certificate. Cheap to clone (shared).
///
/// The certificate is parsed once; each text form is computed on first use and kept.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = rcgen::KeyPair::generate()?;
/// let mut params = rcgen::CertificateParams::new(vec!["client.example.test".into()])?;
/// params.distinguished_name.push(rcgen::DnType::CommonName, "kongclient");
/// let pem = params.self_signed(&key)?.pem();
///
/// let certs = mtls_cert::parse_pem(pem.as_bytes())?;
/// let cert = &certs[0];
/// assert_eq!(cert.common_name(), Some("kongclient"));
/// assert_eq!(cert.subject_names(), ["client.example.test", "kongclient"]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Certificate(Arc<Inner>);

/// Parsed once; the text forms and digests are computed on first use, so that path validation,
/// which needs none of them, does not pay for them.
struct Inner {
    der: CertificateDer<'static>,
    parsed: X509,
    subject_dn: OnceLock<String>,
    issuer_dn: OnceLock<String>,
    subject_dn_slash: OnceLock<String>,
    common_name: OnceLock<Option<String>>,
    sans: Vec<SubjectAltName>,
    general_names: Vec<x509_cert::ext::pkix::name::GeneralName>,
    serial: OnceLock<String>,
    sha256: OnceLock<[u8; 32]>,
    sha1: OnceLock<[u8; 20]>,
    not_before: UnixTime,
    not_after: UnixTime,
    basic_constraints: Option<BasicConstraints>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject_dn())
            .field("issuer", &self.issuer_dn())
            .field("serial", &self.serial())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.0.der == other.0.der
    }
}

impl Eq for Certificate {}

/// Formats a serial number as OpenSSL's `BN_bn2hex` does: uppercase hex of the magnitude,
/// two digits per byte, leading zero bytes dropped, `0` for zero, `-` before a negative value.
pub(crate) fn serial_hex(twos_complement: &[u8]) -> String {
    let negative = twos_complement.first().is_some_and(|b| b & 0x80 != 0);
    let magnitude: Vec<u8> = if negative {
        // Two's complement negation: invert, add one.
        let mut m: Vec<u8> = twos_complement.iter().map(|b| !b).collect();
        for byte in m.iter_mut().rev() {
            let (v, carry) = byte.overflowing_add(1);
            *byte = v;
            if !carry {
                break;
            }
        }
        m
    } else {
        twos_complement.to_vec()
    };
    let start = magnitude
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(magnitude.len());
    let digits = &magnitude[start..];
    if digits.is_empty() {
        return "0".to_owned();
    }
    let mut out = String::with_capacity(digits.len() * 2 + 1);
    if negative {
        out.push('-');
    }
    for b in digits {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

pub(crate) fn to_unix(d: Duration) -> UnixTime {
    UnixTime::since_unix_epoch(d)
}

/// RFC 3339 UTC text of a time (`2026-01-01T00:00:00Z`).
pub fn rfc3339(t: UnixTime) -> String {
    match der::DateTime::from_unix_duration(Duration::from_secs(t.as_secs())) {
        Ok(dt) => dt.to_string(),
        Err(_) => format!("@{}", t.as_secs()),
    }
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl Certificate {
    /// Parses one DER-encoded certificate. `index` names the certificate in errors (its
    /// position in the input the caller read it from).
    pub fn from_der_indexed(der: &[u8], index: usize) -> Result<Self, Error> {
        let malformed = |reason: String| Error::MalformedCertificate { index, reason };
        if der.len() > crate::limits::MAX_CERTIFICATE_SIZE {
            return Err(Error::CertificateTooLarge {
                index,
                size: der.len(),
                limit: crate::limits::MAX_CERTIFICATE_SIZE,
            });
        }
        let parsed = X509::from_der(der).map_err(|e| malformed(e.to_string()))?;
        let tbs = parsed.tbs_certificate();
        let general_names = match tbs.get_extension::<SanExt>() {
            Ok(Some((_, san))) => san.0,
            Ok(None) => Vec::new(),
            Err(e) => return Err(malformed(format!("subjectAltName: {e}"))),
        };
        let sans = general_names
            .iter()
            .map(SubjectAltName::from_general_name)
            .collect();
        let basic_constraints = match tbs.get_extension::<BasicConstraints>() {
            Ok(bc) => bc.map(|(_, bc)| bc),
            Err(e) => return Err(malformed(format!("basicConstraints: {e}"))),
        };
        let validity = tbs.validity();
        Ok(Certificate(Arc::new(Inner {
            subject_dn: OnceLock::new(),
            issuer_dn: OnceLock::new(),
            subject_dn_slash: OnceLock::new(),
            common_name: OnceLock::new(),
            serial: OnceLock::new(),
            sha256: OnceLock::new(),
            sha1: OnceLock::new(),
            not_before: to_unix(validity.not_before.to_unix_duration()),
            not_after: to_unix(validity.not_after.to_unix_duration()),
            basic_constraints,
            sans,
            general_names,
            der: CertificateDer::from(der.to_vec()),
            parsed,
        })))
    }

    /// Parses one DER-encoded certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_der_indexed(der, 0)
    }

    /// The DER encoding.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.0.der
    }

    pub(crate) fn x509(&self) -> &X509 {
        &self.0.parsed
    }

    /// Subject DN in RFC 2253 form, byte-identical to `openssl x509 -nameopt RFC2253`.
    pub fn subject_dn(&self) -> &str {
        self.0
            .subject_dn
            .get_or_init(|| name::rfc2253(self.0.parsed.tbs_certificate().subject()))
    }

    /// Issuer DN in RFC 2253 form.
    pub fn issuer_dn(&self) -> &str {
        self.0
            .issuer_dn
            .get_or_init(|| name::rfc2253(self.0.parsed.tbs_certificate().issuer()))
    }

    /// Subject DN in Kong header-cert-auth's "/"-joined sorted form
    /// (`C=US/CN=kongclient/L=SF/O=KONG/OU=ENG/ST=CA`).
    pub fn subject_dn_slash(&self) -> &str {
        self.0
            .subject_dn_slash
            .get_or_init(|| name::slash_sorted(self.0.parsed.tbs_certificate().subject()))
    }

    /// The first common name of the subject, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.0
            .common_name
            .get_or_init(|| name::first_common_name(self.0.parsed.tbs_certificate().subject()))
            .as_deref()
    }

    /// Every subject alternative name, in certificate order.
    pub fn sans(&self) -> &[SubjectAltName] {
        &self.0.sans
    }

    /// The subjectAltName entries as parsed (empty without the extension).
    pub(crate) fn general_names(&self) -> &[x509_cert::ext::pkix::name::GeneralName] {
        &self.0.general_names
    }

    /// Whether the certificate is valid for the peer name `name` of `kind`, judged by its
    /// subjectAltName entries only (never the CN): a DNS name with rustls-webpki's rules
    /// (ASCII case-insensitive, `*` only as a whole leftmost label), an IP address by value
    /// (any text form of the address), an email address against the rfc822Name entries (the
    /// local part exactly, the domain case-insensitively). Other kinds are never valid.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mtls_cert::SanKind;
    /// let key = rcgen::KeyPair::generate()?;
    /// let mut params = rcgen::CertificateParams::new(vec!["*.example.test".into()])?;
    /// params.subject_alt_names.push(rcgen::SanType::IpAddress("2001:db8::1".parse()?));
    /// params.distinguished_name.push(rcgen::DnType::CommonName, "not.a.san.test");
    /// let cert = mtls_cert::Certificate::from_der(params.self_signed(&key)?.der())?;
    /// assert!(cert.is_valid_for(SanKind::Dns, "API.example.test"));
    /// assert!(cert.is_valid_for(SanKind::Ip, "2001:0db8:0:0:0:0:0:1"));
    /// assert!(!cert.is_valid_for(SanKind::Dns, "not.a.san.test"));
    /// # Ok(()) }
    /// ```
    pub fn is_valid_for(&self, kind: SanKind, name: &str) -> bool {
        let server_name = match kind {
            SanKind::Dns => match pki_types::ServerName::try_from(name) {
                Ok(n @ pki_types::ServerName::DnsName(_)) => n,
                _ => return false,
            },
            SanKind::Ip => match name.parse::<std::net::IpAddr>() {
                Ok(ip) => pki_types::ServerName::IpAddress(ip.into()),
                Err(_) => return false,
            },
            SanKind::Email => return self.has_email(name),
            _ => return false,
        };
        webpki::EndEntityCert::try_from(self.der())
            .is_ok_and(|ee| ee.verify_is_valid_for_subject_name(&server_name).is_ok())
    }

    /// Whether an rfc822Name entry is the address `email`.
    fn has_email(&self, email: &str) -> bool {
        let Some((local, domain)) = email.rsplit_once('@') else {
            return false;
        };
        self.0.general_names.iter().any(|n| match n {
            x509_cert::ext::pkix::name::GeneralName::Rfc822Name(s) => s
                .as_str()
                .rsplit_once('@')
                .is_some_and(|(l, d)| l == local && d.eq_ignore_ascii_case(domain)),
            _ => false,
        })
    }

    /// The names Kong matches consumers on, in order: every SAN's text (certificate order,
    /// every type), then the first CN, appended even when SANs exist.
    pub fn subject_names(&self) -> Vec<&str> {
        self.0
            .sans
            .iter()
            .map(|s| s.value.as_str())
            .chain(self.common_name())
            .collect()
    }

    /// Serial number as uppercase hex without separators (`-` prefix if negative).
    pub fn serial(&self) -> &str {
        self.0
            .serial
            .get_or_init(|| serial_hex(self.serial_bytes()))
    }

    /// The serial number's raw two's complement bytes, as encoded.
    pub fn serial_bytes(&self) -> &[u8] {
        self.0.parsed.tbs_certificate().serial_number().as_bytes()
    }

    /// SHA-256 of the DER.
    pub fn sha256(&self) -> &[u8; 32] {
        self.0
            .sha256
            .get_or_init(|| Sha256::digest(&self.0.der).into())
    }

    /// SHA-256 of the DER as lowercase hex (Kong's `cert_digest`).
    pub fn sha256_hex(&self) -> String {
        hex_lower(self.sha256())
    }

    /// SHA-1 of the DER as lowercase hex (tls-metadata-headers' fingerprint).
    pub fn sha1_hex(&self) -> String {
        hex_lower(self.0.sha1.get_or_init(|| Sha1::digest(&self.0.der).into()))
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> UnixTime {
        self.0.not_before
    }

    /// End of the validity period.
    pub fn not_after(&self) -> UnixTime {
        self.0.not_after
    }

    /// Whether `at` lies within the validity period (both ends inclusive).
    pub fn is_valid_at(&self, at: UnixTime) -> bool {
        self.0.not_before <= at && at <= self.0.not_after
    }

    /// Whether the basicConstraints extension says cA = TRUE.
    pub fn is_ca(&self) -> bool {
        self.0.basic_constraints.as_ref().is_some_and(|bc| bc.ca)
    }

    /// The basicConstraints path length constraint, if any.
    pub fn path_len(&self) -> Option<u8> {
        self.0
            .basic_constraints
            .as_ref()
            .and_then(|bc| bc.path_len_constraint)
    }

    /// Whether subject and issuer names are equal (self-issued).
    pub fn is_self_issued(&self) -> bool {
        let tbs = self.0.parsed.tbs_certificate();
        tbs.subject() == tbs.issuer()
    }

    /// The DER of the Name that is tbsCertificate field `skip` (counting serialNumber as 0,
    /// after the optional `[0]` version), sliced from the certificate as received: the parse
    /// was strict DER, so those bytes equal the re-encoding, except where a multi-valued RDN
    /// was not in DER SET OF order (the parse sorted it). Such a Name, or a failed slice, is
    /// re-encoded from `name`.
    fn name_der(&self, skip: usize, name: &x509_cert::name::Name) -> Vec<u8> {
        let raw = || -> der::Result<Vec<u8>> {
            use der::Reader as _;
            let mut r = der::SliceReader::new(self.0.der.as_ref())?;
            der::Header::decode(&mut r)?; // Certificate
            der::Header::decode(&mut r)?; // tbsCertificate
            if der::Tag::peek(&r)?.is_context_specific() {
                r.tlv_bytes()?; // version
            }
            for _ in 0..skip {
                r.tlv_bytes()?;
            }
            Ok(r.tlv_bytes()?.to_vec())
        };
        if name.as_ref().iter().all(|rdn| rdn.len() <= 1) {
            raw().or_else(|_| name.to_der()).unwrap_or_default()
        } else {
            name.to_der().unwrap_or_default()
        }
    }

    /// The subject name's DER encoding (for issuer matching).
    pub fn subject_der(&self) -> Vec<u8> {
        // serialNumber, signature, issuer, validity, then subject.
        self.name_der(4, self.0.parsed.tbs_certificate().subject())
    }

    /// The issuer name's DER encoding.
    pub fn issuer_der(&self) -> Vec<u8> {
        // serialNumber, signature, then issuer.
        self.name_der(2, self.0.parsed.tbs_certificate().issuer())
    }

    /// The SubjectPublicKeyInfo's DER encoding.
    pub fn spki_der(&self) -> Vec<u8> {
        self.0
            .parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .unwrap_or_default()
    }

    /// The certificate as one PEM block (64-column lines, final LF).
    pub fn to_pem(&self) -> String {
        pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, &self.0.der)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_forms() {
        assert_eq!(serial_hex(&[0x00]), "0");
        assert_eq!(serial_hex(&[0x0A]), "0A");
        assert_eq!(serial_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_hex(&[0xFF]), "-01");
        assert_eq!(serial_hex(&[0xFF, 0x00]), "-0100");
        assert_eq!(serial_hex(&[]), "0");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            Certificate::from_der_indexed(b"\x30\x03\x02\x01", 3),
            Err(Error::MalformedCertificate { index: 3, .. })
        ));
    }
}
