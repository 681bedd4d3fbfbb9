//! [`CertSpec`], what a certificate will say, and [`Node`], a generated certificate with its
//! key, able to issue others.

use std::net::IpAddr;

use pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use time::OffsetDateTime;

use crate::extensions::{AccessMethod, authority_info_access};

/// What a certificate will say: rcgen's [`CertificateParams`] with setters named for the
/// field they set, in the order they are called (the subject's attributes keep that order).
///
/// Start from [`CertSpec::new`] (no SAN, rcgen's default subject `CN=rcgen self signed
/// cert` until a CN is set), [`CertSpec::names`] (DNS or IP SANs) or [`CertSpec::ca`]; sign
/// with [`CertSpec::self_signed`] or [`CertSpec::signed_by`] (these panic: tests) or their
/// `try_` forms (the demo).
///
/// ```
/// use mtls_test_pki::CertSpec;
///
/// let root = CertSpec::ca("Example Root").self_signed();
/// let leaf = CertSpec::new().cn("kongclient").email("client@example.test").signed_by(&root);
/// assert_eq!(leaf.chain().len(), 1); // issued by the root: the chain sent is the leaf
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CertSpec {
    params: CertificateParams,
}

impl Default for CertSpec {
    fn default() -> Self {
        Self::new()
    }
}

impl CertSpec {
    /// No SAN; rcgen's default subject until [`Self::cn`] or [`Self::dn`] sets one.
    pub fn new() -> Self {
        Self {
            params: CertificateParams::default(),
        }
    }

    /// SANs for `names`: each an IP address if it parses as one, else a DNS name (rcgen's
    /// `CertificateParams::new`).
    ///
    /// # Panics
    /// On a name rcgen refuses (tests give literal names).
    #[allow(clippy::expect_used)]
    pub fn names(names: &[&str]) -> Self {
        Self::try_names(names).expect("SAN names rcgen takes")
    }

