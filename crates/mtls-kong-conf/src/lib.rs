//! # mtls-kong-conf
//!
//! A Kong node's settings, as Kong reads them: the built-in defaults (Kong's
//! `kong_defaults.lua`, as data), a kong.conf file, `KONG_<NAME>` environment variables
//! and command-line flags, in Kong's precedence (default < kong.conf < environment < flag).
//! The environment is given as a list of pairs (the caller passes `std::env::vars()`), so
//! reading settings is pure.
//!
//! ## What is read
//!
//! Typed in [`Settings`]: `proxy_listen`, `admin_listen`, `status_listen` (Kong's listen
//! syntax, [`Listener`]), `database` (`off`, `postgres`, and this project's `sqlite`),
//! `declarative_config`, `pg_host`, `pg_port`, `pg_user`, `pg_password`, `pg_database`,
//! `pg_ssl`, `pg_ssl_verify`, `pg_timeout`, `client_ssl`, `client_ssl_cert`,
//! `client_ssl_cert_key`, `ssl_cert`, `ssl_cert_key`, `trusted_ips`, `real_ip_header`,
//! `real_ip_recursive` (and their `nginx_proxy_` spellings), `headers`, `headers_upstream`,
//! `nginx_proxy_large_client_header_buffers` and `log_level`.
//!
//! ## What is refused, and what is only reported
//!
//! - A kong.conf line that does not parse: an error with its line number.
//! - A value that does not read (a listen address, a boolean other than on/off, a log
//!   level, ...): an error naming the setting and where the value came from.
//! - Any other Kong setting set to something else than Kong's default: refused, naming it,
//!   unless it only configures Kong's nginx or files (log paths, `prefix`, worker
//!   processes, ... in [`known::NO_EFFECT`]), which is accepted with a [`Warning::NoEffect`].
//! - A `KONG_` variable or a kong.conf name that is no Kong setting: a warning naming it.
//!
//! ## Example
//!
//! ```
//! use mtls_kong_conf::{Builder, Database, Origin};
//!
//! let conf = "# kong.conf\nproxy_listen = 0.0.0.0:9000, 0.0.0.0:9443 ssl http2\nlog_level = info\n";
//! let env = [
//!     ("KONG_DATABASE", "off"),
//!     ("KONG_DECLARATIVE_CONFIG", "/etc/kong/kong.yaml"),
//!     ("KONG_TRUSTED_IPS", "10.0.0.0/8,unix:"),
//!     ("KONG_PROXY_LISTN", "typo"),
//!     ("PATH", "/usr/bin"),
//! ];
//! let settings = Builder::new()
//!     .kong_conf(conf, "/etc/kong/kong.conf")
//!     .env(env)
//!     .flag("log_level", "debug", "--log-level")
//!     .build()?;
//!
//! assert_eq!(settings.database, Database::Off);
//! assert!(settings.proxy_listen[1].is_tls() && !settings.proxy_listen[0].is_tls());
//! assert!(settings.trusted_ips.contains("10.1.2.3".parse().unwrap()) && settings.trusted_unix);
//! assert_eq!(settings.log_level.as_str(), "debug");
//! assert_eq!(settings.origin("log_level"), Some(&Origin::Flag { flag: "--log-level".into() }));
//! assert_eq!(settings.origin("proxy_listen").map(ToString::to_string).as_deref(), Some("/etc/kong/kong.conf line 2"));
//! assert_eq!(settings.warnings().len(), 1); // KONG_PROXY_LISTN
//! println!("{}", settings.render()); // what `mtls serve --print-settings` shows
//!
//! // Refused, each with where it came from.
//! let err = Builder::new()
//!     .kong_conf("proxy_listen = 0.0.0.0\nnginx_worker_processes = 2\nrouter_flavor = expressions\n", "kong.conf")
//!     .env([("KONG_CLIENT_SSL", "yes")])
//!     .build()
//!     .unwrap_err();
//! println!("{err}");
//! # Ok::<(), mtls_kong_conf::Error>(())
//! ```
#![forbid(unsafe_code)]

mod error;
pub mod known;
mod listen;
mod parse;
mod render;
mod settings;
mod types;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::{Error, Origin, SettingError, SettingErrors, Warning};
pub use listen::{Listener, parse_listeners};
pub use parse::{ConfLine, parse_conf};
pub use settings::{Effective, Settings};
pub use types::{Database, HeaderBuffers, KongHeader, LogLevel, PemSource, Postgres};

/// Gathers the layers of settings, then reads them ([`Builder::build`]). The layers may be
/// given in any order: precedence is by kind (default < kong.conf < environment < flag);
/// within one kind the later wins.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    layers: BTreeMap<String, Effective>,
    errors: Vec<SettingError>,
    warnings: Vec<Warning>,
}

