//! `certificates` (server certificates and keys, also presented to upstreams) and `snis` (the
//! server names pointing at them).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Context, Entity, checks};
use crate::error::{Errors, join};
use crate::schema::types::STRINGS;
use crate::schema::{Field, Schema, TIMESTAMPS, Type};

/// A certificate (`certificates` entity): the PEM chain and key the gateway presents for the
/// SNIs that point at it, or to an upstream whose service names it as `client_certificate`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Certificate {
    /// The id.
    pub id: Uuid,
    /// `cert`: the PEM chain, leaf first.
    pub cert: String,
    /// `key`: the PEM private key.
    pub key: String,
    /// `cert_alt`: an alternate PEM chain (Kong: an ECDSA pair beside an RSA one).
    pub cert_alt: Option<String>,
    /// `key_alt`: the alternate key.
    pub key_alt: Option<String>,
    /// The names of the SNIs that point at this certificate (filled from the `snis`).
    #[serde(with = "super::wire::list", default)]
    pub snis: Vec<String>,
    /// `tags`.
    #[serde(with = "super::wire::list", default)]
    pub tags: Vec<String>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("id", &self.id)
            .field("alt", &self.cert_alt.is_some())
            .field("snis", &self.snis)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// A chain and its private key, parsed.
pub type ChainAndKey = (Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>);

impl Certificate {
    /// The chain and key, parsed (checked to match when the entity was checked).
    pub fn chain_and_key(&self) -> Result<ChainAndKey, String> {
        parse_pair(&self.cert, &self.key)
    }

    /// The alternate chain and key, if any.
    pub fn alt_chain_and_key(&self) -> Option<Result<ChainAndKey, String>> {
        match (&self.cert_alt, &self.key_alt) {
            (Some(cert), Some(key)) => Some(parse_pair(cert, key)),
            _ => None,
        }
    }
}

fn parse_pair(cert: &str, key: &str) -> Result<ChainAndKey, String> {
    let chain = parse_chain(cert)?;
    let key =
        PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|e| format!("invalid key: {e}"))?;
    Ok((chain, Arc::new(key)))
}

fn parse_chain(cert: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    match CertificateDer::pem_slice_iter(cert.as_bytes()).collect::<Result<Vec<_>, _>>() {
        Ok(chain) if chain.is_empty() => {
            Err("invalid certificate: no PEM CERTIFICATE block".into())
        }
        Ok(chain) => Ok(chain),
        Err(e) => Err(format!("invalid certificate: {e}")),
    }
}

const FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("cert", Type::String).required(),
    Field::new("key", Type::String).required(),
    Field::new("cert_alt", Type::String),
    Field::new("key_alt", Type::String),
    Field::new("tags", STRINGS),
];

/// The `certificates` schema.
pub(super) static SCHEMA: Schema = Schema {
    name: "certificates",
    singular: "certificate",
    endpoint_key: None,
    fields: FIELDS,
    ignored: &TIMESTAMPS,
};

impl Entity for Certificate {
    fn schema() -> &'static Schema {
        &SCHEMA
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn check(&mut self, path: &str, ctx: &Context<'_>, errors: &mut Errors) {
        check_pair(&self.cert, &self.key, path, ("cert", "key"), ctx, errors);
        match (&self.cert_alt, &self.key_alt) {
            (None, None) => {}
            (Some(cert), Some(key)) => {
                check_pair(cert, key, path, ("cert_alt", "key_alt"), ctx, errors);
            }
            _ => errors.push(
                join(path, "cert_alt"),
                "all or none of these fields must be set: 'cert_alt', 'key_alt'",
            ),
        }
    }
}

/// Parses a PEM chain and key and checks that the key is the leaf's (rustls' check).
fn check_pair(
    cert: &str,
    key: &str,
    path: &str,
    (cert_field, key_field): (&str, &str),
    ctx: &Context<'_>,
    errors: &mut Errors,
) {
    let cert_path = join(path, cert_field);
    let key_path = join(path, key_field);
    let chain = parse_chain(cert)
        .map_err(|e| errors.push(&cert_path, e))
        .ok();
    let private_key = if key.trim().is_empty() {
        errors.push(&key_path, "required field missing");
        None
    } else {
        PrivateKeyDer::from_pem_slice(key.as_bytes())
            .map_err(|e| errors.push(&key_path, format!("invalid key: {e}")))
            .ok()
    };
    let (Some(chain), Some(private_key)) = (chain, private_key) else {
        return;
    };
    match rustls::sign::CertifiedKey::from_der(chain, private_key, ctx.provider) {
        Ok(_) => {}
        Err(rustls::Error::InconsistentKeys(_)) => {
            errors.push(&key_path, "certificate does not match key");
        }
        Err(e) => errors.push(&cert_path, format!("invalid certificate or key: {e}")),
    }
}

/// An SNI (`snis` entity): a server name (exact or with one wildcard) and its certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Sni {
    /// The id.
    pub id: Uuid,
    /// `name` (validated by mtls-sni's rules; unique, case-insensitively).
    pub name: String,
    /// The certificate's id.
    #[serde(with = "super::wire::required_foreign")]
    pub certificate: Uuid,
    /// `tags`.
    #[serde(with = "super::wire::list", default)]
    pub tags: Vec<String>,
}

const SNI_FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("name", Type::String)
        .required()
        .check(checks::sni),
    Field::new("certificate", Type::Foreign("certificates")),
    Field::new("tags", STRINGS),
];

/// The `snis` schema.
pub(super) static SNI_SCHEMA: Schema = Schema {
    name: "snis",
    singular: "sni",
    endpoint_key: Some("name"),
    fields: SNI_FIELDS,
    ignored: &TIMESTAMPS,
};

impl Entity for Sni {
    fn schema() -> &'static Schema {
        &SNI_SCHEMA
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn natural_key(&self) -> Option<String> {
        Some(self.name.clone())
    }

    fn endpoint_key(&self) -> Option<String> {
        Some(self.name.to_ascii_lowercase())
    }
}
