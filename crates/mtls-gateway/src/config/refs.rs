//! Foreign keys as Kong's declarative format writes them, and their resolution to ids.
//!
//! A reference (a route's `service`, a credential's `consumer`, a plugin's `route`, ...) is
//! written as the referenced entity's id, as its name (a consumer's username), or as an object
//! `{id: ...}`. All three forms resolve to the same id.

use std::collections::HashMap;
use std::fmt;

use mtls_consumer::parse_kong_uuid;
use uuid::Uuid;

/// A foreign key as written: an id (bare or as `{id: ...}`) or a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reference {
    /// The referenced entity's id.
    Id(Uuid),
    /// The referenced entity's name (a consumer's username).
    Name(String),
}

impl Reference {
    /// Reads a reference string as Kong does: a hyphenated UUID is an id, anything else a
    /// name.
    pub fn parse(value: &str) -> Self {
        match parse_kong_uuid(value) {
            Some(id) => Self::Id(id),
            None => Self::Name(value.to_owned()),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Name(name) => write!(f, "{name:?}"),
        }
    }
}

impl From<Uuid> for Reference {
    fn from(id: Uuid) -> Self {
        Self::Id(id)
    }
}

impl From<&str> for Reference {
    fn from(value: &str) -> Self {
        Self::parse(value)
    }
}

impl From<String> for Reference {
    fn from(value: String) -> Self {
        Self::parse(&value)
    }
}

/// Positions of one kind of entity by id and by name, for resolving references.
#[derive(Debug, Default)]
pub(crate) struct Index {
    by_id: HashMap<Uuid, usize>,
    by_name: HashMap<String, usize>,
}

impl Index {
    /// Records entity `position`'s id; returns the position that already had it, if any.
    pub(crate) fn insert_id(&mut self, id: Uuid, position: usize) -> Option<usize> {
        match self.by_id.get(&id) {
            Some(&first) => Some(first),
            None => {
                self.by_id.insert(id, position);
                None
            }
        }
    }

    /// Records entity `position`'s name; returns the position that already had it, if any.
    pub(crate) fn insert_name(&mut self, name: &str, position: usize) -> Option<usize> {
        match self.by_name.get(name) {
            Some(&first) => Some(first),
            None => {
                self.by_name.insert(name.to_owned(), position);
                None
            }
        }
    }

    /// The position of the entity `reference` names: by id, then (for a name, or an id that
    /// is some entity's name) by name.
    pub(crate) fn resolve(&self, reference: &Reference) -> Option<usize> {
        match reference {
            Reference::Id(id) => self
                .by_id
                .get(id)
                .or_else(|| self.by_name.get(&id.hyphenated().to_string()))
                .copied(),
            Reference::Name(name) => self.by_name.get(name).copied(),
        }
    }

    /// The position of the entity with this id.
    pub(crate) fn by_id(&self, id: Uuid) -> Option<usize> {
        self.by_id.get(&id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        let id = "8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
        assert!(matches!(Reference::parse(id), Reference::Id(_)));
        assert_eq!(Reference::parse("alice"), Reference::Name("alice".into()));
        let mut index = Index::default();
        assert_eq!(index.insert_name("alice", 0), None);
        assert_eq!(index.insert_name("alice", 1), Some(0));
        assert_eq!(index.resolve(&Reference::parse("alice")), Some(0));
        assert_eq!(index.resolve(&Reference::parse(id)), None);
    }
}
