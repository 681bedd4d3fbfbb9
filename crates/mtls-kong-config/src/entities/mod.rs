//! The entities: one typed struct per Kong entity, in Kong's JSON shape (serde), each with
//! its schema and its checks. The declarative loader, the Admin API and the database all read
//! and write these; nothing else models an entity.

mod ca_certificate;
mod certificate;
pub(crate) mod checks;
mod consumer;
mod plugin;
mod route;
mod service;
pub(crate) mod wire;

pub use ca_certificate::CaCertificate;
pub use certificate::{Certificate, ChainAndKey, Sni};
pub use checks::is_host;
pub use consumer::AclGroup;
pub use mtls_consumer::{Consumer, Credential, CredentialKind};
pub use plugin::{PluginInstance, PluginScope, written_name};
pub use route::{PathHandling, Route};
pub use service::Service;
pub use wire::parse_protocol;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::UnixTime;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::declarative::FormatVersion;
use crate::error::Errors;
use crate::schema::{Schema, read_record};

/// The kinds of entity, in the order they are resolved (each refers only to earlier ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// `ca_certificates`.
    CaCertificate,
    /// `certificates`.
    Certificate,
    /// `snis`.
    Sni,
    /// `services`.
    Service,
    /// `routes`.
    Route,
    /// `consumers`.
    Consumer,
    /// `mtls_auth_credentials`.
    MtlsAuthCredential,
    /// `header_cert_auth_credentials`.
    HeaderCertAuthCredential,
    /// `acls`.
    Acl,
    /// `plugins`.
    Plugin,
}

impl Kind {
    /// Every kind, in resolution order.
    pub const ALL: [Kind; 10] = [
        Kind::CaCertificate,
        Kind::Certificate,
        Kind::Sni,
        Kind::Service,
        Kind::Route,
        Kind::Consumer,
        Kind::MtlsAuthCredential,
        Kind::HeaderCertAuthCredential,
        Kind::Acl,
        Kind::Plugin,
    ];

    /// The kind's schema.
    pub fn schema(self) -> &'static Schema {
        match self {
            Kind::CaCertificate => &ca_certificate::SCHEMA,
            Kind::Certificate => &certificate::SCHEMA,
            Kind::Sni => &certificate::SNI_SCHEMA,
            Kind::Service => &service::SCHEMA,
            Kind::Route => &route::SCHEMA,
            Kind::Consumer => &consumer::CONSUMER_SCHEMA,
            Kind::MtlsAuthCredential => &consumer::MTLS_AUTH_CREDENTIAL_SCHEMA,
            Kind::HeaderCertAuthCredential => &consumer::HEADER_CERT_AUTH_CREDENTIAL_SCHEMA,
            Kind::Acl => &consumer::ACL_SCHEMA,
            Kind::Plugin => &plugin::SCHEMA,
        }
    }

    /// Kong's table name (`services`).
    pub fn table(self) -> &'static str {
        self.schema().name
    }

    /// The kind of a table name.
    pub fn from_table(name: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.table() == name)
    }

    /// The position in [`Kind::ALL`].
    pub fn position(self) -> usize {
        self as usize
    }

    /// The credential table, for the two credential kinds.
    pub fn credential_kind(self) -> Option<CredentialKind> {
        match self {
            Kind::MtlsAuthCredential => Some(CredentialKind::MtlsAuth),
            Kind::HeaderCertAuthCredential => Some(CredentialKind::HeaderCertAuth),
            _ => None,
        }
    }
}

/// What reading and checking an entity may consult besides the entity.
pub struct Context<'a> {
    /// The time CA certificates are checked against (Kong refuses an expired CA).
    pub now: UnixTime,
    /// The declarative format version (2.1 files get Kong 3's regex path migration).
    pub format_version: FormatVersion,
    /// The crypto provider certificate keys are checked with.
    pub provider: &'a CryptoProvider,
    /// Whether an entity of a kind resolved earlier has this id.
    pub exists: &'a dyn Fn(Kind, Uuid) -> bool,
    /// Whether the records were checked when they were stored ([`crate::Loader::stored`]):
    /// a CA certificate is then not refused for having expired since.
    pub stored: bool,
}

impl Context<'_> {
    /// Whether an entity of `kind` (resolved before the one being checked) has `id`.
    pub fn exists(&self, kind: Kind, id: Uuid) -> bool {
        (self.exists)(kind, id)
    }
}

/// A typed entity: its schema, its id, its keys, and the checks beyond its fields' types.
pub trait Entity: Clone + Serialize + DeserializeOwned {
    /// The schema.
    fn schema() -> &'static Schema;

