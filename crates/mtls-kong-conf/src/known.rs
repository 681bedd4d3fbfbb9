//! Kong's settings as data: every name with its default (kong_defaults.conf, from Kong's
//! `kong_defaults.lua`), the nginx-directive namespaces any `nginx_http_*` name belongs to,
//! which settings this project reads, which only configure Kong's nginx or files (accepted,
//! without effect), and where this project's default differs from Kong's.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::parse::parse_conf;

/// Kong's settings and defaults, in kong.conf syntax.
const KONG_DEFAULTS: &str = include_str!("kong_defaults.conf");

/// Kong's dynamic namespaces: a name with one of these prefixes is a Kong setting (an
/// nginx directive Kong injects, a plugin server's or vault's option).
pub const DYNAMIC_PREFIXES: &[&str] = &[
    "nginx_main_",
    "nginx_events_",
    "nginx_http_",
    "nginx_upstream_",
    "nginx_proxy_",
    "nginx_location_",
    "nginx_status_",
    "nginx_admin_",
    "nginx_stream_",
    "nginx_supstream_",
    "nginx_sproxy_",
    "nginx_wasm_",
    "pluginserver_",
    "vault_",
];

/// The settings this project reads (typed in [`crate::Settings`]).
pub const SUPPORTED: &[&str] = &[
    "proxy_listen",
    "admin_listen",
    "status_listen",
    "database",
    "declarative_config",
    "pg_host",
    "pg_port",
    "pg_user",
    "pg_password",
    "pg_database",
    "pg_ssl",
    "pg_ssl_verify",
    "pg_timeout",
    "client_ssl",
    "client_ssl_cert",
    "client_ssl_cert_key",
    "ssl_cert",
    "ssl_cert_key",
    "admin_ssl_cert",
    "admin_ssl_cert_key",
    "trusted_ips",
    "real_ip_header",
    "real_ip_recursive",
    "nginx_proxy_real_ip_header",
    "nginx_proxy_real_ip_recursive",
    "headers",
    "headers_upstream",
    "nginx_proxy_large_client_header_buffers",
    "log_level",
];

/// Settings that configure Kong's nginx, OpenResty or files and mean nothing here: accepted
/// (a Kong node's environment runs unchanged), with a warning when set to another value than
/// the default.
pub const NO_EFFECT: &[&str] = &[
    "prefix",
    "proxy_access_log",
    "proxy_error_log",
    "proxy_stream_access_log",
    "proxy_stream_error_log",
    "admin_access_log",
    "admin_error_log",
    "admin_gui_access_log",
    "admin_gui_error_log",
    "status_access_log",
    "status_error_log",
    "anonymous_reports",
    "admin_gui_listen",
    "admin_gui_url",
    "admin_gui_path",
    "admin_gui_api_url",
    "nginx_user",
    "nginx_worker_processes",
    "nginx_daemon",
    "mem_cache_size",
    "lmdb_environment_path",
    "lmdb_map_size",
    "lua_package_path",
    "lua_package_cpath",
    "lua_socket_pool_size",
    "port_maps",
    "host_ports",
    "kic",
    "plugins",
    "worker_consistency",
    "worker_state_update_frequency",
    "dedicated_config_processing",
    "db_update_frequency",
    "db_update_propagation",
    "db_cache_ttl",
    "db_cache_neg_ttl",
    "db_resurrect_ttl",
    "db_cache_warmup_entities",
];

/// Namespaces without effect here (nginx's process and event settings).
pub const NO_EFFECT_PREFIXES: &[&str] = &["nginx_main_", "nginx_events_"];

/// Where this project's default differs from Kong's, or Kong has none: (name, default, why).
pub const OUR_DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "status_listen",
        "off",
        "a Kong node's documented default (no status listener unless asked)",
    ),
    (
        "nginx_proxy_large_client_header_buffers",
        "4 8k",
        "nginx's default, which Kong leaves in place",
    ),
];

/// Every known setting's default (`NONE` read as unset, i.e. empty).
pub fn defaults() -> &'static BTreeMap<String, String> {
    static DEFAULTS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let mut map: BTreeMap<String, String> = parse_conf(KONG_DEFAULTS, "kong_defaults")
            .unwrap_or_default()
            .into_iter()
            .map(|l| {
                let value = if l.value == "NONE" {
                    String::new()
                } else {
                    l.value
                };
                (l.name, value)
            })
            .collect();
        for (name, value, _) in OUR_DEFAULTS {
            map.insert((*name).to_owned(), (*value).to_owned());
        }
        map
    })
}

/// Whether `name` is a Kong setting (in Kong's defaults, or in a dynamic namespace).
pub fn is_known(name: &str) -> bool {
    defaults().contains_key(name)
        || SUPPORTED.contains(&name)
        || DYNAMIC_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Whether `name` is known to have no effect here.
pub fn has_no_effect(name: &str) -> bool {
    NO_EFFECT.contains(&name) || NO_EFFECT_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Whether this project reads `name`.
pub fn is_supported(name: &str) -> bool {
    SUPPORTED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read() {
        let d = defaults();
        assert!(d.len() > 200, "{}", d.len());
        assert_eq!(d["pg_port"], "5432");
        assert_eq!(d["database"], "postgres");
        assert_eq!(d["status_listen"], "off");
        assert_eq!(d["trusted_ips"], "");
        assert!(d["proxy_listen"].contains("0.0.0.0:8443 http2 ssl"));
        for name in SUPPORTED.iter().chain(NO_EFFECT) {
            assert!(is_known(name), "{name}");
        }
        assert!(is_known("nginx_http_client_max_body_size"));
        assert!(is_known("nginx_proxy_large_client_header_buffers"));
        assert!(!is_known("proxy_listener"));
    }
}
