//! Consumers and credentials during a change: editable lists, then mtls-consumer's store
//! rebuilt from them (its rules reported at the changed entities' paths).

use std::sync::Arc;

use mtls_consumer::{Consumer, Credential, CredentialKind, InMemoryStoreBuilder};
use uuid::Uuid;

use super::{Draft, Touched};
use crate::entities::Kind;
use crate::error::Errors;

/// Consumers and credentials being changed, before the store is rebuilt.
#[derive(Clone, Debug, Default)]
pub(crate) struct PendingConsumers {
    pub(super) consumers: Vec<Consumer>,
    mtls_auth: Vec<Credential>,
    header_cert_auth: Vec<Credential>,
}

impl PendingConsumers {
    pub(super) fn credentials(&self, kind: CredentialKind) -> &Vec<Credential> {
        match kind {
            CredentialKind::MtlsAuth => &self.mtls_auth,
            _ => &self.header_cert_auth,
        }
    }

    fn credentials_mut(&mut self, kind: CredentialKind) -> &mut Vec<Credential> {
        match kind {
            CredentialKind::MtlsAuth => &mut self.mtls_auth,
            _ => &mut self.header_cert_auth,
        }
    }

    pub(super) fn put_consumer(&mut self, consumer: Consumer) {
        match self.consumers.iter_mut().find(|c| c.id == consumer.id) {
            Some(slot) => *slot = consumer,
            None => self.consumers.push(consumer),
        }
    }

    pub(super) fn delete_consumer(&mut self, id: Uuid) {
        self.consumers.retain(|c| c.id != id);
    }

    pub(super) fn put_credential(&mut self, kind: CredentialKind, credential: Credential) {
        let list = self.credentials_mut(kind);
        match list.iter_mut().find(|c| c.id == credential.id) {
            Some(slot) => *slot = credential,
            None => list.push(credential),
        }
    }

    pub(super) fn delete_credential(&mut self, kind: CredentialKind, id: Uuid) {
        self.credentials_mut(kind).retain(|c| c.id != id);
    }
}

impl PendingConsumers {
    pub(super) fn of(store: &mtls_consumer::InMemoryStore) -> Self {
        Self {
            consumers: store.consumers().map(|c| Consumer::clone(c)).collect(),
            mtls_auth: store
                .credentials(CredentialKind::MtlsAuth)
                .cloned()
                .collect(),
            header_cert_auth: store
                .credentials(CredentialKind::HeaderCertAuth)
                .cloned()
                .collect(),
        }
    }
}

impl Draft {
    /// The consumers and credentials as editable lists (copied from the store once per
    /// [`Config::apply`]).
    pub(super) fn pending_consumers(&mut self) -> &mut PendingConsumers {
        let store = Arc::clone(&self.config.consumer_store);
        self.pending
            .get_or_insert_with(|| PendingConsumers::of(&store))
    }

    pub(super) fn rebuild_consumer_store(&mut self, touched: &Touched, errors: &mut Errors) {
        let pending = match self.pending.take() {
            Some(p) => p,
            None => PendingConsumers::of(&self.config.consumer_store),
        };
        let built = InMemoryStoreBuilder::default()
            .ca_certificates(self.ca_certificates.iter().map(|c| c.id))
            .consumers(pending.consumers)
            .mtls_auth_credentials(pending.mtls_auth)
            .header_cert_auth_credentials(pending.header_cert_auth)
            .build();
        match built {
            Ok(store) => self.consumer_store = Arc::new(store),
            Err(e) => {
                let mut paths = crate::assemble::Paths::new();
                for (kind, id, path) in &touched.put {
                    let key = match kind {
                        Kind::Consumer => None,
                        k => match k.credential_kind() {
                            Some(c) => Some(c),
                            None => continue,
                        },
                    };
                    paths.insert((key, *id), path.clone());
                }
                for error in e.errors() {
                    crate::assemble::report(error, &paths, errors);
                }
                if errors.is_empty() {
                    errors.push("", "the consumer store could not be built");
                }
            }
        }
    }
}
