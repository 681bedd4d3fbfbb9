//! The rules across entities a change can break, checked for what it touched: references
//! exist, unique fields are unique, nothing refers to a deleted entity.

use uuid::Uuid;

use super::Draft;
use crate::entities::Kind;
use crate::error::{Errors, index, join};

impl Draft {
    /// Whether an entity of `kind` has `id`, counting the consumers being changed.
    pub(super) fn has(&self, kind: Kind, id: Uuid) -> bool {
        match (&self.pending, kind) {
            (Some(p), Kind::Consumer) => p.consumers.iter().any(|c| c.id == id),
            (Some(p), Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential) => kind
                .credential_kind()
                .is_some_and(|k| p.credentials(k).iter().any(|c| c.id == id)),
            _ => self.config.contains(kind, id),
        }
    }

    pub(super) fn check_put(&self, kind: Kind, id: Uuid, path: &str, errors: &mut Errors) {
        if !self.has(kind, id) {
            return; // deleted by a later change
        }
        let missing = |errors: &mut Errors, field: &str, target: Kind, target_id: Uuid| {
            if !self.has(target, target_id) {
                errors.push(
                    join(path, field),
                    format!("no {} with id {target_id}", target.schema().singular),
                );
            }
        };
        match kind {
            Kind::Service => {
                let Some(s) = self.service(id) else { return };
                if let Some(c) = s.client_certificate {
                    missing(errors, "client_certificate", Kind::Certificate, c);
                }
                for (i, ca) in s.ca_certificates.iter().enumerate() {
                    missing(
                        errors,
                        &index("ca_certificates", i),
                        Kind::CaCertificate,
                        *ca,
                    );
                }
                if let Some(name) = &s.name {
                    let same = |o: &crate::Service| o.id != id && o.name.as_ref() == Some(name);
                    if self.services.iter().any(same) {
                        errors.push(join(path, "name"), unique("name", name));
                    }
                }
            }
            Kind::Route => {
                let Some(r) = self.route(id) else { return };
                if let Some(s) = r.service {
                    missing(errors, "service", Kind::Service, s);
                }
                if let Some(name) = &r.name {
                    let same = |o: &crate::Route| o.id != id && o.name.as_ref() == Some(name);
                    if self.routes.iter().any(same) {
                        errors.push(join(path, "name"), unique("name", name));
                    }
                }
            }
            Kind::Sni => self.check_sni(id, path, errors),
            Kind::CaCertificate => {
                let Some(ca) = self.ca_certificate(id) else {
                    return;
                };
                let same = |o: &crate::CaCertificate| o.id != id && o.cert_digest == ca.cert_digest;
                if self.ca_certificates.iter().any(same) {
                    errors.push(
                        join(path, "cert_digest"),
                        unique("cert_digest", &ca.cert_digest),
                    );
                }
            }
            Kind::Acl => self.check_acl(id, path, errors),
            Kind::Plugin => self.check_plugin(id, path, errors),
            Kind::Certificate
            | Kind::Consumer
            | Kind::MtlsAuthCredential
            | Kind::HeaderCertAuthCredential => {}
        }
    }

    fn check_sni(&self, id: Uuid, path: &str, errors: &mut Errors) {
        let Some(sni) = self.by_id.snis.get(&id).and_then(|&i| self.snis.get(i)) else {
            return;
        };
        if !self.has(Kind::Certificate, sni.certificate) {
            errors.push(
                join(path, "certificate"),
                format!("no certificate with id {}", sni.certificate),
            );
        }
        let same = |o: &crate::Sni| o.id != id && o.name.eq_ignore_ascii_case(&sni.name);
        if self.snis.iter().any(same) {
            errors.push(join(path, "name"), unique("name", &sni.name));
        }
    }

    fn check_acl(&self, id: Uuid, path: &str, errors: &mut Errors) {
        let Some(acl) = self.by_id.acls.get(&id).and_then(|&i| self.acls.get(i)) else {
            return;
        };
        if !self.has(Kind::Consumer, acl.consumer) {
            errors.push(
                join(path, "consumer"),
                format!("no consumer with id {}", acl.consumer),
            );
        }
        let same =
            |o: &crate::AclGroup| o.id != id && o.consumer == acl.consumer && o.group == acl.group;
        if self.acls.iter().any(same) {
            errors.push(
                join(path, "group"),
                format!("the consumer is already in group {:?}", acl.group),
            );
        }
    }

    fn check_plugin(&self, id: Uuid, path: &str, errors: &mut Errors) {
        let Some(p) = self.plugin(id) else { return };
        if let Some(s) = p.scope.service
            && !self.has(Kind::Service, s)
        {
            errors.push(join(path, "service"), format!("no service with id {s}"));
        }
        if let Some(r) = p.scope.route
            && !self.has(Kind::Route, r)
        {
            errors.push(join(path, "route"), format!("no route with id {r}"));
        }
        if let Some(auth) = p.config.auth() {
            for (i, ca) in auth.ca_certificates.iter().enumerate() {
                if !self.has(Kind::CaCertificate, *ca) {
                    errors.push(
                        index(&join(path, "config.ca_certificates"), i),
                        format!("no ca_certificate with id {ca}"),
                    );
                }
            }
        }
        if self
            .plugins
            .iter()
            .any(|o| o.id != id && o.name() == p.name() && o.scope == p.scope)
        {
            errors.push(
                path,
                format!("{} is already configured with the same scope", p.name()),
            );
        }
        if let Some(name) = &p.instance_name
            && self
                .plugins
                .iter()
                .any(|o| o.id != id && o.instance_name.as_ref() == Some(name))
        {
            errors.push(join(path, "instance_name"), unique("instance_name", name));
        }
    }

    /// Nothing may refer to a deleted entity (its dependents are the caller's to delete).
    pub(super) fn check_deleted(&self, kind: Kind, id: Uuid, errors: &mut Errors) {
        let by = |child: Kind| {
            format!(
                "an existing '{}' entity references this '{}' entity",
                child.table(),
                kind.table()
            )
        };
        let referenced = match kind {
            Kind::Service => {
                if self.routes.iter().any(|r| r.service == Some(id)) {
                    Some(Kind::Route)
                } else if self.plugins.iter().any(|p| p.scope.service == Some(id)) {
                    Some(Kind::Plugin)
                } else {
                    None
                }
            }
            Kind::Route => self
                .plugins
                .iter()
                .any(|p| p.scope.route == Some(id))
                .then_some(Kind::Plugin),
            Kind::Certificate => {
                if self.snis.iter().any(|s| s.certificate == id) {
                    Some(Kind::Sni)
                } else if self
                    .services
                    .iter()
                    .any(|s| s.client_certificate == Some(id))
                {
                    Some(Kind::Service)
                } else {
                    None
                }
            }
            Kind::CaCertificate => {
                if self
                    .services
                    .iter()
                    .any(|s| s.ca_certificates.contains(&id))
                {
                    Some(Kind::Service)
                } else if self.plugins.iter().any(|p| {
                    p.config
                        .auth()
                        .is_some_and(|a| a.ca_certificates.contains(&id))
                }) {
                    Some(Kind::Plugin)
                } else {
                    None
                }
            }
            Kind::Consumer => self
                .acls
                .iter()
                .any(|a| a.consumer == id)
                .then_some(Kind::Acl),
            _ => None,
        };
        if let Some(child) = referenced {
            errors.push("", by(child));
        }
    }
}

/// Kong's unique violation wording, for a field.
fn unique(field: &str, value: &str) -> String {
    format!("UNIQUE violation detected on '{{{field}=\"{value}\"}}'")
}
