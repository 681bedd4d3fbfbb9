//! Explanations: for a server name, which entry decided, who put it there, and what else
//! matched at a lower precedence. What the diagnostic command prints.
//!
//! Explanations allocate and cost more than a lookup; they are for people, not for handshakes.

use std::fmt;

use uuid::Uuid;

use crate::map::{Decision, Entry, EntryKey, SniMap, write_ids};
use crate::model::{PluginId, PluginKind, RouteId, Scope, ServiceId, WorkspaceId};
use crate::name::{LoweredName, Scratch};
use crate::sni::{MAX_NAME_LEN, normalize_server_name};

/// The server name as the map saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerName {
    /// The ClientHello had no SNI: only the catch-all entry can match.
    NotSent,
    /// Longer than 253 bytes once the trailing dot is removed: only the catch-all entry can
    /// match.
    TooLong {
        /// The name's length in bytes.
        len: usize,
    },
    /// The normalised name (lower case, no trailing dot) that was looked up.
    Name(String),
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerName::NotSent => f.write_str("(none: the ClientHello has no SNI)"),
            ServerName::TooLong { len } => write!(
                f,
                "(a name of {len} bytes, longer than {MAX_NAME_LEN}: only the catch-all can match)"
            ),
            ServerName::Name(name) => write!(f, "{name:?}"),
        }
    }
}

/// Why a server name gets the decision it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation<'m> {
    /// The name looked up.
    pub server_name: ServerName,
    /// The decision, as [`SniMap::lookup`] gives it.
    pub decision: Decision<'m>,
    /// The entry that decided; `None` when no entry matched.
    pub matched: Option<EntryExplanation<'m>>,
    /// The other entries that match the name but lost on precedence (a shorter suffix, a
    /// prefix after a suffix, the catch-all after anything), in precedence order.
    pub also_matching: Vec<EntryExplanation<'m>>,
}

/// One entry and the plugin instances (and routes) that put it in the map.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryExplanation<'m> {
    /// The entry's key.
    pub key: &'m EntryKey,
    /// The entry's CA ids (the union of its contributions').
    pub ca_ids: &'m [Uuid],
    /// Who put the entry here, in plugin input order.
    pub contributions: Vec<Contribution<'m>>,
}

/// One plugin instance that put an entry in the map, through one route (or none, for a global
/// instance).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Contribution<'m> {
    /// The plugin instance.
    pub plugin: &'m PluginId,
    /// Which plugin, with its configuration.
    pub kind: &'m PluginKind,
    /// The instance's scope.
    pub scope: &'m Scope,
    /// The instance's workspace.
    pub workspace: &'m WorkspaceId,
    /// The route through which it reached the entry; `None` for a global instance.
    pub route: Option<RouteRef<'m>>,
    /// The CA ids it added to the entry (empty unless `mtls-auth` with `send_ca_dn`).
    pub ca_ids: &'m [Uuid],
}

/// A route, as shown in an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteRef<'m> {
    /// The route's id.
    pub id: &'m RouteId,
    /// Its service.
    pub service: Option<&'m ServiceId>,
    /// Its workspace.
    pub workspace: &'m WorkspaceId,
}

