//! Where `mtls serve` reads its configuration: a kong.yaml (YAML or JSON), Kubernetes
//! manifests (a multi-document file of objects with `apiVersion` and `kind`, translated as the
//! Kong Ingress Controller translates them), or a directory of manifests (a ConfigMap
//! volume).

use std::path::{Path, PathBuf};

use mtls_kong_config::{Config, Loader};

/// A configuration source.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A declarative file or a manifest file (told apart by its content).
    File(PathBuf),
    /// A directory of manifests.
    Directory(PathBuf),
}

impl Source {
    /// The source at `path`.
    pub(crate) fn at(path: &Path) -> Self {
        if path.is_dir() {
            Self::Directory(path.to_owned())
        } else {
            Self::File(path.to_owned())
        }
    }

    /// The path.
    pub(crate) fn path(&self) -> &Path {
        match self {
            Self::File(p) | Self::Directory(p) => p,
        }
    }

    /// Whether the source is Kubernetes manifests (then it is watched by default).
    pub(crate) fn is_manifests(&self) -> bool {
        match self {
            Self::Directory(_) => true,
            Self::File(path) => std::fs::read_to_string(path)
                .map(|text| mtls_kubernetes::is_manifests(&text))
                .unwrap_or(false),
        }
    }

    /// Loads the configuration: every problem as a line (with its path or object).
    pub(crate) fn load(&self, loader: &Loader) -> Result<(Config, Vec<String>), Vec<String>> {
        let lines = |e: &dyn std::fmt::Display| {
            e.to_string()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let translated = match self {
            Self::Directory(dir) => Some(mtls_kubernetes::translate_path(dir)),
            Self::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| vec![format!("cannot read {}: {e}", path.display())])?;
                if mtls_kubernetes::is_manifests(&text) {
                    Some(mtls_kubernetes::translate_str(&text))
                } else {
                    None
                }
            }
        };
        match translated {
            Some(Ok(translation)) => {
                let mut warnings: Vec<String> = translation
                    .warnings()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                let (config, more) = translation.load(loader).map_err(|e| lines(&e))?;
                warnings.extend(more.iter().map(ToString::to_string));
                Ok((config, warnings))
            }
            Some(Err(e)) => Err(lines(&e)),
            None => match self {
                Self::File(path) => loader
                    .load_file(path)
                    .map(|(c, w)| (c, w.iter().map(ToString::to_string).collect()))
                    .map_err(|e| lines(&e)),
                Self::Directory(_) => Err(vec!["a directory holds manifests".to_owned()]),
            },
        }
    }
}
