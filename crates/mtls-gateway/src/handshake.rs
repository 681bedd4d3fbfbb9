//! The per-ClientHello choice of `ServerConfig`: whether to request a client certificate, and
//! with which CA names, decided from the SNI map (rustls' `Acceptor` or tokio-rustls'
//! `LazyConfigAcceptor` hand the ClientHello over before a config is chosen).
//!
//! Every `ServerConfig` is built once per configuration snapshot, never per handshake: one
//! that sends no CertificateRequest, and one per distinct set of CA names the SNI map asks to
//! send. All configs of a snapshot share one session cache and one ticket key (so resumption
//! works within the snapshot); a new snapshot gets new ones, so a ticket minted under an older
//! configuration never resumes into a newer one (decisions.md item 6). The identity of a
//! resumed session is judged again on every request in any case.

use std::collections::HashMap;
use std::sync::Arc;

use mtls_cert::CaCertificate;
use mtls_sni::{Decision, SniMap};
use rustls::crypto::CryptoProvider;
use rustls::server::{ProducesTickets, ServerSessionMemoryCache, StoresServerSessions};
use rustls::{DistinguishedName, ServerConfig};
use uuid::Uuid;

use crate::danger::DeferredChainVerifier;
use crate::error::TlsError;
use crate::server_certs::ServerCertificates;

/// Sessions remembered per snapshot for stateful resumption.
const SESSION_CACHE_SIZE: usize = 4096;

/// The prebuilt server configurations of one snapshot and the SNI map choosing among them.
#[derive(Clone)]
pub struct HandshakeConfigs {
    sni_map: Arc<SniMap>,
    no_request: Arc<ServerConfig>,
    request: HashMap<Vec<Uuid>, RequestConfig>,
}

/// A `ServerConfig` that requests a certificate, with the CA ids it hints.
type RequestConfig = (Arc<ServerConfig>, Arc<[Uuid]>);

/// What a handshake asked of the client: nothing, or a certificate (with these CA names
/// hinted, when `send_ca_dn` asked for them). Kept with the connection, so a request whose
/// host would have been asked differently is answered 421 (decision 17).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClientAuth {
    /// No CertificateRequest was sent.
    NotRequested,
    /// A certificate was requested (never required), with the ids of the CAs hinted.
    Requested(Arc<[Uuid]>),
}

impl ClientAuth {
    /// Whether a certificate was requested.
    pub fn requested(&self) -> bool {
        matches!(self, Self::Requested(_))
    }

    fn matches(&self, decision: &Decision<'_>) -> bool {
        match (self, decision) {
            (Self::NotRequested, Decision::NoRequest) => true,
            (Self::Requested(ids), Decision::Request { ca_ids }) => &ids[..] == *ca_ids,
            _ => false,
        }
    }
}

/// The `ServerConfig` chosen for a ClientHello, and what it asks of the client.
#[derive(Clone, Debug)]
pub struct Selected {
    /// The configuration to finish the handshake with.
    pub config: Arc<ServerConfig>,
    /// What it asks: keep it with the connection ([`crate::TlsInfo::client_auth`]).
    pub client_auth: ClientAuth,
}

impl std::fmt::Debug for HandshakeConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandshakeConfigs")
            .field("sni_entries", &self.sni_map.len())
            .field("request_configs", &self.request.len())
            .finish()
    }
}

/// What a `ServerConfig` of the gateway shares with the others of its snapshot.
struct Shared {
    provider: Arc<CryptoProvider>,
    certs: Arc<ServerCertificates>,
    sessions: Arc<dyn StoresServerSessions>,
    ticketer: Arc<dyn ProducesTickets>,
}

impl Shared {
    fn config(
        &self,
        verifier: Option<Arc<DeferredChainVerifier>>,
        customise: &dyn Fn(&mut ServerConfig),
    ) -> Result<Arc<ServerConfig>, TlsError> {
        let builder = ServerConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let mut config = match verifier {
            Some(v) => builder.with_client_cert_verifier(v),
            None => builder.with_no_client_auth(),
        }
        .with_cert_resolver(Arc::clone(&self.certs) as Arc<dyn rustls::server::ResolvesServerCert>);
        config.session_storage = Arc::clone(&self.sessions);
        config.ticketer = Arc::clone(&self.ticketer);
        customise(&mut config);
        Ok(Arc::new(config))
    }
}

