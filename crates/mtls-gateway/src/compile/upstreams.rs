//! Services compiled into [`Upstream`]s: where a request goes, how long each step may take,
//! and the TLS client configuration (upstream mTLS) built once per snapshot.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use mtls_cert::CaSet;
use mtls_kong_config::{Config, Service};
use mtls_sni::Protocol;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use uuid::Uuid;

use super::{CompileError, CompileOptions};
use crate::upstream::UpstreamTls;

/// How the gateway speaks to an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UpstreamProtocol {
    /// HTTP/1.1 over TCP (`http`, and `ws` for WebSocket upgrades).
    Http,
    /// HTTP/1.1 over TLS (`https`, `wss`).
    Https,
    /// HTTP/2 with prior knowledge over TCP (`grpc`).
    Grpc,
    /// HTTP/2 over TLS (`grpcs`).
    Grpcs,
    /// A protocol this gateway does not proxy (`tcp`, `tls`, `udp`, `tls_passthrough`).
    Unsupported,
}

impl UpstreamProtocol {
    fn from_service(protocol: Protocol) -> Self {
        match protocol {
            Protocol::Http | Protocol::Ws => Self::Http,
            Protocol::Https | Protocol::Wss => Self::Https,
            Protocol::Grpc => Self::Grpc,
            Protocol::Grpcs => Self::Grpcs,
            // Stream protocols, and any protocol added later: not proxied (answered 502).
            _ => Self::Unsupported,
        }
    }

    /// Whether the connection is TLS.
    pub fn is_tls(self) -> bool {
        matches!(self, Self::Https | Self::Grpcs)
    }

    /// Whether requests go over HTTP/2.
    pub fn is_http2(self) -> bool {
        matches!(self, Self::Grpc | Self::Grpcs)
    }
}

/// A service's timeouts (Kong's `connect_timeout`, `write_timeout`, `read_timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting, TCP and TLS.
    pub connect: Duration,
    /// The longest pause while sending the request.
    pub write: Duration,
    /// The longest pause while reading the response (header section and body).
    pub read: Duration,
}

/// A service, compiled: everything an executor needs to send a request there. Shared by the
/// routes of the service; compare with [`Arc::ptr_eq`] to pool connections per upstream.
#[derive(Debug)]
pub struct Upstream {
    id: Uuid,
    label: Arc<str>,
    protocol: UpstreamProtocol,
    host: String,
    port: u16,
    path: Option<String>,
    host_header: HeaderValue,
    server_name: Option<ServerName<'static>>,
    tls: Option<Arc<ClientConfig>>,
    timeouts: Timeouts,
    retries: u32,
    enabled: bool,
}

impl Upstream {
    /// The service's id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The service's name, or its id: for logs.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How the gateway speaks to it.
    pub fn protocol(&self) -> UpstreamProtocol {
        self.protocol
    }

    /// The host to connect to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The service's `path`, the upstream path is joined onto.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The `Host` the upstream gets unless the route preserves the client's (`host`, or
    /// `host:port` off the scheme's default port).
    pub fn host_header(&self) -> &HeaderValue {
        &self.host_header
    }

    /// The TLS server name (for SNI and certificate checks), for TLS upstreams.
    pub fn server_name(&self) -> Option<&ServerName<'static>> {
        self.server_name.as_ref()
    }

    /// The TLS client configuration (client certificate, trust), for TLS upstreams.
    pub fn tls(&self) -> Option<&Arc<ClientConfig>> {
        self.tls.as_ref()
    }

    /// The timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// How many times a request is retried after a connection failure (never after any of
    /// it was sent).
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Whether the service is enabled (a disabled service's routes answer 404).
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

/// Every service, compiled, by id.
pub(super) fn compile(
    config: &Config,
    options: &CompileOptions,
) -> Result<HashMap<Uuid, Arc<Upstream>>, CompileError> {
    let mut out = HashMap::with_capacity(config.services().len());
    for service in config.services() {
        out.insert(service.id, Arc::new(upstream(config, service, options)?));
    }
    Ok(out)
}

fn upstream(
    config: &Config,
    service: &Service,
    options: &CompileOptions,
) -> Result<Upstream, CompileError> {
    let fail = |reason: String| CompileError::Service {
        id: service.id,
        reason,
    };
    let protocol = UpstreamProtocol::from_service(service.protocol);
    let (tls, server_name) = if protocol.is_tls() {
        let client_certificate = match service.client_certificate {
            Some(id) => {
                let cert = config
                    .certificate(id)
                    .ok_or_else(|| fail(format!("client_certificate {id} does not exist")))?;
                Some(cert.chain_and_key().map_err(fail)?)
            }
            None => options.default_client_certificate.clone(),
        };
        let trust = CaSet::from_ids(config.trust_store(), &service.ca_certificates)
            .map_err(|e| fail(e.to_string()))?;
        let tls = UpstreamTls {
            client_certificate,
            verify: service.tls_verify.unwrap_or(options.default_tls_verify),
            verify_depth: service.tls_verify_depth,
            trust,
        };
        let mut client = tls
            .client_config(Arc::clone(&options.provider))
            .map_err(|e| fail(e.to_string()))?;
        // gRPC over TLS is HTTP/2, chosen by ALPN (HTTP/1.1 services offer none, as before).
        if protocol.is_http2() {
            Arc::make_mut(&mut client).alpn_protocols = vec![b"h2".to_vec()];
        }
        let name = ServerName::try_from(service.host.clone())
            .map_err(|e| fail(format!("host {:?} as a TLS server name: {e}", service.host)))?;
        (Some(client), Some(name))
    } else {
        (None, None)
    };
    let default_port = if protocol.is_tls() { 443 } else { 80 };
    let host_text = if service.port == default_port {
        service.host.clone()
    } else if service.host.contains(':') {
        format!("[{}]:{}", service.host, service.port)
    } else {
        format!("{}:{}", service.host, service.port)
    };
    let host_header = HeaderValue::from_str(&host_text)
        .map_err(|_| fail(format!("{host_text:?} is not a valid Host header value")))?;
    let ms = |v: u32| Duration::from_millis(u64::from(v));
    Ok(Upstream {
        id: service.id,
        label: service
            .name
            .clone()
            .unwrap_or_else(|| service.id.to_string())
            .into(),
        protocol,
        host: service.host.clone(),
        port: service.port,
        path: service.path.clone(),
        host_header,
        server_name,
        tls,
        timeouts: Timeouts {
            connect: ms(service.connect_timeout),
            write: ms(service.write_timeout),
            read: ms(service.read_timeout),
        },
        retries: service.retries,
        enabled: service.enabled,
    })
}
