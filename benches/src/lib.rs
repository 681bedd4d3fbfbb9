//! Shared fixtures of the benchmarks in `benches/`: in-memory TLS handshakes
//! ([`handshake`]), Kong configurations at scale ([`scale`]) and the SNI map configuration
//! ([`sni`]). Their certificates come from the workspace's test PKI crate, `mtls-test-pki`.
#![forbid(unsafe_code)]

/// In-memory TLS handshakes for the handshake benchmark (`benches/benches/handshake.rs`) and
/// its profiling example (`benches/examples/profile_handshake.rs`): rustls'
/// `ServerConnection` and `ClientConnection` pumped through byte buffers, no sockets.
///
/// Every variant uses the same certificates (P-256 root -> intermediate -> leaf, for the
/// client and for the server), the same crypto provider (aws-lc-rs, default groups and
/// suites), the same server certificate resolver ([`mtls_gateway::ServerCertificates`]), the
/// same session ticketer type and session cache size as the gateway, and rustls' `Acceptor`
/// in front of the server (the gateway needs it to pick a config per SNI; the others go
/// through it too so that only the client authentication differs).
///
/// The server side of each handshake is timed on its own (every call the server makes:
/// ClientHello parsing, config choice, `into_connection`, `read_tls` /
/// `process_new_packets` / `write_tls`, and the request decision for the gateway variants),
/// beside the whole handshake (client work included).
///
/// The request decision is async; it is polled once with a no-op waker (with
/// `revocation_check_mode: SKIP` it never waits), falling back to a current-thread tokio
/// runtime created once with the fixture, so no runtime work is timed.
pub mod handshake {
    use std::net::IpAddr;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::{Duration, Instant};

    use mtls_cert::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use mtls_gateway::{
        CompileOptions, Connection, Plan, RequestHead, ServerCertificates, Snapshot, TlsInfo,
    };
    use rustls::client::{ResolvesClientCert, Resumption};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::UnixTime;
    use rustls::server::{Acceptor, ServerSessionMemoryCache, WebPkiClientVerifier};
    use rustls::sign::{CertifiedKey, SigningKey};
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

    /// Errors of the fixture (benches stop on them).
    pub type Error = Box<dyn std::error::Error + Send + Sync>;

    /// The server name every handshake uses.
    pub const SNI: &str = "api.example.test";
    /// The gateway route the request decision runs on (mtls-auth, `revocation_check_mode:
    /// SKIP`, consumer matched by the client's email SAN).
    pub const ROUTE: &str = "bench-route";
    /// The client certificate's email SAN, mapped to the consumer by an `mtls_auth_credentials`.
    pub const CLIENT_EMAIL: &str = "client@example.test";
    /// The consumer's username.
    pub const CONSUMER: &str = "kongclient";
    const CA_ID: &str = "9b0c6f0e-2d1a-4c55-8f3e-6a7b8c9d0e01";
    /// Same as the gateway's session cache.
    const SESSION_CACHE_SIZE: usize = 4096;

    /// The crypto provider of every side: aws-lc-rs with its defaults.
    pub fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    /// The PKI of every handshake: root -> intermediate -> client leaf ([`CONSUMER`],
    /// [`CLIENT_EMAIL`]) and server leaf ([`SNI`]).
    pub type HandshakePki = mtls_test_pki::MutualPki;

    /// The gateway's configuration (Kong's declarative format): the root as a
    /// `ca_certificates` entity, one https route on [`SNI`] with mtls-auth (that CA,
    /// `revocation_check_mode: SKIP`), one consumer mapped by the client's email SAN.
    pub fn gateway_yaml(root_pem: &str) -> String {
        let pem: String = root_pem.lines().map(|l| format!("      {l}\n")).collect();
        format!(
            r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{pem}services:
  - name: bench-service
    url: https://backend.internal:8443
    routes:
      - name: {ROUTE}
        protocols: [https]
        paths: [/]
        snis: [{SNI}]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
              revocation_check_mode: SKIP
consumers:
  - username: {CONSUMER}
    mtls_auth_credentials:
      - subject_name: {CLIENT_EMAIL}
        ca_certificate: {CA_ID}
"#
        )
    }

