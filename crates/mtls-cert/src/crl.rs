//! Certificate revocation lists: parsed and signature-checked once, then answered by serial
//! lookup (webpki re-verifies a CRL's signature on every lookup; this does not).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use pki_types::UnixTime;
use sha2::{Digest, Sha256};

use x509_cert::certificate::Rfc5280;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::DistributionPointName;
use x509_cert::ext::pkix::{CrlDistributionPoints, CrlReason, IssuingDistributionPoint, KeyUsage};

use crate::ca::CaSet;
use crate::certificate::{Certificate, rfc3339, serial_hex, to_unix};
use crate::error::Error;
use crate::limits::MAX_CRL_SIZE;
use crate::options::what;
use crate::signature::verify_signed;
use crate::validate::VerifiedChain;

const CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
const DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");
const ISSUING_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");
const AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const ISSUER_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.18");
const FRESHEST_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.46");
const REASON_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
const INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");
const HOLD_INSTRUCTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.23");
const CERTIFICATE_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.29");

/// Which certificates of a verified chain are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RevocationScope {
    /// The leaf only (Kong's behaviour).
    #[default]
    Leaf,
    /// The leaf and every intermediate (the anchor is trusted as configured).
    Chain,
}

/// The revocation answer for a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationStatus {
    /// A valid CRL from the right issuer covers every checked certificate, and none is listed.
    Good,
    /// A checked certificate is listed as revoked.
    Revoked {
        /// `leaf` or `intermediate N`.
        what: String,
        /// Its subject DN.
        subject: String,
        /// Its serial (uppercase hex).
        serial: String,
        /// The revocation time (RFC 3339).
        revoked_at: String,
    },
    /// No usable CRL covers a checked certificate; the policy (Kong's IGNORE_CA_ERROR or
    /// STRICT) decides.
    Unknown {
        /// `leaf` or `intermediate N`.
        what: String,
        /// Its subject DN.
        subject: String,
        /// Why no CRL answered.
        reason: String,
    },
}

/// Signature verdicts remembered per CRL whose issuer was unknown at load (one per issuer key
/// tried); past it, verdicts are computed again rather than stored.
const MAX_DEFERRED_VERDICTS: usize = 64;

/// Who signed a CRL, as far as it is known.
#[derive(Debug)]
enum Signer {
    /// Verified at load with this SubjectPublicKeyInfo (DER).
    Known(Vec<u8>),
    /// Issuer not in the CA set at load: verified on first use against the path's issuer,
    /// the verdict remembered per issuer key (SHA-256 of its SPKI).
    Deferred(Mutex<Vec<([u8; 32], bool)>>),
}

#[derive(Debug)]
struct Crl {
    der: Vec<u8>,
    issuer_der: Vec<u8>,
    issuer_dn: String,
    this_update: UnixTime,
    next_update: Option<UnixTime>,
    /// Revoked serials (two's complement bytes as encoded) and when.
    revoked: HashMap<Vec<u8>, UnixTime>,
    idp: Option<IssuingDistributionPoint>,
    signer: Signer,
}

/// A set of CRLs, each parsed and (where its issuer is known) signature-checked once.
/// Cheap to clone (shared).
///
/// ```
/// let set = mtls_cert::CaSet::new(vec![]).unwrap();
/// let err = mtls_cert::CrlSet::load(&[b"not a crl".as_slice()], &set).unwrap_err();
/// assert!(err.to_string().starts_with("CRL 0 is malformed"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct CrlSet(Arc<Vec<Crl>>);

