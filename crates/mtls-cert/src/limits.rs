//! Limits on every input (decisions.md item 4). Past a limit the input is refused with an
//! error naming the limit; nothing panics and nothing is allocated without bound.

/// Largest DER certificate accepted, in bytes.
pub const MAX_CERTIFICATE_SIZE: usize = 64 * 1024;

/// Most certificates accepted in one PEM input or one presented chain.
pub const MAX_CERTIFICATES: usize = 16;

/// Largest PEM input read for certificates, in bytes.
pub const MAX_PEM_SIZE: usize = 1024 * 1024;

/// Largest CRL accepted, in bytes.
pub const MAX_CRL_SIZE: usize = 64 * 1024 * 1024;
