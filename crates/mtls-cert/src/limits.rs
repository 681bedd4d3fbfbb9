//! Limits on every input (decisions.md item 4). Past a limit the input is refused with an
//! error naming the limit; nothing panics and nothing is allocated without bound.

/// Largest DER certificate accepted, in bytes.
pub const MAX_CERTIFICATE_SIZE: usize = 64 * 1024;

/// Most certificates accepted in one PEM input or one presented chain ([`crate::validate_chain`],
/// header chains, `mtls verify`): the leaf and up to 63 others, in any order. What bounds the
/// work is not this count but the path-building budget ([`MAX_SIGNATURE_CHECKS`],
/// [`MAX_PATH_STEPS`]).
pub const MAX_CERTIFICATES: usize = 64;

/// Most certificates a TLS client may present in the handshake (the gateway's verifier
/// refuses more before anything is parsed). Lower than [`MAX_CERTIFICATES`] on purpose: the
/// handshake faces every unauthenticated peer on every connection and keeps its chain for
/// the connection's life, and real TLS clients send short chains; a chain in a header comes
/// only from a trusted proxy, which forwards what it was given (cross-signed certificates
/// and extras included), once per request.
pub const MAX_HANDSHAKE_CERTIFICATES: usize = 16;

/// Path-building budget: most signature checks one validation makes. Each (certificate,
/// issuer) pair is checked at most once; past the budget the chain is refused.
pub const MAX_SIGNATURE_CHECKS: usize = 100;

/// Path-building budget: most candidate issuers one validation considers.
pub const MAX_PATH_STEPS: usize = 10_000;

/// Most intermediates on one path that are not self-issued (rustls-webpki's limit). Self-issued
/// intermediates (key rollover) do not count, as RFC 5280 section 6.1 says.
pub const MAX_PATH_INTERMEDIATES: usize = 6;

/// Most name-constraint comparisons one validation makes (rustls-webpki's and Go's limit).
pub const MAX_NAME_CONSTRAINT_COMPARISONS: usize = 250_000;

/// Largest PEM input read for certificates, in bytes.
pub const MAX_PEM_SIZE: usize = 1024 * 1024;

/// Largest CRL accepted, in bytes.
pub const MAX_CRL_SIZE: usize = 64 * 1024 * 1024;
