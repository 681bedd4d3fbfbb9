//! The input model: the part of a Kong configuration the SNI map is built from.
//!
//! Only what the handshake decision needs: routes (id, service, `snis`, protocols, workspace)
//! and the plugin instances that make the gateway ask for a client certificate (`mtls-auth` and
//! `tls-handshake-modifier`). The configuration loader fills these from `kong.yaml` or the
//! database; ids are kept as strings (Kong uses UUIDs, names work as well) and CA certificates
//! are referred to by their `ca_certificates` UUID, as in Kong.

use std::fmt;
use std::sync::Arc;

use uuid::Uuid;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Cheap to clone (a shared string), compared and hashed by value.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Wraps an id.
            pub fn new(id: impl AsRef<str>) -> Self {
                Self(Arc::from(id.as_ref()))
            }

            /// The id as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self::new(id)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(Arc::from(id))
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self::new(id.to_string())
            }
        }
    };
}

string_id!(
    /// The id of a route (Kong: `routes.id`, or its name).
    RouteId
);
string_id!(
    /// The id of a service (Kong: `services.id`, or its name).
    ServiceId
);
string_id!(
    /// The id of a plugin instance (Kong: `plugins.id`).
    PluginId
);
string_id!(
    /// The id or name of a workspace (Kong's open-source edition has one, `default`).
    WorkspaceId
);

impl Default for WorkspaceId {
    /// `default`, Kong's only workspace in the open-source edition.
    fn default() -> Self {
        Self::new("default")
    }
}

/// A route protocol (Kong: `routes.protocols` elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// `http`
    Http,
    /// `https`
    Https,
    /// `grpc`
    Grpc,
    /// `grpcs`
    Grpcs,
    /// `tcp`
    Tcp,
    /// `tls`
    Tls,
    /// `tls_passthrough`
    TlsPassthrough,
    /// `udp`
    Udp,
    /// `ws`
    Ws,
    /// `wss`
    Wss,
}

impl Protocol {
    /// Whether Kong allows `snis` on a route with this protocol (`grpcs`, `https`, `tls`,
    /// `tls_passthrough`): a route may carry `snis` when at least one of its protocols is one of
    /// these.
    pub fn allows_snis(self) -> bool {
        match self {
            Protocol::Https | Protocol::Grpcs | Protocol::Tls | Protocol::TlsPassthrough => true,
            Protocol::Http
            | Protocol::Grpc
            | Protocol::Tcp
            | Protocol::Udp
            | Protocol::Ws
            | Protocol::Wss => false,
        }
    }

    /// Kong's name for the protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Grpc => "grpc",
            Protocol::Grpcs => "grpcs",
            Protocol::Tcp => "tcp",
            Protocol::Tls => "tls",
            Protocol::TlsPassthrough => "tls_passthrough",
            Protocol::Udp => "udp",
            Protocol::Ws => "ws",
            Protocol::Wss => "wss",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A route, as far as the SNI map is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route's id.
    pub id: RouteId,
    /// The service the route belongs to; `None` for a route without a service.
    pub service: Option<ServiceId>,
    /// The route's `snis`, as configured (validated and normalised by the build). Empty means
    /// "every name": a plugin that covers this route puts the catch-all entry `*` in the map.
    pub snis: Vec<String>,
    /// The route's protocols. `snis` are refused unless one of them is a TLS protocol
    /// ([`Protocol::allows_snis`]). The map itself does not filter on protocols, as in Kong.
    pub protocols: Vec<Protocol>,
    /// The route's workspace. Recorded for the explanation only: entries are shared across
    /// workspaces, as in Kong.
    pub workspace: WorkspaceId,
}

impl Route {
    /// A route with no service, no `snis`, protocols `["https"]`, in workspace `default`.
    pub fn new(id: impl Into<RouteId>) -> Self {
        Self {
            id: id.into(),
            service: None,
            snis: Vec::new(),
            protocols: vec![Protocol::Https],
            workspace: WorkspaceId::default(),
        }
    }

