//! Fixed PKIs that several packages share, built once per test binary where that helps
//! ([`client_chain`], [`header_vectors`]) or on demand ([`ClientChain::generate`],
//! [`MutualPki::generate`]) for benches that want their own.

use std::sync::OnceLock;

use pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use rcgen::{DnType, KeyPair};

use crate::named::{CLIENT_CN, CLIENT_EMAIL};
use crate::{CertSpec, Node};

/// Root -> intermediate -> client leaf (CN [`CLIENT_CN`], email SAN [`CLIENT_EMAIL`]),
/// P-256. The CAs are `CN=Root CA` and `CN=Issuing CA` (keyCertSign, cRLSign); no
/// authorityKeyIdentifier (the benches' shape since issue 9). The chain a client presents is
/// [`Self::presented`]: `[leaf, intermediate]`.
#[derive(Debug, Clone)]
pub struct ClientChain {
    /// The root CA certificate (DER).
    pub root: CertificateDer<'static>,
    /// The intermediate CA certificate (DER).
    pub intermediate: CertificateDer<'static>,
    /// The client leaf certificate (DER).
    pub leaf: CertificateDer<'static>,
    /// The root (PEM).
    pub root_pem: String,
    /// The intermediate (PEM).
    pub intermediate_pem: String,
    /// The leaf (PEM).
    pub leaf_pem: String,
}

impl ClientChain {
    /// Generates a new one.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let ca = |cn: &str| CertSpec::ca(cn).ca_key_usages();
        let root = ca("Root CA").try_self_signed()?;
        let intermediate = ca("Issuing CA").try_signed_by(&root)?;
        let leaf = CertSpec::new()
            .cn(CLIENT_CN)
            .try_email(CLIENT_EMAIL)?
            .try_signed_by(&intermediate)?;
        Ok(Self {
            root: root.der(),
            intermediate: intermediate.der(),
            leaf: leaf.der(),
            root_pem: root.pem(),
            intermediate_pem: intermediate.pem(),
            leaf_pem: leaf.pem(),
        })
    }

    /// What a client presents: `[leaf, intermediate]`.
    pub fn presented(&self) -> Vec<CertificateDer<'static>> {
        vec![self.leaf.clone(), self.intermediate.clone()]
    }
}

/// One [`ClientChain`] for the whole test binary.
///
/// # Panics
/// If rcgen fails.
#[allow(clippy::expect_used)]
pub fn client_chain() -> &'static ClientChain {
    static CHAIN: OnceLock<ClientChain> = OnceLock::new();
    CHAIN.get_or_init(|| ClientChain::generate().expect("rcgen generates the client chain"))
}

/// The header decoders' vectors: P-256 root -> intermediate -> leaves, DER.
#[derive(Debug, Clone)]
pub struct HeaderVectors {
    /// `CN=Header Test Root`.
    pub root: Vec<u8>,
    /// `CN=Header Test Intermediate`, issued by the root.
    pub intermediate: Vec<u8>,
    /// `CN=test-client,OU=Clients,O=Header Vectors Test,C=US`, email SAN, issued by the
    /// intermediate.
    pub client: Vec<u8>,
    /// A leaf whose DN holds `" ; , + \` and the text `Cert="x"`.
    pub tricky: Vec<u8>,
    /// A self-signed look-alike of `client` (same subject), not issued by anyone here.
    pub evil: Vec<u8>,
}

impl HeaderVectors {
    /// The leaves' profile: `C=US, O=Header Vectors Test, OU=Clients, CN=cn` and the email
    /// SAN [`CLIENT_EMAIL`].
    pub fn client_spec(cn: &str) -> CertSpec {
        CertSpec::new()
            .dn(DnType::CountryName, "US")
            .dn(DnType::OrganizationName, "Header Vectors Test")
            .dn(DnType::OrganizationalUnitName, "Clients")
            .cn(cn)
            .email(CLIENT_EMAIL)
    }

