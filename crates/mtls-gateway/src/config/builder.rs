//! Building a validated [`Config`] in code, without a file: the same entities, the same
//! checks, the same errors (with the paths the entities would have in a `kong.yaml`).

use mtls_header::TrustedIps;
use rustls::pki_types::UnixTime;

use super::Config;
use super::error::{ConfigErrors, Errors, index};
use super::flat::Flat;
use super::resolve::{self, Options};
use super::spec::{
    AclGroupSpec, CaCertificateSpec, CertificateSpec, ConsumerSpec, CredentialSpec, PluginSpec,
    RouteSpec, ServiceSpec, SniSpec,
};

/// Collects entity specs, then validates and resolves them all at once ([`build`]).
///
/// Entities are numbered per kind in the order they are added, so an error names them as a
/// file would (`services[0].routes[1].snis[0]`).
///
/// ```
/// use mtls_gateway::config::spec::{ConsumerSpec, PluginSpec, RouteSpec, ServiceSpec};
/// use mtls_gateway::config::{AclConfig, Config, PluginConfig};
///
/// let config = Config::builder()
///     .service(
///         ServiceSpec::new("billing", "https://billing.internal")
///             .with_route(RouteSpec::new("billing").with_paths(["/billing"])),
///     )
///     .consumer(ConsumerSpec::with_username("alice").with_acl_groups(["billing-users"]))
///     .plugin(PluginSpec::new(PluginConfig::Acl(AclConfig::allow(["billing-users"]))).on_route("billing"))
///     .build()?;
/// assert_eq!(config.routes().len(), 1);
/// # Ok::<(), mtls_gateway::config::ConfigErrors>(())
/// ```
///
/// [`build`]: ConfigBuilder::build
#[derive(Debug, Default)]
#[must_use]
pub struct ConfigBuilder {
    flat: Flat,
    counts: Counts,
    now: Option<UnixTime>,
    trusted_ips: TrustedIps,
}

#[derive(Debug, Default)]
struct Counts {
    ca_certificates: usize,
    certificates: usize,
    snis: usize,
    services: usize,
    routes: usize,
    consumers: usize,
    mtls_auth_credentials: usize,
    header_cert_auth_credentials: usize,
    acls: usize,
    plugins: usize,
}

fn next(count: &mut usize, kind: &str) -> String {
    let path = index(kind, *count);
    *count += 1;
    path
}

impl ConfigBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time CA certificates are checked against. Default: the system clock at build.
    pub fn now(mut self, now: UnixTime) -> Self {
        self.now = Some(now);
        self
    }

    /// The gateway-wide `trusted_ips` (kong.conf). Default: empty.
    pub fn trusted_ips(mut self, trusted_ips: TrustedIps) -> Self {
        self.trusted_ips = trusted_ips;
        self
    }

    /// Adds a `ca_certificates` entity.
    pub fn ca_certificate(mut self, spec: CaCertificateSpec) -> Self {
        let path = next(&mut self.counts.ca_certificates, "ca_certificates");
        self.flat.add_ca_certificate(path, spec);
        self
    }

    /// Adds a `certificates` entity (with its nested SNIs).
    pub fn certificate(mut self, spec: CertificateSpec) -> Self {
        let path = next(&mut self.counts.certificates, "certificates");
        self.flat.add_certificate(path, spec);
        self
    }

    /// Adds a top-level `snis` entity (it names its certificate).
    pub fn sni(mut self, spec: SniSpec) -> Self {
        let path = next(&mut self.counts.snis, "snis");
        self.flat.add_sni(path, spec);
        self
    }

    /// Adds a `services` entity (with its nested routes and plugins).
    pub fn service(mut self, spec: ServiceSpec) -> Self {
        let path = next(&mut self.counts.services, "services");
        self.flat.add_service(path, spec);
        self
    }

    /// Adds a top-level `routes` entity (it names its service, if any).
    pub fn route(mut self, spec: RouteSpec) -> Self {
        let path = next(&mut self.counts.routes, "routes");
        self.flat.add_route(path, spec, None);
        self
    }

    /// Adds a `consumers` entity (with its nested credentials, ACL groups and plugins).
    pub fn consumer(mut self, spec: ConsumerSpec) -> Self {
        let path = next(&mut self.counts.consumers, "consumers");
        self.flat.add_consumer(path, spec);
        self
    }

    /// Adds a top-level `mtls_auth_credentials` entity (it names its consumer).
    pub fn mtls_auth_credential(mut self, spec: CredentialSpec) -> Self {
        let path = next(
            &mut self.counts.mtls_auth_credentials,
            "mtls_auth_credentials",
        );
        self.flat.mtls_auth_credentials.push(super::flat::Located {
            path,
            spec,
            parent: None,
        });
        self
    }

    /// Adds a top-level `header_cert_auth_credentials` entity (it names its consumer).
    pub fn header_cert_auth_credential(mut self, spec: CredentialSpec) -> Self {
        let path = next(
            &mut self.counts.header_cert_auth_credentials,
            "header_cert_auth_credentials",
        );
        self.flat
            .header_cert_auth_credentials
            .push(super::flat::Located {
                path,
                spec,
                parent: None,
            });
        self
    }

    /// Adds a top-level `acls` entity (it names its consumer).
    pub fn acl(mut self, spec: AclGroupSpec) -> Self {
        let path = next(&mut self.counts.acls, "acls");
        self.flat.acls.push(super::flat::Located {
            path,
            spec,
            parent: None,
        });
        self
    }

    /// Adds a top-level `plugins` entity (global, or naming its service / route).
    pub fn plugin(mut self, spec: PluginSpec) -> Self {
        let path = next(&mut self.counts.plugins, "plugins");
        self.flat.add_plugin(path, spec, None);
        self
    }

    /// Validates and resolves everything: the configuration, or every problem found.
    pub fn build(self) -> Result<Config, ConfigErrors> {
        let options = Options {
            now: self.now.unwrap_or_else(UnixTime::now),
            trusted_ips: self.trusted_ips,
        };
        resolve::resolve(self.flat, &options, Errors::default())
    }
}