    /// [`Self::names`] without the panic.
    pub fn try_names(names: &[&str]) -> Result<Self, rcgen::Error> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        Ok(Self {
            params: CertificateParams::new(names)?,
        })
    }

    /// A CA named `cn` (basicConstraints CA, no path length), nothing more: no key usage, no
    /// authorityKeyIdentifier (add them with [`Self::ca_key_usages`], [`Self::aki`]).
    pub fn ca(cn: &str) -> Self {
        let mut spec = Self::new().cn(cn);
        spec.params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        spec
    }

    /// Makes it a CA (basicConstraints CA, no path length) whatever else it says.
    pub fn is_ca(mut self) -> Self {
        self.params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        self
    }

    /// Sets the subject's CN.
    pub fn cn(self, cn: &str) -> Self {
        self.dn(DnType::CommonName, cn)
    }

    /// Sets the subject's O.
    pub fn org(self, organization: &str) -> Self {
        self.dn(DnType::OrganizationName, organization)
    }

    /// Sets a subject attribute (a new type goes last; rcgen keeps the order of first use).
    pub fn dn(mut self, ty: DnType, value: impl Into<DnValue>) -> Self {
        self.params.distinguished_name.push(ty, value);
        self
    }

    /// Empties the subject (no default CN either).
    pub fn empty_subject(mut self) -> Self {
        self.params.distinguished_name = rcgen::DistinguishedName::new();
        self
    }

    /// Adds an email (rfc822Name) SAN.
    ///
    /// # Panics
    /// If `email` is not IA5 text.
    #[allow(clippy::expect_used)]
    pub fn email(self, email: &str) -> Self {
        self.try_email(email).expect("an IA5 email address")
    }

    /// [`Self::email`] without the panic.
    pub fn try_email(mut self, email: &str) -> Result<Self, rcgen::Error> {
        self.params
            .subject_alt_names
            .push(SanType::Rfc822Name(email.try_into()?));
        Ok(self)
    }

    /// Adds a DNS SAN.
    ///
    /// # Panics
    /// If `name` is not IA5 text.
    #[allow(clippy::expect_used)]
    pub fn dns(mut self, name: &str) -> Self {
        self.params
            .subject_alt_names
            .push(SanType::DnsName(name.try_into().expect("an IA5 DNS name")));
        self
    }

    /// Adds an IP address SAN.
    pub fn ip(mut self, addr: impl Into<IpAddr>) -> Self {
        self.params
            .subject_alt_names
            .push(SanType::IpAddress(addr.into()));
        self
    }

    /// Adds an extended key usage.
    pub fn eku(mut self, purpose: ExtendedKeyUsagePurpose) -> Self {
        self.params.extended_key_usages.push(purpose);
        self
    }

    /// Adds the clientAuth extended key usage.
    pub fn client_auth(self) -> Self {
        self.eku(ExtendedKeyUsagePurpose::ClientAuth)
    }

    /// Adds the serverAuth extended key usage.
    pub fn server_auth(self) -> Self {
        self.eku(ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// Sets the key usages.
    pub fn key_usages(mut self, usages: &[KeyUsagePurpose]) -> Self {
        self.params.key_usages = usages.to_vec();
        self
    }

    /// A CA's key usages: keyCertSign and cRLSign.
    pub fn ca_key_usages(self) -> Self {
        self.key_usages(&[KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign])
    }

    /// Adds the authorityKeyIdentifier extension (RFC 5280 wants it on all but self-signed).
    pub fn aki(mut self) -> Self {
        self.params.use_authority_key_identifier_extension = true;
        self
    }

    /// Sets the serial number.
    pub fn serial(mut self, serial: u64) -> Self {
        self.params.serial_number = Some(SerialNumber::from(serial));
        self
    }

    /// Sets the serial number's big-endian bytes.
    pub fn serial_bytes(mut self, serial: &[u8]) -> Self {
        self.params.serial_number = Some(SerialNumber::from_slice(serial));
        self
    }

    /// Valid from `not_before` to `not_after`.
    pub fn validity(mut self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Self {
        self.params.not_before = not_before;
        self.params.not_after = not_after;
        self
    }

    /// Valid during 2020 only: expired, on fixed dates.
    pub fn expired_in_2020(self) -> Self {
        self.validity(
            rcgen::date_time_ymd(2020, 1, 1),
            rcgen::date_time_ymd(2021, 1, 1),
        )
    }

    /// An authorityInfoAccess extension naming this OCSP responder.
    pub fn ocsp(self, uri: &str) -> Self {
        self.authority_info_access(&[(AccessMethod::Ocsp, uri)])
    }

    /// An authorityInfoAccess extension with these access descriptions, in this order.
    pub fn authority_info_access(mut self, entries: &[(AccessMethod, &str)]) -> Self {
        self.params
            .custom_extensions
            .push(authority_info_access(entries));
        self
    }

    /// Adds a CRL distribution point with these URIs.
    pub fn crl_distribution_point(mut self, uris: &[&str]) -> Self {
        self.params
            .crl_distribution_points
            .push(CrlDistributionPoint {
                uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            });
        self
    }

    /// Anything else, on rcgen's parameters.
    pub fn with(mut self, f: impl FnOnce(&mut CertificateParams)) -> Self {
        f(&mut self.params);
        self
    }

    /// The rcgen parameters.
    pub fn params(&self) -> &CertificateParams {
        &self.params
    }

    /// Into the rcgen parameters.
    pub fn into_params(self) -> CertificateParams {
        self.params
    }

    /// Self-signed with a new P-256 key.
    ///
    /// # Panics
    /// If rcgen cannot sign (tests).
    #[allow(clippy::expect_used)]
    pub fn self_signed(self) -> Node {
        self.try_self_signed().expect("rcgen signs")
    }

    /// Issued by `issuer` with a new P-256 key.
    ///
    /// # Panics
    /// If rcgen cannot sign (tests).
    #[allow(clippy::expect_used)]
    pub fn signed_by(self, issuer: &Node) -> Node {
        self.try_signed_by(issuer).expect("rcgen signs")
    }

    /// [`Self::self_signed`] without the panic.
    pub fn try_self_signed(self) -> Result<Node, rcgen::Error> {
        self.try_self_signed_with(KeyPair::generate()?)
    }

    /// [`Self::signed_by`] without the panic.
    pub fn try_signed_by(self, issuer: &Node) -> Result<Node, rcgen::Error> {
        self.try_signed_by_with(issuer, KeyPair::generate()?)
    }

    /// Self-signed with this key (a renewed certificate keeps its key).
    pub fn try_self_signed_with(self, key: KeyPair) -> Result<Node, rcgen::Error> {
        let cert = self.params.self_signed(&key)?;
        Ok(Node {
            params: self.params,
            key,
            cert,
            above: Vec::new(),
            self_signed: true,
        })
    }

    /// Issued by `issuer`, certifying this key.
    pub fn try_signed_by_with(self, issuer: &Node, key: KeyPair) -> Result<Node, rcgen::Error> {
        let cert = self.params.signed_by(&key, &issuer.issuer())?;
        let mut above = Vec::new();
        if !issuer.self_signed {
            above.push(issuer.cert.clone());
            above.extend(issuer.above.iter().cloned());
        }
        Ok(Node {
            params: self.params,
            key,
            cert,
            above,
            self_signed: false,
        })
    }
}

/// A generated certificate with its key and parameters (so that it can issue others), and
/// the intermediates above it that its holder sends.
///
/// ```
/// use mtls_test_pki::CertSpec;
///
/// let root = CertSpec::ca("Root").self_signed();
/// let issuing = CertSpec::ca("Issuing CA").signed_by(&root);
/// let client = CertSpec::new().cn("alice").client_auth().signed_by(&issuing);
/// assert_eq!(client.chain(), vec![client.der(), issuing.der()]);
/// assert!(client.chain_pem().starts_with(&client.pem()));
/// ```
#[derive(Debug)]
pub struct Node {
    params: CertificateParams,
    key: KeyPair,
    cert: rcgen::Certificate,
    /// The intermediates above, nearest first (never the root).
    above: Vec<rcgen::Certificate>,
    /// Self-signed: what it issues carries nothing above.
    self_signed: bool,
}

impl Node {
    /// The certificate (DER).
    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// The certificate (PEM).
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// The chain its holder sends: the certificate, then the intermediates above it.
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        std::iter::once(&self.cert)
            .chain(&self.above)
            .map(|c| c.der().clone())
            .collect()
    }

    /// [`Self::chain`] as concatenated PEM.
    pub fn chain_pem(&self) -> String {
        std::iter::once(&self.cert)
            .chain(&self.above)
            .map(rcgen::Certificate::pem)
            .collect()
    }

    /// The private key (PKCS#8 PEM).
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// The private key (PKCS#8 DER).
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key_pkcs8())
    }

    /// The private key (PKCS#8 DER), typed.
    pub fn key_pkcs8(&self) -> PrivatePkcs8KeyDer<'static> {
        PrivatePkcs8KeyDer::from(self.key.serialize_der())
    }

    /// The key pair.
    pub fn key_pair(&self) -> &KeyPair {
        &self.key
    }

    /// The key pair, taking it (to sign with it elsewhere, e.g. OCSP responses).
    pub fn into_key_pair(self) -> KeyPair {
        self.key
    }

    /// The parameters it was made from.
    pub fn params(&self) -> &CertificateParams {
        &self.params
    }

    /// The rcgen certificate.
    pub fn certificate(&self) -> &rcgen::Certificate {
        &self.cert
    }

    /// It as rcgen's issuer (to sign certificates or CRLs with rcgen directly).
    pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::new(self.params.clone(), &self.key)
    }

    /// Issues `spec` (a new key): shorthand for [`CertSpec::signed_by`].
    pub fn issue(&self, spec: CertSpec) -> Node {
        spec.signed_by(self)
    }
}
