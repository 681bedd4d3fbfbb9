//! RFC 5280 profile rules for `ValidationOptions::strict` (off by default, as OpenSSL and
//! Kong do not enforce them): rules a conforming CA must follow whose absence webpki, OpenSSL
//! and Kong tolerate. They make the validator refuse malformed-but-workable certificates, so
//! they are opt-in; the conformance harness runs with them on.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280 as oids;
use der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, KeyUsage, NameConstraints,
    SubjectKeyIdentifier,
};

use crate::SanKind;
use crate::certificate::Certificate;
use crate::error::ValidationError;
use crate::host_names::{Host, host_of};
use crate::options::{Purpose, what};
use crate::signature::{split_spki, tlv};

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const CURVES: &[ObjectIdentifier] = &[
    ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7"),
    ObjectIdentifier::new_unwrap("1.3.132.0.34"),
    ObjectIdentifier::new_unwrap("1.3.132.0.35"),
];

/// Bits of an RSA modulus, from the subjectPublicKey bits (`RSAPublicKey`).
fn rsa_modulus_bits(key: &[u8]) -> Option<usize> {
    let (0x30, body, _, _) = tlv(key)? else {
        return None;
    };
    let (0x02, n, _, _) = tlv(body)? else {
        return None;
    };
    let start = n.iter().position(|&b| b != 0)?;
    let digits = n.get(start..)?;
    let first = *digits.first()?;
    Some(digits.len() * 8 - first.leading_zeros() as usize)
}

/// The key must be one a TLS peer can use safely: RSA of at least 2048 bits (a multiple of
/// 8), ECDSA on P-256/P-384/P-521, or Ed25519.
fn check_key(cert: &Certificate) -> Result<(), String> {
    let spki = cert.x509().tbs_certificate().subject_public_key_info();
    let alg = &spki.algorithm;
    if alg.oid == RSA || alg.oid == RSA_PSS {
        let der = cert.spki_der();
        let bits = split_spki(&der)
            .and_then(|(_, key)| rsa_modulus_bits(key))
            .ok_or("malformed RSA public key")?;
        if bits < 2048 || bits % 8 != 0 {
            return Err(format!(
                "RSA key of {bits} bits (at least 2048, a multiple of 8)"
            ));
        }
        return Ok(());
    }
    if alg.oid == EC {
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or("EC key without a named curve")?;
        return if CURVES.contains(&curve) {
            Ok(())
        } else {
            Err(format!("EC key on unsupported curve {curve}"))
        };
    }
    if alg.oid == ED25519 {
        return Ok(());
    }
    Err(format!("unsupported public key algorithm {}", alg.oid))
}

fn ext(cert: &Certificate, oid: ObjectIdentifier) -> Option<&x509_cert::ext::Extension> {
    cert.x509()
        .tbs_certificate()
        .extensions()?
        .iter()
        .find(|e| e.extn_id == oid)
}

