//! `ca_certificates` (checked by mtls-cert, Kong's messages), `certificates` (chain and key
//! checked by rustls) and `snis` (names checked by mtls-sni).

use std::sync::Arc;

use mtls_cert::CaCertificate;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use uuid::Uuid;

use super::Table;
use crate::config::entities::{Certificate, Sni};
use crate::config::error::{Errors, join};
use crate::config::flat::Located;
use crate::config::spec::{CaCertificateSpec, CertificateSpec, SniSpec};

pub(super) struct CaCertificates {
    pub(super) table: Table,
    pub(super) entities: Vec<CaCertificate>,
}

pub(super) fn ca_certificates(
    items: Vec<Located<CaCertificateSpec>>,
    now: UnixTime,
    errors: &mut Errors,
) -> CaCertificates {
    let mut table = Table::new("ca_certificates");
    let mut digests: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut entities = Vec::with_capacity(items.len());
    for Located { path, spec, .. } in items {
        let cert_path = join(&path, "cert");
        let parsed = if spec.cert.trim().is_empty() {
            errors.push(&cert_path, "required field missing");
            None
        } else {
            match CaCertificate::new(Uuid::nil(), spec.cert.as_bytes(), now) {
                Ok(ca) => Some(ca),
                Err(e) => {
                    errors.push(&cert_path, e.to_string());
                    None
                }
            }
        };
        let digest = parsed.as_ref().map(|ca| ca.cert_digest().to_owned());
        let (_, id) = table.add(spec.id, digest.as_deref(), &path, errors);
        let Some(ca) = parsed else { continue };
        if let Some(given) = &spec.cert_digest
            && !given.eq_ignore_ascii_case(ca.cert_digest())
        {
            errors.push(
                join(&path, "cert_digest"),
                format!(
                    "does not match the certificate (its SHA-256 is {})",
                    ca.cert_digest()
                ),
            );
        }
        if let Some(first) = digests.get(ca.cert_digest()) {
            errors.push(
                join(&path, "cert"),
                format!(
                    "UNIQUE violation detected on '{{cert_digest=\"{}\"}}': the same \
                     certificate is {first}",
                    ca.cert_digest()
                ),
            );
            continue;
        }
        digests.insert(ca.cert_digest().to_owned(), path.clone());
        entities.push(CaCertificate::trusted(id, ca.certificate().clone()));
    }
    CaCertificates { table, entities }
}

pub(super) struct Certificates {
    pub(super) table: Table,
    pub(super) entities: Vec<Certificate>,
    pub(super) snis: Vec<Sni>,
}

pub(super) fn certificates(
    items: Vec<Located<CertificateSpec>>,
    snis: Vec<Located<SniSpec>>,
    errors: &mut Errors,
) -> Certificates {
    let mut table = Table::new("certificates");
    let mut entities: Vec<Option<Certificate>> = Vec::with_capacity(items.len());
    for Located { path, spec, .. } in items {
        let (_, id) = table.add(spec.id, None, &path, errors);
        let main = chain_and_key(&spec.cert, &spec.key, &path, ("cert", "key"), errors);
        let alt = match (&spec.cert_alt, &spec.key_alt) {
            (None, None) => Some(None),
            (Some(cert), Some(key)) => {
                chain_and_key(cert, key, &path, ("cert_alt", "key_alt"), errors).map(Some)
            }
            (Some(_), None) | (None, Some(_)) => {
                errors.push(
                    join(&path, "cert_alt"),
                    "all or none of these fields must be set: 'cert_alt', 'key_alt'",
                );
                None
            }
        };
        entities.push(match (main, alt) {
            (Some((chain, key)), Some(alt)) => Some(Certificate {
                id,
                chain,
                key,
                alt,
                snis: Vec::new(),
                tags: spec.tags,
            }),
            _ => None,
        });
    }

    let mut sni_table = Table::new("snis");
    let mut sni_out = Vec::with_capacity(snis.len());
    for Located { path, spec, parent } in snis {
        let name_path = join(&path, "name");
        let (position, id) = sni_table.add(spec.id, Some(&spec.name), &path, errors);
        if spec.name.is_empty() {
            errors.push(&name_path, "required field missing");
        } else if let Err(e) = mtls_sni::SniPattern::parse(&spec.name) {
            errors.push(&name_path, e.to_string());
        } else {
            sni_table.add_name(
                &spec.name.to_ascii_lowercase(),
                position,
                &name_path,
                errors,
            );
        }
        let certificate = super::foreign(
            parent,
            spec.certificate.as_ref(),
            &table,
            &path,
            "certificate",
            errors,
        );
        let Some(certificate) = certificate else {
            if parent.is_none() && spec.certificate.is_none() {
                errors.push(join(&path, "certificate"), "required field missing");
            }
            continue;
        };
        if let Some(Some(cert)) = entities
            .iter_mut()
            .find(|c| c.as_ref().is_some_and(|c| c.id == certificate))
        {
            cert.snis.push(spec.name.clone());
        }
        sni_out.push(Sni {
            id,
            name: spec.name,
            certificate,
            tags: spec.tags,
        });
    }
    Certificates {
        table,
        entities: entities.into_iter().flatten().collect(),
        snis: sni_out,
    }
}

type ChainAndKey = (Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>);

/// Parses a PEM chain and key and checks that the key is the leaf's (rustls' check).
fn chain_and_key(
    cert: &str,
    key: &str,
    path: &str,
    (cert_field, key_field): (&str, &str),
    errors: &mut Errors,
) -> Option<ChainAndKey> {
    let cert_path = join(path, cert_field);
    let key_path = join(path, key_field);
    let chain = if cert.trim().is_empty() {
        errors.push(&cert_path, "required field missing");
        None
    } else {
        match CertificateDer::pem_slice_iter(cert.as_bytes()).collect::<Result<Vec<_>, _>>() {
            Ok(chain) if chain.is_empty() => {
                errors.push(&cert_path, "invalid certificate: no PEM CERTIFICATE block");
                None
            }
            Ok(chain) => Some(chain),
            Err(e) => {
                errors.push(&cert_path, format!("invalid certificate: {e}"));
                None
            }
        }
    };
    let private_key = if key.trim().is_empty() {
        errors.push(&key_path, "required field missing");
        None
    } else {
        match PrivateKeyDer::from_pem_slice(key.as_bytes()) {
            Ok(k) => Some(k),
            Err(e) => {
                errors.push(&key_path, format!("invalid key: {e}"));
                None
            }
        }
    };
    let (chain, private_key) = (chain?, private_key?);
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    match rustls::sign::CertifiedKey::from_der(chain.clone(), private_key.clone_key(), &provider) {
        Ok(_) => Some((chain, Arc::new(private_key))),
        Err(rustls::Error::InconsistentKeys(_)) => {
            errors.push(&key_path, "certificate does not match key");
            None
        }
        Err(e) => {
            errors.push(&cert_path, format!("invalid certificate or key: {e}"));
            None
        }
    }
}