impl Builder {
    /// The defaults only.
    pub fn new() -> Self {
        Self::default()
    }

    fn set(&mut self, name: &str, value: &str, origin: Origin) {
        let keep = self
            .layers
            .get(name)
            .is_some_and(|e| e.origin.rank() > origin.rank());
        if !keep {
            self.layers.insert(
                name.to_owned(),
                Effective {
                    value: value.to_owned(),
                    origin,
                },
            );
        }
    }

    /// A kong.conf's text; `path` names it in messages and origins. Lines that do not
    /// parse are errors at [`Builder::build`]; names that are no Kong setting, warnings.
    #[must_use]
    pub fn kong_conf(mut self, text: &str, path: &str) -> Self {
        match parse::parse_conf(text, path) {
            Ok(lines) => {
                for line in lines {
                    let origin = Origin::File {
                        path: path.to_owned(),
                        line: line.line,
                    };
                    if known::is_known(&line.name) {
                        self.set(&line.name, &line.value, origin);
                    } else {
                        self.warnings.push(Warning::UnknownSetting {
                            name: line.name,
                            origin,
                        });
                    }
                }
            }
            Err(errors) => self.errors.extend(errors),
        }
        self
    }

    /// Reads a kong.conf file ([`Builder::kong_conf`]).
    pub fn kong_conf_file(self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(self.kong_conf(&text, &path.display().to_string()))
    }

    /// The environment: each `KONG_<NAME>` variable sets the setting `<name>` (lower case);
    /// other variables are not looked at. A `KONG_` variable naming no Kong setting is a
    /// warning.
    #[must_use]
    pub fn env<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        vars.sort();
        for (var, value) in vars {
            let Some(rest) = var
                .get(..5)
                .filter(|p| p.eq_ignore_ascii_case("KONG_"))
                .and_then(|_| var.get(5..))
            else {
                continue;
            };
            let name = rest.to_ascii_lowercase();
            if known::is_known(&name) {
                self.set(&name, &value, Origin::Env { var });
            } else {
                self.warnings.push(Warning::UnknownEnv { var, name });
            }
        }
        self
    }

    /// A command-line flag the caller maps to the setting `name` (`flag` names it in
    /// origins: `--listen`). It wins over everything else.
    #[must_use]
    pub fn flag(mut self, name: &str, value: impl AsRef<str>, flag: &str) -> Self {
        let origin = Origin::Flag {
            flag: flag.to_owned(),
        };
        if known::is_known(name) {
            self.set(name, value.as_ref(), origin);
        } else {
            self.errors.push(SettingError::new(
                Some(name),
                origin,
                "no Kong setting has this name",
            ));
        }
        self
    }

    /// The effective settings, or every problem.
    pub fn build(self) -> Result<Settings, Error> {
        let Self {
            layers,
            mut errors,
            mut warnings,
        } = self;
        let defaults = known::defaults();
        let mut values: BTreeMap<String, Effective> = defaults
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Effective {
                        value: v.clone(),
                        origin: Origin::Default,
                    },
                )
            })
            .collect();
        for (name, effective) in layers {
            if !known::is_supported(&name) {
                let default = defaults.get(&name).map_or("", String::as_str);
                let value = effective.value.trim();
                let same = value == default || (value == "NONE" && default.is_empty());
                if known::has_no_effect(&name) {
                    if !same {
                        warnings.push(Warning::NoEffect {
                            name: name.clone(),
                            value: value.to_owned(),
                            origin: effective.origin.clone(),
                        });
                    }
                } else if !same {
                    errors.push(SettingError::new(
                        Some(&name),
                        effective.origin.clone(),
                        if default.is_empty() {
                            "a Kong setting this gateway does not support: remove it".to_owned()
                        } else {
                            format!(
                                "a Kong setting this gateway does not support: remove it (or \
                                 leave Kong's default, {default:?})"
                            )
                        },
                    ));
                }
            }
            let effective = Effective {
                value: if effective.value.trim() == "NONE" {
                    String::new()
                } else {
                    effective.value
                },
                origin: effective.origin,
            };
            values.insert(name, effective);
        }
        let settings = settings::read(values, warnings, &mut errors);
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(Error::Invalid(SettingErrors(errors)))
        }
    }
}

impl Settings {
    /// The defaults, with nothing set (Kong's, and this project's where they differ).
    pub fn defaults() -> Result<Settings, Error> {
        Builder::new().build()
    }

    /// Where the effective value of `name` came from (`None` for a name that is no
    /// setting).
    pub fn origin(&self, name: &str) -> Option<&Origin> {
        self.values.get(name).map(|e| &e.origin)
    }

    /// The effective value of `name` as written (empty: unset).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|e| e.value.as_str())
    }

    /// What was read and changes nothing (unknown names, settings without effect here).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}