fn crl_ders(input: &[u8], first_index: usize) -> Result<Vec<Vec<u8>>, Error> {
    let malformed = |index, reason: String| Error::MalformedCrl { index, reason };
    if input.len() > MAX_CRL_SIZE {
        return Err(malformed(
            first_index,
            format!("{} bytes, over the limit of {MAX_CRL_SIZE}", input.len()),
        ));
    }
    if input.first() == Some(&0x30) {
        return Ok(vec![input.to_vec()]);
    }
    let text = std::str::from_utf8(input)
        .map_err(|_| malformed(first_index, "neither DER nor PEM".to_owned()))?;
    let mut out = Vec::new();
    let mut rest = text;
    const BEGIN: &str = "-----BEGIN X509 CRL-----";
    const END: &str = "-----END X509 CRL-----";
    while let Some(start) = rest.find(BEGIN) {
        let Some(end) = rest[start..].find(END) else {
            return Err(malformed(
                first_index + out.len(),
                "no END X509 CRL line".to_owned(),
            ));
        };
        let block = &rest[start..start + end + END.len()];
        let (_, der) = pem_rfc7468::decode_vec(block.as_bytes())
            .map_err(|e| malformed(first_index + out.len(), e.to_string()))?;
        out.push(der);
        rest = &rest[start + end + END.len()..];
    }
    if out.is_empty() {
        return Err(malformed(first_index, "no X509 CRL block".to_owned()));
    }
    Ok(out)
}

fn can_sign_crls(cert: &Certificate) -> bool {
    match cert.x509().tbs_certificate().get_extension::<KeyUsage>() {
        Ok(Some((_, ku))) => ku.crl_sign(),
        Ok(None) => true,
        Err(_) => false,
    }
}

fn parse_crl(der: Vec<u8>, index: usize, cas: &CaSet, strict: bool) -> Result<Crl, Error> {
    let list = CertificateList::<Rfc5280>::from_der(&der).map_err(|e| Error::MalformedCrl {
        index,
        reason: e.to_string(),
    })?;
    let tbs = &list.tbs_cert_list;
    let issuer_dn = crate::name::rfc2253(&tbs.issuer);
    let unsupported = |reason: String| Error::UnsupportedCrl {
        index,
        issuer: issuer_dn.clone(),
        reason,
    };
    let mut idp = None;
    let mut has_number = false;
    for ext in tbs.crl_extensions.as_deref().unwrap_or(&[]) {
        match ext.extn_id {
            CRL_NUMBER if strict && ext.critical => {
                return Err(unsupported(
                    "cRLNumber is critical (RFC 5280 5.2.3)".to_owned(),
                ));
            }
            CRL_NUMBER => has_number = true,
            DELTA_CRL_INDICATOR => return Err(unsupported("delta CRL".to_owned())),
            ISSUING_DP => {
                let dp = IssuingDistributionPoint::from_der(ext.extn_value.as_bytes())
                    .map_err(|e| unsupported(format!("issuingDistributionPoint: {e}")))?;
                if dp.indirect_crl {
                    return Err(unsupported("indirect CRL".to_owned()));
                }
                if dp.only_some_reasons.is_some() {
                    return Err(unsupported("CRL partitioned by reasons".to_owned()));
                }
                if dp.only_contains_attribute_certs {
                    return Err(unsupported("attribute-certificate CRL".to_owned()));
                }
                idp = Some(dp);
            }
            AKI | ISSUER_ALT_NAME | FRESHEST_CRL => {}
            other if ext.critical => {
                return Err(unsupported(format!("critical extension {other}")));
            }
            _ => {}
        }
    }
    if strict && !has_number {
        return Err(unsupported("no cRLNumber (RFC 5280 5.2.3)".to_owned()));
    }
    let mut revoked = HashMap::new();
    for entry in tbs.revoked_certificates.as_deref().unwrap_or(&[]) {
        let mut remove = false;
        for ext in entry.crl_entry_extensions.as_deref().unwrap_or(&[]) {
            match ext.extn_id {
                REASON_CODE => {
                    if let Ok(reason) = CrlReason::from_der(ext.extn_value.as_bytes()) {
                        remove = reason == CrlReason::RemoveFromCRL;
                    }
                }
                CERTIFICATE_ISSUER => return Err(unsupported("indirect CRL entry".to_owned())),
                INVALIDITY_DATE | HOLD_INSTRUCTION => {}
                other if ext.critical => {
                    return Err(unsupported(format!("critical entry extension {other}")));
                }
                _ => {}
            }
        }
        if !remove {
            revoked.insert(
                entry.serial_number.as_bytes().to_vec(),
                to_unix(entry.revocation_date.to_unix_duration()),
            );
        }
    }
    let issuer_der = tbs.issuer.to_der().map_err(|e| Error::MalformedCrl {
        index,
        reason: e.to_string(),
    })?;
    let candidates: Vec<&Certificate> = cas
        .cas()
        .iter()
        .map(|c| c.certificate())
        .filter(|c| c.subject_der() == issuer_der)
        .collect();
    let signer = if candidates.is_empty() {
        Signer::Deferred(Mutex::new(Vec::new()))
    } else {
        let spki = candidates
            .iter()
            .filter(|c| can_sign_crls(c))
            .map(|c| c.spki_der())
            .find(|spki| verify_signed(&der, spki).is_ok())
            .ok_or_else(|| Error::CrlIssuerNotFound {
                index,
                issuer: issuer_dn.clone(),
                reason: "the signature does not verify with any CA of that name allowed to \
                         sign CRLs"
                    .to_owned(),
            })?;
        Signer::Known(spki)
    };
    Ok(Crl {
        issuer_dn,
        this_update: to_unix(tbs.this_update.to_unix_duration()),
        next_update: tbs.next_update.map(|t| to_unix(t.to_unix_duration())),
        revoked,
        idp,
        signer,
        issuer_der,
        der,
    })
}

