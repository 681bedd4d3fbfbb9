//! Checks made before any decoding (header-formats.md section 1): size limits, forbidden bytes,
//! surrounding whitespace, exact header-name matching, and the strict DER framing of every
//! decoded certificate.

use crate::HeaderFormat;
use crate::error::{DerProblem, HeaderError};

/// Limits on what a header may hold. Past a limit the header is refused with
/// [`HeaderError::ValueTooLarge`], [`HeaderError::TooManyCertificates`] or
/// [`HeaderError::TooManyElements`]; nothing is allocated without bound.
///
/// ```
/// let limits = mtls_header::Limits::default().with_max_value_len(16 * 1024);
/// assert_eq!(limits.max_value_len(), 16 * 1024);
/// assert_eq!(limits.max_certificates(), 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_value_len: usize,
    max_certificates: usize,
    max_xfcc_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_value_len: 64 * 1024,
            max_certificates: mtls_cert::limits::MAX_CERTIFICATES,
            max_xfcc_elements: 16,
        }
    }
}

impl Limits {
    /// Largest header value, in bytes, checked before decoding. Where a format allows several
    /// field lines (xfcc, `Client-Cert-Chain`) the limit applies to all of them together.
    /// Default 64 KiB.
    pub fn max_value_len(&self) -> usize {
        self.max_value_len
    }

    /// Most certificates in one chain (leaf included). Default 64
    /// ([`mtls_cert::limits::MAX_CERTIFICATES`]): a proxy forwards the pool it was given,
    /// and path building is bounded by its signature budget, not by this count. The TLS
    /// handshake keeps a lower cap ([`mtls_cert::limits::MAX_HANDSHAKE_CERTIFICATES`]).
    pub fn max_certificates(&self) -> usize {
        self.max_certificates
    }

    /// Most elements in one `x-forwarded-client-cert` header (one per proxy hop). Default 16.
    pub fn max_xfcc_elements(&self) -> usize {
        self.max_xfcc_elements
    }

    /// Sets [`Limits::max_value_len`].
    #[must_use]
    pub fn with_max_value_len(mut self, bytes: usize) -> Self {
        self.max_value_len = bytes;
        self
    }

    /// Sets [`Limits::max_certificates`].
    #[must_use]
    pub fn with_max_certificates(mut self, count: usize) -> Self {
        self.max_certificates = count;
        self
    }

    /// Sets [`Limits::max_xfcc_elements`].
    #[must_use]
    pub fn with_max_xfcc_elements(mut self, count: usize) -> Self {
        self.max_xfcc_elements = count;
        self
    }
}

/// Checks one field value: the size limit, then every byte (visible ASCII, SP and HTAB only:
/// CR, LF, NUL, other controls, DEL and bytes >= 0x80 are refused), then strips surrounding SP
/// and HTAB. Returns the trimmed value.
pub(crate) fn clean_value<'a>(
    format: HeaderFormat,
    header: &str,
    value: &'a [u8],
    limits: &Limits,
) -> Result<&'a [u8], HeaderError> {
    if value.len() > limits.max_value_len {
        return Err(HeaderError::ValueTooLarge {
            format,
            header: header.to_owned(),
            size: value.len(),
            limit: limits.max_value_len,
        });
    }
    let forbidden = |b: u8| !(b == b'\t' || (0x20..0x7f).contains(&b));
    // A branch-free pass over the whole value (vectorised); the offset is searched for only
    // when there is something to report.
    if value.iter().fold(false, |any, &b| any | forbidden(b))
        && let Some(offset) = value.iter().position(|&b| forbidden(b))
    {
        return Err(HeaderError::ForbiddenByte {
            format,
            header: header.to_owned(),
            offset,
            byte: value[offset],
        });
    }
    Ok(value.trim_ascii())
}

/// Whether `name` is the configured header name (ASCII case-insensitive, nothing else).
pub(crate) fn is_name(name: &[u8], configured: &str) -> bool {
    name.eq_ignore_ascii_case(configured.as_bytes())
}

/// Whether `name` is a different spelling of `configured` that CGI-style frameworks merge with
/// it: equal once `_` and `.` are read as `-`, but not equal as written.
pub(crate) fn is_alias(name: &[u8], configured: &str) -> bool {
    let configured = configured.as_bytes();
    name.len() == configured.len()
        && !name.eq_ignore_ascii_case(configured)
        && name.iter().zip(configured).all(|(&a, &b)| {
            let fold = |c: u8| match c {
                b'_' | b'.' => b'-',
                c => c.to_ascii_lowercase(),
            };
            fold(a) == fold(b)
        })
}

/// Whether `name` is an RFC 9110 token, that is, a valid header field name.
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// One DER element header: `(tag, content start, content length)` for the element at `offset`
/// of `input`, with the length checked for minimal encoding and against the input's end.
fn header(
    input: &[u8],
    offset: usize,
    want: u8,
    expected: &'static str,
) -> Result<(usize, usize), DerProblem> {
    let tag = *input.get(offset).ok_or(DerProblem::Truncated {
        offset,
        declared: 2,
        available: input.len().saturating_sub(offset),
    })?;
    if tag != want {
        return Err(DerProblem::UnexpectedTag {
            offset,
            tag,
            expected,
        });
    }
    let len_at = offset + 1;
    let truncated = || DerProblem::Truncated {
        offset,
        declared: 2,
        available: input.len().saturating_sub(offset),
    };
    let first = *input.get(len_at).ok_or_else(truncated)?;
    let (length, start) = if first < 0x80 {
        (usize::from(first), len_at + 1)
    } else {
        let count = usize::from(first & 0x7f);
        // 0x80 is BER's indefinite form; more than 4 length octets is beyond any limit here.
        if count == 0 || count > 4 {
            return Err(DerProblem::NonMinimalLength { offset: len_at });
        }
        let octets = input
            .get(len_at + 1..len_at + 1 + count)
            .ok_or_else(truncated)?;
        if octets.first() == Some(&0) {
            return Err(DerProblem::NonMinimalLength { offset: len_at });
        }
        let length = octets
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if length < 0x80 {
            return Err(DerProblem::NonMinimalLength { offset: len_at });
        }
        (length, len_at + 1 + count)
    };
    let available = input.len().saturating_sub(start);
    if length > available {
        return Err(DerProblem::Truncated {
            offset,
            declared: length,
            available,
        });
    }
    Ok((start, length))
}

