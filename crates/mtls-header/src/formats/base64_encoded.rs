//! `base64_encoded` (Kong): the base64 of ONE certificate's DER, no PEM armour, no chain.
//!
//! Producers: Cloudflare `Cf-Client-Cert-Der-Base64`, HAProxy `%[ssl_c_der,base64]` (also
//! quoted with `%{+Q}`), Azure App Service `X-ARR-ClientCert`, Caddy
//! `{http.request.tls.client.certificate_der_base64}`, ASP.NET Core / YARP `X-Client-Cert`,
//! Kong's own `base64_encoded`.
//!
//! Accepted: RFC 4648 section 4 base64 (standard alphabet, `=` padding required, no unused
//! non-zero bits), optionally inside one pair of double quotes (HAProxy `%{+Q}`); the decoded
//! bytes must be exactly one strict DER certificate that is not a CA.
//!
//! Absent: an empty value, or `""` (HAProxy `%{+Q}` with no certificate).
//!
//! Refused: base64url (`-`, `_`), missing padding, whitespace or line breaks inside, PEM
//! armour, a chain (concatenated DER gives trailing bytes), a lone or unbalanced quote.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::HeaderFormat;
use crate::chain::ForwardedChain;
use crate::error::HeaderError;
use crate::hygiene::{Limits, clean_value};

const FORMAT: HeaderFormat = HeaderFormat::Base64Encoded;

/// Decodes strict base64 of one certificate, naming it `index` in errors.
pub(crate) fn decode_der(
    format: HeaderFormat,
    index: usize,
    text: &[u8],
) -> Result<Vec<u8>, HeaderError> {
    STANDARD.decode(text).map_err(|e| HeaderError::Base64 {
        format,
        index,
        problem: e.into(),
    })
}

/// Decodes one `base64_encoded` field value. `Ok(None)` when the value is empty or `""`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = rcgen::KeyPair::generate()?;
/// # let der = rcgen::CertificateParams::new(vec!["client.test".into()])?.self_signed(&key)?.der().to_vec();
/// use base64::Engine as _;
/// let value = format!("\"{}\"", base64::engine::general_purpose::STANDARD.encode(&der));
/// let chain = mtls_header::formats::base64_encoded::decode("X-SSL-Client-Cert", value.as_bytes(), &Default::default())?
///     .expect("present");
/// assert_eq!(chain.leaf().der().as_ref(), der.as_slice());
/// assert!(chain.intermediates().is_empty());
/// # Ok(()) }
/// ```
pub fn decode(
    header: &str,
    value: &[u8],
    limits: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let value = clean_value(FORMAT, header, value, limits)?;
    let inner = match value {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    };
    if inner.is_empty() {
        return Ok(None);
    }
    let der = decode_der(FORMAT, 0, inner)?;
    ForwardedChain::build(FORMAT, vec![der]).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Base64Problem;

    #[test]
    fn sentinels_are_absent() {
        let l = Limits::default();
        assert_eq!(decode("h", b"", &l), Ok(None));
        assert_eq!(decode("h", b"\"\"", &l), Ok(None));
        assert_eq!(decode("h", b" \"\" ", &l), Ok(None));
    }

    #[test]
    fn lone_quote_and_base64url_are_refused() {
        let l = Limits::default();
        assert!(matches!(
            decode("h", b"\"", &l),
            Err(HeaderError::Base64 { .. })
        ));
        assert_eq!(
            decode("h", b"ab-_", &l),
            Err(HeaderError::Base64 {
                format: FORMAT,
                index: 0,
                problem: Base64Problem::InvalidByte {
                    offset: 2,
                    byte: b'-'
                }
            })
        );
        assert!(matches!(
            decode("h", b"MAA", &l),
            Err(HeaderError::Base64 { .. })
        ));
    }
}
