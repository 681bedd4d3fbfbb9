//! The test PKI and the tutorial manifest are mtls-test-pki's; this adds what the
//! translation tests spell their own way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    unreachable_pub,
    unused_imports
)]

use base64::Engine;
pub use mtls_test_pki::manifests::{TUTORIAL_CA_ID as CA_ID, tutorial};
pub use mtls_test_pki::yaml_block as block;
use mtls_test_pki::{CertSpec, Node};

/// A CA: its PEM and the node that signs with it.
pub struct TestCa {
    pub pem: String,
    pub node: Node,
}

/// A self-signed CA named `cn`.
pub fn ca(cn: &str) -> TestCa {
    let node = mtls_test_pki::root(cn);
    TestCa {
        pem: node.pem(),
        node,
    }
}

/// A CA that expired in 2020.
pub fn expired_ca() -> String {
    mtls_test_pki::expired_ca().pem()
}

/// A certificate for `names` issued by `ca`, and its key: (cert PEM, key PEM).
pub fn leaf(ca: &TestCa, names: &[&str]) -> (String, String) {
    let node = CertSpec::names(names).signed_by(&ca.node);
    (node.pem(), node.key_pem())
}

/// Base64, as a Secret's `data` holds values.
pub fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}
