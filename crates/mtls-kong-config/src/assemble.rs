//! The rules across entities, once every entity is resolved and checked: one CA per digest,
//! one membership per consumer and group, one instance per plugin and scope, and the consumer
//! and credential rules of mtls-consumer's store; then the [`Config`] itself.

use std::collections::HashMap;
use std::sync::Arc;

use mtls_consumer::{CredentialKind, EntityError, InMemoryStoreBuilder};
use uuid::Uuid;

use crate::config::{Config, Entities};
use crate::declarative::FormatVersion;
use crate::entities::PluginScope;
use crate::error::{Errors, join};

/// Applies the cross-entity rules and builds the configuration; `None` when the consumer
/// store refused the consumers (its errors are reported with paths).
pub(crate) fn assemble(
    mut entities: Entities,
    format_version: FormatVersion,
    trusted_ips: &mtls_header::TrustedIps,
    errors: &mut Errors,
) -> Option<Config> {
    unique_cas(&mut entities, errors);
    unique_acls(&mut entities, errors);
    unique_plugin_scopes(&entities, errors);
    for (cert, _) in &mut entities.certificates {
        cert.snis = entities
            .snis
            .iter()
            .filter(|(s, _)| s.certificate == cert.id)
            .map(|(s, _)| s.name.clone())
            .collect();
    }
    let store = InMemoryStoreBuilder::default()
        .ca_certificates(entities.ca_certificates.iter().map(|(c, _)| c.id))
        .consumers(entities.consumers.iter().map(|(c, _)| c.clone()))
        .mtls_auth_credentials(
            entities
                .mtls_auth_credentials
                .iter()
                .map(|(c, _)| c.clone()),
        )
        .header_cert_auth_credentials(
            entities
                .header_cert_auth_credentials
                .iter()
                .map(|(c, _)| c.clone()),
        )
        .build();
    let store = match store {
        Ok(store) => store,
        Err(e) => {
            let paths = entity_paths(&entities);
            for error in e.errors() {
                report(error, &paths, errors);
            }
            return None;
        }
    };
    Config::from_parts(
        entities,
        format_version,
        trusted_ips.clone(),
        Arc::new(store),
    )
    .map_err(|(path, message)| errors.push(path, message))
    .ok()
}

fn unique_cas(entities: &mut Entities, errors: &mut Errors) {
    let mut digests: HashMap<String, String> = HashMap::new();
    entities.ca_certificates.retain(|(ca, path)| {
        if let Some(first) = digests.get(&ca.cert_digest) {
            errors.push(
                join(path, "cert"),
                format!(
                    "UNIQUE violation detected on '{{cert_digest=\"{}\"}}': the same certificate \
                     is {first}",
                    ca.cert_digest
                ),
            );
            return false;
        }
        digests.insert(ca.cert_digest.clone(), path.clone());
        true
    });
}

fn unique_acls(entities: &mut Entities, errors: &mut Errors) {
    let mut seen: HashMap<(Uuid, String), String> = HashMap::new();
    entities.acls.retain(|(acl, path)| {
        let key = (acl.consumer, acl.group.clone());
        if let Some(first) = seen.get(&key) {
            errors.push(
                join(path, "group"),
                format!("the consumer is already in group {:?} ({first})", acl.group),
            );
            return false;
        }
        seen.insert(key, path.clone());
        true
    });
}

fn unique_plugin_scopes(entities: &Entities, errors: &mut Errors) {
    let mut scopes: HashMap<(&'static str, PluginScope), &str> = HashMap::new();
    for (plugin, path) in &entities.plugins {
        let key = (plugin.name(), plugin.scope);
        match scopes.get(&key) {
            Some(first) => errors.push(
                path,
                format!(
                    "{} is already configured with the same scope at {first}",
                    plugin.name()
                ),
            ),
            None => {
                scopes.insert(key, path);
            }
        }
    }
}

pub(crate) type Paths = HashMap<(Option<CredentialKind>, Uuid), String>;

fn entity_paths(entities: &Entities) -> Paths {
    let mut paths = Paths::new();
    for (c, path) in &entities.consumers {
        paths.entry((None, c.id)).or_insert_with(|| path.clone());
    }
    for (kind, list) in [
        (CredentialKind::MtlsAuth, &entities.mtls_auth_credentials),
        (
            CredentialKind::HeaderCertAuth,
            &entities.header_cert_auth_credentials,
        ),
    ] {
        for (c, path) in list {
            paths
                .entry((Some(kind), c.id))
                .or_insert_with(|| path.clone());
        }
    }
    paths
}

/// Puts a store error at the path of the entity it names.
pub(crate) fn report(error: &EntityError, paths: &Paths, errors: &mut Errors) {
    let at = |kind: Option<CredentialKind>, id: Uuid, field: &str| {
        let base = paths.get(&(kind, id)).map_or_else(
            || kind.map_or("consumers", |k| k.entity_name()).to_owned(),
            Clone::clone,
        );
        if field.is_empty() {
            base
        } else {
            join(&base, field)
        }
    };
    let path = match error {
        // Ids are checked (with paths) before the store is built.
        EntityError::DuplicateConsumerId { .. } | EntityError::DuplicateCredentialId { .. } => {
            return;
        }
        EntityError::ConsumerWithoutName { consumer } => at(None, *consumer, ""),
        EntityError::EmptyConsumerField { consumer, field } => at(None, *consumer, field.as_str()),
        EntityError::DuplicateUsername { second, .. } => at(None, *second, "username"),
        EntityError::DuplicateCustomId { second, .. } => at(None, *second, "custom_id"),
        EntityError::EmptySubjectName { kind, credential } => {
            at(Some(*kind), *credential, "subject_name")
        }
        EntityError::DuplicateSubjectName { kind, second, .. } => {
            at(Some(*kind), *second, "subject_name")
        }
        EntityError::UnknownConsumer {
            kind, credential, ..
        } => at(Some(*kind), *credential, "consumer"),
        EntityError::UnknownCaCertificate {
            kind, credential, ..
        } => at(Some(*kind), *credential, "ca_certificate"),
        EntityError::TooMany { entity, .. } => (*entity).to_owned(),
        other => {
            errors.push("consumers", other.to_string());
            return;
        }
    };
    errors.push(path, error.to_string());
}