    fn generate() -> Self {
        let ca = |cn: &str| CertSpec::ca(cn).ca_key_usages();
        let root = ca("Header Test Root").self_signed();
        let intermediate = ca("Header Test Intermediate").signed_by(&root);
        let client = Self::client_spec("test-client").signed_by(&intermediate);
        let tricky = Self::client_spec(r#"tricky "q" ;semi, comma +plus \back Cert="x""#)
            .signed_by(&intermediate);
        let evil = Self::client_spec("test-client").self_signed();
        Self {
            root: root.der().to_vec(),
            intermediate: intermediate.der().to_vec(),
            client: client.der().to_vec(),
            tricky: tricky.der().to_vec(),
            evil: evil.der().to_vec(),
        }
    }

    /// leaf, intermediate, root: what ALB passthrough sends.
    pub fn full_chain(&self) -> Vec<&[u8]> {
        vec![&self.client, &self.intermediate, &self.root]
    }
}

/// One [`HeaderVectors`] for the whole test binary.
pub fn header_vectors() -> &'static HeaderVectors {
    static VECTORS: OnceLock<HeaderVectors> = OnceLock::new();
    VECTORS.get_or_init(HeaderVectors::generate)
}

/// A P-256 PKI for TLS handshakes: root -> intermediate -> client leaf (CN
/// [`CLIENT_CN`], email SAN [`CLIENT_EMAIL`], serial 1), and root -> intermediate -> server
/// leaf for one name. Chains are `[leaf, intermediate]`.
pub struct MutualPki {
    /// The root (the only trust anchor, on both sides).
    pub root: CertificateDer<'static>,
    /// The root as PEM.
    pub root_pem: String,
    /// The intermediate that issued both leaves.
    pub intermediate: CertificateDer<'static>,
    /// The server's chain, leaf first.
    pub server_chain: Vec<CertificateDer<'static>>,
    /// The server's private key (PKCS#8).
    pub server_key: PrivatePkcs8KeyDer<'static>,
    /// The client's chain, leaf first (serial 1).
    pub client_chain: Vec<CertificateDer<'static>>,
    /// The client's private key (PKCS#8); every client leaf of
    /// [`Self::client_chain_with_serial`] certifies it.
    pub client_key: PrivatePkcs8KeyDer<'static>,
    intermediate_node: Node,
}

impl std::fmt::Debug for MutualPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MutualPki").finish_non_exhaustive()
    }
}

impl MutualPki {
    /// Generates the PKI; the server leaf is for `server_name` (its only SAN).
    pub fn generate(server_name: &str) -> Result<Self, rcgen::Error> {
        let ca = |cn: &str| CertSpec::ca(cn).ca_key_usages();
        let root = ca("Bench Root").try_self_signed()?;
        let intermediate = ca("Bench Issuing CA").try_signed_by(&root)?;
        let server = CertSpec::try_names(&[server_name])?.try_signed_by(&intermediate)?;
        let client = Self::client_spec(1)?.try_signed_by(&intermediate)?;
        Ok(Self {
            root: root.der(),
            root_pem: root.pem(),
            intermediate: intermediate.der(),
            server_chain: server.chain(),
            server_key: server.key_pkcs8(),
            client_chain: client.chain(),
            client_key: client.key_pkcs8(),
            intermediate_node: intermediate,
        })
    }

    fn client_spec(serial: u64) -> Result<CertSpec, rcgen::Error> {
        Ok(CertSpec::new()
            .cn(CLIENT_CN)
            .try_email(CLIENT_EMAIL)?
            .serial(serial))
    }

    /// Another client chain: the same names and key as [`Self::client_chain`], another
    /// serial number, so different bytes (a validation-cache miss).
    pub fn client_chain_with_serial(
        &self,
        serial: u64,
    ) -> Result<Vec<CertificateDer<'static>>, rcgen::Error> {
        let key = KeyPair::try_from(self.client_key.secret_pkcs8_der())?;
        Ok(Self::client_spec(serial)?
            .try_signed_by_with(&self.intermediate_node, key)?
            .chain())
    }
}
