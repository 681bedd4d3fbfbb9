//! What deleting an entity takes with it, by Kong's `on_delete` rules: plugins go with their
//! service or route, SNIs with their certificate, credentials and ACL groups with their
//! consumer (and credentials with their CA); a service with routes, a certificate a service
//! presents, and a CA a service or plugin trusts are refused.

use mtls_kong_config::{AnyEntity, Config, Kind};
use uuid::Uuid;

use crate::error::{ApiError, codes};

/// The entities to delete before `entity`, or Kong's refusal.
pub(crate) fn dependents(
    config: &Config,
    entity: &AnyEntity,
) -> Result<Vec<(Kind, Uuid)>, ApiError> {
    let id = entity.id();
    let mut out = Vec::new();
    match entity.kind() {
        Kind::Service => {
            if config.routes_of_service(id).next().is_some() {
                return Err(ApiError::restricted("services", "routes"));
            }
            out.extend(
                config
                    .plugins()
                    .iter()
                    .filter(|p| p.scope.service == Some(id))
                    .map(|p| (Kind::Plugin, p.id)),
            );
        }
        Kind::Route => {
            out.extend(config.plugins_on_route(id).map(|p| (Kind::Plugin, p.id)));
        }
        Kind::Certificate => {
            if config
                .services()
                .iter()
                .any(|s| s.client_certificate == Some(id))
            {
                return Err(ApiError::restricted("certificates", "services"));
            }
            out.extend(
                config
                    .snis()
                    .iter()
                    .filter(|s| s.certificate == id)
                    .map(|s| (Kind::Sni, s.id)),
            );
        }
        Kind::CaCertificate => {
            if let Some(s) = config
                .services()
                .iter()
                .find(|s| s.ca_certificates.contains(&id))
            {
                return Err(still_referenced(id, "services", s.id));
            }
            let plugin = config.plugins().iter().find(|p| {
                p.config
                    .auth()
                    .is_some_and(|a| a.ca_certificates.contains(&id))
            });
            if let Some(p) = plugin {
                return Err(still_referenced(id, "plugins", p.id));
            }
            for kind in [Kind::MtlsAuthCredential, Kind::HeaderCertAuthCredential] {
                if let Some(k) = kind.credential_kind() {
                    out.extend(
                        config
                            .credentials(k)
                            .filter(|c| c.ca_certificate == Some(id))
                            .map(|c| (kind, c.id)),
                    );
                }
            }
        }
        Kind::Consumer => {
            for kind in [Kind::MtlsAuthCredential, Kind::HeaderCertAuthCredential] {
                if let Some(k) = kind.credential_kind() {
                    out.extend(
                        config
                            .credentials(k)
                            .filter(|c| c.consumer == id)
                            .map(|c| (kind, c.id)),
                    );
                }
            }
            out.extend(
                config
                    .acls()
                    .iter()
                    .filter(|a| a.consumer == id)
                    .map(|a| (Kind::Acl, a.id)),
            );
        }
        _ => {}
    }
    Ok(out)
}

/// Kong 3.6's refusal for a CA still trusted somewhere.
fn still_referenced(ca: Uuid, table: &str, by: Uuid) -> ApiError {
    ApiError::bad_request(
        codes::REFERENCED_BY_OTHERS,
        "referenced by others",
        format!("ca certificate {ca} is still referenced by {table} (id = {by})"),
    )
}
