//! Certificates and keys for `mtls serve`: PEM files, and the generated default.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// The certificates of a PEM file, leaf first.
pub fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no CERTIFICATE block", path.display()));
    }
    Ok(chain)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A server certificate and key from PEM files.
pub fn load_certified_key(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, String> {
    let chain = load_chain(cert)?;
    let key = load_key(key)?;
    mtls_gateway::ServerCertificates::load_key(chain, key, provider)
        .map_err(|e| format!("{}: {e}", cert.display()))
}

/// Kong's default certificate: self-signed, for `localhost`, 127.0.0.1 and ::1, generated at
/// start-up (and logged, since clients must skip verification to accept it).
pub fn self_signed_default(provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, String> {
    let fail = |e: rcgen::Error| format!("cannot generate the default certificate: {e}");
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).map_err(fail)?;
    params.subject_alt_names.push(rcgen::SanType::IpAddress(
        std::net::Ipv4Addr::LOCALHOST.into(),
    ));
    params.subject_alt_names.push(rcgen::SanType::IpAddress(
        std::net::Ipv6Addr::LOCALHOST.into(),
    ));
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mtls serve default certificate");
    let cert = params.self_signed(&key).map_err(fail)?;
    let chain = vec![cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let certified = mtls_gateway::ServerCertificates::load_key(chain, key, provider)
        .map_err(|e| format!("cannot use the default certificate: {e}"))?;
    tracing::warn!(
        target: "mtls::serve",
        "no default server certificate given (--ssl-cert): serving a generated self-signed \
         certificate for localhost, 127.0.0.1 and ::1 to server names no `certificates` entity covers"
    );
    Ok(certified)
}
