//! Real rustls handshakes in memory (no sockets): the per-SNI choice of ServerConfig, CA name
//! hints, proof of possession, and resumption scoped to a snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mtls_cert::{CaCertificate, Certificate};
use mtls_gateway::{HandshakeConfigs, ServerCertificates};
use mtls_sni::{CertificatePlugin, Route, Scope, SniMap};
use mtls_test_pki::CertSpec;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::Acceptor;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConnection};
use uuid::Uuid;

struct Pki {
    ca_id: Uuid,
    ca: CaCertificate,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    client_chain: Vec<CertificateDer<'static>>,
    client_key: PrivateKeyDer<'static>,
    other_key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca = CertSpec::ca("Handshake Root").self_signed();
    let server = CertSpec::names(&["*.example.test"]).signed_by(&ca);
    let client = CertSpec::new().cn("kongclient").signed_by(&ca);
    let ca_id = Uuid::new_v4();
    Pki {
        ca_id,
        ca: CaCertificate::trusted(ca_id, Certificate::from_der(&ca.der()).unwrap()),
        ca_der: ca.der(),
        server_chain: server.chain(),
        server_key: server.key_der(),
        client_chain: client.chain(),
        client_key: client.key_der(),
        other_key: mtls_test_pki::unrelated_key(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// One route needing a certificate on `mtls.example.test`; nothing on other names.
fn configs(pki: &Pki, send_ca_dn: bool) -> HandshakeConfigs {
    let routes = vec![Route::new("r-mtls").with_snis(["mtls.example.test"])];
    let plugins = vec![CertificatePlugin::mtls_auth(
        "p1",
        Scope::Route("r-mtls".into()),
        vec![pki.ca_id],
        send_ca_dn,
    )];
    let map = Arc::new(SniMap::build(&routes, &plugins).unwrap());
    let key = ServerCertificates::load_key(
        pki.server_chain.clone(),
        pki.server_key.clone_key(),
        &provider(),
    )
    .unwrap();
    let certs = Arc::new(ServerCertificates::with_default(key));
    let store = HashMap::from([(pki.ca_id, pki.ca.clone())]);
    HandshakeConfigs::build(map, &store, certs, provider(), &|_| {}).unwrap()
}

/// A client certificate resolver that records the CA names the server sent.
#[derive(Debug)]
struct Recording {
    key: Arc<CertifiedKey>,
    hints: Mutex<Option<Vec<Vec<u8>>>>,
}

impl ResolvesClientCert for Recording {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        *self.hints.lock().unwrap() = Some(root_hint_subjects.iter().map(|h| h.to_vec()).collect());
        Some(Arc::clone(&self.key))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

fn client(pki: &Pki, key: PrivateKeyDer<'static>) -> (Arc<ClientConfig>, Arc<Recording>) {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let signing = provider().key_provider.load_private_key(key).unwrap();
    let recording = Arc::new(Recording {
        key: Arc::new(CertifiedKey::new(pki.client_chain.clone(), signing)),
        hints: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(recording.clone());
    (Arc::new(config), recording)
}

/// Runs a handshake through `Acceptor` + `select`; returns the server connection or the error.
fn handshake(
    configs: &HandshakeConfigs,
    client_config: Arc<ClientConfig>,
    sni: &str,
) -> Result<(ServerConnection, ClientConnection), rustls::Error> {
    let mut client =
        ClientConnection::new(client_config, ServerName::try_from(sni.to_owned()).unwrap())
            .unwrap();
    let mut acceptor = Acceptor::default();
    let mut buf = Vec::new();
    let accepted = loop {
        buf.clear();
        client.write_tls(&mut buf).unwrap();
        acceptor.read_tls(&mut buf.as_slice()).unwrap();
        if let Some(accepted) = acceptor.accept().map_err(|(e, _)| e)? {
            break accepted;
        }
    };
    let config = configs.select(accepted.client_hello().server_name());
    let mut server = accepted
        .into_connection(config.config)
        .map_err(|(e, _)| e)?;
    for _ in 0..10 {
        if !server.is_handshaking() && !client.is_handshaking() {
            break;
        }
        buf.clear();
        server.write_tls(&mut buf).unwrap();
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            client.read_tls(&mut slice).unwrap();
        }
        client.process_new_packets()?;
        buf.clear();
        client.write_tls(&mut buf).unwrap();
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            server.read_tls(&mut slice).unwrap();
        }
        server.process_new_packets()?;
    }
    Ok((server, client))
}

#[test]
fn certificate_requested_only_where_a_route_needs_it() {
    let pki = pki();
    let configs = configs(&pki, false);
    let (client_config, recording) = client(&pki, pki.client_key.clone_key());
    let (server, _) = handshake(&configs, client_config.clone(), "mtls.example.test").unwrap();
    assert_eq!(server.peer_certificates().map(<[_]>::len), Some(1));
    assert_eq!(
        recording.hints.lock().unwrap().as_deref(),
        Some(&[][..]),
        "no CA names"
    );

    let (client_config, recording) = client(&pki, pki.client_key.clone_key());
    let (server, _) = handshake(&configs, client_config, "open.example.test").unwrap();
    assert!(server.peer_certificates().is_none());
    assert!(
        recording.hints.lock().unwrap().is_none(),
        "no CertificateRequest at all"
    );
}

#[test]
fn ca_names_sent_with_send_ca_dn() {
    let pki = pki();
    let configs = configs(&pki, true);
    let (client_config, recording) = client(&pki, pki.client_key.clone_key());
    handshake(&configs, client_config, "mtls.example.test").unwrap();
    let hints = recording.hints.lock().unwrap().clone().unwrap();
    assert_eq!(hints, vec![pki.ca.certificate().subject_der()]);
}

#[test]
fn wrong_private_key_fails_the_handshake() {
    let pki = pki();
    let configs = configs(&pki, false);
    let (client_config, _) = client(&pki, pki.other_key.clone_key());
    let err = handshake(&configs, client_config, "mtls.example.test").unwrap_err();
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)
                | rustls::Error::AlertReceived(_)
        ),
        "{err:?}"
    );
}

#[test]
fn resumption_is_scoped_to_the_snapshot() {
    let pki = pki();
    let first = configs(&pki, false);
    let (client_config, _) = client(&pki, pki.client_key.clone_key());
    let (mut server, mut client_conn) =
        handshake(&first, client_config.clone(), "mtls.example.test").unwrap();
    // Let the client receive the server's tickets (TLS 1.3 sends them after the handshake).
    let mut buf = Vec::new();
    server.write_tls(&mut buf).unwrap();
    let mut slice = buf.as_slice();
    while !slice.is_empty() {
        client_conn.read_tls(&mut slice).unwrap();
    }
    client_conn.process_new_packets().unwrap();
    let (again, _) = handshake(&first, client_config.clone(), "mtls.example.test").unwrap();
    assert_eq!(again.handshake_kind(), Some(rustls::HandshakeKind::Resumed));
    // Resumed sessions still carry the certificate, for the per-request judgement.
    assert_eq!(again.peer_certificates().map(<[_]>::len), Some(1));
    // A new snapshot has new ticket keys and session cache: full handshake.
    let second = configs(&pki, false);
    let (fresh, _) = handshake(&second, client_config, "mtls.example.test").unwrap();
    assert_eq!(fresh.handshake_kind(), Some(rustls::HandshakeKind::Full));
}