    /// Sets the route's service.
    #[must_use]
    pub fn with_service(mut self, service: impl Into<ServiceId>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Sets the route's `snis`.
    #[must_use]
    pub fn with_snis<I, S>(mut self, snis: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.snis = snis.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the route's protocols.
    #[must_use]
    pub fn with_protocols(mut self, protocols: impl Into<Vec<Protocol>>) -> Self {
        self.protocols = protocols.into();
        self
    }

    /// Sets the route's workspace.
    #[must_use]
    pub fn in_workspace(mut self, workspace: impl Into<WorkspaceId>) -> Self {
        self.workspace = workspace.into();
        self
    }
}

/// Where a plugin instance applies (Kong: the plugin's `service` / `route` references, or none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// No service and no route: every request. Puts the catch-all entry `*` in the map.
    Global,
    /// Every route of the service: each of them puts its own entries in the map.
    Service(ServiceId),
    /// One route: it puts its entries in the map.
    Route(RouteId),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Service(id) => write!(f, "service {id}"),
            Scope::Route(id) => write!(f, "route {id}"),
        }
    }
}

/// Which plugin asks for the certificate, with the part of its configuration the map uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginKind {
    /// `mtls-auth`: requests a certificate and validates it per request.
    MtlsAuth {
        /// `config.ca_certificates`: ids of `ca_certificates` entities.
        ca_certificates: Vec<Uuid>,
        /// `config.send_ca_dn` (default `false`): send these CAs' subject DNs in the
        /// CertificateRequest. When on, the ids are unioned into every entry the plugin
        /// produces; when off, the plugin requests a certificate without contributing any name.
        send_ca_dn: bool,
    },
    /// `tls-handshake-modifier`: requests a certificate, never validates it, never sends CA DNs.
    TlsHandshakeModifier,
}

impl PluginKind {
    /// Kong's plugin name.
    pub fn name(&self) -> &'static str {
        match self {
            PluginKind::MtlsAuth { .. } => "mtls-auth",
            PluginKind::TlsHandshakeModifier => "tls-handshake-modifier",
        }
    }

    /// The CA ids this plugin adds to its entries: `ca_certificates` for `mtls-auth` with
    /// `send_ca_dn` on, none otherwise.
    pub fn contributed_ca_ids(&self) -> &[Uuid] {
        match self {
            PluginKind::MtlsAuth {
                ca_certificates,
                send_ca_dn: true,
            } => ca_certificates,
            PluginKind::MtlsAuth {
                send_ca_dn: false, ..
            }
            | PluginKind::TlsHandshakeModifier => &[],
        }
    }
}

/// A plugin instance that needs a client certificate at the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePlugin {
    /// The instance's id.
    pub id: PluginId,
    /// Which plugin, with its configuration.
    pub kind: PluginKind,
    /// Where it applies.
    pub scope: Scope,
    /// Its workspace. Recorded for the explanation only: entries are shared across workspaces,
    /// as in Kong.
    pub workspace: WorkspaceId,
    /// Kong's `enabled` (default `true`). A disabled instance contributes nothing.
    pub enabled: bool,
}

impl CertificatePlugin {
    /// An enabled `mtls-auth` instance in workspace `default`.
    pub fn mtls_auth(
        id: impl Into<PluginId>,
        scope: Scope,
        ca_certificates: impl Into<Vec<Uuid>>,
        send_ca_dn: bool,
    ) -> Self {
        Self {
            id: id.into(),
            kind: PluginKind::MtlsAuth {
                ca_certificates: ca_certificates.into(),
                send_ca_dn,
            },
            scope,
            workspace: WorkspaceId::default(),
            enabled: true,
        }
    }

    /// An enabled `tls-handshake-modifier` instance in workspace `default`.
    pub fn tls_handshake_modifier(id: impl Into<PluginId>, scope: Scope) -> Self {
        Self {
            id: id.into(),
            kind: PluginKind::TlsHandshakeModifier,
            scope,
            workspace: WorkspaceId::default(),
            enabled: true,
        }
    }

    /// Sets the instance's workspace.
    #[must_use]
    pub fn in_workspace(mut self, workspace: impl Into<WorkspaceId>) -> Self {
        self.workspace = workspace.into();
        self
    }

    /// Sets `enabled`.
    #[must_use]
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }
}
