//! Extensions rcgen does not write itself: authorityInfoAccess (OCSP responders, CA issuers).

use rcgen::CustomExtension;

/// An authorityInfoAccess access method (RFC 5280 4.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMethod {
    /// id-ad-ocsp (1.3.6.1.5.5.7.48.1): an OCSP responder.
    Ocsp,
    /// id-ad-caIssuers (1.3.6.1.5.5.7.48.2): where the issuer's certificate is.
    CaIssuers,
}

impl AccessMethod {
    fn arc(self) -> u8 {
        match self {
            Self::Ocsp => 1,
            Self::CaIssuers => 2,
        }
    }
}

/// DER length octets (short or long form).
fn length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        // Checked just above: fits in seven bits.
        vec![u8::try_from(len).unwrap_or(0)]
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        let mut out = vec![0x80 | u8::try_from(bytes.len()).unwrap_or(0)];
        out.extend(bytes);
        out
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(length(content.len()));
    out.extend_from_slice(content);
    out
}

/// An authorityInfoAccess extension (not critical) with these access descriptions, in this
/// order, each location a uniformResourceIdentifier.
///
/// ```
/// use mtls_test_pki::{AccessMethod, authority_info_access};
///
/// let ext = authority_info_access(&[(AccessMethod::Ocsp, "http://ocsp.example.test/")]);
/// assert_eq!(ext.oid_components().collect::<Vec<_>>(), [1, 3, 6, 1, 5, 5, 7, 1, 1]);
/// ```
pub fn authority_info_access(entries: &[(AccessMethod, &str)]) -> CustomExtension {
    let mut descriptions = Vec::new();
    for (method, uri) in entries {
        let mut description = vec![0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30];
        description.push(method.arc());
        description.extend(tlv(0x86, uri.as_bytes()));
        descriptions.extend(tlv(0x30, &description));
    }
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], tlv(0x30, &descriptions))
}
