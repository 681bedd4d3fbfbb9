//! Upstream mTLS: the service's ClientConfig presents its client certificate and validates
//! the upstream with the service's CA list, name and depth.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mtls_cert::{CaCertificate, CaSet, Certificate};
use mtls_gateway::UpstreamTls;
use mtls_test_pki::CertSpec;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConnection, RootCertStore, ServerConfig, ServerConnection};

struct Side {
    ca_der: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn side(ca_cn: &str, leaf_names: Vec<String>) -> Side {
    let ca = CertSpec::ca(ca_cn).self_signed();
    let names: Vec<&str> = leaf_names.iter().map(String::as_str).collect();
    let leaf = CertSpec::names(&names).signed_by(&ca);
    Side {
        ca_der: ca.der(),
        chain: leaf.chain(),
        key: leaf.key_der(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn upstream_server(server: &Side, client_ca: &Side) -> Arc<ServerConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(client_ca.ca_der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    Arc::new(
        ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(server.chain.clone(), server.key.clone_key())
            .unwrap(),
    )
}

fn connect(
    client: Arc<rustls::ClientConfig>,
    server: Arc<ServerConfig>,
) -> Result<ServerConnection, rustls::Error> {
    let mut c =
        ClientConnection::new(client, ServerName::try_from("upstream.test").unwrap()).unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    let mut buf = Vec::new();
    for _ in 0..10 {
        buf.clear();
        c.write_tls(&mut buf).unwrap();
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            s.read_tls(&mut slice).unwrap();
        }
        s.process_new_packets()?;
        buf.clear();
        s.write_tls(&mut buf).unwrap();
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            c.read_tls(&mut slice).unwrap();
        }
        c.process_new_packets()?;
        if !c.is_handshaking() && !s.is_handshaking() {
            return Ok(s);
        }
    }
    Err(rustls::Error::General("handshake did not finish".into()))
}

fn trust(side: &Side) -> CaSet {
    CaSet::new(vec![CaCertificate::trusted(
        uuid::Uuid::new_v4(),
        Certificate::from_der(&side.ca_der).unwrap(),
    )])
    .unwrap()
}

#[test]
fn presents_the_client_certificate_and_verifies_the_upstream() {
    let server = side("Upstream CA", vec!["upstream.test".into()]);
    let gateway = side("Gateway Client CA", vec!["gateway.internal".into()]);
    let tls = UpstreamTls {
        client_certificate: Some((gateway.chain.clone(), Arc::new(gateway.key.clone_key()))),
        verify: true,
        verify_depth: Some(1),
        trust: trust(&server),
    };
    let s = connect(
        tls.client_config(provider()).unwrap(),
        upstream_server(&server, &gateway),
    )
    .unwrap();
    assert_eq!(s.peer_certificates().map(<[_]>::len), Some(1));
}

#[test]
fn tls_verify_refuses_an_upstream_outside_the_trust_list_unless_off() {
    let server = side("Upstream CA", vec!["upstream.test".into()]);
    let gateway = side("Gateway Client CA", vec!["gateway.internal".into()]);
    let stranger = side("Someone Else", vec!["x.test".into()]);
    let mut tls = UpstreamTls {
        client_certificate: Some((gateway.chain.clone(), Arc::new(gateway.key.clone_key()))),
        verify: true,
        verify_depth: None,
        trust: trust(&stranger),
    };
    let err = connect(
        tls.client_config(provider()).unwrap(),
        upstream_server(&server, &gateway),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(_) | rustls::Error::AlertReceived(_)
        ),
        "{err:?}"
    );
    tls.verify = false;
    connect(
        tls.client_config(provider()).unwrap(),
        upstream_server(&server, &gateway),
    )
    .unwrap();
}

#[test]
fn wrong_host_name_is_refused() {
    let server = side("Upstream CA", vec!["other.test".into()]);
    let gateway = side("Gateway Client CA", vec!["gateway.internal".into()]);
    let tls = UpstreamTls {
        client_certificate: Some((gateway.chain.clone(), Arc::new(gateway.key.clone_key()))),
        verify: true,
        verify_depth: None,
        trust: trust(&server),
    };
    assert!(
        connect(
            tls.client_config(provider()).unwrap(),
            upstream_server(&server, &gateway)
        )
        .is_err()
    );
}
