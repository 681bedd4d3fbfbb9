//! From the flattened document to a validated [`Config`]: ids generated, names and ids
//! checked for duplicates, every reference resolved, every entity validated (with the core
//! crates' own checks where they have them). Every problem is collected with its path.

mod certificates;
mod consumers;
mod plugins;
mod services;

use std::collections::HashSet;

use mtls_header::TrustedIps;
use rustls::pki_types::UnixTime;
use uuid::Uuid;

use super::Config;
use super::error::{ConfigErrors, Errors, join};
use super::flat::Flat;
use super::refs::{Index, Reference};

/// The namespace of generated (v5) ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6d74_6c73_2d67_5b77_8a79_2d63_6f6e_6669);

/// What resolution needs besides the document.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) now: UnixTime,
    pub(crate) trusted_ips: TrustedIps,
}

/// The ids, names and paths of one kind of entity, for duplicate checks and references.
#[derive(Debug)]
pub(crate) struct Table {
    entity: &'static str,
    index: Index,
    ids: Vec<Uuid>,
    paths: Vec<String>,
    generated_keys: HashSet<String>,
}

impl Table {
    pub(crate) fn new(entity: &'static str) -> Self {
        Self {
            entity,
            index: Index::default(),
            ids: Vec::new(),
            paths: Vec::new(),
            generated_keys: HashSet::new(),
        }
    }

    /// Registers the next entity: its given id, or one generated from `natural_key` (or from
    /// its path when the key is absent or already taken). Returns its position and id.
    pub(crate) fn add(
        &mut self,
        given: Option<Uuid>,
        natural_key: Option<&str>,
        path: &str,
        errors: &mut Errors,
    ) -> (usize, Uuid) {
        let position = self.ids.len();
        let id = match given {
            Some(id) => {
                if let Some(first) = self.index.insert_id(id, position) {
                    errors.push(
                        join(path, "id"),
                        format!(
                            "duplicate id {id}: already used by {}",
                            self.path(first).unwrap_or_default()
                        ),
                    );
                }
                id
            }
            None => {
                let key = match natural_key {
                    Some(key) if self.generated_keys.insert(key.to_owned()) => key.to_owned(),
                    _ => format!("path:{path}"),
                };
                let id = Uuid::new_v5(&NAMESPACE, format!("{}\0{key}", self.entity).as_bytes());
                self.index.insert_id(id, position);
                id
            }
        };
        self.ids.push(id);
        self.paths.push(path.to_owned());
        (position, id)
    }

    /// Registers entity `position`'s unique name; a repeated one is an error at `field_path`.
    pub(crate) fn add_name(
        &mut self,
        name: &str,
        position: usize,
        field_path: &str,
        errors: &mut Errors,
    ) {
        if let Some(first) = self.index.insert_name(name, position) {
            errors.push(
                field_path,
                format!(
                    "duplicate name {name:?}: already used by {}",
                    self.path(first).unwrap_or_default()
                ),
            );
        }
    }

    /// The id of the entity `reference` names, or an error at `path`.
    pub(crate) fn resolve(
        &self,
        reference: &Reference,
        path: &str,
        errors: &mut Errors,
    ) -> Option<Uuid> {
        let found = self
            .index
            .resolve(reference)
            .and_then(|p| self.ids.get(p).copied());
        if found.is_none() {
            errors.push(
                path,
                format!("no {} with id or name {reference}", singular(self.entity)),
            );
        }
        found
    }

    /// Whether an entity has this id.
    pub(crate) fn contains(&self, id: Uuid) -> bool {
        self.index.by_id(id).is_some()
    }

    /// The id of entity `position`.
    pub(crate) fn id(&self, position: usize) -> Option<Uuid> {
        self.ids.get(position).copied()
    }

    /// The path entity `position` was written at.
    pub(crate) fn path(&self, position: usize) -> Option<&str> {
        self.paths.get(position).map(String::as_str)
    }
}

fn singular(entity: &str) -> &str {
    match entity {
        "ca_certificates" => "ca_certificate",
        "certificates" => "certificate",
        "services" => "service",
        "routes" => "route",
        "consumers" => "consumer",
        other => other,
    }
}

/// Resolves a foreign key that is either inherited from the enclosing entity or written.
/// A nested entity must not write it. `None` when absent, or on error (reported).
pub(crate) fn foreign(
    parent: Option<usize>,
    written: Option<&Reference>,
    table: &Table,
    path: &str,
    field: &str,
    errors: &mut Errors,
) -> Option<Uuid> {
    match (parent, written) {
        (Some(_), Some(_)) => {
            errors.push(
                join(path, field),
                format!(
                    "must not be set in a nested entity (it is the enclosing {})",
                    singular(table.entity)
                ),
            );
            None
        }
        (Some(position), None) => table.id(position),
        (None, Some(reference)) => table.resolve(reference, &join(path, field), errors),
        (None, None) => None,
    }
}

/// Kong's `utf8_name` check for service and route names.
pub(crate) fn check_name(name: &str, path: &str, errors: &mut Errors) {
    if name.is_empty() {
        errors.push(path, "length must be at least 1");
    } else if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '~'))
    {
        errors.push(
            path,
            format!(
                "invalid value '{name}': the only accepted ascii characters are alphanumerics \
                 or ., -, _, and ~"
            ),
        );
    }
}

/// Resolves and validates everything; `errors` holds what reading already found.
pub(crate) fn resolve(
    flat: Flat,
    options: &Options,
    errors: Errors,
) -> Result<Config, ConfigErrors> {
    let mut errors = errors;
    let format_version = flat.format_version;
    let cas = certificates::ca_certificates(flat.ca_certificates, options.now, &mut errors);
    let certs = certificates::certificates(flat.certificates, flat.snis, &mut errors);
    let services = services::services(flat.services, &cas.table, &certs.table, &mut errors);
    let routes = services::routes(flat.routes, &services.table, format_version, &mut errors);
    let consumers = consumers::consumers(
        consumers::Input {
            consumers: flat.consumers,
            mtls_auth_credentials: flat.mtls_auth_credentials,
            header_cert_auth_credentials: flat.header_cert_auth_credentials,
            acls: flat.acls,
        },
        &cas.table,
        &mut errors,
    );
    let plugins = plugins::plugins(
        flat.plugins,
        &plugins::Tables {
            ca_certificates: &cas.table,
            services: &services.table,
            routes: &routes.table,
        },
        &mut errors,
    );
    let Some(store) = consumers.store else {
        return Err(errors.into_failure("consumers", "the consumer store could not be built"));
    };
    errors.finish(Config {
        format_version,
        ca_certificates: cas.entities,
        certificates: certs.entities,
        snis: certs.snis,
        services: services.entities,
        routes: routes.entities,
        consumers: consumers.consumers,
        mtls_auth_credentials: consumers.mtls_auth_credentials,
        header_cert_auth_credentials: consumers.header_cert_auth_credentials,
        acls: consumers.acls,
        plugins,
        trusted_ips: options.trusted_ips.clone(),
        consumer_store: std::sync::Arc::new(store),
    })
}