/// Checks the framing of one certificate's DER: one `SEQUENCE { SEQUENCE, SEQUENCE, BIT
/// STRING }` with minimal lengths, nothing truncated, nothing after it. The full X.509 parse
/// (mtls-cert, strict DER throughout) comes next; this check names the problem precisely.
pub(crate) fn check_der_framing(der: &[u8]) -> Result<(), DerProblem> {
    if der.is_empty() {
        return Err(DerProblem::Empty);
    }
    let (start, len) = header(der, 0, 0x30, "SEQUENCE (Certificate)")?;
    let end = start + len;
    if end < der.len() {
        return Err(DerProblem::TrailingBytes {
            offset: end,
            count: der.len() - end,
        });
    }
    let mut pos = start;
    for (want, expected) in [
        (0x30, "SEQUENCE (tbsCertificate)"),
        (0x30, "SEQUENCE (signatureAlgorithm)"),
        (0x03, "BIT STRING (signatureValue)"),
    ] {
        if pos >= end {
            return Err(DerProblem::Truncated {
                offset: pos,
                declared: 2,
                available: 0,
            });
        }
        let (content, len) = header(der, pos, want, expected)?;
        pos = content + len;
    }
    if pos < end {
        return Err(DerProblem::TrailingBytes {
            offset: pos,
            count: end - pos,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn clean_value_strips_ows_and_refuses_controls() {
        let f = HeaderFormat::Base64Encoded;
        assert_eq!(
            clean_value(f, "h", b" \tabc\t ", &limits()).unwrap(),
            b"abc"
        );
        for (value, offset, byte) in [
            (&b"ab\rc"[..], 2, b'\r'),
            (b"ab\nc", 2, b'\n'),
            (b"\0", 0, 0),
            (b"a\x7f", 1, 0x7f),
            (b"\xc3\x84", 0, 0xc3),
        ] {
            assert_eq!(
                clean_value(f, "h", value, &limits()).unwrap_err(),
                HeaderError::ForbiddenByte {
                    format: f,
                    header: "h".into(),
                    offset,
                    byte
                }
            );
        }
    }

    #[test]
    fn size_limit_is_checked_first() {
        let l = Limits::default().with_max_value_len(3);
        let e = clean_value(HeaderFormat::Xfcc, "h", b"\r\r\r\r", &l).unwrap_err();
        assert_eq!(e.kind(), "value_too_large");
    }

    #[test]
    fn names_and_aliases() {
        assert!(is_name(b"x-client-CERT", "X-Client-Cert"));
        assert!(!is_name(b"x_client_cert", "X-Client-Cert"));
        assert!(is_alias(b"x_client_cert", "X-Client-Cert"));
        assert!(is_alias(b"X.Client-Cert", "X-Client-Cert"));
        assert!(!is_alias(b"x-client-cert", "X-Client-Cert"));
        assert!(!is_alias(b"x-client-certs", "X-Client-Cert"));
        assert!(is_token("X-Amzn-Mtls-Clientcert"));
        assert!(!is_token("a b"));
        assert!(!is_token(""));
    }

    #[test]
    fn der_framing() {
        // SEQUENCE { SEQUENCE {}, SEQUENCE {}, BIT STRING { 00 } }
        let ok = [0x30, 0x07, 0x30, 0x00, 0x30, 0x00, 0x03, 0x01, 0x00];
        assert_eq!(check_der_framing(&ok), Ok(()));
        let mut trailing = ok.to_vec();
        trailing.push(0);
        assert_eq!(
            check_der_framing(&trailing),
            Err(DerProblem::TrailingBytes {
                offset: 9,
                count: 1
            })
        );
        assert!(matches!(
            check_der_framing(&ok[..8]),
            Err(DerProblem::Truncated { offset: 0, .. })
        ));
        // Same content with a long-form length of 7: not minimal.
        let long = [0x30, 0x81, 0x07, 0x30, 0x00, 0x30, 0x00, 0x03, 0x01, 0x00];
        assert_eq!(
            check_der_framing(&long),
            Err(DerProblem::NonMinimalLength { offset: 1 })
        );
        let indefinite = [0x30, 0x80, 0x00, 0x00];
        assert_eq!(
            check_der_framing(&indefinite),
            Err(DerProblem::NonMinimalLength { offset: 1 })
        );
        assert_eq!(check_der_framing(&[]), Err(DerProblem::Empty));
        assert!(matches!(
            check_der_framing(b"MIIB"),
            Err(DerProblem::UnexpectedTag { offset: 0, .. })
        ));
        let missing_sig = [0x30, 0x04, 0x30, 0x00, 0x30, 0x00];
        assert!(matches!(
            check_der_framing(&missing_sig),
            Err(DerProblem::Truncated { offset: 6, .. })
        ));
    }
}
