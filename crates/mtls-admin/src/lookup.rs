//! Finding entities in a configuration: by id or endpoint key, under a parent, and every
//! entity of a kind (for pages).

use mtls_consumer::ConsumerStore;
use mtls_kong_config::{AnyEntity, Config, Kind};
use serde_json::Value;
use uuid::Uuid;

/// The entity of `kind` with `id`.
pub(crate) fn by_id(config: &Config, kind: Kind, id: Uuid) -> Option<AnyEntity> {
    Some(match kind {
        Kind::CaCertificate => AnyEntity::CaCertificate(config.ca_certificate(id)?.clone()),
        Kind::Certificate => AnyEntity::Certificate(config.certificate(id)?.clone()),
        Kind::Sni => AnyEntity::Sni(config.snis().iter().find(|s| s.id == id)?.clone()),
        Kind::Service => AnyEntity::Service(config.service(id)?.clone()),
        Kind::Route => AnyEntity::Route(config.route(id)?.clone()),
        Kind::Consumer => {
            let c = config.consumer_store().consumer_by_id(id).ok().flatten()?;
            AnyEntity::Consumer(mtls_kong_config::Consumer::clone(&c))
        }
        Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => {
            let k = kind.credential_kind()?;
            AnyEntity::Credential(k, config.credentials(k).find(|c| c.id == id)?.clone())
        }
        Kind::Acl => AnyEntity::Acl(config.acls().iter().find(|a| a.id == id)?.clone()),
        Kind::Plugin => AnyEntity::Plugin(config.plugin(id)?.clone()),
        _ => return None,
    })
}

/// The id of the entity of `kind` whose endpoint key is `key` (ACL groups count as keys
/// under their consumer, SNI names for certificates).
fn by_key(config: &Config, kind: Kind, key: &str, consumer: Option<Uuid>) -> Option<Uuid> {
    match kind {
        Kind::Service => config.service_by_name(key).map(|s| s.id),
        Kind::Route => config.route_by_name(key).map(|r| r.id),
        Kind::Consumer => config
            .consumer_store()
            .consumer_by_username(key)
            .ok()
            .flatten()
            .map(|c| c.id),
        Kind::Plugin => config
            .plugins()
            .iter()
            .find(|p| p.instance_name.as_deref() == Some(key))
            .map(|p| p.id),
        Kind::Sni => sni_by_name(config, key).map(|s| s.id),
        Kind::Certificate => sni_by_name(config, key).map(|s| s.certificate),
        Kind::Acl => config
            .acls()
            .iter()
            .find(|a| Some(a.consumer) == consumer && a.group == key)
            .map(|a| a.id),
        _ => None,
    }
}

fn sni_by_name<'a>(config: &'a Config, name: &str) -> Option<&'a mtls_kong_config::Sni> {
    config
        .snis()
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The id of the entity `key` (an id, else an endpoint key) names, if any.
pub(crate) fn resolve(
    config: &Config,
    kind: Kind,
    key: &str,
    consumer: Option<Uuid>,
) -> Option<Uuid> {
    if let Some(id) = mtls_consumer::parse_kong_uuid(key)
        && config.contains(kind, id)
    {
        return Some(id);
    }
    by_key(config, kind, key, consumer)
}

/// The id of the entity a foreign field of `entity` names.
pub(crate) fn foreign(entity: &Value, field: &str) -> Option<Uuid> {
    entity
        .get(field)?
        .get("id")?
        .as_str()
        .and_then(mtls_consumer::parse_kong_uuid)
}

/// Whether `entity` (JSON) sits under the parent with `parent_id` through `field`.
pub(crate) fn belongs(entity: &AnyEntity, field: &str, parent_id: Uuid) -> bool {
    foreign(&entity.to_json(), field) == Some(parent_id)
}

/// The ids of every entity of `kind`, filtered by `keep`.
pub(crate) fn ids(config: &Config, kind: Kind) -> Vec<Uuid> {
    match kind {
        Kind::CaCertificate => config.ca_certificates().iter().map(|c| c.id).collect(),
        Kind::Certificate => config.certificates().iter().map(|c| c.id).collect(),
        Kind::Sni => config.snis().iter().map(|s| s.id).collect(),
        Kind::Service => config.services().iter().map(|s| s.id).collect(),
        Kind::Route => config.routes().iter().map(|r| r.id).collect(),
        Kind::Consumer => config.consumers().map(|c| c.id).collect(),
        Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => kind
            .credential_kind()
            .map(|k| config.credentials(k).map(|c| c.id).collect())
            .unwrap_or_default(),
        Kind::Acl => config.acls().iter().map(|a| a.id).collect(),
        Kind::Plugin => config.plugins().iter().map(|p| p.id).collect(),
        _ => Vec::new(),
    }
}

/// The ids of the entities of `kind` whose `field` names `parent` (nested collections).
pub(crate) fn children(config: &Config, kind: Kind, field: &str, parent: Uuid) -> Vec<Uuid> {
    match (kind, field) {
        (Kind::Route, "service") => config.routes_of_service(parent).map(|r| r.id).collect(),
        (Kind::Plugin, "service") => config
            .plugins()
            .iter()
            .filter(|p| p.scope.service == Some(parent))
            .map(|p| p.id)
            .collect(),
        (Kind::Plugin, "route") => config.plugins_on_route(parent).map(|p| p.id).collect(),
        (Kind::Sni, "certificate") => config
            .snis()
            .iter()
            .filter(|s| s.certificate == parent)
            .map(|s| s.id)
            .collect(),
        (Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential, "consumer") => kind
            .credential_kind()
            .map(|k| {
                config
                    .credentials(k)
                    .filter(|c| c.consumer == parent)
                    .map(|c| c.id)
                    .collect()
            })
            .unwrap_or_default(),
        (Kind::Acl, "consumer") => config
            .acls()
            .iter()
            .filter(|a| a.consumer == parent)
            .map(|a| a.id)
            .collect(),
        _ => Vec::new(),
    }
}
