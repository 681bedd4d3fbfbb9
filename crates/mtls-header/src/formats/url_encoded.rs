//! `url_encoded` (Kong): percent-encoded PEM, one or more CERTIFICATE blocks, leaf first.
//!
//! Producers: AWS ALB `X-Amzn-Mtls-Clientcert` (passthrough, whole chain leaf-to-root) and
//! `X-Amzn-Mtls-Clientcert-Leaf`, nginx `$ssl_client_escaped_cert`, ingress-nginx
//! `ssl-client-cert`, Azure Application Gateway `{var_client_certificate}`, CloudFront
//! `CloudFront-Viewer-Cert-Pem`, Apache `expr=%{escape:...}`, Kong tls-metadata-headers.
//!
//! Accepted: `%XX` escapes with either hex case, decoded exactly once; raw `+`, `=`, `/`
//! (ALB's "safe characters") kept as they are, `+` never read as a space; after decoding, a
//! strict PEM text (LF or CRLF line breaks, body lines of 1 to 64 characters, final line break
//! optional) of 1..n `CERTIFICATE` blocks, each strict DER.
//!
//! Refused: `%` without two hex digits, double encoding (`%250A` leaves `%0A` in the PEM),
//! any text before, between or after the blocks, other labels (`X509 CERTIFICATE`), no block
//! at all (Kong: "TLS certificate failed verification"), a leaf that is a CA. The blocks after
//! the leaf are a pool in any order (decision 18).

use std::borrow::Cow;

use crate::HeaderFormat;
use crate::chain::ForwardedChain;
use crate::error::HeaderError;
use crate::hygiene::{Limits, clean_value};
use crate::pem::{Breaks, read_blocks};

const FORMAT: HeaderFormat = HeaderFormat::UrlEncoded;

/// The position of the first `%` in `text`. Whole 16-byte chunks are checked branch-free
/// (vectorised) first, then the chunk holding it byte by byte.
fn find_percent(text: &[u8]) -> Option<usize> {
    let mut n = 0;
    for chunk in text.chunks_exact(16) {
        if chunk.iter().fold(false, |any, &b| any | (b == b'%')) {
            break;
        }
        n += 16;
    }
    text.get(n..)?
        .iter()
        .position(|&b| b == b'%')
        .map(|p| n + p)
}

/// Checks that every `%` starts a two-hex-digit escape, then decodes them all, once. `+` is
/// left as it is. One pass: the text between escapes is copied as it is.
pub(crate) fn percent_decode_strict(
    format: HeaderFormat,
    input: &[u8],
) -> Result<Cow<'_, [u8]>, HeaderError> {
    let hex = |b: Option<&u8>| -> Option<u8> {
        let b = *b?;
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    };
    let Some(first) = find_percent(input) else {
        return Ok(Cow::Borrowed(input));
    };
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    let mut next = Some(first);
    while let Some(at) = next {
        out.extend_from_slice(&input[i..at]);
        let (Some(high), Some(low)) = (hex(input.get(at + 1)), hex(input.get(at + 2))) else {
            return Err(HeaderError::PercentEscape { format, offset: at });
        };
        out.push(high << 4 | low);
        i = at + 3;
        next = find_percent(input.get(i..).unwrap_or_default()).map(|p| i + p);
    }
    out.extend_from_slice(input.get(i..).unwrap_or_default());
    Ok(Cow::Owned(out))
}

/// Decodes one `url_encoded` field value. `Ok(None)` when the value is empty (absent).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = rcgen::KeyPair::generate()?;
/// # let der = rcgen::CertificateParams::new(vec!["client.test".into()])?.self_signed(&key)?.der().to_vec();
/// let value = mtls_header::encode::url_encoded_pem(&[&der]);
/// assert!(value.starts_with("-----BEGIN%20CERTIFICATE-----%0AMII"));
/// let chain = mtls_header::formats::url_encoded::decode("X-Client-Cert", value.as_bytes(), &Default::default())?
///     .expect("present");
/// assert_eq!(chain.leaf().der().as_ref(), der.as_slice());
/// # Ok(()) }
/// ```
pub fn decode(
    header: &str,
    value: &[u8],
    limits: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let value = clean_value(FORMAT, header, value, limits)?;
    if value.is_empty() {
        return Ok(None);
    }
    let pem = percent_decode_strict(FORMAT, value)?;
    let ders = read_blocks(FORMAT, &pem, Breaks::Lines, limits)?;
    ForwardedChain::build(FORMAT, ders).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_is_strict_and_keeps_plus() {
        let d = |s: &str| percent_decode_strict(FORMAT, s.as_bytes()).map(|c| c.into_owned());
        assert_eq!(d("a%20b+c%2b%2F=").unwrap(), b"a b+c+/=");
        assert_eq!(d("%250A").unwrap(), b"%0A");
        for (bad, offset) in [("%", 0), ("ab%4", 2), ("%zz", 0), ("%41%g1", 3)] {
            assert_eq!(
                d(bad).unwrap_err(),
                HeaderError::PercentEscape {
                    format: FORMAT,
                    offset
                },
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_is_absent_and_no_block_is_an_error() {
        let l = Limits::default();
        assert_eq!(decode("h", b"  ", &l), Ok(None));
        assert!(matches!(
            decode("h", b"hello", &l),
            Err(HeaderError::Pem { .. })
        ));
    }
}
