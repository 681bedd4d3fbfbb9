//! `plugins` of the family: scope resolved (inherited from the enclosing entity or written as
//! a reference), configuration validated, CA ids checked, one instance per plugin and scope.

use std::collections::HashMap;

use super::Table;
use super::services::protocols;
use crate::config::entities::{PluginInstance, PluginScope};
use crate::config::error::{Errors, index, join};
use crate::config::flat::{Located, PluginParent};
use crate::config::spec::PluginSpec;

pub(super) struct Tables<'a> {
    pub(super) ca_certificates: &'a Table,
    pub(super) services: &'a Table,
    pub(super) routes: &'a Table,
}

pub(super) fn plugins(
    items: Vec<(Located<PluginSpec>, Option<PluginParent>)>,
    tables: &Tables<'_>,
    errors: &mut Errors,
) -> Vec<PluginInstance> {
    let mut ids = Table::new("plugins");
    let mut scopes: HashMap<(&'static str, PluginScope), String> = HashMap::new();
    let mut instance_names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for (Located { path, spec, .. }, parent) in items {
        let name = spec.config.name();
        let (service_parent, route_parent, consumer_parent) = match parent {
            Some(PluginParent::Service(p)) => (Some(p), None, None),
            Some(PluginParent::Route(p)) => (None, Some(p), None),
            Some(PluginParent::Consumer(p)) => (None, None, Some(p)),
            None => (None, None, None),
        };
        let service = super::foreign(
            service_parent,
            spec.service.as_ref(),
            tables.services,
            &path,
            "service",
            errors,
        );
        let route = super::foreign(
            route_parent,
            spec.route.as_ref(),
            tables.routes,
            &path,
            "route",
            errors,
        );
        let scope_resolved =
            (service_parent.is_some() || spec.service.is_none() || service.is_some())
                && (route_parent.is_some() || spec.route.is_none() || route.is_some())
                && consumer_parent.is_none()
                && spec.consumer.is_none();
        if consumer_parent.is_some() {
            errors.push(
                &path,
                format!("{name} cannot be configured on a consumer (consumer: value must be null)"),
            );
        } else if spec.consumer.is_some() {
            errors.push(join(&path, "consumer"), "value must be null");
        }
        let scope = PluginScope { service, route };
        let protocols = protocols(spec.protocols.as_deref(), &path, errors);
        let config_path = join(&path, "config");
        spec.config.validate(&config_path, errors);
        if let Some(auth) = spec.config.auth() {
            for (i, ca) in auth.ca_certificates.iter().enumerate() {
                if !tables.ca_certificates.contains(*ca) {
                    errors.push(
                        index(&join(&config_path, "ca_certificates"), i),
                        format!("no ca_certificate with id {ca}"),
                    );
                }
            }
        }
        let key = format!(
            "{name}\0{}\0{}\0{}",
            service.map(|s| s.to_string()).unwrap_or_default(),
            route.map(|r| r.to_string()).unwrap_or_default(),
            spec.instance_name.as_deref().unwrap_or_default()
        );
        let (_, id) = ids.add(spec.id, Some(&key), &path, errors);
        if !scope_resolved {
            // Refused above: no duplicate check on a scope that is not known.
        } else if let Some(first) = scopes.get(&(name, scope)) {
            errors.push(
                &path,
                format!("{name} is already configured with the same scope at {first}"),
            );
        } else {
            scopes.insert((name, scope), path.clone());
        }
        if let Some(instance_name) = &spec.instance_name {
            if let Some(first) = instance_names.get(instance_name) {
                errors.push(
                    join(&path, "instance_name"),
                    format!("duplicate instance_name {instance_name:?}: already used by {first}"),
                );
            } else {
                instance_names.insert(instance_name.clone(), path.clone());
            }
        }
        out.push(PluginInstance {
            id,
            instance_name: spec.instance_name,
            enabled: spec.enabled,
            scope,
            protocols,
            tags: spec.tags,
            config: spec.config,
        });
    }
    out
}
