//! Kong's unique fields and cache keys, checked against the configuration being served
//! before a write (409 code 5 with Kong's message); the database's constraints are the
//! backstop.

use mtls_consumer::ConsumerStore;
use mtls_kong_config::{AnyEntity, Config};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::ApiError;

fn fk(id: Option<Uuid>) -> Value {
    id.map_or(Value::Null, |id| json!({ "id": id }))
}

/// The unique fields of `entity` another entity already has, as Kong names them.
fn taken(config: &Config, entity: &AnyEntity) -> Option<Vec<(&'static str, Value)>> {
    let id = entity.id();
    match entity {
        AnyEntity::Service(s) => {
            let name = s.name.as_ref()?;
            let other = |o: &mtls_kong_config::Service| o.id != id && o.name.as_ref() == Some(name);
            config
                .services()
                .iter()
                .any(other)
                .then(|| vec![("name", json!(name))])
        }
        AnyEntity::Route(r) => {
            let name = r.name.as_ref()?;
            let other = |o: &mtls_kong_config::Route| o.id != id && o.name.as_ref() == Some(name);
            config
                .routes()
                .iter()
                .any(other)
                .then(|| vec![("name", json!(name))])
        }
        AnyEntity::Consumer(c) => {
            let store = config.consumer_store();
            let by_username = c.username.as_ref().filter(|u| {
                let found = store.consumer_by_username(u).ok().flatten();
                found.is_some_and(|o| o.id != id)
            });
            if let Some(u) = by_username {
                return Some(vec![("username", json!(u))]);
            }
            let custom_id = c.custom_id.as_ref()?;
            let found = store.consumer_by_custom_id(custom_id).ok().flatten();
            found
                .is_some_and(|o| o.id != id)
                .then(|| vec![("custom_id", json!(custom_id))])
        }
        AnyEntity::CaCertificate(ca) => config
            .ca_certificates()
            .iter()
            .any(|o| o.id != id && o.cert_digest == ca.cert_digest)
            .then(|| vec![("cert_digest", json!(ca.cert_digest))]),
        AnyEntity::Sni(s) => config
            .snis()
            .iter()
            .any(|o| o.id != id && o.name.eq_ignore_ascii_case(&s.name))
            .then(|| vec![("name", json!(s.name))]),
        AnyEntity::Plugin(p) => plugin(config, p),
        AnyEntity::Acl(a) => config
            .acls()
            .iter()
            .any(|o| o.id != id && o.consumer == a.consumer && o.group == a.group)
            .then(|| {
                vec![
                    ("consumer", fk(Some(a.consumer))),
                    ("group", json!(a.group)),
                ]
            }),
        AnyEntity::Credential(kind, c) => config
            .credentials(*kind)
            .any(|o| {
                o.id != id
                    && o.subject_name == c.subject_name
                    && o.ca_certificate == c.ca_certificate
            })
            .then(|| {
                vec![
                    ("ca_certificate", fk(c.ca_certificate)),
                    ("subject_name", json!(c.subject_name)),
                ]
            }),
        _ => None,
    }
}

fn plugin(
    config: &Config,
    p: &mtls_kong_config::PluginInstance,
) -> Option<Vec<(&'static str, Value)>> {
    let others = || config.plugins().iter().filter(|o| o.id != p.id);
    if let Some(name) = &p.instance_name
        && others().any(|o| o.instance_name.as_ref() == Some(name))
    {
        return Some(vec![("instance_name", json!(name))]);
    }
    others()
        .any(|o| o.name() == p.name() && o.scope == p.scope)
        .then(|| {
            vec![
                ("consumer", Value::Null),
                ("name", json!(p.name())),
                ("route", fk(p.scope.route)),
                ("service", fk(p.scope.service)),
            ]
        })
}

/// Kong's 409 when a unique field (or cache key) of `entity` is taken.
pub(crate) fn check(config: &Config, entity: &AnyEntity) -> Result<(), ApiError> {
    match taken(config, entity) {
        None => Ok(()),
        Some(pairs) => {
            let mut fields = Map::new();
            for (k, v) in pairs {
                fields.insert(k.to_owned(), v);
            }
            Err(ApiError::unique_violation(fields))
        }
    }
}
