//! The tables, their versioned migrations, and the columns each entity's JSON fills.
//!
//! Every table holds the entity as Kong's JSON (`entity`), plus the columns the database
//! itself enforces or looks up: uniqueness (`name`, `username`, `cert_digest`, a `cache_key`
//! where Kong's is made of several fields), foreign keys with Kong's `on_delete` rules, and
//! `created_at` / `updated_at` (integer seconds). The SQL is shared by SQLite and PostgreSQL:
//! only the change log's sequence column differs ([`Dialect`]).

use mtls_kong_config::Kind;
use serde_json::Value;

/// The newest schema version this program migrates to.
pub const SCHEMA_VERSION: i64 = 1;

/// The engines the SQL is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// The table holding the schema version (one row).
pub(crate) const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS mtls_schema (version BIGINT NOT NULL)";

/// Migration `version` (1-based) for `dialect`, as statements.
pub(crate) fn migration(version: i64, dialect: Dialect) -> Vec<String> {
    let seq = match dialect {
        Dialect::Sqlite => "seq INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    };
    match version {
        1 => V1.iter().map(|s| s.replace("{seq}", seq)).collect(),
        _ => Vec::new(),
    }
}

/// Version 1: every entity table and the change log.
const V1: &[&str] = &[
    concat!(
        "CREATE TABLE ca_certificates (id TEXT PRIMARY KEY, cert_digest TEXT NOT NULL UNIQUE, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    concat!(
        "CREATE TABLE certificates (id TEXT PRIMARY KEY, entity TEXT NOT NULL, ",
        "created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    // Kong's certificates DAO deletes a certificate's SNIs with it.
    concat!(
        "CREATE TABLE snis (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, ",
        "certificate_id TEXT NOT NULL REFERENCES certificates (id) ON DELETE CASCADE, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    // `client_certificate` has no on_delete in Kong's schema: restrict.
    concat!(
        "CREATE TABLE services (id TEXT PRIMARY KEY, name TEXT UNIQUE, ",
        "client_certificate_id TEXT REFERENCES certificates (id) ON DELETE RESTRICT, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    // `service` has no on_delete in Kong's schema: a service with routes is not deleted.
    concat!(
        "CREATE TABLE routes (id TEXT PRIMARY KEY, name TEXT UNIQUE, ",
        "service_id TEXT REFERENCES services (id) ON DELETE RESTRICT, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    concat!(
        "CREATE TABLE consumers (id TEXT PRIMARY KEY, username TEXT UNIQUE, custom_id TEXT UNIQUE, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    // Kong's cache_key for manual mappings is (subject_name, ca_certificate); both foreign
    // keys cascade.
    concat!(
        "CREATE TABLE mtls_auth_credentials (id TEXT PRIMARY KEY, cache_key TEXT NOT NULL UNIQUE, ",
        "consumer_id TEXT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE, ",
        "ca_certificate_id TEXT REFERENCES ca_certificates (id) ON DELETE CASCADE, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    concat!(
        "CREATE TABLE header_cert_auth_credentials (id TEXT PRIMARY KEY, ",
        "cache_key TEXT NOT NULL UNIQUE, ",
        "consumer_id TEXT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE, ",
        "ca_certificate_id TEXT REFERENCES ca_certificates (id) ON DELETE CASCADE, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    // Kong's cache_key for acls is (consumer, group).
    concat!(
        "CREATE TABLE acls (id TEXT PRIMARY KEY, cache_key TEXT NOT NULL UNIQUE, ",
        "consumer_id TEXT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    // Kong's cache_key for plugins is (name, route, service, consumer); scopes cascade.
    concat!(
        "CREATE TABLE plugins (id TEXT PRIMARY KEY, name TEXT NOT NULL, ",
        "instance_name TEXT UNIQUE, cache_key TEXT NOT NULL UNIQUE, ",
        "service_id TEXT REFERENCES services (id) ON DELETE CASCADE, ",
        "route_id TEXT REFERENCES routes (id) ON DELETE CASCADE, ",
        "entity TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"
    ),
    "CREATE INDEX snis_certificate ON snis (certificate_id)",
    "CREATE INDEX services_client_certificate ON services (client_certificate_id)",
    "CREATE INDEX routes_service ON routes (service_id)",
    "CREATE INDEX mtls_auth_credentials_consumer ON mtls_auth_credentials (consumer_id)",
    "CREATE INDEX mtls_auth_credentials_ca ON mtls_auth_credentials (ca_certificate_id)",
    "CREATE INDEX header_cert_auth_credentials_consumer ON header_cert_auth_credentials (consumer_id)",
    "CREATE INDEX header_cert_auth_credentials_ca ON header_cert_auth_credentials (ca_certificate_id)",
    "CREATE INDEX acls_consumer ON acls (consumer_id)",
    "CREATE INDEX plugins_service ON plugins (service_id)",
    "CREATE INDEX plugins_route ON plugins (route_id)",
    // The change log: every write adds one row per entity it changed, in the same
    // transaction; `seq` orders them (LISTEN/NOTIFY and catch-up, issue 16).
    concat!(
        "CREATE TABLE changes ({seq}, kind TEXT NOT NULL, entity_id TEXT NOT NULL, ",
        "operation TEXT NOT NULL, at BIGINT NOT NULL)"
    ),
];

/// The columns besides `id`, `entity` and the timestamps that a kind's table has, each
/// filled from the entity's JSON.
pub(crate) fn columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::CaCertificate => &["cert_digest"],
        Kind::Certificate => &[],
        Kind::Sni => &["name", "certificate_id"],
        Kind::Service => &["name", "client_certificate_id"],
        Kind::Route => &["name", "service_id"],
        Kind::Consumer => &["username", "custom_id"],
        Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => {
            &["cache_key", "consumer_id", "ca_certificate_id"]
        }
        Kind::Acl => &["cache_key", "consumer_id"],
        Kind::Plugin => &[
            "name",
            "instance_name",
            "cache_key",
            "service_id",
            "route_id",
        ],
        _ => &[],
    }
}

fn text(entity: &Value, field: &str) -> Option<String> {
    entity.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn foreign(entity: &Value, field: &str) -> Option<String> {
    entity
        .get(field)
        .and_then(|f| f.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A cache key of several fields: their JSON array (unambiguous, and text both engines
/// store).
fn key(parts: &[Option<String>]) -> Option<String> {
    serde_json::to_string(parts).ok()
}

/// The values of [`columns`] for an entity of `kind` (Kong's JSON).
pub(crate) fn column_values(kind: Kind, entity: &Value) -> Vec<Option<String>> {
    match kind {
        Kind::CaCertificate => vec![text(entity, "cert_digest")],
        Kind::Certificate => Vec::new(),
        Kind::Sni => vec![
            text(entity, "name").map(|n| n.to_ascii_lowercase()),
            foreign(entity, "certificate"),
        ],
        Kind::Service => vec![text(entity, "name"), foreign(entity, "client_certificate")],
        Kind::Route => vec![text(entity, "name"), foreign(entity, "service")],
        Kind::Consumer => vec![text(entity, "username"), text(entity, "custom_id")],
        Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => vec![
            key(&[
                text(entity, "subject_name"),
                foreign(entity, "ca_certificate"),
            ]),
            foreign(entity, "consumer"),
            foreign(entity, "ca_certificate"),
        ],
        Kind::Acl => vec![
            key(&[foreign(entity, "consumer"), text(entity, "group")]),
            foreign(entity, "consumer"),
        ],
        Kind::Plugin => vec![
            text(entity, "name"),
            text(entity, "instance_name"),
            key(&[
                text(entity, "name"),
                foreign(entity, "route"),
                foreign(entity, "service"),
                foreign(entity, "consumer"),
            ]),
            foreign(entity, "service"),
            foreign(entity, "route"),
        ],
        _ => Vec::new(),
    }
}

/// `INSERT ... ON CONFLICT (id) DO UPDATE` for `kind` (created_at kept on update).
pub(crate) fn upsert_sql(kind: Kind) -> String {
    let cols = columns(kind);
    let mut names = vec!["id", "entity", "created_at", "updated_at"];
    names.extend_from_slice(cols);
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let updates: Vec<String> = names
        .iter()
        .filter(|n| !matches!(**n, "id" | "created_at"))
        .map(|n| format!("{n} = excluded.{n}"))
        .collect();
    format!(
        "INSERT INTO {table} ({names}) VALUES ({placeholders}) ON CONFLICT (id) DO UPDATE SET \
         {updates}",
        table = kind.table(),
        names = names.join(", "),
        placeholders = placeholders.join(", "),
        updates = updates.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_columns() {
        for kind in Kind::ALL {
            assert_eq!(
                columns(kind).len(),
                column_values(kind, &Value::Null).len(),
                "{kind:?}"
            );
            assert!(upsert_sql(kind).contains(kind.table()));
        }
        let sql = migration(1, Dialect::Postgres).join(";");
        assert!(sql.contains("GENERATED ALWAYS AS IDENTITY"));
        assert!(migration(2, Dialect::Sqlite).is_empty());
    }
}