impl Crl {
    /// Whether this CRL was signed by `issuer` (checked once per issuer key).
    fn signed_by(&self, issuer: &Certificate) -> bool {
        let spki = issuer.spki_der();
        match &self.signer {
            Signer::Known(known) => *known == spki,
            Signer::Deferred(seen) => {
                let key: [u8; 32] = Sha256::digest(&spki).into();
                if let Ok(seen) = seen.lock()
                    && let Some((_, ok)) = seen.iter().find(|(k, _)| *k == key)
                {
                    return *ok;
                }
                let ok = can_sign_crls(issuer) && verify_signed(&self.der, &spki).is_ok();
                if let Ok(mut seen) = seen.lock()
                    && seen.len() < MAX_DEFERRED_VERDICTS
                {
                    seen.push((key, ok));
                }
                ok
            }
        }
    }

    /// Whether the CRL's scope (issuingDistributionPoint) covers `cert`.
    fn covers(&self, cert: &Certificate) -> bool {
        let Some(idp) = &self.idp else {
            return true;
        };
        if idp.only_contains_user_certs && cert.is_ca() {
            return false;
        }
        if idp.only_contains_ca_certs && !cert.is_ca() {
            return false;
        }
        let Some(DistributionPointName::FullName(idp_names)) = &idp.distribution_point else {
            return idp.distribution_point.is_none();
        };
        let Ok(Some((_, dps))) = cert
            .x509()
            .tbs_certificate()
            .get_extension::<CrlDistributionPoints>()
        else {
            return false;
        };
        dps.0.iter().any(|dp| match &dp.distribution_point {
            Some(DistributionPointName::FullName(names)) => {
                names.iter().any(|n| idp_names.contains(n))
            }
            _ => false,
        })
    }
}

impl CrlSet {
    /// Loads CRLs (each input DER, or PEM with one or more `X509 CRL` blocks). A CRL whose
    /// issuer is in `cas` has its signature verified now, and a bad one is refused; one whose
    /// issuer is not (an intermediate's CRL) is verified once, on first use, against the
    /// issuer on the path. Delta, indirect and reason-partitioned CRLs, and CRLs with unknown
    /// critical extensions, are refused rather than misread.
    pub fn load(inputs: &[&[u8]], cas: &CaSet) -> Result<Self, Error> {
        Self::load_inner(inputs, cas, false)
    }

    /// [`CrlSet::load`] that also refuses CRLs breaking RFC 5280's profile: a missing or
    /// critical cRLNumber.
    pub fn load_strict(inputs: &[&[u8]], cas: &CaSet) -> Result<Self, Error> {
        Self::load_inner(inputs, cas, true)
    }

    fn load_inner(inputs: &[&[u8]], cas: &CaSet, strict: bool) -> Result<Self, Error> {
        let mut crls = Vec::new();
        for input in inputs {
            for der in crl_ders(input, crls.len())? {
                let index = crls.len();
                crls.push(parse_crl(der, index, cas, strict)?);
            }
        }
        Ok(CrlSet(Arc::new(crls)))
    }

    /// How many CRLs the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set holds no CRL.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The earliest nextUpdate of the set's CRLs: a cache must not keep the set past it.
    /// `None` when no CRL has one (or the set is empty).
    pub fn next_update(&self) -> Option<UnixTime> {
        self.0.iter().filter_map(|c| c.next_update).min()
    }

