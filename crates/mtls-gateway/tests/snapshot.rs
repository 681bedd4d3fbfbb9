//! Reload: a broken configuration is refused whole and the old snapshot keeps serving;
//! concurrent readers see one snapshot each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use mtls_consumer::InMemoryStore;
use mtls_gateway::{Decider, HandshakeConfigs, ServerCertificates, Snapshot, SnapshotHandle};
use mtls_sni::SniMap;

fn snapshot(version: u64) -> Snapshot {
    let map = Arc::new(SniMap::build(&[], &[]).unwrap());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let handshake = HandshakeConfigs::build(
        map,
        &HashMap::new(),
        Arc::new(ServerCertificates::empty()),
        provider,
        &|_| {},
    )
    .unwrap();
    let decider = Decider::new(
        Arc::new(InMemoryStore::builder().build().unwrap()),
        HashMap::new(),
        16,
        Duration::from_secs(60),
        Arc::new(mtls_gateway::revocation::RevocationChecker::new(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))),
    );
    Snapshot::new(version, handshake, HashMap::new(), decider, HashMap::new())
}

#[test]
fn failed_reload_keeps_the_running_snapshot() {
    let handle = SnapshotHandle::try_new(|v| Ok::<_, String>(snapshot(v))).unwrap();
    assert_eq!(handle.load().version(), 1);
    let held = handle.load();
    assert_eq!(handle.reload(|v| Ok::<_, String>(snapshot(v))), Ok(2));
    assert_eq!(handle.load().version(), 2);
    // A request that started before the reload still sees its own snapshot.
    assert_eq!(held.version(), 1);
    let err = handle.reload(|_| Err::<Snapshot, _>("services[0].url: invalid".to_owned()));
    assert_eq!(err, Err("services[0].url: invalid".to_owned()));
    assert_eq!(handle.load().version(), 2);
}

#[test]
fn concurrent_readers_see_whole_snapshots_in_order() {
    let handle = Arc::new(SnapshotHandle::try_new(|v| Ok::<_, String>(snapshot(v))).unwrap());
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let handle = Arc::clone(&handle);
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..2000 {
                    let s = handle.load();
                    assert!(s.version() >= last, "versions never go back");
                    last = s.version();
                }
            })
        })
        .collect();
    for _ in 0..20 {
        handle.reload(|v| Ok::<_, String>(snapshot(v))).unwrap();
    }
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(handle.load().version(), 21);
}