impl SniMap {
    /// Explains the decision for a server name (`None`: no SNI): the entry that decides, who
    /// put it there, and which other entries match at a lower precedence.
    ///
    /// ```
    /// use mtls_sni::{CertificatePlugin, Route, Scope, SniMap};
    ///
    /// let routes = [Route::new("r1").with_service("s1").with_snis(["*.example.com"])];
    /// let plugins = [CertificatePlugin::tls_handshake_modifier("p1", Scope::Service("s1".into()))];
    /// let map = SniMap::build(&routes, &plugins)?;
    /// let why = map.explain(Some("api.example.com"));
    /// let matched = why.matched.as_ref().expect("an entry matches");
    /// assert_eq!(matched.contributions[0].plugin.as_str(), "p1");
    /// assert_eq!(matched.contributions[0].route.map(|r| r.id.as_str()), Some("r1"));
    /// println!("{why}");
    /// # Ok::<(), mtls_sni::BuildError>(())
    /// ```
    pub fn explain(&self, server_name: Option<&str>) -> Explanation<'_> {
        let (server_name, found) = match server_name {
            None => (ServerName::NotSent, Vec::new()),
            Some(raw) => match normalize_server_name(raw) {
                None => (ServerName::TooLong { len: raw.len() }, Vec::new()),
                Some(name) => {
                    // From the raw name: the lookup removes the trailing dot once, not twice.
                    let mut scratch = Scratch::default();
                    let found = LoweredName::new(raw.as_bytes(), &mut scratch)
                        .map(|lowered| self.all_matches(&lowered))
                        .unwrap_or_default();
                    (ServerName::Name(name), found)
                }
            },
        };
        let mut all: Vec<&Entry> = found
            .into_iter()
            .filter_map(|i| self.entries.get(i as usize))
            .collect();
        if let Some(entry) = self.catch_all.and_then(|i| self.entries.get(i as usize)) {
            all.push(entry);
        }
        let mut explained = all.into_iter().map(|entry| self.explain_entry(entry));
        let matched = explained.next();
        Explanation {
            server_name,
            decision: matched
                .as_ref()
                .map_or(Decision::NoRequest, |m| Decision::Request {
                    ca_ids: m.ca_ids,
                }),
            matched,
            also_matching: explained.collect(),
        }
    }

    /// Every non-catch-all entry matching a normalised name, in precedence order.
    fn all_matches(&self, name: &LoweredName) -> Vec<u32> {
        let mut found = Vec::new();
        let bytes = name.as_bytes();
        if let Some(&index) = self.exact.get(bytes) {
            found.push(index);
        }
        let dots = name.dots();
        let mut from = 0;
        while let Some((index, start)) = self.find_suffix(bytes, &dots, from) {
            found.push(index);
            from = start + 1;
        }
        let mut upto = bytes.len();
        while let Some((index, len)) = self.find_prefix(bytes, &dots, upto) {
            found.push(index);
            upto = len - 1;
        }
        found
    }

    fn explain_entry<'m>(&'m self, entry: &'m Entry) -> EntryExplanation<'m> {
        let contributions = entry
            .sources
            .iter()
            .filter_map(|source| {
                let plugin = self.plugins.get(source.plugin as usize)?;
                let route = match source.route {
                    None => None,
                    Some(r) => {
                        let info = self.routes.get(r as usize)?;
                        Some(RouteRef {
                            id: &info.id,
                            service: info.service.as_ref(),
                            workspace: &info.workspace,
                        })
                    }
                };
                Some(Contribution {
                    plugin: &plugin.id,
                    kind: &plugin.kind,
                    scope: &plugin.scope,
                    workspace: &plugin.workspace,
                    route,
                    ca_ids: plugin.kind.contributed_ca_ids(),
                })
            })
            .collect();
        EntryExplanation {
            key: &entry.key,
            ca_ids: &entry.ca_ids,
            contributions,
        }
    }
}

