//! PEM and DER input: one or many CERTIFICATE blocks, other blocks and text ignored.

use crate::certificate::Certificate;
use crate::error::Error;
use crate::limits::{MAX_CERTIFICATES, MAX_PEM_SIZE};

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";

/// The first position at or after `from` where `needle` (non-empty) starts.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    let mut pos = from;
    while let Some(offset) = haystack.get(pos..)?.iter().position(|&b| b == first) {
        let at = pos + offset;
        if haystack.get(at..)?.starts_with(needle) {
            return Some(at);
        }
        pos = at + 1;
    }
    None
}

/// One PEM block: its label and its whole text, BEGIN to END line.
type Block<'a> = (&'a [u8], &'a [u8]);

/// Splits `input` into its PEM blocks: `(label, whole block bytes)`, text between blocks
/// skipped. A `BEGIN` line without its `END` line is an error.
fn blocks(input: &[u8]) -> Result<Vec<Block<'_>>, Error> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(start) = find(input, BEGIN, pos) {
        let label_start = start + BEGIN.len();
        let label_end = find(input, b"-----", label_start).ok_or(Error::MalformedPem {
            index: out.len(),
            reason: "unterminated BEGIN line".to_owned(),
        })?;
        let label = &input[label_start..label_end];
        let mut end_marker = END.to_vec();
        end_marker.extend_from_slice(label);
        end_marker.extend_from_slice(b"-----");
        let end = find(input, &end_marker, label_end).ok_or_else(|| Error::MalformedPem {
            index: out.len(),
            reason: format!("no END line for BEGIN {}", String::from_utf8_lossy(label)),
        })?;
        let block_end = end + end_marker.len();
        out.push((label, &input[start..block_end]));
        pos = block_end;
    }
    Ok(out)
}

/// Parses every CERTIFICATE block of a PEM input, in order. Other block types and text
/// between blocks are ignored. Fails when there is no certificate, a block is malformed, or
/// a limit is passed (input size, number of certificates, certificate size).
///
/// ```
/// let err = mtls_cert::parse_pem(b"no certificate here").unwrap_err();
/// assert_eq!(err.to_string(), "no certificate found in the input");
/// ```
pub fn parse_pem(input: &[u8]) -> Result<Vec<Certificate>, Error> {
    if input.len() > MAX_PEM_SIZE {
        return Err(Error::InputTooLarge {
            size: input.len(),
            limit: MAX_PEM_SIZE,
        });
    }
    let mut certs = Vec::new();
    for (label, block) in blocks(input)? {
        if label != b"CERTIFICATE" {
            continue;
        }
        let index = certs.len();
        if index >= MAX_CERTIFICATES {
            return Err(Error::TooManyCertificates {
                limit: MAX_CERTIFICATES,
            });
        }
        let (_, der) = pem_rfc7468::decode_vec(block).map_err(|e| Error::MalformedPem {
            index,
            reason: e.to_string(),
        })?;
        certs.push(Certificate::from_der_indexed(&der, index)?);
    }
    if certs.is_empty() {
        return Err(Error::NoCertificate);
    }
    Ok(certs)
}

/// Parses PEM (one or many CERTIFICATE blocks) or, when the input holds no PEM block, one
/// DER certificate.
pub fn parse_any(input: &[u8]) -> Result<Vec<Certificate>, Error> {
    if find(input, BEGIN, 0).is_some() {
        parse_pem(input)
    } else if input.first() == Some(&0x30) {
        Ok(vec![Certificate::from_der(input)?])
    } else {
        Err(Error::NoCertificate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unterminated_block_is_an_error() {
        let e = parse_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap_err();
        assert!(matches!(e, Error::MalformedPem { index: 0, .. }), "{e}");
    }

    #[test]
    fn other_blocks_are_ignored_but_needed() {
        let input = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(parse_pem(input).unwrap_err(), Error::NoCertificate);
    }

    #[test]
    fn bad_base64_names_the_block() {
        let input = b"x\n-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse_pem(input).unwrap_err(),
            Error::MalformedPem { index: 0, .. }
        ));
    }

    #[test]
    fn not_der_not_pem() {
        assert_eq!(parse_any(b"hello").unwrap_err(), Error::NoCertificate);
        assert!(matches!(
            parse_any(&[0x30, 0x00]).unwrap_err(),
            Error::MalformedCertificate { index: 0, .. }
        ));
    }
}
