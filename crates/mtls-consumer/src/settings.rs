//! The plugin settings that drive consumer matching (a subset of mtls-auth's and
//! header-cert-auth's configuration).

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::consumer::{ConsumerField, parse_kong_uuid};
use crate::credentials::CredentialKind;

/// Which Kong plugin is matching. Both share the matching rules; they differ in the
/// credentials table they read and in what an empty subject DN means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plugin {
    /// mtls-auth: the certificate came from the TLS handshake; DN in RFC 2253 form.
    MtlsAuth,
    /// header-cert-auth: the certificate came from a request header; DN in the sorted,
    /// "/"-joined form; an empty DN in `DN` group mode fails with
    /// "Certificate missing Subject DN".
    HeaderCertAuth,
}

impl Plugin {
    /// The credentials table this plugin reads.
    pub fn credential_kind(self) -> CredentialKind {
        match self {
            Self::MtlsAuth => CredentialKind::MtlsAuth,
            Self::HeaderCertAuth => CredentialKind::HeaderCertAuth,
        }
    }

    /// Kong's plugin name.
    pub fn name(self) -> &'static str {
        match self {
            Self::MtlsAuth => "mtls-auth",
            Self::HeaderCertAuth => "header-cert-auth",
        }
    }
}

impl std::fmt::Display for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Kong's `authenticated_group_by`: what becomes the authenticated group when
/// `skip_consumer_lookup` is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupBy {
    /// `CN`: the certificate's first common name (default).
    #[serde(rename = "CN")]
    CommonName,
    /// `DN`: the certificate's whole subject DN, as the plugin renders it.
    #[serde(rename = "DN")]
    SubjectDn,
}

/// A consumer named in the settings (`anonymous`, `default_consumer`): an id or a username.
///
/// Looked up as Kong does: by id first when the value is a hyphenated UUID, then by username.
/// The value is parsed once, here, not per request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConsumerReference {
    value: Arc<str>,
    id: Option<Uuid>,
}

impl ConsumerReference {
    /// A reference from the configured string.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        let value: Arc<str> = value.into();
        let id = parse_kong_uuid(&value);
        Self { value, id }
    }

    /// The configured string, as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The configured string, shared (used in messages without copying).
    pub fn shared_value(&self) -> &Arc<str> {
        &self.value
    }

    /// The value as an id, when it is one.
    pub fn id(&self) -> Option<Uuid> {
        self.id
    }
}

impl From<&str> for ConsumerReference {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<Uuid> for ConsumerReference {
    fn from(id: Uuid) -> Self {
        Self::new(id.hyphenated().to_string())
    }
}

impl Serialize for ConsumerReference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for ConsumerReference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::new(String::deserialize(deserializer)?))
    }
}

/// The settings consumer matching reads, with Kong's defaults ([`MatchSettings::new`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchSettings {
    /// Which plugin is matching (which credentials table, which DN rules).
    pub plugin: Plugin,
    /// Kong's `consumer_by`, in lookup order. Default `[username, custom_id]`; empty disables
    /// matching consumers by username and custom_id (manual mappings still apply).
    pub consumer_by: Vec<ConsumerField>,
    /// Kong's `skip_consumer_lookup`. Default `false`. When on, no consumer is looked up (no
    /// mapping, no `default_consumer`): the outcome carries the authenticated group (see
    /// `authenticated_group_by`) and the certificate headers.
    pub skip_consumer_lookup: bool,
    /// Kong's `authenticated_group_by`. Default `Some(CN)`; `None` (Kong's `null`) sets no
    /// group. Only read with `skip_consumer_lookup`.
    pub authenticated_group_by: Option<GroupBy>,
    /// Kong's `default_consumer`. Default none. The consumer for a valid certificate that
    /// matches nothing; if it does not exist the request fails with 401 "Unauthorized" and
    /// `anonymous` is not tried.
    pub default_consumer: Option<ConsumerReference>,
    /// Kong's `anonymous`. Default none. The consumer used when authentication fails (not when
    /// `default_consumer` is missing, nor on a store error); if it does not exist the request
    /// fails with 500.
    pub anonymous: Option<ConsumerReference>,
}

impl MatchSettings {
    /// Kong's defaults for `plugin`.
    pub fn new(plugin: Plugin) -> Self {
        Self {
            plugin,
            consumer_by: vec![ConsumerField::Username, ConsumerField::CustomId],
            skip_consumer_lookup: false,
            authenticated_group_by: Some(GroupBy::CommonName),
            default_consumer: None,
            anonymous: None,
        }
    }

    /// Kong's step 0: with `anonymous` set, a request another auth plugin has already given a
    /// credential is left alone (the gateway skips this plugin, and matching is not run).
    pub fn short_circuits(&self, request_has_credential: bool) -> bool {
        self.anonymous.is_some() && request_has_credential
    }
}

impl Default for MatchSettings {
    /// Kong's defaults for mtls-auth.
    fn default() -> Self {
        Self::new(Plugin::MtlsAuth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_parses_ids_once() {
        let id = Uuid::from_u128(7);
        let by_id = ConsumerReference::from(id);
        assert_eq!(by_id.id(), Some(id));
        assert_eq!(by_id.value(), "00000000-0000-0000-0000-000000000007");
        let by_name = ConsumerReference::new("alice");
        assert_eq!(by_name.id(), None);
        assert_eq!(by_name.value(), "alice");
    }

    #[test]
    fn defaults_are_kongs() {
        let s = MatchSettings::default();
        assert_eq!(s.plugin, Plugin::MtlsAuth);
        assert_eq!(
            s.consumer_by,
            [ConsumerField::Username, ConsumerField::CustomId]
        );
        assert!(!s.skip_consumer_lookup);
        assert_eq!(s.authenticated_group_by, Some(GroupBy::CommonName));
        assert!(s.default_consumer.is_none() && s.anonymous.is_none());
        assert!(!s.short_circuits(true));
        let mut s = s;
        s.anonymous = Some("anon".into());
        assert!(s.short_circuits(true));
        assert!(!s.short_circuits(false));
    }
}
