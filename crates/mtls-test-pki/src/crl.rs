//! CRLs signed by a [`Node`]: [`CrlSpec`].

use rcgen::{
    CertificateRevocationList, CertificateRevocationListParams, KeyIdMethod, RevokedCertParams,
    SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::Node;

/// A CRL to sign: which serials it revokes and when it was issued and is next due.
///
/// By default issued an hour ago, next due in an hour, CRL number 1, every serial revoked
/// five minutes ago without a reason code.
///
/// ```
/// use mtls_test_pki::{CertSpec, CrlSpec};
///
/// let ca = CertSpec::ca("CRL CA").self_signed();
/// let crl = CrlSpec::revoking(&[0x0A, 0x0B]).sign(&ca);
/// assert!(crl.pem().is_ok());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CrlSpec {
    revoked: Vec<SerialNumber>,
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
    revocation_time: OffsetDateTime,
}

impl CrlSpec {
    /// Revoking these serial numbers.
    pub fn revoking(serials: &[u64]) -> Self {
        Self::with_serials(serials.iter().map(|s| SerialNumber::from(*s)).collect())
    }

    /// Revoking the serial numbers with these big-endian bytes.
    pub fn revoking_bytes(serials: &[&[u8]]) -> Self {
        Self::with_serials(
            serials
                .iter()
                .map(|s| SerialNumber::from_slice(s))
                .collect(),
        )
    }

    fn with_serials(revoked: Vec<SerialNumber>) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            revoked,
            this_update: now - Duration::hours(1),
            next_update: now + Duration::hours(1),
            revocation_time: now - Duration::minutes(5),
        }
    }

    /// When the next CRL is due (in the past: a stale CRL).
    pub fn next_update(mut self, at: OffsetDateTime) -> Self {
        self.next_update = at;
        self
    }

    /// When the serials were revoked.
    pub fn revoked_at(mut self, at: OffsetDateTime) -> Self {
        self.revocation_time = at;
        self
    }

    /// Signed by `issuer`.
    ///
    /// # Panics
    /// If rcgen cannot sign (tests).
    #[allow(clippy::expect_used)]
    pub fn sign(self, issuer: &Node) -> CertificateRevocationList {
        self.try_sign(issuer).expect("rcgen signs the CRL")
    }

    /// [`Self::sign`] without the panic.
    pub fn try_sign(self, issuer: &Node) -> Result<CertificateRevocationList, rcgen::Error> {
        let revocation_time = self.revocation_time;
        CertificateRevocationListParams {
            this_update: self.this_update,
            next_update: self.next_update,
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: self
                .revoked
                .into_iter()
                .map(|serial_number| RevokedCertParams {
                    serial_number,
                    revocation_time,
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer.issuer())
    }
}
