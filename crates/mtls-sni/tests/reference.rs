//! The map against a naive reference: Kong's rules written as a linear scan over every entry.
//! Identical decisions for random route sets, plugin sets and names.

use std::collections::BTreeSet;

use mtls_sni::{
    CertificatePlugin, Decision, EntryKey, Route, Scope, SniMap, SniPattern, WorkspaceId,
};
use proptest::prelude::*;
use uuid::Uuid;

// ---- The reference ----------------------------------------------------------------------

struct RefEntry {
    key: EntryKey,
    ca_ids: BTreeSet<Uuid>,
}

/// Kong's build, literally: every enabled plugin, every route it reaches, every SNI.
fn reference_build(routes: &[Route], plugins: &[CertificatePlugin]) -> Vec<RefEntry> {
    let mut entries: Vec<RefEntry> = Vec::new();
    let mut add = |key: EntryKey, ca: &[Uuid]| {
        match entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => entry.ca_ids.extend(ca),
            None => entries.push(RefEntry {
                key,
                ca_ids: ca.iter().copied().collect(),
            }),
        };
    };
    for plugin in plugins.iter().filter(|p| p.enabled) {
        let ca = plugin.kind.contributed_ca_ids();
        let reached: Vec<&Route> = match &plugin.scope {
            Scope::Global => {
                add(EntryKey::CatchAll, ca);
                continue;
            }
            Scope::Service(s) => routes
                .iter()
                .filter(|r| r.service.as_ref() == Some(s))
                .collect(),
            Scope::Route(id) => routes.iter().filter(|r| &r.id == id).collect(),
        };
        for route in reached {
            if route.snis.is_empty() {
                add(EntryKey::CatchAll, ca);
            }
            for sni in &route.snis {
                let pattern = match SniPattern::parse(sni) {
                    Ok(pattern) => pattern,
                    Err(e) => panic!("generated SNI {sni:?} is invalid: {e}"),
                };
                add(EntryKey::Sni(pattern), ca);
            }
        }
    }
    entries
}

fn reference_normalise(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    (name.len() <= 253).then(|| name.to_ascii_lowercase())
}

/// Kong's lookup, literally, with the longest suffix / prefix winning.
fn reference_lookup<'e>(entries: &'e [RefEntry], name: Option<&str>) -> Option<&'e RefEntry> {
    if let Some(name) = name.and_then(reference_normalise) {
        let exact = entries
            .iter()
            .find(|e| matches!(&e.key, EntryKey::Sni(SniPattern::Exact(s)) if **s == *name));
        if exact.is_some() {
            return exact;
        }
        let suffix = entries
            .iter()
            .filter_map(|e| match &e.key {
                EntryKey::Sni(SniPattern::Suffix(s)) if name.ends_with(&**s) => Some((s.len(), e)),
                _ => None,
            })
            .max_by_key(|(len, _)| *len);
        if let Some((_, e)) = suffix {
            return Some(e);
        }
        let prefix = entries
            .iter()
            .filter_map(|e| match &e.key {
                EntryKey::Sni(SniPattern::Prefix(s)) if name.starts_with(&**s) => {
                    Some((s.len(), e))
                }
                _ => None,
            })
            .max_by_key(|(len, _)| *len);
        if let Some((_, e)) = prefix {
            return Some(e);
        }
    }
    entries.iter().find(|e| e.key == EntryKey::CatchAll)
}

// ---- Generators ---------------------------------------------------------------------------

/// Few labels, so that names and patterns collide often.
fn label() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "ab", "example", "com", "x-y", "1", "_s"])
        .prop_map(String::from)
}

fn labels(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..=max).prop_map(|l| l.join("."))
}

/// Random upper case and an optional trailing dot, which the map must ignore.
fn decorate(s: String, upper: Vec<bool>, trailing_dot: bool) -> String {
    let mut out: String = s
        .chars()
        .zip(upper.into_iter().chain(std::iter::repeat(false)))
        .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
        .collect();
    if trailing_dot {
        out.push('.');
    }
    out
}

/// An SNI as written on a route; with `odd`, also Kong's forms whose wildcard is not a whole
/// label (`*example.com`, `example*`, a lone `*`), which take the lookup's slower path.
fn sni(odd: bool) -> impl Strategy<Value = String> {
    let odd_weight = if odd { 1 } else { 0 };
    let shape = prop_oneof![
        4 => labels(3),
        3 => labels(3).prop_map(|l| format!("*.{l}")),
        3 => labels(2).prop_map(|l| format!("{l}.*")),
        odd_weight => labels(2).prop_map(|l| format!("*{l}")),
        odd_weight => labels(2).prop_map(|l| format!("{l}*")),
        odd_weight => Just("*".to_string()),
    ];
    (
        shape,
        prop::collection::vec(any::<bool>(), 0..12),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(s, upper, dot)| decorate(s, upper, dot))
}

fn server_name() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        8 => (labels(5), prop::collection::vec(any::<bool>(), 0..16), prop::bool::weighted(0.2))
            .prop_map(|(s, upper, dot)| Some(decorate(s, upper, dot))),
        1 => "\\PC{0,24}".prop_map(Some),
        1 => Just(Some("a".repeat(254))),
        1 => Just(Some(format!("{}.", ["example"; 31].join(".")))),
    ]
}

