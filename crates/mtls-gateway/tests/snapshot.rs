//! Reload: a broken configuration is refused whole and the old snapshot keeps serving;
//! concurrent readers see one snapshot each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mtls_gateway::{CompileOptions, Snapshot, SnapshotHandle};

fn snapshot(version: u64) -> Snapshot {
    let (config, _) = mtls_kong_config::load_str("_format_version: \"3.0\"\n").unwrap();
    let options = CompileOptions::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    Snapshot::compile(&config, version, &options).unwrap()
}

#[test]
fn prepared_snapshots_swap_only_when_committed() {
    let handle = SnapshotHandle::try_new(|v| Ok::<_, String>(snapshot(v))).unwrap();
    let dropped = handle.prepare(|v| Ok::<_, String>(snapshot(v))).unwrap();
    assert_eq!(dropped.snapshot().version(), 2);
    drop(dropped);
    assert_eq!(
        handle.load().version(),
        1,
        "a dropped preparation changes nothing"
    );
    let prepared = handle.prepare(|v| Ok::<_, String>(snapshot(v))).unwrap();
    assert_eq!(handle.load().version(), 1, "not before the commit");
    assert_eq!(prepared.commit(), 3);
    assert_eq!(handle.load().version(), 3);
    assert!(
        handle
            .prepare(|_| Err::<Snapshot, _>("no".to_owned()))
            .is_err()
    );
    assert_eq!(handle.version(), 3);
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

#[test]
fn built_snapshots_install_in_version_order_only() {
    let handle = SnapshotHandle::try_new(|v| Ok::<_, String>(snapshot(v))).unwrap();
    let older = handle.build_next(|v| Ok::<_, String>(snapshot(v))).unwrap();
    let newer = handle.build_next(|v| Ok::<_, String>(snapshot(v))).unwrap();
    assert_eq!(handle.version(), 1, "building swaps nothing");
    assert_eq!(handle.install(newer), 3);
    assert_eq!(
        handle.install(older),
        3,
        "an older snapshot never replaces a newer one"
    );
    assert_eq!(handle.load().version(), 3);
    assert!(
        handle
            .build_next(|_| Err::<Snapshot, _>("no".to_owned()))
            .is_err()
    );
    assert_eq!(handle.version(), 3);
}

#[test]
fn a_handle_from_version_zero_builds_version_one_next() {
    let handle = SnapshotHandle::new(snapshot(0));
    assert_eq!(handle.version(), 0);
    let first = handle.build_next(|v| Ok::<_, String>(snapshot(v))).unwrap();
    assert_eq!(handle.install(first), 1);
}
