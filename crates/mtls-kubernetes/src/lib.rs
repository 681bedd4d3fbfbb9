//! # mtls-kubernetes
//!
//! Kubernetes manifests as configuration: the objects a `kubectl apply -f` of a Kong Ingress
//! Controller setup holds (Ingress, KongPlugin, KongClusterPlugin, KongConsumer, Secrets,
//! Services with their EndpointSlices) translated into Kong's declarative document, as the
//! controller translates them, then loaded like any `kong.yaml` by
//! [`mtls_kong_config::Loader`].
//!
//! ## What is read
//!
//! - Input: a multi-document YAML (or JSON) text, a file, or a directory of `.yaml`, `.yml`
//!   and `.json` files (in name order; hidden entries such as a ConfigMap volume's `..data`
//!   are not listed, the files it links are read). `kind: List` documents are expanded.
//! - `networking.k8s.io/v1` **Ingress**: rules, hosts, paths by `pathType`, TLS Secrets as
//!   certificates with the TLS hosts as SNIs, `spec.defaultBackend`, Kong's route
//!   annotations (`konghq.com/plugins`, `strip-path`, `protocols`, `snis`, `methods`,
//!   `preserve-host`, `https-redirect-status-code`, `regex-priority`, `request-buffering`,
//!   `response-buffering`, `host-aliases`, `path-handling`, `headers.*`, `regex-prefix`,
//!   `tags`).
//! - `v1` **Service** (with `konghq.com/protocol`, `path`, `client-cert`, timeouts, `retries`,
//!   `tls-verify`, `tls-verify-depth`, `ca-certificates-secrets`, `plugins`) and its
//!   `discovery.k8s.io/v1` **EndpointSlices** (or `v1` **Endpoints**) for the address. Without
//!   endpoints in the input, the Service is reached by its DNS name `NAME.NAMESPACE.svc:PORT`.
//! - `configuration.konghq.com/v1` **KongPlugin** and **KongClusterPlugin** (`config` or
//!   `configFrom` a Secret, `disabled`, `protocols`, `instance_name`; a KongClusterPlugin
//!   labelled `global: "true"` is global), **KongConsumer** (`username`, `custom_id`,
//!   `credentials`, `konghq.com/plugins`).
//! - Secrets labelled `konghq.com/ca-cert: "true"` (`cert` or `ca.crt`, and `id`) as CA
//!   certificates; Secrets labelled `konghq.com/credential: mtls-auth` or `acl` as
//!   credentials.
//!
//! ## Ingress classes
//!
//! An Ingress, KongConsumer or KongClusterPlugin is taken when its class (the
//! `kubernetes.io/ingress.class` annotation, else an Ingress's `spec.ingressClassName`) is
//! one of the translator's classes (default: `kong`), or when it names no class (a file
//! given to this gateway is meant for it, as when Kong's IngressClass is the cluster's
//! default). Objects of other classes are skipped and counted in [`Warning::Skipped`]. See
//! [`Translator::ingress_classes`] and [`Translator::take_unclassed`].
//!
//! ## Strictness
//!
//! Objects of Kubernetes' own kinds that configure nothing here (Deployment, Namespace,
//! IngressClass, ...) are skipped and counted in one [`Warning::Skipped`]. Everything else
//! the translation does not understand is an error naming the object and the field: an
//! unknown apiVersion, an unknown field or Kong annotation, a value that does not read
//! (Kong's controller logs and ignores such values), a missing referenced Secret, a duplicate
//! name, an annotation naming an absent KongPlugin. Every problem is collected before
//! failing. The loader's own errors are reported with the object each entity came from.
//!
//! ## Ids
//!
//! CA certificates keep their Secret's `id` (the id KongPlugins name). Certificates take
//! their Secret's `metadata.uid`, else a UUID derived from the Secret's name. Services,
//! routes, consumers and plugins get the loader's deterministic ids from their names. The
//! same manifests give the same document and ids.
//!
//! ## Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = rcgen::KeyPair::generate()?;
//! # let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
//! # ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
//! # let root_pem = ca.self_signed(&key)?.pem().replace('\n', "\n    ");
//! let manifests = format!(r#"
//! apiVersion: v1
//! kind: Secret
//! metadata:
//!   name: my-ca
//!   labels: {{ konghq.com/ca-cert: "true" }}
//! stringData:
//!   id: 6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10
//!   cert: |
//!     {root_pem}
//! ---
//! apiVersion: configuration.konghq.com/v1
//! kind: KongPlugin
//! metadata: {{ name: mtls-auth }}
//! plugin: mtls-auth
//! config:
//!   ca_certificates: [6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10]
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata:
//!   name: echo
//!   annotations: {{ konghq.com/plugins: mtls-auth }}
//! spec:
//!   ingressClassName: kong
//!   rules:
//!     - http:
//!         paths:
//!           - path: /mtls
//!             pathType: Prefix
//!             backend: {{ service: {{ name: echo, port: {{ number: 80 }} }} }}
//! ---
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {{ name: echo }}
//! spec: {{}}
//! "#);
//!
//! let translation = mtls_kubernetes::translate_str(&manifests)?;
//! println!("{}", translation.to_kong_yaml()); // what `mtls convert --to kong-yaml` prints
//! let (config, _) = translation.load(&mtls_kong_config::Loader::new())?;
//! let route = config.route_by_name("default.echo.echo..80").expect("translated");
//! assert_eq!(route.paths, ["/mtls/", "~/mtls$"]);
//! assert_eq!(config.plugins_on_route(route.id).count(), 1);
//! let service = config.service_by_name("default.echo.80").expect("translated");
//! assert_eq!((service.host.as_str(), service.port), ("echo.default.svc", 80));
//! // The Deployment is counted as skipped; the Service was not in the input.
//! assert_eq!(translation.warnings().len(), 2);
//!
//! // Problems name the object and field.
//! let bad = manifests.replace("plugins: mtls-auth", "plugins: mtls-authz");
//! let err = mtls_kubernetes::translate_str(&bad).unwrap_err();
//! assert!(err.to_string().contains("Ingress default/echo"));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod annotations;
mod backend;
mod cas;
mod certs;
mod consumers;
mod document;
mod error;
mod ingress;
mod input;
mod kinds;
mod object;
mod plugins;
mod routes;
mod secrets;
mod services;
mod translate;

