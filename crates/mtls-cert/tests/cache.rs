//! The validation cache: hits skip validation, entries never outlive TTL or notAfter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use mtls_cert::pki_types::UnixTime;
use mtls_cert::{ValidationCache, ValidationOptions};

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

#[test]
fn hit_miss_ttl_and_not_after() {
    let root = root("Root CA");
    let leaf = leaf_with(&root, |p| {
        p.not_after = time::OffsetDateTime::from_unix_timestamp(2_000_000_000).unwrap();
    });
    let set = set(&[&root]);
    let opts = ValidationOptions::client();
    let cache = ValidationCache::new(100, Duration::from_secs(60));
    let presented = chain(&[&leaf]);
    let t0 = 1_900_000_000;
    assert!(cache.get(&presented, &set, &opts, at(t0)).is_none());
    cache.validate(&presented, &set, &opts, at(t0)).unwrap();
    assert_eq!(cache.len(), 1);
    assert!(cache.get(&presented, &set, &opts, at(t0 + 30)).is_some());
    // Other options or another CA set never share the entry.
    assert!(
        cache
            .get(
                &presented,
                &set,
                &opts.clone().with_eku_check(false),
                at(t0)
            )
            .is_none()
    );
    let other_set = common::set(&[&common::root("Other")]);
    assert!(cache.get(&presented, &other_set, &opts, at(t0)).is_none());
    // Past the TTL the entry is gone.
    assert!(cache.get(&presented, &set, &opts, at(t0 + 61)).is_none());
    // Near notAfter the entry ends with the certificate, not with the TTL.
    let near = 2_000_000_000 - 10;
    cache.validate(&presented, &set, &opts, at(near)).unwrap();
    assert!(cache.get(&presented, &set, &opts, at(near + 5)).is_some());
    assert!(
        cache
            .get(&presented, &set, &opts, at(2_000_000_001))
            .is_none()
    );
}

#[test]
fn failures_are_not_cached_and_capacity_is_bounded() {
    let root = root("Root CA");
    let other = common::root("Other");
    let set = set(&[&root]);
    let opts = ValidationOptions::client();
    let cache = ValidationCache::new(2, Duration::from_secs(60));
    let bad = cn_only_leaf(&other);
    assert!(cache.validate(&chain(&[&bad]), &set, &opts, now()).is_err());
    assert!(cache.is_empty());
    for _ in 0..10 {
        let leaf = cn_only_leaf(&root);
        cache
            .validate(&chain(&[&leaf]), &set, &opts, now())
            .unwrap();
    }
    assert!(cache.len() <= 2, "{}", cache.len());
    cache.clear();
    assert!(cache.is_empty());
}
