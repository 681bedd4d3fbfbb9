//! The `mtls-load pki` PKI (the loopback benchmarks': mtls, nginx and the bare server load
//! the same files), generated at run time and written as PEM files. Nothing here panics.

use std::path::Path;

use rcgen::KeyUsagePurpose;

use crate::CertSpec;
use crate::files::write_file;
use crate::named::try_client_profile;

/// The client certificate's email SAN (the consumer's `subject_name`).
pub const CLIENT_EMAIL: &str = "client@example.test";

fn ca(cn: &str) -> CertSpec {
    CertSpec::ca(cn)
        .org("mtls-load")
        .key_usages(&[
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ])
        .aki()
}

fn client() -> Result<CertSpec, rcgen::Error> {
    Ok(try_client_profile("bench-client", Some(CLIENT_EMAIL))?
        .key_usages(&[KeyUsagePurpose::DigitalSignature]))
}

/// Generates the PKI and writes it to `dir`, which must exist: `root-ca.crt`,
/// `intermediate-ca.crt`, `server.crt` (leaf + intermediate) and `server.key` for
/// `localhost` / 127.0.0.1, `client.crt` (leaf + intermediate) and `client.key` with the
/// email SAN [`CLIENT_EMAIL`] (CN `bench-client`), `untrusted.crt` / `untrusted.key`, a client
/// certificate from a CA nobody trusts, and that CA as `untrusted-ca.crt`. Returns how many
/// files it wrote.
pub fn generate(dir: &Path) -> Result<usize, String> {
    let rc = |e: rcgen::Error| format!("generating the PKI: {e}");
    let root = ca("mtls-load Root CA").try_self_signed().map_err(rc)?;
    let inter = ca("mtls-load Issuing CA")
        .try_signed_by(&root)
        .map_err(rc)?;
    let server = crate::demo::localhost()
        .map(|s| s.key_usages(&[KeyUsagePurpose::DigitalSignature]))
        .and_then(|s| s.try_signed_by(&inter))
        .map_err(rc)?;
    let client_cert = client().and_then(|s| s.try_signed_by(&inter)).map_err(rc)?;
    let other = ca("mtls-load Untrusted CA").try_self_signed().map_err(rc)?;
    let untrusted = client().and_then(|s| s.try_signed_by(&other)).map_err(rc)?;

    write_file(&dir.join("root-ca.crt"), &root.pem(), false)?;
    write_file(&dir.join("intermediate-ca.crt"), &inter.pem(), false)?;
    server.save(dir, "server")?;
    client_cert.save(dir, "client")?;
    untrusted.save(dir, "untrusted")?;
    write_file(&dir.join("untrusted-ca.crt"), &other.pem(), false)?;
    Ok(9)
}
