//! The hot path allocates nothing: matching against the in-memory store, and cache hits.
//!
//! One test in its own binary, so that no other test allocates while it counts.

mod common;

use std::alloc::System;

use common::*;
use mtls_consumer::{
    CacheSettings, CachedStore, CertificateIdentity, ConsumerField, GroupBy, MatchSettings,
    Outcome, match_consumer,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn matching_allocates_nothing() {
    let store = store();
    let cached = CachedStore::new(store, CacheSettings::default());
    let store = common::store();

    let mut anonymous = MatchSettings::default();
    anonymous.anonymous = Some("anon".into());
    let mut default = MatchSettings::default();
    default.default_consumer = Some("default-user".into());
    let mut custom_first = MatchSettings::default();
    custom_first.consumer_by = vec![ConsumerField::CustomId, ConsumerField::Username];
    let mut skip_dn = MatchSettings::default();
    skip_dn.skip_consumer_lookup = true;
    skip_dn.authenticated_group_by = Some(GroupBy::SubjectDn);
    let plain = MatchSettings::default();

    let mapping = ["x.example", "svc.example", "client"];
    let username = ["x.example", "y@example.com", "10.0.0.1", "alice"];
    let miss = ["x.example", "y@example.com", "10.0.0.1", "nobody"];
    let owned: Vec<String> = username.iter().map(|s| s.to_string()).collect();

    let cases: Vec<(&str, CertificateIdentity<'_>, &MatchSettings)> = vec![
        (
            "mapping",
            CertificateIdentity::new(&mapping, Some("client"), "CN=client", Some(CA1)),
            &plain,
        ),
        (
            "username after misses",
            CertificateIdentity::new(&username, None, "", Some(CA1)),
            &custom_first,
        ),
        (
            "owned names",
            CertificateIdentity::new(&owned, None, "", Some(CA1)),
            &plain,
        ),
        (
            "full miss",
            CertificateIdentity::new(&miss, None, "", Some(CA1)),
            &plain,
        ),
        (
            "anonymous",
            CertificateIdentity::new(&miss, None, "", Some(CA1)),
            &anonymous,
        ),
        (
            "default consumer",
            CertificateIdentity::new(&miss, None, "CN=x", Some(CA1)),
            &default,
        ),
        (
            "skip lookup",
            CertificateIdentity::new(&miss, None, "CN=x", Some(CA1)),
            &skip_dn,
        ),
    ];

    // Warm the cache (misses allocate their keys).
    for (_, identity, settings) in &cases {
        let _ = match_consumer(&cached, identity, settings);
    }

    for (name, identity, settings) in &cases {
        let region = Region::new(GLOBAL);
        let outcome = match_consumer(&store, identity, settings);
        let outcome_cached = match_consumer(&cached, identity, settings);
        let stats = region.change();
        assert!(
            !matches!(outcome, Outcome::Failed(_)) || *name == "full miss",
            "{name}: {outcome:?}"
        );
        assert_eq!(
            outcome.consumer().map(|c| c.id),
            outcome_cached.consumer().map(|c| c.id)
        );
        drop((outcome, outcome_cached));
        assert_eq!(stats.allocations, 0, "{name}: {stats:?}");
        assert_eq!(stats.reallocations, 0, "{name}: {stats:?}");
    }
}
