//! Signatures over signed DER objects (certificates, CRLs), checked with the crypto
//! provider's webpki algorithms, for what webpki does not expose: checking a CRL once at load
//! and telling whether a CA is self-signed.

use pki_types::SignatureVerificationAlgorithm;

use crate::certificate::Certificate;

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// The object or key is not well-formed DER.
    Malformed,
    /// No algorithm of the provider matches (signature algorithm, key algorithm).
    UnsupportedAlgorithm,
    /// The signature is wrong for this key.
    Invalid,
}

/// One DER TLV read from the front of an input: (tag byte, contents, whole encoding, rest).
pub(crate) type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// Reads one DER TLV from the front of `input`.
pub(crate) fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers never occur in the structures read here
    }
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*input.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((tag, whole.get(header..)?, whole, input.get(end..)?))
}

/// The parts of a `SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }`: the encoded tbs,
/// the algorithm identifier's contents and the signature bits.
pub(crate) fn split_signed(der: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (0x30, body, _, _) = tlv(der)? else {
        return None;
    };
    let (_, _, tbs, rest) = tlv(body)?;
    let (0x30, alg, _, rest) = tlv(rest)? else {
        return None;
    };
    let (0x03, bits, _, _) = tlv(rest)? else {
        return None;
    };
    let (&0, sig) = bits.split_first()? else {
        return None;
    };
    Some((tbs, alg, sig))
}

/// The algorithm identifier's contents and the key bits of a SubjectPublicKeyInfo.
pub(crate) fn split_spki(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, body, _, _) = tlv(spki)? else {
        return None;
    };
    let (0x30, alg, _, rest) = tlv(body)? else {
        return None;
    };
    let (0x03, bits, _, _) = tlv(rest)? else {
        return None;
    };
    let (&0, key) = bits.split_first()? else {
        return None;
    };
    Some((alg, key))
}

fn algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    webpki::ALL_VERIFICATION_ALGS
}

/// Verifies the signature of the signed DER object `signed` with the key `issuer_spki`.
pub(crate) fn verify_signed(signed: &[u8], issuer_spki: &[u8]) -> Result<(), SignatureError> {
    let (tbs, sig_alg, sig) = split_signed(signed).ok_or(SignatureError::Malformed)?;
    let (key_alg, key) = split_spki(issuer_spki).ok_or(SignatureError::Malformed)?;
    let mut supported = false;
    for alg in algorithms() {
        if alg.signature_alg_id().as_ref() != sig_alg || alg.public_key_alg_id().as_ref() != key_alg
        {
            continue;
        }
        supported = true;
        if alg.verify_signature(key, tbs, sig).is_ok() {
            return Ok(());
        }
    }
    Err(if supported {
        SignatureError::Invalid
    } else {
        SignatureError::UnsupportedAlgorithm
    })
}

/// Verifies that `issuer`'s key signed `cert`.
pub(crate) fn verify_cert_signature(
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<(), SignatureError> {
    verify_signed(cert.der(), &issuer.spki_der())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_refuses_truncation_and_long_lengths() {
        assert!(tlv(&[]).is_none());
        assert!(tlv(&[0x30]).is_none());
        assert!(tlv(&[0x30, 0x05, 0x00]).is_none());
        assert!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert_eq!(
            tlv(&[0x04, 0x01, 0xAA, 0xBB]).map(|t| t.1),
            Some(&[0xAA][..])
        );
        assert_eq!(
            tlv(&[0x04, 0x81, 0x01, 0xAA]).map(|t| t.2),
            Some(&[0x04, 0x81, 0x01, 0xAA][..])
        );
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(
            verify_signed(b"\x30\x00", b"\x30\x00"),
            Err(SignatureError::Malformed)
        );
    }
}
