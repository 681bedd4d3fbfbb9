//! What can go wrong loading a configuration, and what is only worth a warning.
//!
//! Every problem is a [`ConfigError`]: a path into the configuration as written
//! (`services[0].routes[1].snis[0]`) and a message (Kong's wording where Kong has one). Readers
//! collect all of them before failing, as a [`ConfigErrors`].

use std::fmt;

/// One invalid value: where it is and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    path: String,
    message: String,
}

impl ConfigError {
    /// An error at `path` (a dotted path with list indexes, `services[0].routes[1].name`).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Where the value is, as written in the configuration (empty: the whole document or
    /// entity).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Every problem found in a configuration (never empty), displayed one per line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// The problems, in the order they were found.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `ConfigErrors` holds at least one error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors whose path is exactly `path`.
    pub fn at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a ConfigError> + 'a {
        self.0.iter().filter(move |e| e.path == path)
    }

    /// One error.
    pub fn single(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![ConfigError::new(path, message)])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid YAML or JSON, or is too deeply nested or too large to read.
    #[error("not valid {format}: {message}")]
    Syntax {
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's message (with its line and column where it has them).
        message: String,
    },
    /// The document was read, but some values are invalid: every one of them.
    #[error("invalid configuration:\n{0}")]
    Invalid(#[from] ConfigErrors),
}

impl LoadError {
    /// The invalid values, when that is the problem.
    pub fn config_errors(&self) -> Option<&ConfigErrors> {
        match self {
            Self::Invalid(errors) => Some(errors),
            Self::Read { .. } | Self::Syntax { .. } => None,
        }
    }
}

/// Something in the configuration that this project leaves out without failing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// Plugins the operator named in the skip list (`--skip-plugins`), left out: their names,
    /// each once, sorted, and how many instances were left out.
    #[error("{instances} plugin instance(s) skipped as asked (--skip-plugins): {}", .names.join(", "))]
    SkippedPlugins {
        /// The plugin names.
        names: Vec<String>,
        /// The number of instances left out.
        instances: usize,
    },
    /// Entities of kinds Kong has but this project does not use (upstreams, targets, key
    /// sets, other credential types, ...), skipped: the paths of the keys holding them, sorted.
    #[error("entities this project does not use were skipped: {}", .paths.join(", "))]
    IgnoredEntities {
        /// The keys skipped, as paths (`upstreams`, `consumers[0].keyauth_credentials`).
        paths: Vec<String>,
    },
}

/// Collects errors with their paths while a configuration is read and resolved.
#[derive(Debug, Default)]
pub struct Errors(Vec<ConfigError>);

impl Errors {
    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError::new(path, message));
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `Ok(value)` when nothing was collected, all the errors otherwise.
    pub fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.into_errors())
        }
    }

    /// The errors collected, or this one when there are none.
    pub fn into_failure(mut self, path: &str, message: &str) -> ConfigErrors {
        if self.0.is_empty() {
            self.push(path, message);
        }
        self.into_errors()
    }

    /// The errors, keeping only the first for each path (a value with a wrong type is not
    /// also reported as missing or invalid further on).
    pub fn into_errors(self) -> ConfigErrors {
        let mut seen = std::collections::HashSet::new();
        ConfigErrors(
            self.0
                .into_iter()
                .filter(|e| seen.insert(e.path.clone()))
                .collect(),
        )
    }

    /// Whether an error was recorded at `path` or below it.
    pub fn has_under(&self, path: &str) -> bool {
        self.0.iter().any(|e| {
            e.path.strip_prefix(path).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
            })
        })
    }

    /// Moves every error of `other` here.
    pub fn append(&mut self, other: Errors) {
        self.0.extend(other.0);
    }
}

/// `parent.field`, or `field` at the top.
pub fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// `parent[index]`.
pub fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}
