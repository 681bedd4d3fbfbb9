//! `GET /` (the node), `GET /status` (connections, database, configuration hash) and
//! `GET /plugins/enabled`.

use std::sync::atomic::Ordering;

use mtls_kong_config::{Config, PLUGIN_NAMES};
use serde_json::{Map, Value, json};

use crate::admin::{Admin, Current, Mode};

/// The resident set size in bytes, from /proc (0 where there is none).
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

pub(crate) fn root(admin: &Admin, current: &Current) -> Value {
    let inner = &admin.inner;
    let mut available = Map::new();
    for name in PLUGIN_NAMES {
        available.insert(
            name.to_owned(),
            json!({ "version": env!("CARGO_PKG_VERSION"), "priority": priority(name) }),
        );
    }
    let database = match &inner.mode {
        Mode::Database(store) => {
            let location = store.database().location();
            if location.starts_with("postgres://") {
                "postgres"
            } else {
                "sqlite"
            }
        }
        Mode::DbLess => "off",
    };
    json!({
        "tagline": "Welcome to mtls",
        "version": env!("CARGO_PKG_VERSION"),
        "hostname": inner.settings.hostname,
        "node_id": inner.node_id,
        "plugins": {
            "available_on_server": available,
            "enabled_in_cluster": enabled(&current.config),
        },
        "configuration": {
            "database": database,
            "admin_listen": inner.settings.admin_listen,
            "config_version": inner.node.status().config_version,
        },
    })
}

fn priority(name: &str) -> u32 {
    match name {
        "mtls-auth" => 1600,
        "header-cert-auth" => 1009,
        "tls-handshake-modifier" => 997,
        "tls-metadata-headers" => 996,
        _ => 950,
    }
}

fn enabled(config: &Config) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = config.plugins().iter().map(|p| p.name()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

pub(crate) fn enabled_plugins(config: &Config) -> Value {
    json!({ "enabled_plugins": enabled(config) })
}

pub(crate) fn status(admin: &Admin, current: &Current) -> Value {
    let c = &admin.inner.counters;
    let active = c.active.load(Ordering::Relaxed);
    let writing = c.in_flight.load(Ordering::Relaxed);
    let node = admin.inner.node.status();
    let mut body = json!({
        "memory": { "resident_bytes": resident_bytes() },
        "server": {
            "connections_accepted": c.accepted.load(Ordering::Relaxed),
            "connections_handled": c.handled.load(Ordering::Relaxed),
            "connections_active": active,
            "connections_reading": 0,
            "connections_writing": writing,
            "connections_waiting": active.saturating_sub(writing),
            "total_requests": c.requests.load(Ordering::Relaxed),
        },
        "configuration": {
            "version": node.config_version,
            "failed_reloads": node.failed_reloads,
        },
    });
    if let Value::Object(map) = &mut body {
        match &admin.inner.mode {
            Mode::Database(_) => {
                map.insert(
                    "database".into(),
                    json!({ "reachable": admin.inner.reachable.load(Ordering::Relaxed) }),
                );
            }
            Mode::DbLess => {
                map.insert("configuration_hash".into(), json!(current.hash));
            }
        }
    }
    body
}
