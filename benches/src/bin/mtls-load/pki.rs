//! `mtls-load pki`: the benchmark's PKI, generated with rcgen (P-256) and written as PEM.
//!
//! Files: `root-ca.crt`, `intermediate-ca.crt`, `server.crt` (leaf + intermediate) and
//! `server.key` for `localhost` / 127.0.0.1, `client.crt` (leaf + intermediate) and `client.key`
//! with the email SAN `client@example.test` (CN `bench-client`), and `untrusted.crt` /
//! `untrusted.key`, a client certificate from a CA nobody trusts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// The client certificate's email SAN (the consumer's `subject_name`).
pub(crate) const CLIENT_EMAIL: &str = "client@example.test";

/// Arguments of `mtls-load pki`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The directory the PEM files are written to (created if missing).
    #[arg(long)]
    out: PathBuf,
}

struct Signed {
    pem: String,
    key: KeyPair,
}

fn ca_params(cn: &str) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "mtls-load");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

fn client_params(cn: &str) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names = vec![SanType::Rfc822Name(CLIENT_EMAIL.try_into()?)];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

fn sign(
    params: CertificateParams,
    issuer: Option<&Issuer<'_, &KeyPair>>,
) -> Result<Signed, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert = match issuer {
        Some(i) => params.signed_by(&key, i)?,
        None => params.self_signed(&key)?,
    };
    Ok(Signed {
        pem: cert.pem(),
        key,
    })
}

/// Writes a file; keys are readable by their owner only.
fn write(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if secret {
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `mtls-load pki`.
pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    let dir = &args.out;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let rc = |e: rcgen::Error| format!("generating the PKI: {e}");

    let root_params = ca_params("mtls-load Root CA").map_err(rc)?;
    let root = sign(root_params.clone(), None).map_err(rc)?;
    let root_issuer = Issuer::new(root_params, &root.key);
    let inter_params = ca_params("mtls-load Issuing CA").map_err(rc)?;
    let inter = sign(inter_params.clone(), Some(&root_issuer)).map_err(rc)?;
    let inter_issuer = Issuer::new(inter_params, &inter.key);

    let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(rc)?;
    server_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.use_authority_key_identifier_extension = true;
    let server = sign(server_params, Some(&inter_issuer)).map_err(rc)?;

    let client = sign(
        client_params("bench-client").map_err(rc)?,
        Some(&inter_issuer),
    )
    .map_err(rc)?;

    let other_params = ca_params("mtls-load Untrusted CA").map_err(rc)?;
    let other = sign(other_params.clone(), None).map_err(rc)?;
    let other_issuer = Issuer::new(other_params, &other.key);
    let untrusted = sign(
        client_params("bench-client").map_err(rc)?,
        Some(&other_issuer),
    )
    .map_err(rc)?;

    let files: [(&str, String, bool); 9] = [
        ("root-ca.crt", root.pem.clone(), false),
        ("intermediate-ca.crt", inter.pem.clone(), false),
        ("server.crt", format!("{}{}", server.pem, inter.pem), false),
        ("server.key", server.key.serialize_pem(), true),
        ("client.crt", format!("{}{}", client.pem, inter.pem), false),
        ("client.key", client.key.serialize_pem(), true),
        ("untrusted.crt", untrusted.pem.clone(), false),
        ("untrusted.key", untrusted.key.serialize_pem(), true),
        ("untrusted-ca.crt", other.pem.clone(), false),
    ];
    for (name, text, secret) in &files {
        write(&dir.join(name), text, *secret)?;
    }
    println!(
        "mtls-load pki: wrote {} files to {} (client email SAN {CLIENT_EMAIL})",
        files.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
