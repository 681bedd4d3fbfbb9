//! `ca_certificates`: the CAs client certificates (and upstream certificates) are checked
//! against, with Kong's creation checks and messages (mtls-cert's).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Context, Entity};
use crate::error::{Errors, join};
use crate::schema::types::STRINGS;
use crate::schema::{Field, Schema, TIMESTAMPS, Type};

/// A CA certificate (`ca_certificates` entity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CaCertificate {
    /// The id.
    pub id: Uuid,
    /// `cert`: one PEM certificate.
    pub cert: String,
    /// `cert_digest`: the lower-case hex SHA-256 of the DER (unique; computed when absent).
    #[serde(default, with = "super::wire::null_string")]
    pub cert_digest: String,
    /// `tags`.
    #[serde(with = "super::wire::list", default)]
    pub tags: Vec<String>,
}

impl CaCertificate {
    /// A CA entity from its PEM (the digest is computed when the entity is checked).
    pub fn new(id: Uuid, cert: impl Into<String>) -> Self {
        Self {
            id,
            cert: cert.into(),
            cert_digest: String::new(),
            tags: Vec::new(),
        }
    }

    /// The certificate as mtls-cert holds it, without Kong's creation checks (for entities
    /// already checked when they were stored). `Err` when the PEM does not hold a certificate.
    pub fn parse(&self) -> Result<mtls_cert::CaCertificate, mtls_cert::Error> {
        let cert = mtls_cert::parse_any(self.cert.as_bytes())?
            .into_iter()
            .next()
            .ok_or(mtls_cert::Error::NoCertificate)?;
        Ok(mtls_cert::CaCertificate::trusted(self.id, cert))
    }
}

const FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("cert", Type::String).required(),
    Field::new("cert_digest", Type::String),
    Field::new("tags", STRINGS),
];

/// The `ca_certificates` schema.
pub(super) static SCHEMA: Schema = Schema {
    name: "ca_certificates",
    singular: "ca_certificate",
    endpoint_key: None,
    fields: FIELDS,
    ignored: &TIMESTAMPS,
};

impl Entity for CaCertificate {
    fn schema() -> &'static Schema {
        &SCHEMA
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn natural_key(&self) -> Option<String> {
        (!self.cert_digest.is_empty()).then(|| self.cert_digest.clone())
    }

    fn check(&mut self, path: &str, ctx: &Context<'_>, errors: &mut Errors) {
        let cert_path = join(path, "cert");
        if self.cert.trim().is_empty() {
            errors.push(cert_path, "required field missing");
            return;
        }
        let parsed = if ctx.stored {
            self.parse()
        } else {
            mtls_cert::CaCertificate::new(Uuid::nil(), self.cert.as_bytes(), ctx.now)
        };
        match parsed {
            Ok(ca) => {
                if !self.cert_digest.is_empty()
                    && !self.cert_digest.eq_ignore_ascii_case(ca.cert_digest())
                {
                    errors.push(
                        join(path, "cert_digest"),
                        format!(
                            "does not match the certificate (its SHA-256 is {})",
                            ca.cert_digest()
                        ),
                    );
                }
                ca.cert_digest().clone_into(&mut self.cert_digest);
            }
            Err(e) => errors.push(cert_path, e.to_string()),
        }
    }
}
