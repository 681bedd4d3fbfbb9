//! Building the map from routes and plugin instances, Kong's rules.
//!
//! For every enabled plugin instance, in input order:
//! - global scope: the catch-all entry `*`;
//! - service scope: each route of the service, as below;
//! - route scope: the route, as below.
//!
//! A route without `snis` gives the catch-all entry; each of its SNIs gives an exact, suffix
//! (`*.example.com` -> `.example.com`) or prefix (`example.*` -> `example.`) entry. An
//! `mtls-auth` instance with `send_ca_dn` unions its `ca_certificates` into every entry it
//! gives; entries given by several instances merge. Workspaces do not partition the map: an
//! entry from one workspace applies to every ClientHello, as in Kong.
//!
//! As in Kong, a service-scoped instance reaches all routes of the service even where a
//! route-scoped instance of the same plugin overrides it per request: at worst a few more CA
//! names are sent.
//!
//! Every route is validated, also the ones no plugin reaches, so that a configuration is
//! accepted or refused whole.

use std::collections::HashMap;
use std::collections::HashSet;

use uuid::Uuid;

use crate::error::BuildError;
use crate::hash::SeededState;
use crate::map::{Entry, EntryKey, KeyMap, Lengths, RouteInfo, SniMap, Source};
use crate::model::{CertificatePlugin, Route, Scope};
use crate::sni::SniPattern;

struct PendingEntry {
    key: EntryKey,
    ca_ids: Vec<Uuid>,
    sources: Vec<Source>,
}

struct Pending {
    index: HashMap<EntryKey, u32, SeededState>,
    entries: Vec<PendingEntry>,
}

impl Pending {
    fn new(state: SeededState) -> Self {
        Self {
            index: HashMap::with_hasher(state),
            entries: Vec::new(),
        }
    }

    fn add(&mut self, key: &EntryKey, source: Source, ca_ids: &[Uuid]) -> Result<(), BuildError> {
        let index = match self.index.get(key) {
            Some(&index) => index,
            None => {
                let index =
                    u32::try_from(self.entries.len()).map_err(|_| BuildError::TooManyEntries {
                        count: self.entries.len(),
                    })?;
                self.index.insert(key.clone(), index);
                self.entries.push(PendingEntry {
                    key: key.clone(),
                    ca_ids: Vec::new(),
                    sources: Vec::new(),
                });
                index
            }
        };
        if let Some(entry) = self.entries.get_mut(index as usize) {
            entry.ca_ids.extend_from_slice(ca_ids);
            entry.sources.push(source);
        }
        Ok(())
    }

    /// A route reached by a plugin: its SNIs, or the catch-all when it has none.
    fn add_route(
        &mut self,
        keys: &[EntryKey],
        source: Source,
        ca_ids: &[Uuid],
    ) -> Result<(), BuildError> {
        if keys.is_empty() {
            return self.add(&EntryKey::CatchAll, source, ca_ids);
        }
        for key in keys {
            self.add(key, source, ca_ids)?;
        }
        Ok(())
    }
}

