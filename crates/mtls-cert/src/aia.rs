//! Where to ask about a certificate's revocation: the OCSP responder named in its
//! authorityInfoAccess extension and the CRL named by its first CRL distribution point.

use const_oid::ObjectIdentifier;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};

use crate::certificate::Certificate;

/// id-ad-ocsp (RFC 5280 4.2.2.1).
const ID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");

fn http_uri(name: &GeneralName) -> Option<String> {
    let GeneralName::UniformResourceIdentifier(uri) = name else {
        return None;
    };
    let uri = uri.as_str();
    let scheme = uri.split_once("://")?.0;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        .then(|| uri.to_owned())
}

/// The first http(s) OCSP responder URI of `cert`'s authorityInfoAccess extension (Kong's
/// OCSP source), or `None` when there is none or the extension is malformed.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = rcgen::KeyPair::generate()?;
/// let der = rcgen::CertificateParams::new(vec!["a.test".into()])?.self_signed(&key)?;
/// let cert = mtls_cert::Certificate::from_der(der.der())?;
/// assert_eq!(mtls_cert::ocsp_responder_uri(&cert), None);
/// # Ok(()) }
/// ```
pub fn ocsp_responder_uri(cert: &Certificate) -> Option<String> {
    let (_, aia) = cert
        .x509()
        .tbs_certificate()
        .get_extension::<AuthorityInfoAccessSyntax>()
        .ok()??;
    aia.0
        .iter()
        .filter(|d| d.access_method == ID_AD_OCSP)
        .find_map(|d| http_uri(&d.access_location))
}

/// The first http(s) URI of the full name of `cert`'s first CRL distribution point (Kong's
/// CRL source), or `None` when there is none or the extension is malformed.
pub fn crl_distribution_uri(cert: &Certificate) -> Option<String> {
    let (_, points) = cert
        .x509()
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
        .ok()??;
    let Some(DistributionPointName::FullName(names)) =
        points.0.first()?.distribution_point.as_ref()
    else {
        return None;
    };
    names.iter().find_map(http_uri)
}