    /// A client certificate resolver serving a list of certificates in turn (one per
    /// handshake), so that a run of handshakes can present a fresh certificate every time.
    #[derive(Debug)]
    pub struct ClientCerts {
        signing: Arc<dyn SigningKey>,
        pool: Mutex<(Vec<Arc<CertifiedKey>>, usize)>,
    }

    impl ClientCerts {
        /// A resolver presenting `chain` (signed with `signing`) every time.
        pub fn new(signing: Arc<dyn SigningKey>, chain: Vec<CertificateDer<'static>>) -> Self {
            let first = Arc::new(CertifiedKey::new(chain, Arc::clone(&signing)));
            Self {
                signing,
                pool: Mutex::new((vec![first], 0)),
            }
        }

        /// Presents these chains in order from the next handshake on (then wraps around).
        pub fn replace(&self, chains: Vec<Vec<CertificateDer<'static>>>) {
            let keys = chains
                .into_iter()
                .map(|c| Arc::new(CertifiedKey::new(c, Arc::clone(&self.signing))))
                .collect();
            *self.pool.lock().unwrap_or_else(PoisonError::into_inner) = (keys, 0);
        }
    }

    impl ResolvesClientCert for ClientCerts {
        fn resolve(
            &self,
            _root_hint_subjects: &[&[u8]],
            _sigschemes: &[rustls::SignatureScheme],
        ) -> Option<Arc<CertifiedKey>> {
            let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
            let (keys, next) = &mut *pool;
            let key = keys.get(*next % keys.len().max(1)).cloned();
            *next += 1;
            key
        }

        fn has_certs(&self) -> bool {
            true
        }
    }

