//! Manual mappings: Kong's `mtls_auth_credentials` and `header_cert_auth_credentials`.
//!
//! Both entities have the same shape: a certificate subject name, optionally tied to one CA,
//! mapped to a consumer. They live in separate tables, one per plugin.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::consumer::null_as_empty;

/// A manual mapping from a certificate subject name to a consumer (one row of
/// `mtls_auth_credentials` or `header_cert_auth_credentials`).
///
/// `(subject_name, ca_certificate)` is unique within one table. A credential with a CA only
/// matches certificates whose chain was anchored by that CA; one without a CA matches whatever
/// the anchor, and loses to one with the anchor's CA for the same name.
///
/// Serde uses Kong's field names. The foreign keys `consumer` and `ca_certificate` read either
/// as a bare id or as Kong's `{"id": ...}` object, and are written as the object (as Kong's
/// Admin API does). References by username are resolved by the configuration loader, not here.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Credential {
    /// The credential's id.
    pub id: Uuid,
    /// The id of the consumer this credential identifies.
    #[serde(
        serialize_with = "serialize_reference",
        deserialize_with = "deserialize_reference"
    )]
    pub consumer: Uuid,
    /// The certificate name (a SAN entry or the CN) this credential matches, exactly and
    /// case-sensitively.
    pub subject_name: String,
    /// The `ca_certificates` entity the certificate's chain must be anchored by; `None` matches
    /// any anchor.
    #[serde(
        default,
        serialize_with = "serialize_optional_reference",
        deserialize_with = "deserialize_optional_reference"
    )]
    pub ca_certificate: Option<Uuid>,
    /// Free-form tags, kept for round-trips.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
}

impl Credential {
    /// A credential without tags.
    pub fn new(
        id: Uuid,
        consumer: Uuid,
        subject_name: impl Into<String>,
        ca_certificate: Option<Uuid>,
    ) -> Self {
        Self {
            id,
            consumer,
            subject_name: subject_name.into(),
            ca_certificate,
            tags: Vec::new(),
        }
    }
}

/// Which table a credential belongs to, that is which plugin uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// `mtls_auth_credentials`, used by mtls-auth.
    MtlsAuth,
    /// `header_cert_auth_credentials`, used by header-cert-auth.
    HeaderCertAuth,
}

impl CredentialKind {
    /// Kong's entity name for the table.
    pub fn entity_name(self) -> &'static str {
        match self {
            Self::MtlsAuth => "mtls_auth_credentials",
            Self::HeaderCertAuth => "header_cert_auth_credentials",
        }
    }
}

impl std::fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.entity_name())
    }
}

/// A foreign key as Kong writes it: a bare id or `{"id": ...}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Reference {
    Id(Uuid),
    Object { id: Uuid },
}

impl Reference {
    fn id(self) -> Uuid {
        match self {
            Self::Id(id) | Self::Object { id } => id,
        }
    }
}

#[derive(Serialize)]
struct ReferenceOut {
    id: Uuid,
}

fn serialize_reference<S: Serializer>(id: &Uuid, serializer: S) -> Result<S::Ok, S::Error> {
    ReferenceOut { id: *id }.serialize(serializer)
}

fn serialize_optional_reference<S: Serializer>(
    id: &Option<Uuid>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    id.map(|id| ReferenceOut { id }).serialize(serializer)
}

fn deserialize_reference<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    Ok(Reference::deserialize(deserializer)?.id())
}

fn deserialize_optional_reference<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Uuid>, D::Error> {
    Ok(Option::<Reference>::deserialize(deserializer)?.map(Reference::id))
}
