//! Benchmarks for the mtls workspace live in `benches/`; this library only holds the test PKI
//! they share.
#![forbid(unsafe_code)]

use mtls_cert::pki_types::CertificateDer;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// A P-256 root, an intermediate and a client leaf: the chain a client presents is
/// `[leaf, intermediate]`.
#[derive(Debug)]
pub struct Pki {
    /// The root CA certificate (DER).
    pub root: CertificateDer<'static>,
    /// The intermediate CA certificate (DER).
    pub intermediate: CertificateDer<'static>,
    /// The client leaf certificate (DER).
    pub leaf: CertificateDer<'static>,
}

fn ca(cn: &str) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(p)
}

impl Pki {
    /// Generates the PKI (P-256 keys, rcgen's default algorithm).
    pub fn generate() -> Result<Self, rcgen::Error> {
        let root_key = KeyPair::generate()?;
        let root_params = ca("Bench Root")?;
        let root = root_params.self_signed(&root_key)?;
        let root_issuer = Issuer::new(root_params, &root_key);
        let int_key = KeyPair::generate()?;
        let int_params = ca("Bench Issuing CA")?;
        let intermediate = int_params.signed_by(&int_key, &root_issuer)?;
        let int_issuer = Issuer::new(int_params, &int_key);
        let leaf_key = KeyPair::generate()?;
        let mut leaf_params = CertificateParams::new(Vec::<String>::new())?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "kongclient");
        leaf_params.subject_alt_names =
            vec![SanType::Rfc822Name("client@example.test".try_into()?)];
        let leaf = leaf_params.signed_by(&leaf_key, &int_issuer)?;
        Ok(Self {
            root: root.der().clone(),
            intermediate: intermediate.der().clone(),
            leaf: leaf.der().clone(),
        })
    }
}
