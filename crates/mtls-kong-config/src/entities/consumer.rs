//! `consumers`, their manual mappings (`mtls_auth_credentials`, `header_cert_auth_credentials`)
//! and their ACL groups (`acls`). Consumers and credentials are mtls-consumer's own types; the
//! rules across them (unique usernames, subject names per CA) are its store's.

use mtls_consumer::{Consumer, Credential};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Entity, checks};
use crate::schema::types::STRINGS;
use crate::schema::{Field, Schema, TIMESTAMPS, Type};

const CONSUMER_FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("username", Type::String),
    Field::new("custom_id", Type::String),
    Field::new("tags", STRINGS),
];

/// The `consumers` schema.
pub(super) static CONSUMER_SCHEMA: Schema = Schema {
    name: "consumers",
    singular: "consumer",
    endpoint_key: Some("username"),
    fields: CONSUMER_FIELDS,
    ignored: &TIMESTAMPS,
};

impl Entity for Consumer {
    fn schema() -> &'static Schema {
        &CONSUMER_SCHEMA
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn natural_key(&self) -> Option<String> {
        self.username
            .as_deref()
            .map(|u| format!("username:{u}"))
            .or_else(|| self.custom_id.as_deref().map(|c| format!("custom_id:{c}")))
    }

    fn endpoint_key(&self) -> Option<String> {
        self.username.clone()
    }
}

const CREDENTIAL_FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("consumer", Type::Foreign("consumers")),
    Field::new("subject_name", Type::String)
        .required()
        .check(checks::present),
    Field::new("ca_certificate", Type::Foreign("ca_certificates")),
    Field::new("tags", STRINGS),
];

/// The `mtls_auth_credentials` schema.
pub(super) static MTLS_AUTH_CREDENTIAL_SCHEMA: Schema = Schema {
    name: "mtls_auth_credentials",
    singular: "mtls_auth_credential",
    endpoint_key: None,
    fields: CREDENTIAL_FIELDS,
    ignored: &TIMESTAMPS,
};

/// The `header_cert_auth_credentials` schema.
pub(super) static HEADER_CERT_AUTH_CREDENTIAL_SCHEMA: Schema = Schema {
    name: "header_cert_auth_credentials",
    singular: "header_cert_auth_credential",
    endpoint_key: None,
    fields: CREDENTIAL_FIELDS,
    ignored: &TIMESTAMPS,
};

impl Entity for Credential {
    fn schema() -> &'static Schema {
        &MTLS_AUTH_CREDENTIAL_SCHEMA
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn natural_key(&self) -> Option<String> {
        Some(format!(
            "{}\0{}\0{}",
            self.consumer,
            self.subject_name,
            self.ca_certificate
                .map(|c| c.to_string())
                .unwrap_or_default()
        ))
    }
}

/// An ACL group membership (`acls` entity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AclGroup {
    /// The id.
    pub id: Uuid,
    /// The consumer's id.
    #[serde(with = "super::wire::required_foreign")]
    pub consumer: Uuid,
    /// `group`.
    pub group: String,
    /// `tags`.
    #[serde(with = "super::wire::list", default)]
    pub tags: Vec<String>,
}

impl AclGroup {
    /// A membership of `consumer` in `group`.
    pub fn new(id: Uuid, consumer: Uuid, group: impl Into<String>) -> Self {
        Self {
            id,
            consumer,
            group: group.into(),
            tags: Vec::new(),
        }
    }
}

const ACL_FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("consumer", Type::Foreign("consumers")),
    Field::new("group", Type::String)
        .required()
        .check(checks::present),
    Field::new("tags", STRINGS),
];

/// The `acls` schema.
pub(super) static ACL_SCHEMA: Schema = Schema {
    name: "acls",
    singular: "acl",
    endpoint_key: None,
    fields: ACL_FIELDS,
    ignored: &TIMESTAMPS,
};

impl Entity for AclGroup {
    fn schema() -> &'static Schema {
        &ACL_SCHEMA
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn natural_key(&self) -> Option<String> {
        Some(format!("{}\0{}", self.consumer, self.group))
    }
}
