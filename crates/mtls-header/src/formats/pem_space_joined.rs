//! `pem_space_joined`: Apache httpd mod_headers `RequestHeader set X "%{SSL_CLIENT_CERT}s"`,
//! whose `unwrap_header()` turns every CR and LF of the PEM into a space; also nginx's
//! deprecated `$ssl_client_cert` once its obs-folds were replaced by spaces.
//!
//! Accepted: `-----BEGIN CERTIFICATE----- <base64 lines> -----END CERTIFICATE-----` where the
//! lines are separated by one or more SP/HTAB, body lines of 1 to 64 characters; 1..n blocks
//! (leaf first) separated the same way; each strict DER.
//!
//! Absent: an empty value, or Apache's literal `(null)` (variable unset: no client
//! certificate).
//!
//! Refused: real line breaks (CR/LF, refused by hygiene), percent-encoding (use `url_encoded`
//! for Apache's `expr=%{escape:...}`), other labels, text around the blocks.

use crate::HeaderFormat;
use crate::chain::ForwardedChain;
use crate::error::HeaderError;
use crate::hygiene::{Limits, clean_value};
use crate::pem::{Breaks, read_blocks};

const FORMAT: HeaderFormat = HeaderFormat::PemSpaceJoined;

/// Decodes one `pem_space_joined` field value. `Ok(None)` when the value is empty or
/// `(null)`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = rcgen::KeyPair::generate()?;
/// # let der = rcgen::CertificateParams::new(vec!["client.test".into()])?.self_signed(&key)?.der().to_vec();
/// let value = mtls_header::encode::pem_space_joined(&[&der]);
/// let chain = mtls_header::formats::pem_space_joined::decode(
///     "X-SSL-Client-Cert", value.as_bytes(), &Default::default())?.expect("present");
/// assert_eq!(chain.leaf().der().as_ref(), der.as_slice());
/// assert_eq!(mtls_header::formats::pem_space_joined::decode("X-SSL-Client-Cert", b"(null)", &Default::default())?, None);
/// # Ok(()) }
/// ```
pub fn decode(
    header: &str,
    value: &[u8],
    limits: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let value = clean_value(FORMAT, header, value, limits)?;
    if value.is_empty() || value == b"(null)" {
        return Ok(None);
    }
    let ders = read_blocks(FORMAT, value, Breaks::Spaces, limits)?;
    ForwardedChain::build(FORMAT, ders).map(Some)
}
