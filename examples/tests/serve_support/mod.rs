//! The `mtls serve` tests' PKI and harness are mtls-test-pki's (feature `servers`); this
//! names the binary under test.
#![allow(dead_code, unreachable_pub)]

pub mod raw;

pub use mtls_test_pki::servers::*;
pub use mtls_test_pki::*;

/// The `mtls` binary under test.
pub const MTLS: &str = env!("CARGO_BIN_EXE_mtls");