fn is_ldh_dns(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The rules for one certificate at `index` of a path of `len` (leaf 0, anchor last).
fn check_one(
    cert: &Certificate,
    index: usize,
    len: usize,
    purpose: &Purpose,
) -> Result<(), String> {
    let tbs = cert.x509().tbs_certificate();
    let is_ca = cert.is_ca();
    let self_issued = cert.is_self_issued();
    let self_signed = self_issued && crate::signature::verify_cert_signature(cert, cert).is_ok();
    let is_anchor = index + 1 == len;

    check_key(cert)?;

    let serial = cert.serial_bytes();
    let not_positive =
        serial.iter().all(|&b| b == 0) || serial.first().is_some_and(|b| b & 0x80 != 0);
    // Trust anchors are taken as configured (a real root, Starfield G2, has serial 0).
    if not_positive && !is_anchor {
        return Err("serial number is not a positive integer".into());
    }

    match ext(cert, oids::ID_CE_AUTHORITY_KEY_IDENTIFIER) {
        Some(e) if e.critical => return Err("authorityKeyIdentifier is critical".into()),
        Some(e) => {
            let aki = AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes())
                .map_err(|e| format!("authorityKeyIdentifier: {e}"))?;
            if self_signed {
                let ski = ext(cert, oids::ID_CE_SUBJECT_KEY_IDENTIFIER)
                    .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok());
                match (&aki.key_identifier, ski) {
                    (None, _) => return Err("self-signed AKI without keyIdentifier".into()),
                    (Some(k), Some(ski)) if *k != ski.0 => {
                        return Err("self-signed AKI keyIdentifier differs from its SKI".into());
                    }
                    _ => {}
                }
                if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial_number.is_some()
                {
                    return Err("self-signed AKI names an issuer or serial".into());
                }
            }
        }
        // A trust anchor is taken as configured, AKI or not (x509-limbo's cve-2024-0567
        // trusts a cross-signed root without one).
        None if !self_issued && !is_anchor => {
            return Err("authorityKeyIdentifier missing (RFC 5280 4.2.1.1)".into());
        }
        None => {}
    }

    match ext(cert, oids::ID_CE_SUBJECT_KEY_IDENTIFIER) {
        Some(e) if e.critical => return Err("subjectKeyIdentifier is critical".into()),
        None if is_ca => return Err("CA without subjectKeyIdentifier (RFC 5280 4.2.1.2)".into()),
        _ => {}
    }

    // A non-critical basicConstraints in a CA is tolerated: PKITS 4.6.4 expects a validator
    // to accept it (the MUST binds issuing CAs, not relying parties).
    if is_ca && tbs.subject().is_empty() {
        return Err("CA with an empty subject".into());
    }

    if let Some(e) = ext(cert, oids::ID_CE_KEY_USAGE) {
        let ku =
            KeyUsage::from_der(e.extn_value.as_bytes()).map_err(|e| format!("keyUsage: {e}"))?;
        if ku.key_cert_sign() && !is_ca {
            return Err("keyCertSign asserted without basicConstraints cA".into());
        }
    }

    match ext(cert, oids::ID_CE_SUBJECT_ALT_NAME) {
        Some(e) if tbs.subject().is_empty() && !e.critical => {
            return Err("empty subject with a non-critical subjectAltName".into());
        }
        Some(e) if !tbs.subject().is_empty() && e.critical && index == 0 => {
            return Err("critical subjectAltName with a non-empty subject".into());
        }
        None if tbs.subject().is_empty() && index == 0 => {
            return Err("empty subject without subjectAltName".into());
        }
        _ => {}
    }

    if let Some(e) = ext(cert, oids::ID_CE_NAME_CONSTRAINTS) {
        if !is_ca {
            return Err("nameConstraints in a certificate that is not a CA".into());
        }
        // A non-critical nameConstraints is tolerated, as webpki does (limbo's rfc5280 and
        // webpki namespaces disagree on it).
        let _ = e.critical;
        let nc = NameConstraints::from_der(e.extn_value.as_bytes())
            .map_err(|e| format!("nameConstraints: {e}"))?;
        let empty = |s: &Option<Vec<_>>| s.as_ref().is_none_or(Vec::is_empty);
        if empty(&nc.permitted_subtrees) && empty(&nc.excluded_subtrees) {
            return Err("nameConstraints with neither permitted nor excluded subtrees".into());
        }
        let all = nc
            .permitted_subtrees
            .iter()
            .chain(nc.excluded_subtrees.iter());
        for subtree in all.flatten() {
            if let GeneralName::DnsName(d) = &subtree.base
                && d.as_str().starts_with('.')
            {
                return Err(format!(
                    "dNSName constraint {:?} starts with a period",
                    d.as_str()
                ));
            }
        }
    }

    if let Some(e) = ext(cert, oids::ID_PE_AUTHORITY_INFO_ACCESS) {
        AuthorityInfoAccessSyntax::from_der(e.extn_value.as_bytes())
            .map_err(|e| format!("authorityInfoAccess: {e}"))?;
    }

    if index == 0 && purpose.is_server() {
        for san in cert.sans() {
            if san.kind == SanKind::Dns && !is_ldh_dns(&san.value) {
                return Err(format!("dNSName {:?} is not a valid host name", san.value));
            }
        }
        check_cn_copied(cert)?;
    }
    Ok(())
}

/// CA/Browser Forum BR 7.1.4.3, for a server leaf: a CN that names the host or address of a
/// dNSName or iPAddress SAN must be a character-for-character copy of it (an address in its
/// canonical text: IPv4 dotted decimal, IPv6 as RFC 5952 writes it). A CN that names no SAN
/// at all is tolerated: RFC 5280 sets no such rule, and x509-limbo's own RFC 5280 cases carry
/// such CNs.
fn check_cn_copied(cert: &Certificate) -> Result<(), String> {
    let hosts: Vec<(&str, Option<Host>)> = cert
        .sans()
        .iter()
        .filter(|s| matches!(s.kind, SanKind::Dns | SanKind::Ip))
        .map(|s| (s.value.as_str(), host_of(&s.value)))
        .collect();
    let subject = cert.x509().tbs_certificate().subject();
    for attr in crate::name::attributes(subject) {
        if attr.key != "CN" || hosts.iter().any(|(text, _)| *text == attr.value) {
            continue;
        }
        let Some(named) = host_of(&attr.value) else {
            continue;
        };
        if let Some((text, _)) = hosts.iter().find(|(_, h)| h.as_ref() == Some(&named)) {
            return Err(format!(
                "CN {:?} names the SAN {text} but is not a copy of it (CA/Browser Forum BR \
                 7.1.4.3)",
                attr.value
            ));
        }
    }
    Ok(())
}

/// Applies the strict profile to every certificate of `path` (leaf first, anchor last).
pub(crate) fn check_path(path: &[&Certificate], purpose: &Purpose) -> Result<(), ValidationError> {
    let len = path.len();
    for (i, cert) in path.iter().enumerate() {
        check_one(cert, i, len, purpose).map_err(|rule| ValidationError::Rfc5280 {
            what: what(i, len),
            subject: cert.subject_dn().to_owned(),
            rule,
        })?;
    }
    Ok(())
}
