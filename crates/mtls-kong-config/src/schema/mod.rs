//! Kong's schemas, as data: which fields an entity (or a plugin's `config`) has, their types,
//! defaults and checks. One generic reader ([`read_record`]) applies a schema to a record as
//! written (from kong.yaml, a JSON file, an Admin API body or a Kubernetes translation),
//! reporting every problem with its path in Kong's words and filling Kong's defaults; the
//! result is then decoded into the typed entity with serde.
//!
//! This is the one place where field names, types and defaults are written down: the
//! declarative loader, the Admin API and the database rows all go through it.

mod read;

pub use read::{read_record, read_value};

use serde_json::Value;

/// A field's type, with Kong's names for them.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Type {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `integer` between `min` and `max` (inclusive).
    Integer {
        /// The smallest accepted value.
        min: i64,
        /// The largest accepted value.
        max: i64,
    },
    /// `number` (integers accepted).
    Number,
    /// A hyphenated UUID, as a string or as `{id: ...}`.
    Uuid,
    /// `array` of the element type (`set` in Kong reads the same).
    Array(&'static Type),
    /// `map` from strings to the value type.
    Map(&'static Type),
    /// A string that must be one of these.
    OneOf(&'static [&'static str]),
    /// `foreign`: a reference to an entity of this kind (its table name), written as its id,
    /// its endpoint key (name, username) or `{id: ...}`.
    Foreign(&'static str),
    /// `record`: a nested record with these fields.
    Record(&'static [Field]),
}

/// A field's default, applied when the field is absent (or null, unless the field is
/// [`nullable`](Field::nullable)).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Default {
    /// No default: the field is null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number.
    Number(f64),
    /// A string.
    Str(&'static str),
    /// A list of strings (`[]` for an empty list).
    Strings(&'static [&'static str]),
    /// An empty map.
    EmptyMap,
    /// A record with every field at its default.
    Record,
}

/// A check on a present, well-typed value (for arrays: on each element): `Err` is the message.
pub type Check = fn(&Value) -> Result<(), String>;

/// One field of a schema.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The field's name.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// Whether it must be given ("required field missing").
    pub required: bool,
    /// Its default.
    pub default: Default,
    /// Whether an explicit null is a value of its own (Kong's `consumer_by: null` disables
    /// matching, `authenticated_group_by: null` sets no group) instead of "the default".
    pub nullable: bool,
    /// A check on the value (on each element, for arrays).
    pub check: Option<Check>,
    /// Whether a value that fails its check reads as the field's default (for values the
    /// typed entity cannot hold otherwise); by default it is kept and reported.
    pub strict: bool,
}

impl Field {
    /// An optional field of this type, null by default.
    pub const fn new(name: &'static str, ty: Type) -> Self {
        Self {
            name,
            ty,
            required: false,
            default: Default::Null,
            nullable: false,
            check: None,
            strict: false,
        }
    }

    /// The field must be given.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Sets the default.
    pub const fn default(mut self, default: Default) -> Self {
        self.default = default;
        self
    }

    /// An explicit null is kept as null.
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// A value that fails its check reads as the default.
    pub const fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Adds a check on the value.
    pub const fn check(mut self, check: Check) -> Self {
        self.check = Some(check);
        self
    }
}

/// An entity's schema.
#[derive(Clone, Copy, Debug)]
pub struct Schema {
    /// Kong's table name, also the declarative key and the Admin API collection
    /// (`services`, `mtls_auth_credentials`).
    pub name: &'static str,
    /// The singular, for messages (`service`).
    pub singular: &'static str,
    /// The field a reference may name instead of the id (`name`, `username`), if any.
    pub endpoint_key: Option<&'static str>,
    /// The fields.
    pub fields: &'static [Field],
    /// Fields Kong has that this project accepts and does not use.
    pub ignored: &'static [&'static str],
}

impl Schema {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Kong's `created_at` / `updated_at`: accepted on every entity as written, kept by the store.
pub const TIMESTAMPS: [&str; 2] = ["created_at", "updated_at"];

/// The largest integer Kong's schemas accept for a timeout (2^31 - 1).
pub const MAX_I32: i64 = i32::MAX as i64;

/// Field type shorthands, for the schema tables.
pub mod types {
    use super::Type;

    /// An array of strings.
    pub const STRINGS: Type = Type::Array(&Type::String);
    /// An array of UUIDs.
    pub const UUIDS: Type = Type::Array(&Type::Uuid);
    /// A port.
    pub const PORT: Type = Type::Integer { min: 0, max: 65535 };
    /// Kong's protocol names.
    pub const PROTOCOL_NAMES: &[&str] = &[
        "grpc",
        "grpcs",
        "http",
        "https",
        "tcp",
        "tls",
        "tls_passthrough",
        "udp",
        "ws",
        "wss",
    ];
    /// One protocol.
    pub const PROTOCOL: Type = Type::OneOf(PROTOCOL_NAMES);
    /// A list of protocols.
    pub const PROTOCOLS: Type = Type::Array(&PROTOCOL);
}