use std::collections::BTreeSet;
use std::path::Path;

use mtls_kong_config::{Config, Loader};
use serde_json::Value;

pub use document::to_kong_yaml;
pub use error::{DocumentRef, Error, ObjectRef, Problem, Problems, Warning};

/// `parent.key`, or `key` at the top.
pub(crate) fn path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Translates manifests, with the ingress classes it takes.
#[derive(Clone, Debug)]
pub struct Translator {
    classes: BTreeSet<String>,
    unclassed: bool,
}

impl Default for Translator {
    fn default() -> Self {
        Self::new()
    }
}

impl Translator {
    /// A translator taking class `kong` and objects without a class.
    pub fn new() -> Self {
        Self {
            classes: BTreeSet::from(["kong".to_owned()]),
            unclassed: true,
        }
    }

    /// The ingress classes taken (Kong's controller's `--ingress-class`; default `kong`).
    #[must_use]
    pub fn ingress_classes<I, S>(mut self, classes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.classes = classes.into_iter().map(Into::into).collect();
        self
    }

    /// Whether objects naming no class are taken (default: yes).
    #[must_use]
    pub fn take_unclassed(mut self, take: bool) -> Self {
        self.unclassed = take;
        self
    }

    /// Translates a multi-document YAML (or JSON) text.
    pub fn translate_str(&self, text: &str) -> Result<Translation, Error> {
        self.translate_sources(
            vec![input::Source {
                name: "<input>".to_owned(),
                text: text.to_owned(),
            }],
            Vec::new(),
        )
    }

