//! `consumers`, their credentials (both tables) and `acls`. Consumer and credential rules are
//! mtls-consumer's ([`InMemoryStoreBuilder::build`]); its errors are given the paths of the
//! entities they name.

use std::collections::HashMap;

use mtls_consumer::{
    Consumer, Credential, CredentialKind, EntityError, InMemoryStore, InMemoryStoreBuilder,
};
use uuid::Uuid;

use super::{Table, foreign};
use crate::config::entities::AclGroup;
use crate::config::error::{Errors, join};
use crate::config::flat::Located;
use crate::config::refs::Reference;
use crate::config::spec::{AclGroupSpec, ConsumerSpec, CredentialSpec};

pub(super) struct Input {
    pub(super) consumers: Vec<Located<ConsumerSpec>>,
    pub(super) mtls_auth_credentials: Vec<Located<CredentialSpec>>,
    pub(super) header_cert_auth_credentials: Vec<Located<CredentialSpec>>,
    pub(super) acls: Vec<Located<AclGroupSpec>>,
}

pub(super) struct Consumers {
    pub(super) consumers: Vec<Consumer>,
    pub(super) mtls_auth_credentials: Vec<Credential>,
    pub(super) header_cert_auth_credentials: Vec<Credential>,
    pub(super) acls: Vec<AclGroup>,
    /// `None` when the store refused the entities (errors reported).
    pub(super) store: Option<InMemoryStore>,
}

pub(super) fn consumers(input: Input, ca_certificates: &Table, errors: &mut Errors) -> Consumers {
    let mut table = Table::new("consumers");
    let mut consumers = Vec::with_capacity(input.consumers.len());
    for Located { path, spec, .. } in input.consumers {
        let key = spec
            .username
            .as_deref()
            .map(|u| format!("username:{u}"))
            .or_else(|| spec.custom_id.as_deref().map(|c| format!("custom_id:{c}")));
        let (position, id) = table.add(spec.id, key.as_deref(), &path, errors);
        if let Some(username) = &spec.username {
            // References by username; duplicates are reported by the store, with the path
            // of the second consumer.
            table.add_name(username, position, "", &mut Errors::default());
        }
        consumers.push(Consumer {
            id,
            username: spec.username,
            custom_id: spec.custom_id,
            tags: spec.tags,
        });
    }

    let mut paths: HashMap<(Option<CredentialKind>, Uuid), String> = HashMap::new();
    for (position, consumer) in consumers.iter().enumerate() {
        if let Some(path) = table.path(position) {
            paths
                .entry((None, consumer.id))
                .or_insert_with(|| path.to_owned());
        }
    }
    let mtls = credentials(
        CredentialKind::MtlsAuth,
        input.mtls_auth_credentials,
        &table,
        ca_certificates,
        &mut paths,
        errors,
    );
    let header = credentials(
        CredentialKind::HeaderCertAuth,
        input.header_cert_auth_credentials,
        &table,
        ca_certificates,
        &mut paths,
        errors,
    );
    let acls = acls(input.acls, &table, errors);

    let store = InMemoryStoreBuilder::default()
        .ca_certificates(ca_ids(ca_certificates))
        .consumers(consumers.iter().cloned())
        .mtls_auth_credentials(mtls.iter().cloned())
        .header_cert_auth_credentials(header.iter().cloned())
        .build();
    let store = match store {
        Ok(store) => Some(store),
        Err(e) => {
            for error in e.errors() {
                report(error, &paths, errors);
            }
            None
        }
    };
    Consumers {
        consumers,
        mtls_auth_credentials: mtls,
        header_cert_auth_credentials: header,
        acls,
        store,
    }
}

fn ca_ids(table: &Table) -> Vec<Uuid> {
    (0..).map_while(|p| table.id(p)).collect()
}

fn credentials(
    kind: CredentialKind,
    items: Vec<Located<CredentialSpec>>,
    consumers: &Table,
    ca_certificates: &Table,
    paths: &mut HashMap<(Option<CredentialKind>, Uuid), String>,
    errors: &mut Errors,
) -> Vec<Credential> {
    let mut table = Table::new(kind.entity_name());
    let mut out = Vec::with_capacity(items.len());
    for Located { path, spec, parent } in items {
        let consumer = foreign(
            parent,
            spec.consumer.as_ref(),
            consumers,
            &path,
            "consumer",
            errors,
        );
        if parent.is_none() && spec.consumer.is_none() {
            errors.push(join(&path, "consumer"), "required field missing");
        }
        let ca_certificate = match &spec.ca_certificate {
            None => Some(None),
            Some(reference @ Reference::Id(_)) => ca_certificates
                .resolve(reference, &join(&path, "ca_certificate"), errors)
                .map(Some),
            Some(Reference::Name(name)) => {
                errors.push(
                    join(&path, "ca_certificate"),
                    format!("expected a ca_certificate id, got {name:?}"),
                );
                None
            }
        };
        let key = match (consumer, ca_certificate) {
            (Some(c), Some(ca)) => Some(format!(
                "{c}\0{}\0{}",
                spec.subject_name,
                ca.map(|ca| ca.to_string()).unwrap_or_default()
            )),
            _ => None,
        };
        let (_, id) = table.add(spec.id, key.as_deref(), &path, errors);
        if spec.subject_name.is_empty() {
            errors.push(join(&path, "subject_name"), "required field missing");
        }
        let (Some(consumer), Some(ca_certificate)) = (consumer, ca_certificate) else {
            continue;
        };
        paths.entry((Some(kind), id)).or_insert(path);
        out.push(Credential {
            id,
            consumer,
            subject_name: spec.subject_name,
            ca_certificate,
            tags: spec.tags,
        });
    }
    out
}

fn acls(
    items: Vec<Located<AclGroupSpec>>,
    consumers: &Table,
    errors: &mut Errors,
) -> Vec<AclGroup> {
    let mut table = Table::new("acls");
    let mut seen: HashMap<(Uuid, String), String> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for Located { path, spec, parent } in items {
        let consumer = foreign(
            parent,
            spec.consumer.as_ref(),
            consumers,
            &path,
            "consumer",
            errors,
        );
        if parent.is_none() && spec.consumer.is_none() {
            errors.push(join(&path, "consumer"), "required field missing");
        }
        let key = consumer.map(|c| format!("{c}\0{}", spec.group));
        let (_, id) = table.add(spec.id, key.as_deref(), &path, errors);
        if spec.group.is_empty() {
            errors.push(join(&path, "group"), "required field missing");
        }
        let Some(consumer) = consumer else { continue };
        if let Some(first) = seen.get(&(consumer, spec.group.clone())) {
            errors.push(
                join(&path, "group"),
                format!(
                    "the consumer is already in group {:?} ({first})",
                    spec.group
                ),
            );
            continue;
        }
        seen.insert((consumer, spec.group.clone()), path);
        out.push(AclGroup {
            id,
            consumer,
            group: spec.group,
            tags: spec.tags,
        });
    }
    out
}

/// Puts a store error at the path of the entity it names.
fn report(
    error: &EntityError,
    paths: &HashMap<(Option<CredentialKind>, Uuid), String>,
    errors: &mut Errors,
) {
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
