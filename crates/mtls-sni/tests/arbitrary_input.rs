//! Arbitrary SNI patterns and server names never make the crate panic, and every accepted
//! pattern is stable under its own normalisation.

use mtls_sni::{CertificatePlugin, Route, Scope, SniMap, SniPattern};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn parse_never_panics_and_round_trips(sni in "\\PC{0,40}|[a-zA-Z0-9.*:\\[\\]_-]{0,40}") {
        if let Ok(pattern) = SniPattern::parse(&sni) {
            let written = pattern.to_string();
            prop_assert_eq!(SniPattern::parse(&written), Ok(pattern.clone()));
            prop_assert!(pattern.as_str().len() <= 253);
            prop_assert!(pattern.as_str().bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()));
        }
    }

    #[test]
    fn build_and_lookup_never_panic(
        snis in prop::collection::vec("[a-zA-Z0-9.*:_-]{0,12}|\\PC{0,12}", 0..8),
        names in prop::collection::vec(prop::option::of("[a-zA-Z0-9.*_-]{0,16}|\\PC{0,16}"), 0..8),
    ) {
        let routes: Vec<Route> = snis
            .iter()
            .enumerate()
            .map(|(i, s)| Route::new(format!("r{i}")).with_service("s").with_snis([s.clone()]))
            .collect();
        let plugins = [CertificatePlugin::tls_handshake_modifier("p", Scope::Service("s".into()))];
        // Only the valid patterns, so that a build succeeds.
        let valid: Vec<Route> = routes
            .iter()
            .filter(|r| r.snis.iter().all(|s| SniPattern::parse(s).is_ok()))
            .cloned()
            .collect();
        let all = SniMap::build(&routes, &plugins);
        prop_assert_eq!(all.is_ok(), valid.len() == routes.len());
        let map = SniMap::build(&valid, &plugins).unwrap();
        for name in &names {
            let decision = map.lookup(name.as_deref());
            prop_assert_eq!(map.explain(name.as_deref()).decision, decision);
            // A name written exactly as a configured exact SNI gets a request.
            let written_exactly = name.as_deref().map(SniPattern::parse).is_some_and(|p| {
                matches!(p, Ok(SniPattern::Exact(_)))
                    && valid.iter().any(|r| r.snis.iter().any(|s| SniPattern::parse(s) == p))
            });
            if written_exactly {
                prop_assert!(decision.requests_certificate());
            }
        }
    }
}
