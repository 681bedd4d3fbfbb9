//! The `mtls demo` PKI, generated at run time and written as PEM files. It ships in the `mtls`
//! binary, so nothing here panics.

use std::path::Path;

pub use crate::files::Pair;
use crate::named::try_client_profile as client;
use crate::{CertSpec, Node};

/// Every certificate of the demo.
#[derive(Debug)]
pub struct Pki {
    /// The root CA (trusted by the routes' plugins and by the self-test client).
    pub root: Pair,
    /// The gateway's server certificate for `localhost` (issued by the intermediate).
    pub server: Pair,
    /// CN alice with an email SAN: matched by an mtls_auth_credentials entry.
    pub alice: Pair,
    /// CN partner only: matched by username, and the authenticated group on /partner.
    pub partner: Pair,
    /// From a CA nobody trusts.
    pub untrusted: Pair,
    /// Issued by the intermediate, expired.
    pub expired: Pair,
}

fn ca(cn: &str) -> CertSpec {
    CertSpec::ca(cn).org("mtls demo").aki()
}

/// `localhost` and 127.0.0.1, CN localhost, serverAuth, authorityKeyIdentifier.
pub(crate) fn localhost() -> Result<CertSpec, rcgen::Error> {
    Ok(CertSpec::try_names(&["localhost"])?
        .ip(std::net::Ipv4Addr::LOCALHOST)
        .cn("localhost")
        .aki()
        .server_auth())
}

/// Generates the demo PKI and writes it to `dir` (`NAME.crt` chains, `NAME.key` keys):
/// root-ca, intermediate-ca, server, alice, partner, untrusted, expired.
pub fn generate(dir: &Path) -> Result<Pki, String> {
    let rc = |e: rcgen::Error| format!("generating the demo PKI: {e}");
    let root = ca("mtls demo Root CA").try_self_signed().map_err(rc)?;
    let inter = ca("mtls demo Issuing CA")
        .try_signed_by(&root)
        .map_err(rc)?;
    let issue = |spec: Result<CertSpec, rcgen::Error>, by: &Node| {
        spec.and_then(|s| s.try_signed_by(by)).map_err(rc)
    };
    let server = issue(localhost(), &inter)?;
    let alice = issue(client("alice", Some("alice@example.com")), &inter)?;
    let partner = issue(client("partner", None), &inter)?;
    let expired = issue(
        client("alice", Some("alice@example.com")).map(CertSpec::expired_in_2020),
        &inter,
    )?;
    let other = ca("Untrusted CA").try_self_signed().map_err(rc)?;
    let untrusted = issue(client("alice", Some("alice@example.com")), &other)?;

    inter.save(dir, "intermediate-ca")?;
    Ok(Pki {
        root: root.save(dir, "root-ca")?,
        server: server.save(dir, "server")?,
        alice: alice.save(dir, "alice")?,
        partner: partner.save(dir, "partner")?,
        untrusted: untrusted.save(dir, "untrusted")?,
        expired: expired.save(dir, "expired")?,
    })
}
