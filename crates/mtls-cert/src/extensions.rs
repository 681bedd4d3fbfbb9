//! The certificate extensions whose semantics the validator processes: a critical extension
//! outside this list makes a certificate unusable (RFC 5280 section 4.2).

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280 as oids;

/// Extensions whose semantics the validator (its path building, checks and webpki's parser)
/// processes.
const PROCESSED: &[ObjectIdentifier] = &[
    oids::ID_CE_BASIC_CONSTRAINTS,
    oids::ID_CE_KEY_USAGE,
    oids::ID_CE_EXT_KEY_USAGE,
    oids::ID_CE_SUBJECT_ALT_NAME,
    oids::ID_CE_NAME_CONSTRAINTS,
    oids::ID_CE_SUBJECT_KEY_IDENTIFIER,
    oids::ID_CE_AUTHORITY_KEY_IDENTIFIER,
    oids::ID_CE_CRL_DISTRIBUTION_POINTS,
    oids::ID_PE_AUTHORITY_INFO_ACCESS,
];

/// Whether the validator processes extension `oid`.
pub(crate) fn is_processed(oid: &ObjectIdentifier) -> bool {
    PROCESSED.contains(oid)
}