    /// The status of `cert`, issued by `issuer`, at `at`: `Ok(None)` when a usable CRL says
    /// good, `Ok(Some(time))` when revoked, `Err(reason)` when no usable CRL covers it.
    fn status_of(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: UnixTime,
    ) -> Result<Option<UnixTime>, String> {
        // The CRL names the issuer as the certificate does, or as the issuer's certificate
        // does (path building matched the two with RFC 5280 section 7.1's comparison).
        let issuer_der = cert.issuer_der();
        let subject_der = issuer.subject_der();
        let mut reason = format!("no CRL from {}", cert.issuer_dn());
        let mut answered = false;
        let named = |c: &&Crl| c.issuer_der == issuer_der || c.issuer_der == subject_der;
        for crl in self.0.iter().filter(named) {
            if !crl.signed_by(issuer) {
                reason = format!("the CRL from {} is not signed by the issuer", crl.issuer_dn);
                continue;
            }
            if !crl.covers(cert) {
                reason = format!("the CRL from {} does not cover it", crl.issuer_dn);
                continue;
            }
            if at < crl.this_update {
                reason = format!("the CRL is not valid before {}", rfc3339(crl.this_update));
                continue;
            }
            if let Some(next) = crl.next_update
                && at > next
            {
                reason = format!("the CRL expired at {}", rfc3339(next));
                continue;
            }
            if let Some(when) = crl.revoked.get(cert.serial_bytes()) {
                return Ok(Some(*when));
            }
            answered = true;
        }
        if answered { Ok(None) } else { Err(reason) }
    }

    /// Checks a verified chain's leaf (or every certificate but the anchor) at `at`.
    /// A revoked certificate wins over an unknown one; the first of either is reported.
    pub fn check(
        &self,
        chain: &VerifiedChain,
        scope: RevocationScope,
        at: UnixTime,
    ) -> RevocationStatus {
        let path = chain.path();
        let checked = match scope {
            RevocationScope::Leaf => 1,
            RevocationScope::Chain => path.len().saturating_sub(1),
        };
        let mut unknown = None;
        for (i, cert) in path.iter().enumerate().take(checked) {
            let Some(issuer) = chain.issuer_of(i) else {
                break;
            };
            match self.status_of(cert, issuer, at) {
                Ok(None) => {}
                Ok(Some(when)) => {
                    return RevocationStatus::Revoked {
                        what: what(i, path.len()),
                        subject: cert.subject_dn().to_owned(),
                        serial: serial_hex(cert.serial_bytes()),
                        revoked_at: rfc3339(when),
                    };
                }
                Err(reason) => {
                    unknown.get_or_insert(RevocationStatus::Unknown {
                        what: what(i, path.len()),
                        subject: cert.subject_dn().to_owned(),
                        reason,
                    });
                }
            }
        }
        unknown.unwrap_or(RevocationStatus::Good)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn self_signed(cn: &str) -> (Certificate, mtls_test_pki::Node) {
        let node = mtls_test_pki::CertSpec::ca(cn).self_signed();
        (Certificate::from_der(&node.der()).unwrap(), node)
    }

    /// A CRL verified on first use remembers at most `MAX_DEFERRED_VERDICTS` issuer keys,
    /// and answers correctly past that bound.
    #[test]
    fn deferred_verdicts_are_bounded() {
        let (ca, node) = self_signed("CRL CA");
        let crl = mtls_test_pki::CrlSpec::revoking(&[]).sign(&node);
        let set = CrlSet::load(&[crl.der().as_ref()], &CaSet::empty()).unwrap();
        let loaded = &set.0[0];
        for i in 0..MAX_DEFERRED_VERDICTS + 10 {
            let (other, _) = self_signed(&format!("Other {i}"));
            assert!(!loaded.signed_by(&other));
        }
        assert!(
            loaded.signed_by(&ca),
            "the real issuer still verifies past the bound"
        );
        let Signer::Deferred(seen) = &loaded.signer else {
            panic!("the issuer was unknown at load");
        };
        assert_eq!(seen.lock().unwrap().len(), MAX_DEFERRED_VERDICTS);
    }
}
