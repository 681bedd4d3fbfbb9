//! Reload at scale (issue 9): a Kong declarative configuration with 100,000 routes over 1,000
//! services and 1,000,000 consumers with one credential each (`mtls_benches::scale`), loaded
//! (`config::load_str`, JSON) and compiled (`Snapshot::compile`), timed with `Instant`.
//!
//! Memory: peak resident set (`VmHWM` of /proc/self/status, reset before each phase by writing
//! `5` to /proc/self/clear_refs) and the heap counted by a `stats_alloc` global allocator
//! (bytes allocated, and still held at the end of the phase).
//!
//! Phases: the first load and compile; then a reload (load and compile again while the first
//! configuration and snapshot stay alive, as a running gateway keeps serving from the old
//! snapshot while the new one is built); then dropping the old ones.
//!
//! Run: `cargo run --release -p mtls-benches --example reload_scale [CONSUMERS [SERVICES
//! [ROUTES_PER_SERVICE]]]` (defaults 1000000 1000 100).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::sync::Arc;
use std::time::Instant;

use mtls_benches::scale::{ca_pem, kong_config_json};
use mtls_gateway::{CompileOptions, Snapshot};
use mtls_kong_config::{Config, load_str};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const MIB: f64 = 1024.0 * 1024.0;

/// A field of /proc/self/status in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS; false if the kernel refused.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Phase {
    name: &'static str,
    seconds: f64,
    rss_before: u64,
    peak: u64,
    rss_after: u64,
    allocated: usize,
    held: isize,
    allocations: usize,
}

fn measure<R>(name: &'static str, f: impl FnOnce() -> R) -> (R, Phase) {
    let peak_reset = reset_peak();
    let rss_before = status_kib("VmRSS:");
    let region = Region::new(GLOBAL);
    let start = Instant::now();
    let result = f();
    let seconds = start.elapsed().as_secs_f64();
    let stats = region.change();
    let phase = Phase {
        name,
        seconds,
        rss_before,
        peak: if peak_reset { status_kib("VmHWM:") } else { 0 },
        rss_after: status_kib("VmRSS:"),
        allocated: stats.bytes_allocated,
        // stats_alloc counts a reallocation's growth as allocated and its shrinking as freed.
        held: stats.bytes_allocated as isize - stats.bytes_deallocated as isize,
        allocations: stats.allocations,
    };
    (result, phase)
}

fn print(phase: &Phase) {
    let kib = |k: u64| k as f64 / 1024.0;
    println!(
        "{:<28} {:>8.2} s  RSS {:>8.1} -> {:>8.1} MiB, peak {:>8.1} MiB (+{:>7.1})  heap: {:>8.1} MiB allocated in {:>10} allocations, {:>+8.1} MiB held",
        phase.name,
        phase.seconds,
        kib(phase.rss_before),
        kib(phase.rss_after),
        kib(phase.peak),
        kib(phase.peak.saturating_sub(phase.rss_before)),
        phase.allocated as f64 / MIB,
        phase.allocations,
        phase.held as f64 / MIB,
    );
}

fn load_and_compile(json: &str, options: &CompileOptions, version: u64) -> (Config, Snapshot) {
    let (config, warnings) = load_str(json).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let snapshot = Snapshot::compile(&config, version, options).unwrap();
    (config, snapshot)
}

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (consumers, services, per_service) = (arg(1, 1_000_000), arg(2, 1_000), arg(3, 100));
    if !reset_peak() {
        println!("(/proc/self/clear_refs refused: peaks not measured)");
    }
    let (json, generated) = measure("generate JSON", || {
        kong_config_json(&ca_pem().unwrap(), services, per_service, consumers)
    });
    println!(
        "configuration: {services} services, {} routes, {consumers} consumers with one mtls_auth_credential each; JSON {:.1} MiB",
        services * per_service,
        json.len() as f64 / MIB
    );
    print(&generated);
    let options = CompileOptions::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));

    let (config, load) = measure("load (parse + validate)", || {
        let (config, warnings) = load_str(&json).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        config
    });
    print(&load);
    assert_eq!(config.routes().len(), services * per_service);
    assert_eq!(config.consumers().len(), consumers);
    let (snapshot, compile) = measure("compile (Snapshot::compile)", || {
        Snapshot::compile(&config, 1, &options).unwrap()
    });
    print(&compile);
    println!(
        "first load + compile: {:.2} s",
        load.seconds + compile.seconds
    );

    let (second, reload) = measure("reload (old one alive)", || {
        load_and_compile(&json, &options, 2)
    });
    print(&reload);
    let (_, dropped) = measure("drop old config + snapshot", || {
        drop(snapshot);
        drop(config);
    });
    print(&dropped);
    std::hint::black_box(&second);
    println!(
        "process peak RSS (VmHWM since the last reset): {:.1} MiB; RSS now {:.1} MiB",
        status_kib("VmHWM:") as f64 / 1024.0,
        status_kib("VmRSS:") as f64 / 1024.0
    );
}
