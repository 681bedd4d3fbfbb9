//! Server certificates chosen by SNI: an exact name, then a wildcard (`*.example.com` covers
//! one label), then the default.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::error::TlsError;

/// Server certificates by SNI, resolved for each ClientHello.
#[derive(Debug, Clone)]
pub struct ServerCertificates {
    exact: HashMap<String, Arc<CertifiedKey>>,
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl ServerCertificates {
    /// A resolver whose only certificate is `default`.
    pub fn with_default(default: Arc<CertifiedKey>) -> Self {
        Self {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            default: Some(default),
        }
    }

    /// A resolver with no certificate at all (every handshake fails until one is added).
    pub fn empty() -> Self {
        Self {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            default: None,
        }
    }

    /// Loads a chain (leaf first) and its private key for `provider`; the key must match.
    pub fn load_key(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        provider: &CryptoProvider,
    ) -> Result<Arc<CertifiedKey>, TlsError> {
        CertifiedKey::from_der(chain, key, provider)
            .map(Arc::new)
            .map_err(|e| TlsError::ServerCertificate(e.to_string()))
    }

    /// Serves `key` for `sni`: `*.example.com` as a wildcard (one label), anything else as an
    /// exact name (case-insensitive, a trailing dot ignored).
    pub fn insert(&mut self, sni: &str, key: Arc<CertifiedKey>) {
        let name = normalise(sni);
        match name.strip_prefix("*.") {
            Some(suffix) => self.wildcard.insert(suffix.to_owned(), key),
            None => self.exact.insert(name, key),
        };
    }

    /// Sets the certificate served when no SNI entry matches.
    pub fn set_default(&mut self, key: Arc<CertifiedKey>) {
        self.default = Some(key);
    }

    /// The certificate for a ClientHello's server name.
    pub fn lookup(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if let Some(name) = server_name {
            let name = normalise(name);
            if let Some(k) = self.exact.get(&name) {
                return Some(Arc::clone(k));
            }
            if let Some((_, parent)) = name.split_once('.')
                && let Some(k) = self.wildcard.get(parent)
            {
                return Some(Arc::clone(k));
            }
        }
        self.default.clone()
    }
}

fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

impl ResolvesServerCert for ServerCertificates {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.lookup(client_hello.server_name())
    }
}
