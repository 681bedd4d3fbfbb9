//! `base64_der_list`: Traefik 2.9.2+ `X-Forwarded-Tls-Client-Cert` (also zalando/skipper): the
//! base64 DER of each certificate the client sent, leaf first, joined by `,` with no space.
//!
//! Accepted: 1..n strict RFC 4648 section 4 base64 items (standard alphabet, padded), each
//! one strict DER certificate; the leaf is not a CA; the others a pool in any order.
//!
//! Absent: an empty value.
//!
//! Refused: an empty item (`,,`, or a `,` at either end), a space after the comma, Traefik
//! <= 2.9.1's per-certificate `url.QueryEscape` (`%2B`, `%2F`, `%3D`: a different format),
//! PEM armour left in, more items than the certificate limit.

use crate::HeaderFormat;
use crate::chain::{ForwardedChain, check_count};
use crate::error::{Base64Problem, HeaderError};
use crate::formats::base64_encoded::decode_der;
use crate::hygiene::{Limits, clean_value};

const FORMAT: HeaderFormat = HeaderFormat::Base64DerList;

/// Decodes one `base64_der_list` field value. `Ok(None)` when the value is empty.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = rcgen::KeyPair::generate()?;
/// # let der = rcgen::CertificateParams::new(vec!["client.test".into()])?.self_signed(&key)?.der().to_vec();
/// let value = mtls_header::encode::base64_der_list(&[&der]);
/// let chain = mtls_header::formats::base64_der_list::decode(
///     "X-Forwarded-Tls-Client-Cert", value.as_bytes(), &Default::default())?.expect("present");
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
    let mut ders = Vec::new();
    for (index, item) in value.split(|&b| b == b',').enumerate() {
        check_count(FORMAT, index, limits)?;
        if item.is_empty() {
            return Err(HeaderError::Base64 {
                format: FORMAT,
                index,
                problem: Base64Problem::InvalidLength { length: 0 },
            });
        }
        ders.push(decode_der(FORMAT, index, item)?);
    }
    ForwardedChain::build(FORMAT, ders).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_items_and_spaces_are_refused() {
        let l = Limits::default();
        assert_eq!(decode("h", b"", &l), Ok(None));
        for bad in [&b","[..], b"AAAA,", b",AAAA", b"AAAA,,AAAA"] {
            assert!(
                matches!(
                    decode("h", bad, &l),
                    Err(HeaderError::Base64 {
                        problem: Base64Problem::InvalidLength { length: 0 },
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            decode("h", b"MAMCAQA=, MAMCAQA=", &l),
            Err(HeaderError::Base64 { index: 1, .. })
        ));
    }
}
