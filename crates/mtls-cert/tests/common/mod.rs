//! The test PKI is mtls-test-pki's (rcgen, named for what each certificate exercises); this
//! adds what takes mtls-cert's own types.
#![allow(dead_code, unreachable_pub, clippy::expect_used)]

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{CaCertificate, CaSet};
pub use mtls_test_pki::*;

/// A generated certificate as a Kong CA entity.
pub trait Entity {
    /// Through Kong's entity checks (`CaCertificate::new`).
    fn ca_entity(&self) -> CaCertificate;
    /// Trusted as is (a file-based store: no entity checks).
    fn trusted_entity(&self) -> CaCertificate;
}

impl Entity for Node {
    fn ca_entity(&self) -> CaCertificate {
        CaCertificate::new(uuid::Uuid::new_v4(), self.pem().as_bytes(), UnixTime::now())
            .expect("test CA is a valid entity")
    }

    fn trusted_entity(&self) -> CaCertificate {
        let cert = mtls_cert::Certificate::from_der(&self.der()).expect("parses");
        CaCertificate::trusted(uuid::Uuid::new_v4(), cert)
    }
}

pub fn set(cas: &[&Node]) -> CaSet {
    CaSet::new(cas.iter().map(|n| n.ca_entity()).collect()).expect("set")
}

pub fn chain(nodes: &[&Node]) -> Vec<CertificateDer<'static>> {
    nodes.iter().map(|n| n.der()).collect()
}

pub fn now() -> UnixTime {
    UnixTime::now()
}