impl SniMap {
    /// Builds the map from a configuration's routes and the plugin instances that ask for a
    /// client certificate (`mtls-auth`, `tls-handshake-modifier`), from all workspaces.
    ///
    /// Refused whole, with the route or plugin at fault named, when: an SNI is invalid
    /// ([`SniPattern::parse`]); a route has `snis` but no TLS protocol; two routes or two
    /// plugin instances share an id; a plugin is scoped to a route that does not exist. A
    /// plugin scoped to a service that no route belongs to gives no entry.
    pub fn build(routes: &[Route], plugins: &[CertificatePlugin]) -> Result<SniMap, BuildError> {
        let state = SeededState::new();

        // Routes: ids, validated SNIs.
        let mut route_index: HashMap<&str, u32, SeededState> =
            HashMap::with_capacity_and_hasher(routes.len(), state.clone());
        let mut route_keys: Vec<Vec<EntryKey>> = Vec::with_capacity(routes.len());
        let mut route_infos = Vec::with_capacity(routes.len());
        for (i, route) in routes.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| BuildError::TooManyEntries {
                count: routes.len(),
            })?;
            if route_index.insert(route.id.as_str(), i).is_some() {
                return Err(BuildError::DuplicateRoute {
                    route: route.id.clone(),
                });
            }
            route_keys.push(route_keys_of(route)?);
            route_infos.push(RouteInfo {
                id: route.id.clone(),
                service: route.service.clone(),
                workspace: route.workspace.clone(),
            });
        }

        // Plugins: unique ids; the enabled ones are kept for explanations.
        let mut plugin_ids: HashSet<&str, SeededState> =
            HashSet::with_capacity_and_hasher(plugins.len(), state.clone());
        for plugin in plugins {
            if !plugin_ids.insert(plugin.id.as_str()) {
                return Err(BuildError::DuplicatePlugin {
                    plugin: plugin.id.clone(),
                });
            }
        }
        let enabled: Vec<CertificatePlugin> =
            plugins.iter().filter(|p| p.enabled).cloned().collect();

        // Service -> its routes, only when a plugin needs it.
        let mut service_routes: HashMap<&str, Vec<u32>, SeededState> =
            HashMap::with_hasher(state.clone());
        if enabled.iter().any(|p| matches!(p.scope, Scope::Service(_))) {
            for (i, route) in routes.iter().enumerate() {
                if let (Some(service), Ok(i)) = (&route.service, u32::try_from(i)) {
                    service_routes.entry(service.as_str()).or_default().push(i);
                }
            }
        }

        let mut pending = Pending::new(state.clone());
        for (p, plugin) in enabled.iter().enumerate() {
            let plugin_index = u32::try_from(p).map_err(|_| BuildError::TooManyEntries {
                count: enabled.len(),
            })?;
            let ca_ids = plugin.kind.contributed_ca_ids();
            match &plugin.scope {
                Scope::Global => {
                    let source = Source {
                        plugin: plugin_index,
                        route: None,
                    };
                    pending.add(&EntryKey::CatchAll, source, ca_ids)?;
                }
                Scope::Service(service) => {
                    let Some(members) = service_routes.get(service.as_str()) else {
                        continue;
                    };
                    for &r in members {
                        let keys = route_keys.get(r as usize).map_or(&[][..], Vec::as_slice);
                        let source = Source {
                            plugin: plugin_index,
                            route: Some(r),
                        };
                        pending.add_route(keys, source, ca_ids)?;
                    }
                }
                Scope::Route(route) => {
                    let Some(&r) = route_index.get(route.as_str()) else {
                        return Err(BuildError::UnknownRoute {
                            plugin: plugin.id.clone(),
                            route: route.clone(),
                        });
                    };
                    let keys = route_keys.get(r as usize).map_or(&[][..], Vec::as_slice);
                    let source = Source {
                        plugin: plugin_index,
                        route: Some(r),
                    };
                    pending.add_route(keys, source, ca_ids)?;
                }
            }
        }

        Ok(finish(pending, enabled, route_infos, state))
    }
}