    /// Translates a file, or the manifest files of a directory (see the crate docs).
    pub fn translate_path(&self, path: impl AsRef<Path>) -> Result<Translation, Error> {
        let (sources, not_read) = input::sources_of(path.as_ref())?;
        let warnings = if not_read.is_empty() {
            Vec::new()
        } else {
            vec![Warning::FilesNotRead { paths: not_read }]
        };
        self.translate_sources(sources, warnings)
    }

    fn translate_sources(
        &self,
        sources: Vec<input::Source>,
        warnings: Vec<Warning>,
    ) -> Result<Translation, Error> {
        let mut problems = Vec::new();
        let objects: Vec<object::Obj> = sources
            .iter()
            .flat_map(|s| input::objects(s, &mut problems))
            .collect();
        let (doc, problems, warnings) = translate::run(self, &objects, problems, warnings);
        if !problems.is_empty() {
            return Err(Error::Translate(Problems(problems)));
        }
        let (document, sources) = doc.finish();
        Ok(Translation {
            document,
            warnings,
            sources,
        })
    }
}

/// Translates a multi-document YAML text with the default [`Translator`].
pub fn translate_str(text: &str) -> Result<Translation, Error> {
    Translator::new().translate_str(text)
}

/// Translates a file or directory with the default [`Translator`].
pub fn translate_path(path: impl AsRef<Path>) -> Result<Translation, Error> {
    Translator::new().translate_path(path)
}

/// Whether `text` holds Kubernetes manifests rather than a Kong declarative file: its first
/// document is a mapping with `apiVersion` and `kind` and no `_format_version`. Text that
/// does not parse is not manifests.
pub fn is_manifests(text: &str) -> bool {
    if mtls_kong_config::declarative::check_limits(text).is_err() {
        return false;
    }
    let first = input::split_documents(text)
        .into_iter()
        .take(16)
        .map(|(_, doc)| serde_norway::from_str::<Value>(&doc).unwrap_or(Value::Null))
        .find(|v| !v.is_null());
    first.is_some_and(|v| {
        v.get("_format_version").is_none()
            && v.get("apiVersion").is_some_and(Value::is_string)
            && v.get("kind").is_some_and(Value::is_string)
    })
}

/// Translated manifests: Kong's declarative document, what was left out, and the object
/// each entity came from.
#[derive(Clone, Debug)]
pub struct Translation {
    document: Value,
    warnings: Vec<Warning>,
    sources: document::Sources,
}

impl Translation {
    /// The declarative document (`_format_version: "3.0"`), as
    /// [`Loader::load_value`] takes it.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The document, owned.
    pub fn into_document(self) -> Value {
        self.document
    }

    /// What was skipped or chosen (one [`Warning::Skipped`] with counts per kind, ...).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The object the entity at `path` of the document came from (`services[0].routes[1]`,
    /// or any path inside an entity).
    pub fn object_at(&self, path: &str) -> Option<&ObjectRef> {
        document::source_of(&self.sources, path)
    }

    /// The document as `kong.yaml`.
    pub fn to_kong_yaml(&self) -> String {
        to_kong_yaml(&self.document)
    }

    /// Loads the document with `loader`; its errors are reported with the object each
    /// entity came from ([`Error::Load`]).
    pub fn load(&self, loader: &Loader) -> Result<(Config, Vec<mtls_kong_config::Warning>), Error> {
        match loader.load_value(&self.document) {
            Ok(loaded) => Ok(loaded),
            Err(e) => {
                let problems = match e.config_errors() {
                    Some(errors) => errors
                        .errors()
                        .iter()
                        .map(|c| {
                            Problem::new(
                                self.object_at(c.path()).cloned(),
                                None,
                                c.path(),
                                c.message(),
                            )
                        })
                        .collect(),
                    None => vec![Problem::new(None, None, "", e.to_string())],
                };
                Err(Error::Load(Problems(problems)))
            }
        }
    }
}
