//! Arbitrary SNI patterns and server names never make mtls-sni panic, and its answers agree:
//! the input is patterns, one per line, then a NUL, then server names, one per line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtls_sni::{CertificatePlugin, Route, Scope, SniMap, SniPattern};
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (patterns, names) = text.split_once('\0').unwrap_or((&text, ""));

    let mut routes = Vec::new();
    for (i, sni) in patterns.split('\n').take(64).enumerate() {
        if let Ok(pattern) = SniPattern::parse(sni) {
            // Normalisation is stable: the canonical form parses to the same pattern.
            assert_eq!(SniPattern::parse(&pattern.to_string()), Ok(pattern));
        }
        let service = if i % 2 == 0 { "even" } else { "odd" };
        routes.push(
            Route::new(format!("r{i}"))
                .with_service(service)
                .with_snis([sni]),
        );
    }
    let plugins = [
        CertificatePlugin::mtls_auth(
            "mtls",
            Scope::Service("even".into()),
            vec![Uuid::from_u128(1)],
            true,
        ),
        CertificatePlugin::tls_handshake_modifier("thm", Scope::Service("odd".into())),
    ];

    // A configuration is refused whole exactly when one of its SNIs is invalid.
    let valid = |r: &Route| r.snis.iter().all(|s| SniPattern::parse(s).is_ok());
    let all_valid = routes.iter().all(valid);
    assert_eq!(SniMap::build(&routes, &plugins).is_ok(), all_valid);

    routes.retain(valid);
    let map = match SniMap::build(&routes, &plugins) {
        Ok(map) => map,
        Err(e) => panic!("only valid routes, yet: {e}"),
    };
    for name in names.split('\n').map(Some).chain([None]) {
        let decision = map.lookup(name);
        assert_eq!(
            map.find(name).map(|e| e.decision()),
            decision.requests_certificate().then_some(decision)
        );
        let why = map.explain(name);
        assert_eq!(why.decision, decision);
        let _ = why.to_string();
    }
    // Every route's exact SNI, sent as written, gets a certificate request.
    for route in &routes {
        for sni in &route.snis {
            if let Ok(SniPattern::Exact(_)) = SniPattern::parse(sni) {
                assert!(map.lookup(Some(sni)).requests_certificate(), "{sni:?}");
            }
        }
    }
});
