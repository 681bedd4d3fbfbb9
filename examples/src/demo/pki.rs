//! The demo's PKI, generated at run time with rcgen and written as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    SanType,
};
use rustls::pki_types::CertificateDer;

/// A certificate and its key, with where they were written.
pub(crate) struct Pair {
    /// The chain a client or server sends, leaf first.
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// The key, PKCS#8 DER.
    pub(crate) key_der: Vec<u8>,
    /// The chain as PEM (leaf first).
    pub(crate) chain_pem: String,
    /// The key as PEM.
    pub(crate) key_pem: String,
    /// `NAME.crt` in the demo directory.
    pub(crate) cert_path: PathBuf,
    /// `NAME.key` in the demo directory.
    pub(crate) key_path: PathBuf,
}

/// Every certificate of the demo.
pub(crate) struct Pki {
    /// The root CA (trusted by the routes' plugins and by the self-test client).
    pub(crate) root: Pair,
    /// The gateway's server certificate for `localhost` (issued by the intermediate).
    pub(crate) server: Pair,
    /// CN alice with an email SAN: matched by an mtls_auth_credentials entry.
    pub(crate) alice: Pair,
    /// CN partner only: matched by username, and the authenticated group on /partner.
    pub(crate) partner: Pair,
    /// From a CA nobody trusts.
    pub(crate) untrusted: Pair,
    /// Issued by the intermediate, expired.
    pub(crate) expired: Pair,
}

fn ca_params(cn: &str) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "mtls demo");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

fn client_params(
    cn: &str,
    email: Option<&str>,
    expired: bool,
) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.use_authority_key_identifier_extension = true;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    if let Some(email) = email {
        p.subject_alt_names = vec![SanType::Rfc822Name(email.try_into()?)];
    }
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    Ok(p)
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

struct Signed {
    der: CertificateDer<'static>,
    pem: String,
    key: KeyPair,
}

fn save(dir: &Path, name: &str, leaf: &Signed, above: &[&Signed]) -> Result<Pair, String> {
    let mut chain = vec![leaf.der.clone()];
    let mut chain_pem = leaf.pem.clone();
    for ca in above {
        chain.push(ca.der.clone());
        chain_pem.push_str(&ca.pem);
    }
    let pair = Pair {
        chain,
        key_der: leaf.key.serialize_der(),
        chain_pem,
        key_pem: leaf.key.serialize_pem(),
        cert_path: dir.join(format!("{name}.crt")),
        key_path: dir.join(format!("{name}.key")),
    };
    write(&pair.cert_path, &pair.chain_pem, false)?;
    write(&pair.key_path, &pair.key_pem, true)?;
    Ok(pair)
}

/// Generates the demo PKI and writes it to `dir` (`NAME.crt` chains, `NAME.key` keys).
pub(crate) fn generate(dir: &Path) -> Result<Pki, String> {
    let rc = |e: rcgen::Error| format!("generating the demo PKI: {e}");
    let signed = |params: CertificateParams, issuer: Option<&Issuer<'_, &KeyPair>>| {
        let key = KeyPair::generate()?;
        let cert = match issuer {
            Some(i) => params.signed_by(&key, i)?,
            None => params.self_signed(&key)?,
        };
        Ok::<_, rcgen::Error>(Signed {
            der: cert.der().clone(),
            pem: cert.pem(),
            key,
        })
    };
    let root_params = ca_params("mtls demo Root CA").map_err(rc)?;
    let root = signed(root_params.clone(), None).map_err(rc)?;
    let root_issuer = Issuer::new(root_params, &root.key);
    let inter_params = ca_params("mtls demo Issuing CA").map_err(rc)?;
    let inter = signed(inter_params.clone(), Some(&root_issuer)).map_err(rc)?;
    let inter_issuer = Issuer::new(inter_params, &inter.key);

    let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(rc)?;
    server_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.use_authority_key_identifier_extension = true;
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = signed(server_params, Some(&inter_issuer)).map_err(rc)?;

    let alice = signed(
        client_params("alice", Some("alice@example.com"), false).map_err(rc)?,
        Some(&inter_issuer),
    )
    .map_err(rc)?;
    let partner = signed(
        client_params("partner", None, false).map_err(rc)?,
        Some(&inter_issuer),
    )
    .map_err(rc)?;
    let expired = signed(
        client_params("alice", Some("alice@example.com"), true).map_err(rc)?,
        Some(&inter_issuer),
    )
    .map_err(rc)?;
    let other_params = ca_params("Untrusted CA").map_err(rc)?;
    let other = signed(other_params.clone(), None).map_err(rc)?;
    let other_issuer = Issuer::new(other_params, &other.key);
    let untrusted = signed(
        client_params("alice", Some("alice@example.com"), false).map_err(rc)?,
        Some(&other_issuer),
    )
    .map_err(rc)?;

    save(dir, "intermediate-ca", &inter, &[])?;
    Ok(Pki {
        root: save(dir, "root-ca", &root, &[])?,
        server: save(dir, "server", &server, &[&inter])?,
        alice: save(dir, "alice", &alice, &[&inter])?,
        partner: save(dir, "partner", &partner, &[&inter])?,
        untrusted: save(dir, "untrusted", &untrusted, &[])?,
        expired: save(dir, "expired", &expired, &[&inter])?,
    })
}
