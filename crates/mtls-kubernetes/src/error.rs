//! What can go wrong translating manifests, and what is only reported.
//!
//! Every problem names the object it is about (`Ingress default/echo`) when there is one,
//! the document it came from, and the field (`metadata.annotations.konghq.com/plugins`).
//! All problems are collected before failing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A Kubernetes object: its kind, namespace (none for cluster-scoped kinds) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// `Ingress`, `KongPlugin`, ...
    pub kind: String,
    /// The namespace (`default` when the manifest gives none); none for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// A namespaced object.
    pub fn namespaced(kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: Some(namespace.to_owned()),
            name: name.to_owned(),
        }
    }

    /// A cluster-scoped object.
    pub fn cluster(kind: &str, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: None,
            name: name.to_owned(),
        }
    }
}

/// `Ingress default/echo`, or `KongClusterPlugin name` for a cluster-scoped object.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Where a document is in the input: its source (a file, or `<input>` for text), its
/// position among that source's YAML documents (1 for the first) and the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentRef {
    /// The file, or `<input>`.
    pub source: String,
    /// The document's position in the source, from 1.
    pub index: usize,
    /// The line of the source the document starts on, from 1.
    pub line: usize,
}

impl fmt::Display for DocumentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} document {} (line {})",
            self.source, self.index, self.line
        )
    }
}

/// One problem: the object (when it is known), the document, the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct Problem {
    /// The object the problem is about, when the document names one.
    pub object: Option<ObjectRef>,
    /// The document it came from, when known.
    pub document: Option<DocumentRef>,
    /// The field, as a dotted path in the object (`spec.rules[0].host`), or in the
    /// translated Kong document for problems found when it is loaded (empty: the whole
    /// object).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem about `object`'s `field`.
    pub fn new(
        object: Option<ObjectRef>,
        document: Option<DocumentRef>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            object,
            document,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.object, &self.document) {
            (Some(o), Some(d)) => write!(f, "{o} ({d}): ")?,
            (Some(o), None) => write!(f, "{o}: ")?,
            (None, Some(d)) => write!(f, "{d}: ")?,
            (None, None) => {}
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found (never empty), one per line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub(crate) Vec<Problem>);

impl Problems {
    /// The problems, in the order they were found.
    pub fn problems(&self) -> &[Problem] {
        &self.0
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: there is at least one.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems about `object` (`Ingress default/echo`, as displayed).
    pub fn about<'a>(&'a self, object: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.0
            .iter()
            .filter(move |p| p.object.as_ref().is_some_and(|o| o.to_string() == object))
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Why manifests could not become a configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The manifests could not be translated: every problem, each naming its object.
    #[error("the Kubernetes manifests cannot be translated:\n{0}")]
    Translate(Problems),
    /// The translation was loaded as a Kong configuration and refused: every problem, each
    /// with the object that gave the entity.
    #[error("the configuration translated from the Kubernetes manifests is invalid:\n{0}")]
    Load(Problems),
}

impl Error {
    /// The problems, for [`Error::Translate`] and [`Error::Load`].
    pub fn problems(&self) -> Option<&Problems> {
        match self {
            Self::Translate(p) | Self::Load(p) => Some(p),
            Self::Read { .. } => None,
        }
    }
}

/// Something the translation left out or chose, reported without failing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// Objects that configure nothing here, counted by what they are (`Deployment`,
    /// `Secret (not referenced)`, `Ingress (ingress class nginx)`), sorted.
    #[error("{} skipped: {}", total(.counts), list(.counts))]
    Skipped {
        /// What was skipped, and how many of each.
        counts: BTreeMap<String, usize>,
    },
    /// A Service's endpoints hold more than one ready address: this gateway sends a service
    /// to one address (it has no load balancing over Kong's upstreams and targets), the
    /// first in address order.
    #[error(
        "{service} port {port}: {} ready endpoints; this gateway has no load balancing, so \
         {used} is used and {} not: {}",
        .unused.len() + 1, .unused.len(), .unused.join(", ")
    )]
    EndpointsUnused {
        /// The Service.
        service: ObjectRef,
        /// The Service port.
        port: String,
        /// The address used (`10.0.0.1:8080`).
        used: String,
        /// The others.
        unused: Vec<String>,
    },
    /// An Ingress names a Service that is not in the input: it is reached by its cluster
    /// DNS name (`NAME.NAMESPACE.svc:PORT`).
    #[error("{service} is not in the input: reached as {address} (its cluster DNS name)")]
    ServiceNotInInput {
        /// The Service named.
        service: ObjectRef,
        /// `NAME.NAMESPACE.svc:PORT`.
        address: String,
    },
    /// Files in a directory that are not manifests (only `.yaml`, `.yml` and `.json` are
    /// read, as `kubectl apply -f DIR` does), and subdirectories (not read).
    #[error("not read (only .yaml, .yml and .json files, not subdirectories): {}", show_paths(.paths))]
    FilesNotRead {
        /// The paths.
        paths: Vec<PathBuf>,
    },
}

fn total(counts: &BTreeMap<String, usize>) -> String {
    let n: usize = counts.values().sum();
    if n == 1 {
        "1 object".to_owned()
    } else {
        format!("{n} objects")
    }
}

fn list(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(what, n)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays() {
        let p = Problem::new(
            Some(ObjectRef::namespaced("Ingress", "default", "echo")),
            Some(DocumentRef {
                source: "mtls.yaml".into(),
                index: 4,
                line: 30,
            }),
            "spec.rules[0].host",
            "bad",
        );
        assert_eq!(
            p.to_string(),
            "Ingress default/echo (mtls.yaml document 4 (line 30)): spec.rules[0].host: bad"
        );
        let p = Problem::new(
            Some(ObjectRef::cluster("KongClusterPlugin", "g")),
            None,
            "",
            "x",
        );
        assert_eq!(p.to_string(), "KongClusterPlugin g: x");
        let w = Warning::Skipped {
            counts: [("Deployment".to_owned(), 2), ("Namespace".to_owned(), 1)].into(),
        };
        assert_eq!(
            w.to_string(),
            "3 objects skipped: 2 Deployment, 1 Namespace"
        );
    }
}