/// A route's entry keys, with its SNIs validated and its protocols checked.
fn route_keys_of(route: &Route) -> Result<Vec<EntryKey>, BuildError> {
    if route.snis.is_empty() {
        return Ok(Vec::new());
    }
    if !route.protocols.iter().any(|p| p.allows_snis()) {
        return Err(BuildError::SnisWithoutTls {
            route: route.id.clone(),
            protocols: route.protocols.clone(),
        });
    }
    let mut keys = Vec::with_capacity(route.snis.len());
    for sni in &route.snis {
        let pattern = SniPattern::parse(sni).map_err(|reason| BuildError::InvalidSni {
            route: route.id.clone(),
            sni: sni.clone(),
            reason,
        })?;
        let key = EntryKey::Sni(pattern);
        // `A.com` and `a.com` on one route are one entry.
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

fn finish(
    pending: Pending,
    plugins: Vec<CertificatePlugin>,
    routes: Vec<RouteInfo>,
    state: SeededState,
) -> SniMap {
    let mut exact = KeyMap::with_hasher(state.clone());
    let mut suffix = KeyMap::with_hasher(state.clone());
    let mut prefix = KeyMap::with_hasher(state);
    let mut suffix_lens = Lengths::default();
    let mut prefix_lens = Lengths::default();
    let mut catch_all = None;
    let mut entries = Vec::with_capacity(pending.entries.len());

    for (index, mut entry) in pending.entries.into_iter().enumerate() {
        // `pending` numbered its entries with u32 already.
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        entry.ca_ids.sort_unstable();
        entry.ca_ids.dedup();
        entry.sources.dedup();
        match &entry.key {
            EntryKey::CatchAll => catch_all = Some(index),
            EntryKey::Sni(SniPattern::Exact(s)) => {
                exact.insert(Box::from(s.as_bytes()), index);
            }
            EntryKey::Sni(SniPattern::Suffix(s)) => {
                if s.starts_with('.') {
                    suffix_lens.at_dot.insert(s.len());
                } else {
                    suffix_lens.anywhere.insert(s.len());
                }
                suffix.insert(Box::from(s.as_bytes()), index);
            }
            EntryKey::Sni(SniPattern::Prefix(s)) => {
                if s.ends_with('.') {
                    prefix_lens.at_dot.insert(s.len());
                } else {
                    prefix_lens.anywhere.insert(s.len());
                }
                prefix.insert(Box::from(s.as_bytes()), index);
            }
        }
        entries.push(Entry {
            key: entry.key,
            ca_ids: entry.ca_ids.into_boxed_slice(),
            sources: entry.sources.into_boxed_slice(),
        });
    }
    exact.shrink_to_fit();
    suffix.shrink_to_fit();
    prefix.shrink_to_fit();

    SniMap {
        exact,
        suffix,
        prefix,
        suffix_lens_rev: suffix_lens.reversed(),
        prefix_ends: prefix_lens.less_one(),
        catch_all,
        entries,
        plugins,
        routes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SniError;
    use crate::model::Protocol;

    #[test]
    fn errors_name_the_route() {
        let routes = [Route::new("r1").with_snis(["a.*.com"])];
        let err = SniMap::build(&routes, &[]).unwrap_err();
        assert_eq!(
            err,
            BuildError::InvalidSni {
                route: "r1".into(),
                sni: "a.*.com".into(),
                reason: SniError::WildcardPosition { index: 2 },
            }
        );
        assert_eq!(
            err.to_string(),
            "route r1: invalid SNI \"a.*.com\": wildcard must be leftmost or rightmost character"
        );
    }

    #[test]
    fn snis_need_a_tls_protocol() {
        let routes = [Route::new("r1")
            .with_snis(["a.com"])
            .with_protocols([Protocol::Http, Protocol::Grpc])];
        assert!(matches!(
            SniMap::build(&routes, &[]),
            Err(BuildError::SnisWithoutTls { .. })
        ));
        // One TLS protocol among others is enough (Kong's check).
        let routes = [Route::new("r1")
            .with_snis(["a.com"])
            .with_protocols([Protocol::Http, Protocol::Https])];
        assert!(SniMap::build(&routes, &[]).is_ok());
        // Without snis, protocols do not matter.
        let routes = [Route::new("r1").with_protocols([Protocol::Http])];
        assert!(SniMap::build(&routes, &[]).is_ok());
    }

    #[test]
    fn duplicates_and_unknown_references() {
        let routes = [Route::new("r1"), Route::new("r1")];
        assert_eq!(
            SniMap::build(&routes, &[]).unwrap_err(),
            BuildError::DuplicateRoute { route: "r1".into() }
        );
        let plugins = [
            CertificatePlugin::tls_handshake_modifier("p1", Scope::Global),
            CertificatePlugin::tls_handshake_modifier("p1", Scope::Global).with_enabled(false),
        ];
        assert_eq!(
            SniMap::build(&[], &plugins).unwrap_err(),
            BuildError::DuplicatePlugin {
                plugin: "p1".into()
            }
        );
        let plugins = [CertificatePlugin::tls_handshake_modifier(
            "p1",
            Scope::Route("nope".into()),
        )];
        assert_eq!(
            SniMap::build(&[], &plugins).unwrap_err(),
            BuildError::UnknownRoute {
                plugin: "p1".into(),
                route: "nope".into()
            }
        );
        // A service without routes gives nothing, and is no error.
        let plugins = [CertificatePlugin::tls_handshake_modifier(
            "p1",
            Scope::Service("empty".into()),
        )];
        assert!(SniMap::build(&[], &plugins).unwrap().is_empty());
    }

    #[test]
    fn disabled_plugins_give_nothing() {
        let plugins =
            [CertificatePlugin::tls_handshake_modifier("p1", Scope::Global).with_enabled(false)];
        let map = SniMap::build(&[], &plugins).unwrap();
        assert!(map.is_empty());
        assert_eq!(map.lookup(None), crate::Decision::NoRequest);
    }

    #[test]
    fn same_sni_twice_on_a_route_is_one_entry_one_source() {
        let routes = [Route::new("r1").with_snis(["A.com", "a.com", "b.com"])];
        let plugins = [CertificatePlugin::tls_handshake_modifier(
            "p1",
            Scope::Route("r1".into()),
        )];
        let map = SniMap::build(&routes, &plugins).unwrap();
        assert_eq!(map.len(), 2);
        for entry in map.entries() {
            assert_eq!(entry.sources.len(), 1);
        }
    }
}
