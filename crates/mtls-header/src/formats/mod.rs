//! One decoder per `certificate_header_format` value, each in the module named for it. Each
//! module's docs list exactly what it accepts, treats as absent and refuses.
//!
//! Every decoder applies [`hygiene`](crate::Limits) first and returns `Ok(None)` (absent),
//! `Ok(Some(chain))` or a [`HeaderError`](crate::HeaderError). None of them guesses: the same
//! bytes are valid in several formats, so the format is always configuration.

pub mod base64_der_list;
pub mod base64_encoded;
pub mod pem_space_joined;
pub mod rfc9440;
pub mod url_encoded;
pub mod xfcc;
