//! One test per rule of Kong's SNI map (kong-behaviour.md, section 1, "Handshake: is a client
//! certificate requested?").

use mtls_sni::{CertificatePlugin, Decision, EntryKey, Route, Scope, SniMap, SniPattern};
use uuid::Uuid;

fn ca(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn request(ca_ids: &[Uuid]) -> Decision<'_> {
    Decision::Request { ca_ids }
}

const NO_CA: &[Uuid] = &[];

/// A global plugin gives the catch-all entry: every ClientHello, with or without SNI.
#[test]
fn global_plugin_requests_everywhere() {
    let routes = [Route::new("r1").with_snis(["a.example.com"])];
    let plugins = [CertificatePlugin::mtls_auth(
        "p",
        Scope::Global,
        vec![ca(1)],
        true,
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.len(), 1);
    assert_eq!(map.entries().next().unwrap().key(), &EntryKey::CatchAll);
    for name in [Some("a.example.com"), Some("anything.else"), Some(""), None] {
        assert_eq!(map.lookup(name), request(&[ca(1)]), "{name:?}");
    }
}

/// A service plugin reaches each of the service's routes; when all of them have snis, only
/// those names get a request.
#[test]
fn service_plugin_with_all_routes_having_snis() {
    let routes = [
        Route::new("r1")
            .with_service("s1")
            .with_snis(["a.example.com"]),
        Route::new("r2")
            .with_service("s1")
            .with_snis(["b.example.com", "c.example.com"]),
        Route::new("other")
            .with_service("s2")
            .with_snis(["d.example.com"]),
    ];
    let plugins = [CertificatePlugin::mtls_auth(
        "p",
        Scope::Service("s1".into()),
        vec![ca(1)],
        false,
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.len(), 3);
    for name in ["a.example.com", "b.example.com", "c.example.com"] {
        assert_eq!(map.lookup(Some(name)), request(NO_CA), "{name}");
    }
    assert_eq!(map.lookup(Some("d.example.com")), Decision::NoRequest);
    assert_eq!(map.lookup(Some("x.example.com")), Decision::NoRequest);
    assert_eq!(map.lookup(None), Decision::NoRequest);
}

/// A service plugin with one route without snis gives the catch-all: every name gets a
/// request.
#[test]
fn service_plugin_with_a_route_without_snis() {
    let routes = [
        Route::new("r1")
            .with_service("s1")
            .with_snis(["a.example.com"]),
        Route::new("r2").with_service("s1"),
    ];
    let plugins = [CertificatePlugin::tls_handshake_modifier(
        "p",
        Scope::Service("s1".into()),
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    let keys: Vec<&EntryKey> = map.entries().map(|e| e.key()).collect();
    assert!(keys.contains(&&EntryKey::CatchAll));
    assert_eq!(map.lookup(Some("a.example.com")), request(NO_CA));
    assert_eq!(map.lookup(Some("unrelated.org")), request(NO_CA));
    assert_eq!(map.lookup(None), request(NO_CA));
}

/// A route plugin on a route with snis: only those names.
#[test]
fn route_plugin_on_a_route_with_snis() {
    let routes = [
        Route::new("r1").with_snis(["a.example.com"]),
        Route::new("r2").with_snis(["b.example.com"]),
    ];
    let plugins = [CertificatePlugin::mtls_auth(
        "p",
        Scope::Route("r1".into()),
        vec![ca(1)],
        true,
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.lookup(Some("a.example.com")), request(&[ca(1)]));
    assert_eq!(map.lookup(Some("A.EXAMPLE.COM.")), request(&[ca(1)]));
    assert_eq!(map.lookup(Some("b.example.com")), Decision::NoRequest);
    assert_eq!(map.lookup(None), Decision::NoRequest);
}

/// A route plugin on a route without snis: the catch-all.
#[test]
fn route_plugin_on_a_route_without_snis() {
    let routes = [
        Route::new("r1"),
        Route::new("r2").with_snis(["b.example.com"]),
    ];
    let plugins = [CertificatePlugin::mtls_auth(
        "p",
        Scope::Route("r1".into()),
        vec![ca(1)],
        true,
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.len(), 1);
    assert_eq!(map.lookup(Some("b.example.com")), request(&[ca(1)]));
    assert_eq!(map.lookup(Some("zzz")), request(&[ca(1)]));
    assert_eq!(map.lookup(None), request(&[ca(1)]));
}

/// `*.example.com` is a suffix entry spanning any number of labels but not the bare domain;
/// `example.*` a prefix entry.
#[test]
fn wildcards_on_both_sides() {
    let routes = [Route::new("r1").with_snis(["*.example.com", "internal.*"])];
    let plugins = [CertificatePlugin::tls_handshake_modifier(
        "p",
        Scope::Route("r1".into()),
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    let keys: Vec<&EntryKey> = map.entries().map(|e| e.key()).collect();
    assert!(keys.contains(&&EntryKey::Sni(SniPattern::Suffix(".example.com".into()))));
    assert!(keys.contains(&&EntryKey::Sni(SniPattern::Prefix("internal.".into()))));

    for yes in [
        "a.example.com",
        "a.b.example.com",
        "X.Example.Com.",
        "internal.com",
        "internal.co.uk",
        "INTERNAL.corp",
    ] {
        assert_eq!(map.lookup(Some(yes)), request(NO_CA), "{yes}");
    }
    for no in [
        "example.com",
        "aexample.com",
        "example.com.evil",
        "internal",
        "x.internal.com",
        "internalx.com",
    ] {
        assert_eq!(map.lookup(Some(no)), Decision::NoRequest, "{no}");
    }
}

/// Precedence: exact, then suffix, then prefix, then `*`; among suffixes (prefixes) the longest.
#[test]
fn precedence_exact_suffix_prefix_catch_all() {
    let routes = [
        Route::new("exact").with_snis(["a.b.example.com"]),
        Route::new("suffix-long").with_snis(["*.b.example.com"]),
        Route::new("suffix-short").with_snis(["*.example.com"]),
        Route::new("prefix-long").with_snis(["a.b.*"]),
        Route::new("prefix-short").with_snis(["a.*"]),
        Route::new("all"),
    ];
    let plugins: Vec<CertificatePlugin> = routes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            CertificatePlugin::mtls_auth(
                format!("p{i}"),
                Scope::Route(r.id.clone()),
                vec![ca(i as u128)],
                true,
            )
        })
        .collect();
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.lookup(Some("a.b.example.com")), request(&[ca(0)]));
    assert_eq!(map.lookup(Some("x.b.example.com")), request(&[ca(1)]));
    assert_eq!(map.lookup(Some("x.example.com")), request(&[ca(2)]));
    assert_eq!(map.lookup(Some("a.b.org")), request(&[ca(3)]));
    assert_eq!(map.lookup(Some("a.org")), request(&[ca(4)]));
    assert_eq!(map.lookup(Some("other.org")), request(&[ca(5)]));
    assert_eq!(map.lookup(None), request(&[ca(5)]));
}

/// A ClientHello without SNI gets the catch-all's decision, and only that.
#[test]
fn no_sni_sent() {
    let routes = [Route::new("r1").with_snis(["*"])];
    let plugins = [CertificatePlugin::tls_handshake_modifier(
        "p",
        Scope::Route("r1".into()),
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    // Kong: a lone `*` is the empty suffix: every name sent, but not "no SNI".
    assert_eq!(map.lookup(Some("anything")), request(NO_CA));
    assert_eq!(map.lookup(None), Decision::NoRequest);

    let empty = SniMap::build(&[], &[]).unwrap();
    assert_eq!(empty.lookup(None), Decision::NoRequest);

    let global = SniMap::build(
        &[],
        &[CertificatePlugin::tls_handshake_modifier(
            "g",
            Scope::Global,
        )],
    )
    .unwrap();
    assert_eq!(global.lookup(None), request(NO_CA));
}

/// With send_ca_dn, the CA ids of every mtls-auth instance that gives an entry are unioned
/// (sorted, without repeats); without it, an instance requests but adds no CA.
#[test]
fn send_ca_dn_unions_ca_ids() {
    let routes = [
        Route::new("r1")
            .with_service("s1")
            .with_snis(["a.example.com"]),
        Route::new("r2").with_snis(["a.example.com", "b.example.com"]),
    ];
    let plugins = [
        CertificatePlugin::mtls_auth("p1", Scope::Service("s1".into()), vec![ca(3), ca(1)], true),
        CertificatePlugin::mtls_auth("p2", Scope::Route("r2".into()), vec![ca(2), ca(3)], true),
        CertificatePlugin::mtls_auth("p3", Scope::Route("r2".into()), vec![ca(9)], false),
    ];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(
        map.lookup(Some("a.example.com")),
        request(&[ca(1), ca(2), ca(3)])
    );
    assert_eq!(map.lookup(Some("b.example.com")), request(&[ca(2), ca(3)]));

    // send_ca_dn off everywhere: a request without CA names.
    let plugins = [CertificatePlugin::mtls_auth(
        "p",
        Scope::Route("r2".into()),
        vec![ca(1)],
        false,
    )];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.lookup(Some("b.example.com")), request(NO_CA));
}

/// Two plugins on one SNI merge into one entry; tls-handshake-modifier never adds CA ids.
#[test]
fn two_plugins_on_one_sni() {
    let routes = [Route::new("r1").with_snis(["a.example.com"])];
    let plugins = [
        CertificatePlugin::tls_handshake_modifier("thm", Scope::Route("r1".into())),
        CertificatePlugin::mtls_auth("mtls", Scope::Route("r1".into()), vec![ca(5)], true),
    ];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.len(), 1);
    assert_eq!(map.lookup(Some("a.example.com")), request(&[ca(5)]));
    let why = map.explain(Some("a.example.com"));
    let matched = why.matched.unwrap();
    let plugins: Vec<&str> = matched
        .contributions
        .iter()
        .map(|c| c.plugin.as_str())
        .collect();
    assert_eq!(plugins, ["thm", "mtls"]);
    assert!(matched.contributions[0].ca_ids.is_empty());

    // tls-handshake-modifier alone: a request without CA names.
    let map = SniMap::build(&routes, &plugins_thm_only()).unwrap();
    assert_eq!(map.lookup(Some("a.example.com")), request(NO_CA));
}

fn plugins_thm_only() -> [CertificatePlugin; 1] {
    [CertificatePlugin::tls_handshake_modifier(
        "thm",
        Scope::Route("r1".into()),
    )]
}

/// Entries are shared across workspaces: a plugin in one workspace makes every ClientHello for
/// that name get a request, whatever workspace the other routes with the name are in.
#[test]
fn workspaces_share_entries() {
    let routes = [
        Route::new("ws1-route")
            .with_snis(["shared.example.com"])
            .in_workspace("ws1"),
        Route::new("ws2-route")
            .with_snis(["shared.example.com", "only-ws2.example.com"])
            .in_workspace("ws2"),
    ];
    let plugins = [
        CertificatePlugin::mtls_auth("p1", Scope::Route("ws1-route".into()), vec![ca(1)], true)
            .in_workspace("ws1"),
        CertificatePlugin::mtls_auth("p2", Scope::Route("ws2-route".into()), vec![ca(2)], true)
            .in_workspace("ws2"),
    ];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(
        map.lookup(Some("shared.example.com")),
        request(&[ca(1), ca(2)])
    );
    assert_eq!(map.lookup(Some("only-ws2.example.com")), request(&[ca(2)]));
    let why = map.explain(Some("shared.example.com"));
    let workspaces: Vec<&str> = why
        .matched
        .unwrap()
        .contributions
        .iter()
        .map(|c| c.workspace.as_str())
        .collect();
    assert_eq!(workspaces, ["ws1", "ws2"]);
}

/// Only enabled plugins count.
#[test]
fn disabled_plugins_are_ignored() {
    let routes = [Route::new("r1").with_snis(["a.example.com"])];
    let plugins = [
        CertificatePlugin::mtls_auth("p", Scope::Route("r1".into()), vec![ca(1)], true)
            .with_enabled(false),
    ];
    let map = SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(map.lookup(Some("a.example.com")), Decision::NoRequest);
}

/// The map is immutable and shared: Send + Sync, and a reload is a new map.
#[test]
fn shared_and_swapped_whole() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<SniMap>();

    let routes = [Route::new("r1").with_snis(["a.example.com"])];
    let old = std::sync::Arc::new(SniMap::build(&routes, &[]).unwrap());
    let plugins = [CertificatePlugin::tls_handshake_modifier(
        "p",
        Scope::Route("r1".into()),
    )];
    let mut current = std::sync::Arc::clone(&old);
    // A broken configuration is refused whole: the current map stays.
    let broken = [Route::new("r1").with_snis(["a.*.com"])];
    if let Ok(map) = SniMap::build(&broken, &plugins) {
        current = std::sync::Arc::new(map);
    }
    assert!(std::sync::Arc::ptr_eq(&current, &old));
    current = std::sync::Arc::new(SniMap::build(&routes, &plugins).unwrap());
    assert_eq!(old.lookup(Some("a.example.com")), Decision::NoRequest);
    assert_eq!(current.lookup(Some("a.example.com")), request(NO_CA));
}