impl HandshakeConfigs {
    /// Builds every `ServerConfig` the SNI map can ask for. `ca_store` resolves the CA ids of
    /// entries with `send_ca_dn`; `customise` is applied to each config (ALPN protocols, key
    /// log, ...), and must not change client authentication.
    pub fn build(
        sni_map: Arc<SniMap>,
        ca_store: &HashMap<Uuid, CaCertificate>,
        certs: Arc<ServerCertificates>,
        provider: Arc<CryptoProvider>,
        customise: &dyn Fn(&mut ServerConfig),
    ) -> Result<Self, TlsError> {
        let shared = Shared {
            ticketer: rustls::crypto::aws_lc_rs::Ticketer::new()
                .map_err(|e| TlsError::Config(e.to_string()))?,
            sessions: ServerSessionMemoryCache::new(SESSION_CACHE_SIZE),
            provider,
            certs,
        };
        let no_request = shared.config(None, customise)?;
        let mut request = HashMap::new();
        let mut sets: Vec<(String, Vec<Uuid>)> = sni_map
            .entries()
            .map(|e| (e.key().to_string(), e.ca_ids().to_vec()))
            .collect();
        sets.push(("*".to_owned(), Vec::new()));
        for (entry, ids) in sets {
            if request.contains_key(&ids) {
                continue;
            }
            let mut hints = Vec::with_capacity(ids.len());
            for id in &ids {
                let ca = ca_store.get(id).ok_or(TlsError::UnknownCa {
                    entry: entry.clone(),
                    ca_id: *id,
                })?;
                hints.push(DistinguishedName::from(ca.certificate().subject_der()));
            }
            let verifier = Arc::new(DeferredChainVerifier::new(
                Arc::clone(&shared.provider),
                hints,
            ));
            let config = shared.config(Some(verifier), customise)?;
            let shared_ids: Arc<[Uuid]> = ids.clone().into();
            request.insert(ids, (config, shared_ids));
        }
        Ok(Self {
            sni_map,
            no_request,
            request,
        })
    }

    /// The config for a ClientHello's server name (or none): no CertificateRequest where no
    /// route needs a certificate, otherwise a request with the entry's CA names.
    pub fn select(&self, server_name: Option<&str>) -> Selected {
        match self.sni_map.lookup(server_name) {
            Decision::NoRequest => self.not_requested(),
            Decision::Request { ca_ids } => match self
                .request
                .get(ca_ids)
                // Every entry's set was built; a miss cannot happen, and the safe answer is
                // still to request a certificate without names.
                .or_else(|| self.request.get(&[][..]))
            {
                Some((config, ids)) => Selected {
                    config: Arc::clone(config),
                    client_auth: ClientAuth::Requested(Arc::clone(ids)),
                },
                None => self.not_requested(),
            },
        }
    }

    fn not_requested(&self) -> Selected {
        Selected {
            config: Arc::clone(&self.no_request),
            client_auth: ClientAuth::NotRequested,
        }
    }

    /// Whether a connection whose handshake asked `asked` was asked as a handshake for
    /// `host` would have been (same request, same CA names): a request for `host` on it is
    /// not misdirected.
    pub fn asked_as_for(&self, asked: &ClientAuth, host: Option<&str>) -> bool {
        asked.matches(&self.sni_map.lookup(host))
    }

    /// The SNI map the choice is made from (for diagnostics: `SniMap::explain`).
    pub fn sni_map(&self) -> &SniMap {
        &self.sni_map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-snapshot session cache is bounded: past `SESSION_CACHE_SIZE` sessions, older
    /// ones are forgotten.
    #[test]
    fn session_cache_is_bounded() {
        let sessions = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
        let total = SESSION_CACHE_SIZE as u32 + 1000;
        for i in 0..total {
            assert!(sessions.put(i.to_be_bytes().to_vec(), vec![0; 64]));
        }
        let kept = (0..total)
            .filter(|i| sessions.get(&i.to_be_bytes()).is_some())
            .count();
        assert!(kept <= SESSION_CACHE_SIZE, "{kept}");
        assert!(kept > 0);
    }
}