    /// The compared handshakes.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Variant {
        /// (a) Server authentication only: no CertificateRequest.
        ServerAuthOnly,
        /// (b) mTLS with rustls' `WebPkiClientVerifier` (the root as the only anchor).
        WebPki,
        /// The gateway's handshake alone (`HandshakeConfigs::select`, the deferred verifier),
        /// no request decision: splits (c) into handshake and decision.
        GatewayHandshakeOnly,
        /// (c) The gateway: deferred verifier, then `Snapshot::decide`, with a new client
        /// certificate every handshake (validation-cache miss).
        GatewayCold,
        /// (d) The same with the same client certificate every time (validation-cache hit).
        GatewayWarm,
        /// (e) A resumed TLS 1.3 session (ticket), `WebPkiClientVerifier`'s config.
        WebPkiResumed,
        /// (e) A resumed TLS 1.3 session (ticket) through the gateway, then `decide`
        /// (validation-cache hit: a resumed session carries the same certificate).
        GatewayResumed,
    }

    impl Variant {
        /// Every variant, in report order.
        pub const ALL: [Self; 7] = [
            Self::ServerAuthOnly,
            Self::WebPki,
            Self::GatewayHandshakeOnly,
            Self::GatewayCold,
            Self::GatewayWarm,
            Self::WebPkiResumed,
            Self::GatewayResumed,
        ];

        /// A short name (bench id, command-line argument).
        pub fn name(self) -> &'static str {
            match self {
                Self::ServerAuthOnly => "a_server_auth_only",
                Self::WebPki => "b_mtls_webpki",
                Self::GatewayHandshakeOnly => "c0_gateway_handshake_only",
                Self::GatewayCold => "c_gateway_cold",
                Self::GatewayWarm => "d_gateway_warm",
                Self::WebPkiResumed => "e_webpki_resumed",
                Self::GatewayResumed => "e_gateway_resumed",
            }
        }

        /// The variant with this [`Self::name`].
        pub fn from_name(name: &str) -> Option<Self> {
            Self::ALL.into_iter().find(|v| v.name() == name)
        }

        fn resumed(self) -> bool {
            matches!(self, Self::WebPkiResumed | Self::GatewayResumed)
        }

        fn decides(self) -> bool {
            matches!(
                self,
                Self::GatewayCold | Self::GatewayWarm | Self::GatewayResumed
            )
        }
    }

    /// The time one handshake took.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Timing {
        /// The server's calls only (and the request decision, where there is one), wall clock.
        pub server: Duration,
        /// The same calls in this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`): time spent
        /// preempted by other processes of a busy machine is not counted.
        pub server_cpu: Duration,
        /// The whole handshake, client and server.
        pub total: Duration,
    }

    /// Everything the variants need, built once.
    pub struct Fixture {
        /// The PKI.
        pub pki: HandshakePki,
        server_auth_only: Arc<ServerConfig>,
        webpki: Arc<ServerConfig>,
        /// The compiled gateway configuration.
        pub snapshot: Snapshot,
        certs: Arc<ClientCerts>,
        client_full: Arc<ClientConfig>,
        client_resume_webpki: Arc<ClientConfig>,
        client_resume_gateway: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        serials: AtomicU64,
        runtime: tokio::runtime::Runtime,
        uri: http::Uri,
        headers: http::HeaderMap,
    }

    impl std::fmt::Debug for Fixture {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Fixture").finish_non_exhaustive()
        }
    }

    fn key_der(key: &PrivatePkcs8KeyDer<'static>) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(key.clone_key())
    }

    /// Reads all of `bytes` into a connection.
    fn feed(
        mut read: impl FnMut(&mut &[u8]) -> std::io::Result<usize>,
        bytes: &[u8],
    ) -> Result<(), Error> {
        let mut slice = bytes;
        while !slice.is_empty() {
            if read(&mut slice)? == 0 {
                return Err("read_tls took nothing".into());
            }
        }
        Ok(())
    }

    /// This thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
    pub fn thread_cpu() -> Duration {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(
            u64::try_from(t.tv_sec).unwrap_or(0),
            u32::try_from(t.tv_nsec).unwrap_or(0),
        )
    }

    /// The server's share of a handshake: wall clock and thread CPU time, summed over the
    /// server's calls.
    #[derive(Default)]
    struct ServerClock {
        wall: Duration,
        cpu: Duration,
    }

    impl ServerClock {
        fn start(&self) -> (Instant, Duration) {
            (Instant::now(), thread_cpu())
        }

        fn stop(&mut self, (wall, cpu): (Instant, Duration)) {
            self.cpu += thread_cpu().saturating_sub(cpu);
            self.wall += wall.elapsed();
        }
    }

    /// Marks the server's work, so that callgrind can count it alone
    /// (`--toggle-collect='*server_side*'`).
    #[inline(never)]
    fn server_side<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    impl Fixture {
        /// Generates the PKI and builds every configuration.
        pub fn new() -> Result<Self, Error> {
            let pki = HandshakePki::generate(SNI)?;
            let provider = provider();
            let server_key = ServerCertificates::load_key(
                pki.server_chain.clone(),
                key_der(&pki.server_key),
                &provider,
            )?;

            let mut roots = RootCertStore::empty();
            roots.add(pki.root.clone())?;
            let roots = Arc::new(roots);
            let same_as_gateway = |mut config: ServerConfig| -> Result<Arc<ServerConfig>, Error> {
                config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()?;
                config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
                Ok(Arc::new(config))
            };
            let resolver = || {
                Arc::new(ServerCertificates::with_default(Arc::clone(&server_key)))
                    as Arc<dyn rustls::server::ResolvesServerCert>
            };
            let server_auth_only = same_as_gateway(
                ServerConfig::builder_with_provider(Arc::clone(&provider))
                    .with_safe_default_protocol_versions()?
                    .with_no_client_auth()
                    .with_cert_resolver(resolver()),
            )?;
            let verifier = WebPkiClientVerifier::builder_with_provider(
                Arc::clone(&roots),
                Arc::clone(&provider),
            )
            .build()?;
            let webpki = same_as_gateway(
                ServerConfig::builder_with_provider(Arc::clone(&provider))
                    .with_safe_default_protocol_versions()?
                    .with_client_cert_verifier(verifier)
                    .with_cert_resolver(resolver()),
            )?;

            let (config, warnings) = mtls_kong_config::load_str(&gateway_yaml(&pki.root_pem))?;
            if !warnings.is_empty() {
                return Err(format!("configuration warnings: {warnings:?}").into());
            }
            let mut options = CompileOptions::new(Arc::clone(&provider));
            options.default_server_certificate = Some(Arc::clone(&server_key));
            let snapshot = Snapshot::compile(&config, 1, &options)?;

            let signing = provider
                .key_provider
                .load_private_key(key_der(&pki.client_key))?;
            let certs = Arc::new(ClientCerts::new(
                Arc::clone(&signing),
                pki.client_chain.clone(),
            ));
            let client =
                |certs: Arc<ClientCerts>, resume: bool| -> Result<Arc<ClientConfig>, Error> {
                    let mut config = ClientConfig::builder_with_provider(Arc::clone(&provider))
                        .with_safe_default_protocol_versions()?
                        .with_root_certificates(Arc::clone(&roots))
                        .with_client_cert_resolver(certs);
                    if !resume {
                        config.resumption = Resumption::disabled();
                    }
                    Ok(Arc::new(config))
                };
            let same_client = || {
                Arc::new(ClientCerts::new(
                    Arc::clone(&signing),
                    pki.client_chain.clone(),
                ))
            };
            let client_full = client(Arc::clone(&certs), false)?;
            let client_resume_webpki = client(same_client(), true)?;
            let client_resume_gateway = client(same_client(), true)?;
            Ok(Self {
                server_auth_only,
                webpki,
                snapshot,
                certs,
                client_full,
                client_resume_webpki,
                client_resume_gateway,
                server_name: ServerName::try_from(SNI)?.to_owned(),
                serials: AtomicU64::new(1_000),
                runtime: tokio::runtime::Builder::new_current_thread().build()?,
                uri: http::Uri::from_static("/"),
                headers: {
                    let mut h = http::HeaderMap::new();
                    h.insert(http::header::HOST, http::HeaderValue::from_static(SNI));
                    h
                },
                pki,
            })
        }

        /// Gets `variant` ready for `iterations` handshakes (not timed): a fresh client
        /// certificate for each of them (cold), the one certificate (others), a stored
        /// session ticket (resumed).
        pub fn prepare(&self, variant: Variant, iterations: u64) -> Result<(), Error> {
            match variant {
                Variant::GatewayCold => {
                    let chains = (0..iterations.max(1))
                        .map(|_| {
                            let serial = self.serials.fetch_add(1, Ordering::Relaxed);
                            self.pki
                                .client_chain_with_serial(serial)
                                .map_err(Error::from)
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    self.certs.replace(chains);
                }
                Variant::WebPkiResumed | Variant::GatewayResumed => {
                    // A handshake (full the first time) stores the server's tickets in the
                    // client.
                    self.handshake(variant, None)?;
                }
                _ => self.certs.replace(vec![self.pki.client_chain.clone()]),
            }
            Ok(())
        }

        /// One handshake of `variant` (and the request decision for the gateway's (c), (d)
        /// and resumed variants), checked: full or resumed as expected, and the request
        /// allowed with the consumer.
        pub fn run(&self, variant: Variant) -> Result<Timing, Error> {
            self.handshake(variant, Some(variant.resumed()))
        }

        /// One handshake; `expect_resumed`: whether it must be resumed (`None`: either).
        fn handshake(
            &self,
            variant: Variant,
            expect_resumed: Option<bool>,
        ) -> Result<Timing, Error> {
            let client_config = match variant {
                Variant::WebPkiResumed => &self.client_resume_webpki,
                Variant::GatewayResumed => &self.client_resume_gateway,
                _ => &self.client_full,
            };
            let start = Instant::now();
            let mut server_time = ServerClock::default();
            let mut client =
                ClientConnection::new(Arc::clone(client_config), self.server_name.clone())?;
            let mut buf = Vec::with_capacity(8192);
            while client.wants_write() {
                client.write_tls(&mut buf)?;
            }

            let t = server_time.start();
            let mut server = server_side(|| -> Result<ServerConnection, Error> {
                let mut acceptor = Acceptor::default();
                feed(|s| acceptor.read_tls(s), &buf)?;
                let accepted = acceptor
                    .accept()
                    .map_err(|(e, _)| e)?
                    .ok_or("incomplete ClientHello")?;
                let config = match variant {
                    Variant::ServerAuthOnly => Arc::clone(&self.server_auth_only),
                    Variant::WebPki | Variant::WebPkiResumed => Arc::clone(&self.webpki),
                    _ => {
                        self.snapshot
                            .handshake()
                            .select(accepted.client_hello().server_name())
                            .config
                    }
                };
                Ok(accepted.into_connection(config).map_err(|(e, _)| e)?)
            })?;
            server_time.stop(t);

            for _ in 0..16 {
                buf.clear();
                let t = server_time.start();
                server_side(|| -> Result<(), Error> {
                    while server.wants_write() {
                        server.write_tls(&mut buf)?;
                    }
                    Ok(())
                })?;
                server_time.stop(t);
                if !buf.is_empty() {
                    feed(|s| client.read_tls(s), &buf)?;
                    client.process_new_packets()?;
                }
                buf.clear();
                while client.wants_write() {
                    client.write_tls(&mut buf)?;
                }
                if !buf.is_empty() {
                    let t = server_time.start();
                    server_side(|| -> Result<(), Error> {
                        feed(|s| server.read_tls(s), &buf)?;
                        server.process_new_packets()?;
                        Ok(())
                    })?;
                    server_time.stop(t);
                }
                if !server.is_handshaking()
                    && !client.is_handshaking()
                    && !server.wants_write()
                    && !client.wants_write()
                {
                    break;
                }
            }
            if server.is_handshaking() || client.is_handshaking() {
                return Err("handshake did not finish".into());
            }
            let kind = server.handshake_kind();
            if let Some(resumed) = expect_resumed {
                let expected = if resumed {
                    rustls::HandshakeKind::Resumed
                } else {
                    rustls::HandshakeKind::Full
                };
                if kind != Some(expected) {
                    return Err(format!(
                        "{}: handshake {kind:?}, expected {expected:?}",
                        variant.name()
                    )
                    .into());
                }
            }
            if variant.decides() {
                let t = server_time.start();
                server_side(|| self.decide(server.peer_certificates()))?;
                server_time.stop(t);
            }
            let total = start.elapsed();
            std::hint::black_box(&server);
            Ok(Timing {
                server: server_time.wall,
                server_cpu: server_time.cpu,
                total,
            })
        }

        /// The request decision alone on [`ROUTE`] for the client's usual chain (after the
        /// first call, a validation-cache hit), checked like the handshakes' (inside
        /// `server_side` for callgrind).
        pub fn decide_warm(&self) -> Result<(), Error> {
            server_side(|| self.decide(Some(&self.pki.client_chain)))
        }

        /// The request decision alone on [`ROUTE`] for `chain` (a validation-cache miss for
        /// a chain not seen before), checked like the handshakes'.
        pub fn decide_chain(&self, chain: &[CertificateDer<'static>]) -> Result<(), Error> {
            server_side(|| self.decide(Some(chain)))
        }

        /// The client certificates' root (DER).
        pub fn roots_der(&self) -> CertificateDer<'static> {
            self.pki.root.clone()
        }

        /// The client certificates' root store, as `WebPkiClientVerifier` gets it.
        pub fn roots(&self) -> Result<Arc<RootCertStore>, Error> {
            let mut roots = RootCertStore::empty();
            roots.add(self.pki.root.clone())?;
            Ok(Arc::new(roots))
        }

        /// The request plan for `GET /` on [`ROUTE`] with these peer certificates (the
        /// decision, with routing, path normalisation and the upstream headers).
        fn decide(
            &self,
            peer_certificates: Option<&[CertificateDer<'static>]>,
        ) -> Result<(), Error> {
            let tls = TlsInfo {
                sni: Some(SNI.to_owned()),
                peer_certificates: peer_certificates.map(<[_]>::to_vec),
                client_auth: self.snapshot.handshake().select(Some(SNI)).client_auth,
            };
            let conn = Connection {
                peer: std::net::SocketAddr::from((IpAddr::from([127, 0, 0, 1]), 40000)),
                local_port: 443,
                tls: Some(&tls),
            };
            let head = RequestHead {
                method: &http::Method::GET,
                uri: &self.uri,
                version: http::Version::HTTP_11,
                headers: &self.headers,
            };
            let plan = match self.snapshot.plan(&conn, &head, UnixTime::now()) {
                Plan::Pending(_) => self.runtime.block_on(mtls_gateway::drive(
                    &self.snapshot,
                    &conn,
                    &head,
                    UnixTime::now(),
                )),
                done => done,
            };
            match plan {
                Plan::Proxy(proxy)
                    if proxy.allow.consumer.as_ref().and_then(|c| c.username())
                        == Some(CONSUMER) =>
                {
                    std::hint::black_box(proxy);
                    Ok(())
                }
                other => Err(format!("unexpected plan: {other:?}").into()),
            }
        }
    }
}

/// Kong declarative configurations at scale, for the reload measurement
/// (`benches/examples/reload_scale.rs`).
pub mod scale {
    use std::fmt::Write;

    /// The CA id every plugin and half the credentials name.
    pub const CA_ID: &str = "7a1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

    /// A Kong declarative configuration (JSON, `_format_version` 3.0):
    ///
    /// - one `ca_certificates` entity, `ca_pem`;
    /// - `services` services, each with `routes_per_service` nested routes (`paths:
    ///   [/rI]`); by route number I: I % 4 = 0 an exact SNI `svcS-rI.example.com`, 1 a
    ///   suffix wildcard `*.tenantI.example.net`, 2 a prefix wildcard `apiI.*` (all three
    ///   `protocols: [https]`, and one route in twenty a second exact SNI
    ///   `altI.example.com`), 3 no SNI but `hosts: [hI.example.org]`; a
    ///   `tls-handshake-modifier` on one route in a hundred;
    /// - one `mtls-auth` per service (that CA, `revocation_check_mode: SKIP`, `send_ca_dn` on
    ///   every other service);
    /// - `consumers` consumers (username `user-i`, custom_id `cid-i`), each with one nested
    ///   `mtls_auth_credentials` entry (`svc-i.example`; the CA on even i, none on odd i).
    pub fn kong_config_json(
        ca_pem: &str,
        services: usize,
        routes_per_service: usize,
        consumers: usize,
    ) -> String {
        let mut out = String::with_capacity(consumers * 160 + services * routes_per_service * 200);
        let pem = serde_json::Value::String(ca_pem.to_owned()).to_string();
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            r#"{{"_format_version":"3.0","ca_certificates":[{{"id":"{CA_ID}","cert":{pem}}}],"services":["#
        );
        for s in 0..services {
            if s > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                r#"{{"name":"svc{s}","url":"https://backend{s}.internal:8443","plugins":[{{"name":"mtls-auth","config":{{"ca_certificates":["{CA_ID}"],"revocation_check_mode":"SKIP","send_ca_dn":{}}}}}],"routes":["#,
                s.is_multiple_of(2)
            );
            for r in 0..routes_per_service {
                let i = s * routes_per_service + r;
                if r > 0 {
                    out.push(',');
                }
                let _ = write!(out, r#"{{"name":"svc{s}-r{i}","paths":["/r{i}"]"#);
                let alt = if i.is_multiple_of(20) {
                    format!(r#","alt{i}.example.com""#)
                } else {
                    String::new()
                };
                let _ = match i % 4 {
                    0 => write!(
                        out,
                        r#","protocols":["https"],"snis":["svc{s}-r{i}.example.com"{alt}]"#
                    ),
                    1 => write!(
                        out,
                        r#","protocols":["https"],"snis":["*.tenant{i}.example.net"{alt}]"#
                    ),
                    2 => write!(out, r#","protocols":["https"],"snis":["api{i}.*"{alt}]"#),
                    _ => write!(out, r#","hosts":["h{i}.example.org"]"#),
                };
                if i.is_multiple_of(100) {
                    out.push_str(r#","plugins":[{"name":"tls-handshake-modifier"}]"#);
                }
                out.push('}');
            }
            out.push_str("]}");
        }
        out.push_str(r#"],"consumers":["#);
        for i in 0..consumers {
            if i > 0 {
                out.push(',');
            }
            let ca = if i.is_multiple_of(2) {
                format!(r#","ca_certificate":"{CA_ID}""#)
            } else {
                String::new()
            };
            let _ = write!(
                out,
                r#"{{"username":"user-{i}","custom_id":"cid-{i}","mtls_auth_credentials":[{{"subject_name":"svc-{i}.example"{ca}}}]}}"#
            );
        }
        out.push_str("]}");
        out
    }

    /// A self-signed P-256 CA certificate (PEM) for [`kong_config_json`].
    pub fn ca_pem() -> Result<String, mtls_test_pki::rcgen::Error> {
        Ok(mtls_test_pki::CertSpec::ca("Scale Root")
            .try_self_signed()?
            .pem())
    }
}

/// The SNI map configuration of the `sni_map` bench and the `sni_lookup_cost` example.
pub mod sni {
    use mtls_sni::{CertificatePlugin, Route, Scope};
    use uuid::Uuid;

    /// Routes in the configuration.
    pub const ROUTES: usize = 100_000;
    /// Services the routes belong to.
    pub const SERVICES: usize = 1_000;

    /// Half exact SNIs, a quarter `*.tenantN.example.net`, a quarter `apiN.*`; a route in
    /// twenty has a second SNI. One `mtls-auth` per service (half of them with
    /// `send_ca_dn`), and a `tls-handshake-modifier` on one route in a hundred.
    pub fn configuration() -> (Vec<Route>, Vec<CertificatePlugin>) {
        let routes: Vec<Route> = (0..ROUTES)
            .map(|i| {
                let service = i % SERVICES;
                let mut snis = vec![match i % 4 {
                    0 | 1 => format!("svc{service}-r{i}.example.com"),
                    2 => format!("*.tenant{i}.example.net"),
                    _ => format!("api{i}.*"),
                }];
                if i % 20 == 0 {
                    snis.push(format!("alias{i}.example.org"));
                }
                Route::new(format!("route-{i}"))
                    .with_service(format!("service-{service}"))
                    .with_snis(snis)
            })
            .collect();
        let mut plugins: Vec<CertificatePlugin> = (0..SERVICES)
            .map(|s| {
                CertificatePlugin::mtls_auth(
                    format!("mtls-{s}"),
                    Scope::Service(format!("service-{s}").into()),
                    vec![Uuid::from_u128(s as u128), Uuid::from_u128(1 << 64)],
                    s % 2 == 0,
                )
            })
            .collect();
        plugins.extend((0..ROUTES).step_by(100).map(|i| {
            CertificatePlugin::tls_handshake_modifier(
                format!("thm-{i}"),
                Scope::Route(format!("route-{i}").into()),
            )
        }));
        (routes, plugins)
    }
}