fn ca_ids() -> impl Strategy<Value = Vec<Uuid>> {
    prop::collection::vec((0u128..5).prop_map(Uuid::from_u128), 0..3)
}

#[derive(Debug, Clone)]
struct Config {
    routes: Vec<Route>,
    plugins: Vec<CertificatePlugin>,
}

fn config(odd: bool) -> impl Strategy<Value = Config> {
    let route = (
        prop::option::of(0u8..4),
        prop::collection::vec(sni(odd), 0..4),
        0u8..2,
    );
    let plugin = (
        any::<bool>(),
        ca_ids(),
        any::<bool>(),
        0u8..3,
        any::<u8>(),
        prop::bool::weighted(0.9),
    );
    (
        prop::collection::vec(route, 0..24),
        prop::collection::vec(plugin, 0..6),
    )
        .prop_map(|(routes, plugins)| {
            let routes: Vec<Route> = routes
                .into_iter()
                .enumerate()
                .map(|(i, (service, snis, ws))| {
                    let mut route = Route::new(format!("r{i}"))
                        .with_snis(snis)
                        .in_workspace(WorkspaceId::new(format!("ws{ws}")));
                    if let Some(s) = service {
                        route = route.with_service(format!("s{s}"));
                    }
                    route
                })
                .collect();
            let plugins = plugins
                .into_iter()
                .enumerate()
                .map(|(i, (is_mtls, cas, send_ca_dn, scope, target, enabled))| {
                    let scope = match (scope, routes.len()) {
                        (0, _) | (2, 0) => Scope::Global,
                        // s4 has no route: a service plugin that reaches nothing.
                        (1, _) => Scope::Service(format!("s{}", target % 5).into()),
                        (_, n) => Scope::Route(format!("r{}", usize::from(target) % n).into()),
                    };
                    let id = format!("p{i}");
                    let plugin = if is_mtls {
                        CertificatePlugin::mtls_auth(id, scope, cas, send_ca_dn)
                    } else {
                        CertificatePlugin::tls_handshake_modifier(id, scope)
                    };
                    plugin.with_enabled(enabled)
                })
                .collect();
            Config { routes, plugins }
        })
}

// ---- Properties ---------------------------------------------------------------------------

fn check_against_reference(config: &Config, names: &[Option<String>]) -> Result<(), TestCaseError> {
    let map = SniMap::build(&config.routes, &config.plugins)
        .map_err(|e| TestCaseError::fail(format!("generated configuration refused: {e}")))?;
    let reference = reference_build(&config.routes, &config.plugins);
    prop_assert_eq!(map.len(), reference.len());

    for name in names {
        let name = name.as_deref();
        let expected = reference_lookup(&reference, name);
        let expected_ids: Option<Vec<Uuid>> = expected.map(|e| e.ca_ids.iter().copied().collect());
        let got = map.lookup(name);
        match (&expected_ids, got) {
            (None, Decision::NoRequest) => {}
            (Some(ids), Decision::Request { ca_ids }) => prop_assert_eq!(ids.as_slice(), ca_ids),
            (expected, got) => prop_assert!(false, "{name:?}: expected {expected:?}, got {got:?}"),
        }
        prop_assert_eq!(map.find(name).map(|e| e.key()), expected.map(|e| &e.key));

        let why = map.explain(name);
        prop_assert_eq!(why.decision, got);
        prop_assert_eq!(
            why.matched.as_ref().map(|m| m.key),
            expected.map(|e| &e.key)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn same_decisions_as_the_reference(
        config in config(true),
        names in prop::collection::vec(server_name(), 1..16),
    ) {
        check_against_reference(&config, &names)?;
    }

    /// Only whole-label wildcards: the lookup's fast path (dots only).
    #[test]
    fn same_decisions_with_label_wildcards_only(
        config in config(false),
        names in prop::collection::vec(server_name(), 1..16),
    ) {
        check_against_reference(&config, &names)?;
    }

    /// Every entry the reference has can be explained back to at least one plugin.
    #[test]
    fn every_entry_has_a_contribution(config in config(true)) {
        let map = SniMap::build(&config.routes, &config.plugins).unwrap();
        for entry in map.entries() {
            let name = match entry.key() {
                EntryKey::CatchAll => None,
                EntryKey::Sni(SniPattern::Exact(s)) => Some(s.to_string()),
                EntryKey::Sni(SniPattern::Suffix(s)) => Some(format!("zz{s}")),
                EntryKey::Sni(SniPattern::Prefix(s)) => Some(format!("{s}zz")),
            };
            let why = map.explain(name.as_deref());
            let all: Vec<_> = why.matched.iter().chain(&why.also_matching).collect();
            let this = all.iter().find(|m| m.key == entry.key());
            prop_assert!(this.is_some(), "{:?} not explained for {name:?}", entry.key());
            prop_assert!(this.is_some_and(|m| !m.contributions.is_empty()));
        }
    }
}