    /// Reads a record as written with the schema (entities with shorthands, such as a
    /// service's `url`, or with a `config` chosen by name, read more). `skip` are keys the
    /// caller reads itself (nested entities).
    fn read(
        value: &Value,
        path: &str,
        skip: &[&str],
        _ctx: &Context<'_>,
        errors: &mut Errors,
    ) -> Option<Map<String, Value>> {
        let schema = Self::schema();
        read_record(schema.fields, schema.ignored, skip, value, path, errors)
    }

    /// The id.
    fn id(&self) -> Uuid;

    /// Sets the id.
    fn set_id(&mut self, id: Uuid);

    /// The key a missing id is derived from (so the same entity gets the same id across
    /// loads), if the entity has one.
    fn natural_key(&self) -> Option<String> {
        None
    }

    /// The unique key references may use instead of the id (name, username), if any.
    fn endpoint_key(&self) -> Option<String> {
        None
    }

    /// The checks beyond the fields' own (across fields, against earlier kinds), with their
    /// paths; may complete derived fields (a CA's digest).
    fn check(&mut self, _path: &str, _ctx: &Context<'_>, _errors: &mut Errors) {}
}

/// An entity of any kind.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AnyEntity {
    /// A CA certificate.
    CaCertificate(CaCertificate),
    /// A certificate.
    Certificate(Certificate),
    /// An SNI.
    Sni(Sni),
    /// A service.
    Service(Service),
    /// A route.
    Route(Route),
    /// A consumer.
    Consumer(Consumer),
    /// A credential of one of the two tables.
    Credential(CredentialKind, Credential),
    /// An ACL group membership.
    Acl(AclGroup),
    /// A plugin instance.
    Plugin(PluginInstance),
}

impl AnyEntity {
    /// The entity's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Self::CaCertificate(_) => Kind::CaCertificate,
            Self::Certificate(_) => Kind::Certificate,
            Self::Sni(_) => Kind::Sni,
            Self::Service(_) => Kind::Service,
            Self::Route(_) => Kind::Route,
            Self::Consumer(_) => Kind::Consumer,
            Self::Credential(CredentialKind::MtlsAuth, _) => Kind::MtlsAuthCredential,
            Self::Credential(CredentialKind::HeaderCertAuth, _) => Kind::HeaderCertAuthCredential,
            Self::Acl(_) => Kind::Acl,
            Self::Plugin(_) => Kind::Plugin,
        }
    }

    /// The entity's id.
    pub fn id(&self) -> Uuid {
        match self {
            Self::CaCertificate(e) => e.id,
            Self::Certificate(e) => e.id,
            Self::Sni(e) => e.id,
            Self::Service(e) => e.id,
            Self::Route(e) => e.id,
            Self::Consumer(e) => e.id,
            Self::Credential(_, e) => e.id,
            Self::Acl(e) => e.id,
            Self::Plugin(e) => e.id,
        }
    }

    /// The entity in Kong's JSON shape.
    pub fn to_json(&self) -> Value {
        let value = match self {
            Self::CaCertificate(e) => serde_json::to_value(e),
            Self::Certificate(e) => serde_json::to_value(e),
            Self::Sni(e) => serde_json::to_value(e),
            Self::Service(e) => serde_json::to_value(e),
            Self::Route(e) => serde_json::to_value(e),
            Self::Consumer(e) => serde_json::to_value(e),
            Self::Credential(_, e) => serde_json::to_value(e),
            Self::Acl(e) => serde_json::to_value(e),
            Self::Plugin(e) => serde_json::to_value(e),
        };
        // Serialising these plain structs into a `Value` cannot fail.
        value.unwrap_or(Value::Null)
    }

    /// Decodes an entity of `kind` from its JSON shape (a stored row, already checked).
    pub fn from_json(kind: Kind, value: Value) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            Kind::CaCertificate => Self::CaCertificate(serde_json::from_value(value)?),
            Kind::Certificate => Self::Certificate(serde_json::from_value(value)?),
            Kind::Sni => Self::Sni(serde_json::from_value(value)?),
            Kind::Service => Self::Service(serde_json::from_value(value)?),
            Kind::Route => Self::Route(serde_json::from_value(value)?),
            Kind::Consumer => Self::Consumer(serde_json::from_value(value)?),
            Kind::MtlsAuthCredential => {
                Self::Credential(CredentialKind::MtlsAuth, serde_json::from_value(value)?)
            }
            Kind::HeaderCertAuthCredential => Self::Credential(
                CredentialKind::HeaderCertAuth,
                serde_json::from_value(value)?,
            ),
            Kind::Acl => Self::Acl(serde_json::from_value(value)?),
            Kind::Plugin => Self::Plugin(serde_json::from_value(value)?),
        })
    }
}