impl fmt::Display for Explanation<'_> {
    /// Several lines, for the diagnostic command.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "server name: {}", self.server_name)?;
        writeln!(f, "decision: {}", self.decision)?;
        match &self.matched {
            None => writeln!(f, "matched: no entry")?,
            Some(entry) => {
                write!(f, "matched: {entry}")?;
            }
        }
        if !self.also_matching.is_empty() {
            writeln!(f, "also matching, not used (lower precedence):")?;
            for entry in &self.also_matching {
                write!(f, "  {entry}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for EntryExplanation<'_> {
    /// The entry on one line, then one indented line per contribution.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key)?;
        if !self.ca_ids.is_empty() {
            f.write_str(", CA ids: ")?;
            write_ids(f, self.ca_ids)?;
        }
        writeln!(f)?;
        for contribution in &self.contributions {
            writeln!(f, "    from {contribution}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Contribution<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} plugin {} (workspace {}, scope {})",
            self.kind.name(),
            self.plugin,
            self.workspace,
            self.scope
        )?;
        if let Some(route) = &self.route {
            write!(
                f,
                " through route {} (workspace {}",
                route.id, route.workspace
            )?;
            if let Some(service) = route.service {
                write!(f, ", service {service}")?;
            }
            f.write_str(")")?;
        }
        match self.kind {
            PluginKind::MtlsAuth {
                send_ca_dn: true, ..
            } if !self.ca_ids.is_empty() => {
                f.write_str(", adds CA ids ")?;
                write_ids(f, self.ca_ids)?;
            }
            PluginKind::MtlsAuth {
                send_ca_dn: true, ..
            } => f.write_str(", send_ca_dn on but no CA ids")?,
            PluginKind::MtlsAuth {
                send_ca_dn: false, ..
            } => f.write_str(", send_ca_dn off: adds no CA ids")?,
            PluginKind::TlsHandshakeModifier => f.write_str(", never adds CA ids")?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CertificatePlugin, Route};

    fn map() -> SniMap {
        let ca = Uuid::from_u128(7);
        let routes = [
            Route::new("r-exact")
                .with_service("s1")
                .with_snis(["a.b.example.com"]),
            Route::new("r-wild").with_service("s1").with_snis([
                "*.example.com",
                "*.b.example.com",
                "a.*",
                "a.b.*",
            ]),
            Route::new("r-any").with_service("s2").in_workspace("team"),
        ];
        let plugins = [
            CertificatePlugin::mtls_auth("p1", Scope::Service("s1".into()), vec![ca], true),
            CertificatePlugin::tls_handshake_modifier("p2", Scope::Route("r-any".into()))
                .in_workspace("team"),
        ];
        SniMap::build(&routes, &plugins).unwrap()
    }

    #[test]
    fn every_matching_entry_in_precedence_order() {
        let map = map();
        let why = map.explain(Some("A.B.Example.com."));
        assert_eq!(why.server_name, ServerName::Name("a.b.example.com".into()));
        let keys: Vec<String> = why
            .matched
            .iter()
            .chain(&why.also_matching)
            .map(|e| e.key.to_string())
            .collect();
        assert_eq!(
            keys,
            [
                "exact \"a.b.example.com\" (a.b.example.com)",
                "suffix \".b.example.com\" (*.b.example.com)",
                "suffix \".example.com\" (*.example.com)",
                "prefix \"a.b.\" (a.b.*)",
                "prefix \"a.\" (a.*)",
                "catch-all \"*\"",
            ]
        );
        assert_eq!(why.decision, map.lookup(Some("A.B.Example.com.")));
    }

    #[test]
    fn contributions_name_plugin_route_and_workspace() {
        let map = map();
        let why = map.explain(None);
        assert_eq!(why.server_name, ServerName::NotSent);
        let matched = why.matched.as_ref().unwrap();
        assert_eq!(matched.key, &EntryKey::CatchAll);
        assert_eq!(matched.contributions.len(), 1);
        let c = &matched.contributions[0];
        assert_eq!(c.plugin.as_str(), "p2");
        assert_eq!(c.workspace.as_str(), "team");
        assert_eq!(c.route.unwrap().id.as_str(), "r-any");
        assert_eq!(c.route.unwrap().service.unwrap().as_str(), "s2");
        assert!(c.ca_ids.is_empty());
        let text = why.to_string();
        assert!(text.contains("tls-handshake-modifier plugin p2 (workspace team, scope route r-any) through route r-any (workspace team, service s2), never adds CA ids"), "{text}");
    }

    #[test]
    fn trailing_dot_is_removed_once_as_in_the_lookup() {
        let routes = [Route::new("r1").with_snis(["k"])];
        let plugins = [CertificatePlugin::tls_handshake_modifier(
            "p",
            Scope::Route("r1".into()),
        )];
        let map = SniMap::build(&routes, &plugins).unwrap();
        for name in ["k", "k.", "k..", "K."] {
            let why = map.explain(Some(name));
            assert_eq!(why.decision, map.lookup(Some(name)), "{name}");
        }
        assert!(map.explain(Some("k.")).matched.is_some());
        assert!(map.explain(Some("k..")).matched.is_none());
    }

    #[test]
    fn display_of_a_miss_and_a_long_name() {
        let map = SniMap::build(&[], &[]).unwrap();
        let text = map.explain(Some("x.com")).to_string();
        assert_eq!(
            text,
            "server name: \"x.com\"\ndecision: no certificate request\nmatched: no entry\n"
        );
        let long = "a".repeat(300);
        let why = map.explain(Some(&long));
        assert_eq!(why.server_name, ServerName::TooLong { len: 300 });
    }

    #[test]
    fn display_shows_ca_ids() {
        let map = map();
        let text = map.explain(Some("x.example.com")).to_string();
        let ca = Uuid::from_u128(7);
        assert!(
            text.contains(&format!(
                "sending the subject DNs of 1 CA certificate: {ca}"
            )),
            "{text}"
        );
        assert!(text.contains(&format!("mtls-auth plugin p1 (workspace default, scope service s1) through route r-wild (workspace default, service s1), adds CA ids {ca}")), "{text}");
        assert!(
            text.contains("also matching, not used (lower precedence):\n  catch-all"),
            "{text}"
        );
    }
}
