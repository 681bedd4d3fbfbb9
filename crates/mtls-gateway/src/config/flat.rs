//! The document flattened: every entity once, with the path it was written at and the
//! position of the entity it was nested in. Both the loader and the builder produce this;
//! resolution ([`super::resolve`]) reads only this.

use super::error::{index, join};
use super::spec::{
    AclGroupSpec, CaCertificateSpec, CertificateSpec, ConsumerSpec, CredentialSpec, PluginSpec,
    RouteSpec, ServiceSpec, SniSpec,
};

/// An entity with where it was written and its enclosing entity, if nested.
#[derive(Debug)]
pub(crate) struct Located<T> {
    pub(crate) path: String,
    pub(crate) spec: T,
    pub(crate) parent: Option<usize>,
}

/// The entity a plugin is nested in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PluginParent {
    Service(usize),
    Route(usize),
    Consumer(usize),
}

/// The declarative format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FormatVersion {
    /// `"2.1"`: Kong 2.x files. Route paths that are regular expressions get Kong 3's `~`
    /// prefix, as Kong does when it reads such a file.
    V2_1,
    /// `"3.0"` (what the builder produces).
    #[default]
    V3_0,
}

impl FormatVersion {
    /// The value of `_format_version`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2_1 => "2.1",
            Self::V3_0 => "3.0",
        }
    }
}

/// Every entity of a document, flattened.
#[derive(Debug, Default)]
pub(crate) struct Flat {
    pub(crate) format_version: FormatVersion,
    pub(crate) ca_certificates: Vec<Located<CaCertificateSpec>>,
    /// Their nested `snis` moved to `snis`.
    pub(crate) certificates: Vec<Located<CertificateSpec>>,
    /// Parent: a certificate.
    pub(crate) snis: Vec<Located<SniSpec>>,
    /// Nested routes and plugins moved out.
    pub(crate) services: Vec<Located<ServiceSpec>>,
    /// Parent: a service.
    pub(crate) routes: Vec<Located<RouteSpec>>,
    /// Nested credentials, acls and plugins moved out.
    pub(crate) consumers: Vec<Located<ConsumerSpec>>,
    /// Parent: a consumer.
    pub(crate) mtls_auth_credentials: Vec<Located<CredentialSpec>>,
    /// Parent: a consumer.
    pub(crate) header_cert_auth_credentials: Vec<Located<CredentialSpec>>,
    /// Parent: a consumer.
    pub(crate) acls: Vec<Located<AclGroupSpec>>,
    pub(crate) plugins: Vec<(Located<PluginSpec>, Option<PluginParent>)>,
}

fn top<T>(path: String, spec: T) -> Located<T> {
    Located {
        path,
        spec,
        parent: None,
    }
}

impl Flat {
    pub(crate) fn add_ca_certificate(&mut self, path: String, spec: CaCertificateSpec) {
        self.ca_certificates.push(top(path, spec));
    }

    pub(crate) fn add_certificate(&mut self, path: String, mut spec: CertificateSpec) {
        let position = self.certificates.len();
        let snis = std::mem::take(&mut spec.snis);
        for (i, sni) in snis.into_iter().enumerate() {
            self.snis.push(Located {
                path: index(&join(&path, "snis"), i),
                spec: sni,
                parent: Some(position),
            });
        }
        self.certificates.push(top(path, spec));
    }

    pub(crate) fn add_sni(&mut self, path: String, spec: SniSpec) {
        self.snis.push(top(path, spec));
    }

    pub(crate) fn add_service(&mut self, path: String, mut spec: ServiceSpec) {
        let position = self.services.len();
        let routes = std::mem::take(&mut spec.routes);
        let plugins = std::mem::take(&mut spec.plugins);
        for (i, route) in routes.into_iter().enumerate() {
            self.add_route(index(&join(&path, "routes"), i), route, Some(position));
        }
        self.add_plugins(&path, plugins, PluginParent::Service(position));
        self.services.push(top(path, spec));
    }

    pub(crate) fn add_route(&mut self, path: String, mut spec: RouteSpec, parent: Option<usize>) {
        let position = self.routes.len();
        let plugins = std::mem::take(&mut spec.plugins);
        self.add_plugins(&path, plugins, PluginParent::Route(position));
        self.routes.push(Located { path, spec, parent });
    }

    pub(crate) fn add_consumer(&mut self, path: String, mut spec: ConsumerSpec) {
        let position = self.consumers.len();
        for (i, c) in std::mem::take(&mut spec.mtls_auth_credentials)
            .into_iter()
            .enumerate()
        {
            self.mtls_auth_credentials.push(Located {
                path: index(&join(&path, "mtls_auth_credentials"), i),
                spec: c,
                parent: Some(position),
            });
        }
        for (i, c) in std::mem::take(&mut spec.header_cert_auth_credentials)
            .into_iter()
            .enumerate()
        {
            self.header_cert_auth_credentials.push(Located {
                path: index(&join(&path, "header_cert_auth_credentials"), i),
                spec: c,
                parent: Some(position),
            });
        }
        for (i, a) in std::mem::take(&mut spec.acls).into_iter().enumerate() {
            self.acls.push(Located {
                path: index(&join(&path, "acls"), i),
                spec: a,
                parent: Some(position),
            });
        }
        let plugins = std::mem::take(&mut spec.plugins);
        self.add_plugins(&path, plugins, PluginParent::Consumer(position));
        self.consumers.push(top(path, spec));
    }

    fn add_plugins(&mut self, parent_path: &str, plugins: Vec<PluginSpec>, parent: PluginParent) {
        for (i, plugin) in plugins.into_iter().enumerate() {
            self.add_plugin(
                index(&join(parent_path, "plugins"), i),
                plugin,
                Some(parent),
            );
        }
    }

    pub(crate) fn add_plugin(
        &mut self,
        path: String,
        spec: PluginSpec,
        parent: Option<PluginParent>,
    ) {
        self.plugins.push((top(path, spec), parent));
    }
}
