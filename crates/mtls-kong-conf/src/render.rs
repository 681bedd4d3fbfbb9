//! `mtls serve --print-settings`: the effective settings in kong.conf syntax, each with where
//! it came from as a comment, secrets hidden.

use crate::Settings;
use crate::known;

/// Settings whose values are not shown (Kong's `CONF_SENSITIVE`).
const SENSITIVE: &[&str] = &[
    "pg_password",
    "pg_ro_password",
    "ssl_cert_key",
    "client_ssl_cert_key",
    "admin_ssl_cert_key",
    "status_ssl_cert_key",
    "cluster_cert_key",
    "proxy_server",
    "declarative_config_string",
];

impl Settings {
    /// The settings this project reads, and every other one that was set, one per line:
    /// `name = value  # origin`, sorted by name. Secrets (`pg_password`, keys) show as
    /// `<hidden>`, inline PEM as its size; `#` in values is written `\#`, so the text reads
    /// back as kong.conf.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, effective) in &self.values {
            if !self.shown(name) {
                continue;
            }
            let value = effective.value.trim();
            let shown = if SENSITIVE.contains(&name.as_str()) && !value.is_empty() {
                "<hidden>".to_owned()
            } else if value.contains("-----BEGIN") {
                format!("<PEM, {} bytes>", value.len())
            } else {
                value.replace('#', "\\#")
            };
            let line = format!("{name} = {shown}");
            out.push_str(&format!("{}  # {}\n", line.trim_end(), effective.origin));
        }
        out
    }

    fn shown(&self, name: &str) -> bool {
        known::is_supported(name)
            || self
                .values
                .get(name)
                .is_some_and(|e| e.origin != crate::Origin::Default)
    }
}
