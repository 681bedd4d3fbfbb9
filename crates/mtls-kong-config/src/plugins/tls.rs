//! `tls-handshake-modifier` and `tls-metadata-headers`.

use serde::{Deserialize, Serialize};

use crate::entities::checks;
use crate::error::Errors;
use crate::schema::{Default, Field, Type};

/// Kong's `tls_client_certificate` of tls-handshake-modifier (one value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum TlsClientCertificate {
    /// `REQUEST`: request a certificate, never require it.
    #[default]
    #[serde(rename = "REQUEST")]
    Request,
}

/// `tls-handshake-modifier` (priority 997): requests a client certificate, never validates it.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TlsHandshakeModifierConfig {
    /// `tls_client_certificate` (default and only value `REQUEST`).
    pub tls_client_certificate: TlsClientCertificate,
}

/// The `config` fields of tls-handshake-modifier.
pub(crate) const TLS_HANDSHAKE_MODIFIER_FIELDS: &[Field] =
    &[
        Field::new("tls_client_certificate", Type::OneOf(&["REQUEST"]))
            .default(Default::Str("REQUEST")),
    ];

/// `tls-metadata-headers` (priority 996): the client certificate's details as upstream
/// headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TlsMetadataHeadersConfig {
    /// `inject_client_cert_details` (default false).
    pub inject_client_cert_details: bool,
    /// `client_cert_header_name` (default `X-Client-Cert`).
    pub client_cert_header_name: String,
    /// `client_serial_header_name` (default `X-Client-Cert-Serial`).
    pub client_serial_header_name: String,
    /// `client_cert_issuer_dn_header_name` (default `X-Client-Cert-Issuer-DN`).
    pub client_cert_issuer_dn_header_name: String,
    /// `client_cert_subject_dn_header_name` (default `X-Client-Cert-Subject-DN`).
    pub client_cert_subject_dn_header_name: String,
    /// `client_cert_fingerprint_header_name` (default `X-Client-Cert-Fingerprint`).
    pub client_cert_fingerprint_header_name: String,
}

impl std::default::Default for TlsMetadataHeadersConfig {
    fn default() -> Self {
        Self {
            inject_client_cert_details: false,
            client_cert_header_name: "X-Client-Cert".into(),
            client_serial_header_name: "X-Client-Cert-Serial".into(),
            client_cert_issuer_dn_header_name: "X-Client-Cert-Issuer-DN".into(),
            client_cert_subject_dn_header_name: "X-Client-Cert-Subject-DN".into(),
            client_cert_fingerprint_header_name: "X-Client-Cert-Fingerprint".into(),
        }
    }
}

impl TlsMetadataHeadersConfig {
    /// The header-name fields, with their Kong names.
    pub fn header_names(&self) -> [(&'static str, &str); 5] {
        [
            ("client_cert_header_name", &self.client_cert_header_name),
            ("client_serial_header_name", &self.client_serial_header_name),
            (
                "client_cert_issuer_dn_header_name",
                &self.client_cert_issuer_dn_header_name,
            ),
            (
                "client_cert_subject_dn_header_name",
                &self.client_cert_subject_dn_header_name,
            ),
            (
                "client_cert_fingerprint_header_name",
                &self.client_cert_fingerprint_header_name,
            ),
        ]
    }
}

/// The `config` fields of tls-metadata-headers.
pub(crate) const TLS_METADATA_HEADERS_FIELDS: &[Field] = &[
    Field::new("inject_client_cert_details", Type::Boolean).default(Default::Bool(false)),
    Field::new("client_cert_header_name", Type::String)
        .default(Default::Str("X-Client-Cert"))
        .check(checks::header_name),
    Field::new("client_serial_header_name", Type::String)
        .default(Default::Str("X-Client-Cert-Serial"))
        .check(checks::header_name),
    Field::new("client_cert_issuer_dn_header_name", Type::String)
        .default(Default::Str("X-Client-Cert-Issuer-DN"))
        .check(checks::header_name),
    Field::new("client_cert_subject_dn_header_name", Type::String)
        .default(Default::Str("X-Client-Cert-Subject-DN"))
        .check(checks::header_name),
    Field::new("client_cert_fingerprint_header_name", Type::String)
        .default(Default::Str("X-Client-Cert-Fingerprint"))
        .check(checks::header_name),
];

/// `acl` (priority 950): allow or deny by group. Exactly one of `allow` and `deny` must be
/// non-empty.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AclConfig {
    /// `allow`: groups let through (an empty list counts as unset, as in Kong).
    pub allow: Option<Vec<String>>,
    /// `deny`: groups refused (an empty list counts as unset, as in Kong).
    pub deny: Option<Vec<String>>,
    /// `hide_groups_header` (default false).
    pub hide_groups_header: bool,
    /// `always_use_authenticated_groups` (default false): read for compatibility with Kong
    /// 3.x files; the request decision documents how it uses it.
    pub always_use_authenticated_groups: bool,
    /// `include_consumer_groups` (default false): read for compatibility with Kong 3.x files
    /// (consumer groups are not part of this project).
    pub include_consumer_groups: bool,
}

impl AclConfig {
    /// An acl allowing these groups.
    pub fn allow<I: IntoIterator<Item = S>, S: Into<String>>(groups: I) -> Self {
        Self {
            allow: Some(groups.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// An acl denying these groups.
    pub fn deny<I: IntoIterator<Item = S>, S: Into<String>>(groups: I) -> Self {
        Self {
            deny: Some(groups.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// The rule as mtls-consumer runs it; `Err` when not exactly one of allow / deny is
    /// non-empty (never for a configuration that was loaded).
    pub fn acl(&self) -> Result<mtls_consumer::Acl, mtls_consumer::AclConfigError> {
        let non_empty = |v: &Option<Vec<String>>| v.clone().filter(|v| !v.is_empty());
        mtls_consumer::Acl::from_kong(
            non_empty(&self.allow),
            non_empty(&self.deny),
            self.hide_groups_header,
        )
    }

    pub(crate) fn check(&self, path: &str, errors: &mut Errors) {
        if let Err(e) = self.acl() {
            errors.push(path, e.to_string());
        }
    }
}

/// The `config` fields of acl.
pub(crate) const ACL_FIELDS: &[Field] = &[
    Field::new("allow", crate::schema::types::STRINGS),
    Field::new("deny", crate::schema::types::STRINGS),
    Field::new("hide_groups_header", Type::Boolean).default(Default::Bool(false)),
    Field::new("always_use_authenticated_groups", Type::Boolean).default(Default::Bool(false)),
    Field::new("include_consumer_groups", Type::Boolean).default(Default::Bool(false)),
];
