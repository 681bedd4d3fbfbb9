//! Kong's `consumers` entity: who a request is, once its certificate has been accepted.

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// A Kong consumer (`consumers` entity).
///
/// Kong requires at least one of `username` and `custom_id`, each unique across all consumers
/// and at least one character long. These rules are checked when a store is built
/// ([`InMemoryStoreBuilder::build`](crate::InMemoryStoreBuilder::build)), not here, so that a
/// declarative configuration can be read whole and every problem reported at once.
///
/// Serde uses Kong's field names (`id`, `username`, `custom_id`, `tags`); other fields of Kong's
/// entity (`created_at`, `updated_at`, ...) are ignored, and `tags: null` reads as no tags.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Consumer {
    /// The consumer's id, sent upstream as `X-Consumer-ID`.
    pub id: Uuid,
    /// The consumer's username, unique; matched exactly (case-sensitive) against certificate
    /// names when `consumer_by` contains `username`.
    #[serde(default)]
    pub username: Option<String>,
    /// The consumer's custom id, unique; matched exactly (case-sensitive) against certificate
    /// names when `consumer_by` contains `custom_id`.
    #[serde(default)]
    pub custom_id: Option<String>,
    /// Free-form tags, kept for round-trips; they play no part in matching.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
}

impl Consumer {
    /// A consumer with a username and no custom id or tags.
    pub fn with_username(id: Uuid, username: impl Into<String>) -> Self {
        Self {
            id,
            username: Some(username.into()),
            custom_id: None,
            tags: Vec::new(),
        }
    }

    /// A consumer with a custom id and no username or tags.
    pub fn with_custom_id(id: Uuid, custom_id: impl Into<String>) -> Self {
        Self {
            id,
            username: None,
            custom_id: Some(custom_id.into()),
            tags: Vec::new(),
        }
    }

    /// The username, if any, as a string slice.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The custom id, if any, as a string slice.
    pub fn custom_id(&self) -> Option<&str> {
        self.custom_id.as_deref()
    }

    /// The value of `field` for this consumer.
    pub fn field(&self, field: ConsumerField) -> Option<&str> {
        match field {
            ConsumerField::Username => self.username(),
            ConsumerField::CustomId => self.custom_id(),
        }
    }
}

/// A consumer field a certificate name can be matched against (an element of Kong's
/// `consumer_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerField {
    /// `username`.
    Username,
    /// `custom_id`.
    CustomId,
}

impl ConsumerField {
    /// Kong's name for the field: `username` or `custom_id`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::CustomId => "custom_id",
        }
    }
}

impl std::fmt::Display for ConsumerField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `value` as an id the way Kong's `is_valid_uuid` does: only the hyphenated
/// 8-4-4-4-12 form (either case) is an id; anything else (braces, `urn:uuid:`, no hyphens) is
/// not, and is then only ever looked up as a username.
pub fn parse_kong_uuid(value: &str) -> Option<Uuid> {
    if value.len() != 36 {
        return None;
    }
    // With exactly 36 characters, `try_parse` accepts only the hyphenated form.
    Uuid::try_parse(value).ok()
}

/// Reads `null` (or an absent field, with `#[serde(default)]`) as an empty list.
pub(crate) fn null_as_empty<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kong_uuid_only_hyphenated() {
        let id = "8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
        assert!(parse_kong_uuid(id).is_some());
        assert!(parse_kong_uuid(&id.to_uppercase()).is_some());
        assert!(parse_kong_uuid("8f4a1b2c3d4e4f508a6b7c8d9e0f1a2b").is_none());
        assert!(parse_kong_uuid("{8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b}").is_none());
        assert!(parse_kong_uuid("urn:uuid:8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b").is_none());
        assert!(parse_kong_uuid("alice").is_none());
        assert!(parse_kong_uuid("8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2g").is_none());
    }

    #[test]
    fn field_accessors() {
        let c = Consumer {
            id: Uuid::nil(),
            username: Some("alice".into()),
            custom_id: Some("A-1".into()),
            tags: vec![],
        };
        assert_eq!(c.field(ConsumerField::Username), Some("alice"));
        assert_eq!(c.field(ConsumerField::CustomId), Some("A-1"));
        assert_eq!(ConsumerField::CustomId.to_string(), "custom_id");
    }
}
