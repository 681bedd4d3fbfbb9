//! Where a setting came from, what can go wrong, and what is only worth a warning.

use std::fmt;
use std::path::PathBuf;

/// Where a setting's effective value came from, lowest precedence first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The built-in default (Kong's, or this project's where it differs).
    Default,
    /// A kong.conf line.
    File {
        /// The file as named to the parser.
        path: String,
        /// The line, from 1.
        line: usize,
    },
    /// A `KONG_<NAME>` environment variable.
    Env {
        /// The variable's name as given (`KONG_PROXY_LISTEN`).
        var: String,
    },
    /// A command-line flag the caller applied.
    Flag {
        /// The flag as the user typed it (`--listen`).
        flag: String,
    },
}

impl Origin {
    /// The precedence rank: default 0 < kong.conf 1 < environment 2 < flag 3.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Default => 0,
            Self::File { .. } => 1,
            Self::Env { .. } => 2,
            Self::Flag { .. } => 3,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File { path, line } => write!(f, "{path} line {line}"),
            Self::Env { var } => f.write_str(var),
            Self::Flag { flag } => write!(f, "flag {flag}"),
        }
    }
}

/// One refused setting or line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SettingError {
    /// The setting, when the problem is about one.
    pub setting: Option<String>,
    /// Where the value came from.
    pub origin: Origin,
    /// What is wrong.
    pub message: String,
}

impl SettingError {
    /// A problem with `setting` from `origin`.
    pub fn new(setting: Option<&str>, origin: Origin, message: impl Into<String>) -> Self {
        Self {
            setting: setting.map(str::to_owned),
            origin,
            message: message.into(),
        }
    }
}

/// `kong.conf line 3: proxy_listen: ...`, `KONG_CLIENT_SSL: client_ssl: ...`.
impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.origin)?;
        if let Some(s) = &self.setting {
            write!(f, "{s}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every refused setting (never empty), one per line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SettingErrors(pub(crate) Vec<SettingError>);

impl SettingErrors {
    /// The errors, in the order found.
    pub fn errors(&self) -> &[SettingError] {
        &self.0
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors about `setting`.
    pub fn about<'a>(&'a self, setting: &'a str) -> impl Iterator<Item = &'a SettingError> + 'a {
        self.0
            .iter()
            .filter(move |e| e.setting.as_deref() == Some(setting))
    }
}

impl fmt::Display for SettingErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Why the node's settings could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The kong.conf file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// Lines that do not parse, values that do not read, settings this project does not
    /// support: every one of them.
    #[error("invalid node settings:\n{0}")]
    Invalid(#[from] SettingErrors),
}

/// Something read that changes nothing, reported so that it is not silent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// A `KONG_` environment variable that names no Kong setting (a typo, or a setting of
    /// another Kong version); it is not read.
    #[error("{var}: no Kong setting is named {name:?}; the variable is not read")]
    UnknownEnv {
        /// The variable.
        var: String,
        /// The setting name it gives.
        name: String,
    },
    /// A kong.conf line naming no Kong setting; it is not read.
    #[error("{origin}: no Kong setting is named {name:?}; the line is not read")]
    UnknownSetting {
        /// The setting name.
        name: String,
        /// The line.
        origin: Origin,
    },
    /// A Kong setting about nginx, OpenResty or files that has no equivalent here (log
    /// paths, worker processes, the prefix, ...), set to something else than its default:
    /// accepted, without effect.
    #[error(
        "{origin}: {name} = {value:?} has no effect here (it configures Kong's nginx or files)"
    )]
    NoEffect {
        /// The setting.
        name: String,
        /// The value.
        value: String,
        /// Where it was set.
        origin: Origin,
    },
}
