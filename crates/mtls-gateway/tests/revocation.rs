//! Revocation over the network against real servers on loopback started here: `openssl ocsp`
//! as the responder (an index file with a good and a revoked certificate), small HTTP servers
//! serving CRLs (DER and PEM), a slow server, a garbage server, and forward proxies (absolute
//! URI for http, CONNECT for https). Every mode with the responder up, down, slow and
//! answering garbage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{CaCertificate, CaSet, CrlSet, ValidationOptions, VerifiedChain, validate_chain};
use mtls_gateway::{
    ClientAuth, CompileOptions, Connection, FetchSettings, Plan, Proxy,
    RevocationCheckMode as RevocationMode, RevocationChecker, RevocationOutcome, RevocationPolicy,
    RevocationSource as Source, Snapshot, TlsInfo, Verdict,
};
use mtls_test_pki::{CertSpec, CrlSpec, Node, openssl_available};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------------------------
// PKI

struct Pki {
    dir: PathBuf,
    ca: Node,
    set: CaSet,
}

struct Leaf {
    der: CertificateDer<'static>,
    serial: u64,
}

impl Pki {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("mtls-revocation-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = CertSpec::ca("Revocation Test CA").self_signed();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.join("ca.key"), ca.key_pem()).unwrap();
        let entity =
            CaCertificate::new(uuid::Uuid::new_v4(), ca.pem().as_bytes(), UnixTime::now()).unwrap();
        let set = CaSet::new(vec![entity]).unwrap();
        Self { dir, ca, set }
    }

    /// A client certificate with this serial, CN and optional OCSP / CRL URIs.
    fn leaf(&self, serial: u64, cn: &str, ocsp: Option<&str>, crl: Option<&str>) -> Leaf {
        let mut spec = CertSpec::new().cn(cn).serial(serial).client_auth();
        if let Some(uri) = ocsp {
            spec = spec.ocsp(uri);
        }
        if let Some(uri) = crl {
            spec = spec.crl_distribution_point(&[uri]);
        }
        Leaf {
            der: spec.signed_by(&self.ca).der(),
            serial,
        }
    }

    fn verify(&self, leaf: &Leaf) -> VerifiedChain {
        validate_chain(
            std::slice::from_ref(&leaf.der),
            &self.set,
            &ValidationOptions::client(),
            UnixTime::now(),
        )
        .unwrap()
    }

    /// A CRL revoking `serials`, DER.
    fn crl(&self, serials: &[u64]) -> Vec<u8> {
        CrlSpec::revoking(serials).sign(&self.ca).der().to_vec()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// Servers

/// `openssl ocsp` answering from an index file; killed on drop.
struct OpensslResponder(Child);

impl Drop for OpensslResponder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `openssl ocsp` on `port` with `good` valid and `revoked` revoked.
async fn openssl_responder(
    pki: &Pki,
    port: u16,
    good: &[u64],
    revoked: &[u64],
) -> OpensslResponder {
    let mut index = String::new();
    for serial in good {
        index += &format!("V\t351231235959Z\t\t{serial:04X}\tunknown\t/CN=good\n");
    }
    for serial in revoked {
        index += &format!(
            "R\t351231235959Z\t240101000000Z,keyCompromise\t{serial:04X}\tunknown\t/CN=revoked\n"
        );
    }
    let index_path = pki.dir.join(format!("index-{port}.txt"));
    std::fs::write(&index_path, index).unwrap();
    std::fs::write(
        pki.dir.join(format!("index-{port}.txt.attr")),
        "unique_subject = no\n",
    )
    .unwrap();
    let mut child = Command::new("openssl")
        .arg("ocsp")
        .arg("-index")
        .arg(&index_path)
        .args(["-port", &port.to_string()])
        .arg("-CA")
        .arg(pki.dir.join("ca.pem"))
        .arg("-rsigner")
        .arg(pki.dir.join("ca.pem"))
        .arg("-rkey")
        .arg(pki.dir.join("ca.key"))
        .args(["-ndays", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready once it says it accepts. (Probing the port would wedge it: it serves one
    // connection at a time and waits on a probe that sends nothing.)
    let stderr = child.stderr.take().unwrap();
    let responder = OpensslResponder(child);
    let (ready, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if line.contains("ACCEPT") || line.contains("waiting for OCSP client") {
                let _ = ready.send(());
            }
        }
    });
    wait.recv_timeout(Duration::from_secs(10))
        .expect("openssl ocsp did not start");
    responder
}

/// Two leaves naming an `openssl ocsp` responder (serials `first` and `first + 1`, with
/// these CNs) that says the first is good and the second revoked.
async fn good_and_revoked(pki: &Pki, first: u64, cns: [&str; 2]) -> (Leaf, Leaf, OpensslResponder) {
    let port = closed_port();
    let uri = format!("http://127.0.0.1:{port}/");
    let good = pki.leaf(first, cns[0], Some(&uri), None);
    let revoked = pki.leaf(first + 1, cns[1], Some(&uri), None);
    let responder = openssl_responder(pki, port, &[good.serial], &[revoked.serial]).await;
    (good, revoked, responder)
}

/// What a test HTTP server answers, and how many requests it saw.
#[derive(Clone)]
struct Canned {
    status: u16,
    body: Vec<u8>,
    delay: Duration,
    hits: Arc<AtomicUsize>,
    /// Only answer requests in absolute form (a forward proxy).
    proxy_only: bool,
}

impl Canned {
    fn ok(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            body,
            delay: Duration::ZERO,
            hits: Arc::new(AtomicUsize::new(0)),
            proxy_only: false,
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn answer(canned: Canned, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    canned.hits.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(canned.delay).await;
    if canned.proxy_only && req.uri().scheme().is_none() {
        return Response::builder()
            .status(400)
            .body(Full::new(Bytes::new()))
            .unwrap();
    }
    Response::builder()
        .status(canned.status)
        .body(Full::new(Bytes::from(canned.body.clone())))
        .unwrap()
}

/// An HTTP server answering `canned` to every request; with `tls`, over TLS with a
/// self-signed certificate for `localhost`.
async fn http_server(canned: Canned, tls: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tls.then(|| {
        let cert = CertSpec::names(&["localhost"]).self_signed();
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der()], cert.key_der())
            .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let canned = canned.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let canned = canned.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(canned, req).await) }
                });
                let builder = hyper::server::conn::http1::Builder::new();
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            });
        }
    });
    addr
}

/// A server that accepts connections and never answers.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A CONNECT proxy tunnelling to whatever it is asked; counts tunnels.
async fn connect_proxy() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&tunnels);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let Ok(byte) = client.read_u8().await else {
                        return;
                    };
                    head.push(byte);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let target = target.replace("localhost", "127.0.0.1");
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, tunnels)
}

// ---------------------------------------------------------------------------------------------
// Checks and decisions

fn policy(mode: RevocationMode, timeout: Duration) -> RevocationPolicy {
    RevocationPolicy {
        mode,
        cache_ttl: Duration::from_secs(60),
        fetch: FetchSettings {
            timeout,
            ..FetchSettings::default()
        },
    }
}

async fn check(
    checker: &RevocationChecker,
    chain: &VerifiedChain,
    policy: &RevocationPolicy,
) -> RevocationOutcome {
    checker
        .check(chain, policy, &CrlSet::default(), UnixTime::now())
        .await
}

/// Plans one request on an mtls-auth route (skip_consumer_lookup) under `policy`, with the
/// revocation answers fetched by the driver (through `checker`, shared as `serve` shares it).
async fn decide(
    checker: &Arc<RevocationChecker>,
    pki: &Pki,
    leaf: &Leaf,
    policy: RevocationPolicy,
) -> Plan {
    let proxy = |p: &Option<Proxy>| match p {
        Some(p) => (serde_json::json!(p.host), serde_json::json!(p.port)),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    let (http_host, http_port) = proxy(&policy.fetch.http_proxy);
    let (https_host, https_port) = proxy(&policy.fetch.https_proxy);
    let ca_id = "5d1c3f7a-2b4e-4a6f-9d8c-7e6f5a4b3c2d";
    let config = mtls_kong_config::Config::builder()
        .ca_certificate(serde_json::json!({"id": ca_id, "cert": pki.ca.pem()}))
        .service(serde_json::json!({
            "name": "svc",
            "url": "http://127.0.0.1:9",
            "routes": [{"name": "r", "paths": ["/"]}],
        }))
        .plugin(serde_json::json!({
            "name": "mtls-auth",
            "config": {
                "ca_certificates": [ca_id],
                "skip_consumer_lookup": true,
                "revocation_check_mode": policy.mode.as_str(),
                "http_timeout": policy.fetch.timeout.as_millis() as u64,
                "cert_cache_ttl": policy.cache_ttl.as_secs(),
                "ssl_verify": policy.fetch.ssl_verify,
                "http_proxy_host": http_host,
                "http_proxy_port": http_port,
                "https_proxy_host": https_host,
                "https_proxy_port": https_port,
            },
        }))
        .build()
        .unwrap();
    let mut options = CompileOptions::new(provider());
    options.revocation = Arc::clone(checker);
    let snapshot = Snapshot::compile(&config, 1, &options).unwrap();
    let tls = TlsInfo {
        sni: None,
        peer_certificates: Some(vec![leaf.der.clone()]),
        client_auth: snapshot.handshake().select(None).client_auth,
    };
    assert_ne!(tls.client_auth, ClientAuth::NotRequested);
    let conn = Connection {
        peer: "127.0.0.1:40000".parse().unwrap(),
        local_port: 8443,
        tls: Some(&tls),
    };
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::HOST, "gateway.test".parse().unwrap());
    let (method, uri) = (http::Method::GET, http::Uri::from_static("/x"));
    let head = mtls_gateway::RequestHead {
        method: &method,
        uri: &uri,
        version: http::Version::HTTP_11,
        headers: &headers,
    };
    mtls_gateway::drive(&snapshot, &conn, &head, UnixTime::now()).await
}

fn assert_refused(decision: &Plan, reason_part: &str) {
    match decision {
        Plan::Respond(d) => {
            assert_eq!(d.status, 401);
            assert_eq!(
                d.body,
                r#"{"message":"TLS certificate failed verification"}"#
            );
            assert!(d.reason.contains(reason_part), "{}", d.reason);
        }
        other => panic!("not refused: {other:?}"),
    }
}

fn assert_allowed(decision: &Plan, verdict: Verdict) {
    match decision {
        Plan::Proxy(p) => {
            assert_eq!(
                p.allow.revocation.as_ref().map(|r| r.verdict),
                Some(verdict),
                "{p:?}"
            );
        }
        other => panic!("refused: {other:?}"),
    }
}

const SECOND: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_responder_good_and_revoked_in_every_mode() {
    if !openssl_available() {
        return;
    }
    let pki = Pki::new();
    let (good, revoked, responder) = good_and_revoked(&pki, 0x1001, ["good", "revoked"]).await;
    let checker = Arc::new(RevocationChecker::new(provider()));

    let ignore = policy(RevocationMode::IgnoreCaError, 5 * SECOND);
    let outcome = check(&checker, &pki.verify(&good), &ignore).await;
    assert_eq!(
        (outcome.verdict, outcome.source, outcome.cached),
        (Verdict::Good, Source::Ocsp, false),
        "{outcome}"
    );
    let again = check(&checker, &pki.verify(&good), &ignore).await;
    assert_eq!(
        (again.verdict, again.source, again.cached),
        (Verdict::Good, Source::Ocsp, true)
    );
    assert!(
        again
            .to_string()
            .starts_with("revocation good (cache, from ocsp)"),
        "{again}"
    );

    let outcome = check(&checker, &pki.verify(&revoked), &ignore).await;
    assert_eq!(
        (outcome.verdict, outcome.source),
        (Verdict::Revoked, Source::Ocsp),
        "{outcome}"
    );
    assert!(outcome.detail.contains("keyCompromise"), "{outcome}");

    for mode in [RevocationMode::IgnoreCaError, RevocationMode::Strict] {
        let p = policy(mode, 5 * SECOND);
        assert_allowed(
            &decide(&checker, &pki, &good, p.clone()).await,
            Verdict::Good,
        );
        assert_refused(
            &decide(&checker, &pki, &revoked, p).await,
            "revocation revoked",
        );
    }
    // SKIP asks nobody, even for a revoked certificate.
    let fresh = Arc::new(RevocationChecker::new(provider()));
    let skip = policy(RevocationMode::Skip, 5 * SECOND);
    assert_allowed(
        &decide(&fresh, &pki, &revoked, skip).await,
        Verdict::Skipped,
    );
    assert_eq!(fresh.cached_answers(), 0);

    // The responder goes down: cached answers still serve; a new checker has none, and
    // the modes decide.
    drop(responder);
    let cached = decide(
        &checker,
        &pki,
        &good,
        policy(RevocationMode::Strict, SECOND),
    )
    .await;
    assert_allowed(&cached, Verdict::Good);
    let p = |mode| policy(mode, SECOND);
    assert_allowed(
        &decide(&fresh, &pki, &good, p(RevocationMode::IgnoreCaError)).await,
        Verdict::NoAnswer,
    );
    assert_refused(
        &decide(&fresh, &pki, &good, p(RevocationMode::Strict)).await,
        "no answer",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_subject_different_serial_do_not_share_an_answer() {
    if !openssl_available() {
        return;
    }
    let pki = Pki::new();
    let (good, revoked, _responder) =
        good_and_revoked(&pki, 0x2001, ["same name", "same name"]).await;
    let checker = RevocationChecker::new(provider());
    let p = policy(RevocationMode::Strict, 5 * SECOND);
    assert_eq!(
        check(&checker, &pki.verify(&good), &p).await.verdict,
        Verdict::Good
    );
    let second = check(&checker, &pki.verify(&revoked), &p).await;
    assert_eq!(
        (second.verdict, second.cached),
        (Verdict::Revoked, false),
        "{second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responder_down_falls_back_to_the_crl_der_or_pem() {
    let pki = Pki::new();
    let der = Canned::ok(pki.crl(&[0x3002]));
    let pem_text = pem_rfc7468_encode(&der.body);
    let pem = Canned::ok(pem_text.into_bytes());
    let der_addr = http_server(der.clone(), false).await;
    let pem_addr = http_server(pem.clone(), false).await;
    let down = format!("http://127.0.0.1:{}/", closed_port());
    let checker = RevocationChecker::new(provider());
    let p = policy(RevocationMode::Strict, 5 * SECOND);

    let good = pki.leaf(
        0x3001,
        "good",
        Some(&down),
        Some(&format!("http://{der_addr}/ca.crl")),
    );
    let revoked = pki.leaf(
        0x3002,
        "revoked",
        Some(&down),
        Some(&format!("http://{der_addr}/ca.crl")),
    );
    let outcome = check(&checker, &pki.verify(&good), &p).await;
    assert_eq!(
        (outcome.verdict, outcome.source),
        (Verdict::Good, Source::Crl),
        "{outcome}"
    );
    let outcome = check(&checker, &pki.verify(&revoked), &p).await;
    assert_eq!(
        (outcome.verdict, outcome.source),
        (Verdict::Revoked, Source::Crl),
        "{outcome}"
    );
    assert_eq!(
        der.hits(),
        1,
        "the CRL is fetched once and shared by both certificates"
    );
    assert_eq!(checker.cached_crls(), 1);

    let from_pem = pki.leaf(
        0x3003,
        "pem",
        None,
        Some(&format!("http://{pem_addr}/ca.pem")),
    );
    let outcome = check(&checker, &pki.verify(&from_pem), &p).await;
    assert_eq!(
        (outcome.verdict, outcome.source),
        (Verdict::Good, Source::Crl),
        "{outcome}"
    );
}

fn pem_rfc7468_encode(der: &[u8]) -> String {
    pem_rfc7468::encode_string("X509 CRL", pem_rfc7468::LineEnding::LF, der).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_answers_ignore_allows_strict_refuses() {
    let pki = Pki::new();
    let down = format!("http://127.0.0.1:{}/", closed_port());
    let crl_down = format!("http://127.0.0.1:{}/ca.crl", closed_port());
    let leaf = pki.leaf(0x4001, "client", Some(&down), Some(&crl_down));
    let checker = Arc::new(RevocationChecker::new(provider()));
    let outcome = check(
        &checker,
        &pki.verify(&leaf),
        &policy(RevocationMode::Strict, 5 * SECOND),
    )
    .await;
    assert_eq!(
        (outcome.verdict, outcome.source),
        (Verdict::NoAnswer, Source::None)
    );
    assert!(outcome.detail.contains("cannot connect"), "{outcome}");
    assert_eq!(checker.cached_answers(), 0, "failures are not cached");

    let ignore = policy(RevocationMode::IgnoreCaError, 5 * SECOND);
    assert_allowed(
        &decide(&checker, &pki, &leaf, ignore).await,
        Verdict::NoAnswer,
    );
    let strict = policy(RevocationMode::Strict, 5 * SECOND);
    assert_refused(
        &decide(&checker, &pki, &leaf, strict).await,
        "revocation no answer (none)",
    );

    // A leaf naming neither an OCSP responder nor a CRL.
    let bare = pki.leaf(0x4002, "bare", None, None);
    let outcome = check(
        &checker,
        &pki.verify(&bare),
        &policy(RevocationMode::Strict, SECOND),
    )
    .await;
    assert_eq!(outcome.verdict, Verdict::NoAnswer);
    assert!(outcome.detail.contains("no OCSP responder"), "{outcome}");
    // Nothing would change that answer: it is kept (and logged once), unlike a failed fetch.
    let again = check(
        &checker,
        &pki.verify(&bare),
        &policy(RevocationMode::Strict, SECOND),
    )
    .await;
    assert_eq!((again.verdict, again.cached), (Verdict::NoAnswer, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_responder_times_out_without_blocking_other_requests() {
    let pki = Pki::new();
    let slow = silent_server().await;
    let leaf = pki.leaf(0x5001, "client", Some(&format!("http://{slow}/")), None);
    let checker = Arc::new(RevocationChecker::new(provider()));

    // A request whose check hangs for up to 3 s ...
    let hanging = {
        let checker = Arc::clone(&checker);
        let chain = pki.verify(&leaf);
        tokio::spawn(async move {
            let started = Instant::now();
            let outcome = checker
                .check(
                    &chain,
                    &policy(RevocationMode::Strict, 3 * SECOND),
                    &CrlSet::default(),
                    UnixTime::now(),
                )
                .await;
            (outcome, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ... does not hold back one that needs no fetch (a certificate a CRL file covers).
    let other = pki.leaf(0x5002, "other", Some(&format!("http://{slow}/")), None);
    let crl_file = CrlSet::load(&[&pki.crl(&[])[..]], &pki.set).unwrap();
    let started = Instant::now();
    let quick = checker
        .check(
            &pki.verify(&other),
            &policy(RevocationMode::Strict, 3 * SECOND),
            &crl_file,
            UnixTime::now(),
        )
        .await;
    assert!(started.elapsed() < SECOND, "{:?}", started.elapsed());
    assert_eq!(
        (quick.verdict, quick.source),
        (Verdict::Good, Source::StaticCrl)
    );
    assert!(!hanging.is_finished());

    let (outcome, took) = hanging.await.unwrap();
    assert_eq!(outcome.verdict, Verdict::NoAnswer, "{outcome}");
    assert!(
        outcome.detail.contains("no answer within 3000 ms"),
        "{outcome}"
    );
    assert!(took >= 3 * SECOND && took < 10 * SECOND, "{took:?}");

    // Past http_timeout, each mode decides as for a responder that is down.
    let short = |mode| policy(mode, Duration::from_millis(200));
    assert_allowed(
        &decide(&checker, &pki, &leaf, short(RevocationMode::IgnoreCaError)).await,
        Verdict::NoAnswer,
    );
    assert_refused(
        &decide(&checker, &pki, &leaf, short(RevocationMode::Strict)).await,
        "no answer within 200 ms",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_refused_and_not_cached_an_error_status_is_no_answer() {
    let pki = Pki::new();
    let garbage = Canned::ok(b"this is not an OCSP response".to_vec());
    let garbage_addr = http_server(garbage.clone(), false).await;
    let leaf = pki.leaf(
        0x6001,
        "client",
        Some(&format!("http://{garbage_addr}/")),
        None,
    );
    let checker = Arc::new(RevocationChecker::new(provider()));
    for mode in [RevocationMode::IgnoreCaError, RevocationMode::Strict] {
        assert_refused(
            &decide(&checker, &pki, &leaf, policy(mode, 5 * SECOND)).await,
            "failed verification",
        );
    }
    assert_eq!(garbage.hits(), 2, "a refused response is not cached");

    let failing = Canned {
        status: 503,
        ..Canned::ok(b"try later".to_vec())
    };
    let failing_addr = http_server(failing, false).await;
    let leaf = pki.leaf(
        0x6002,
        "client",
        Some(&format!("http://{failing_addr}/")),
        None,
    );
    let outcome = check(
        &checker,
        &pki.verify(&leaf),
        &policy(RevocationMode::Strict, 5 * SECOND),
    )
    .await;
    assert_eq!(outcome.verdict, Verdict::NoAnswer, "{outcome}");
    assert!(outcome.detail.contains("HTTP status 503"), "{outcome}");
    assert_allowed(
        &decide(
            &checker,
            &pki,
            &leaf,
            policy(RevocationMode::IgnoreCaError, 5 * SECOND),
        )
        .await,
        Verdict::NoAnswer,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_certificate_share_one_fetch() {
    let pki = Pki::new();
    let crl = Canned {
        delay: Duration::from_millis(300),
        ..Canned::ok(pki.crl(&[]))
    };
    let addr = http_server(crl.clone(), false).await;
    let leaf = pki.leaf(
        0x7001,
        "client",
        None,
        Some(&format!("http://{addr}/ca.crl")),
    );
    let checker = Arc::new(RevocationChecker::new(provider()));
    let chain = pki.verify(&leaf);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (checker, chain) = (Arc::clone(&checker), chain.clone());
        tasks.push(tokio::spawn(async move {
            check(
                &checker,
                &chain,
                &policy(RevocationMode::Strict, 5 * SECOND),
            )
            .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().verdict, Verdict::Good);
    }
    assert_eq!(crl.hits(), 1);
    assert_eq!(checker.cached_answers(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_and_https_connect_proxy_and_ssl_verify() {
    let pki = Pki::new();
    let checker = RevocationChecker::new(provider());

    // http through a forward proxy: the CRL host does not resolve; only the proxy can answer.
    let proxy = Canned {
        proxy_only: true,
        ..Canned::ok(pki.crl(&[]))
    };
    let proxy_addr = http_server(proxy.clone(), false).await;
    let leaf = pki.leaf(0x8001, "client", None, Some("http://crl.invalid/ca.crl"));
    let mut p = policy(RevocationMode::Strict, 5 * SECOND);
    p.fetch.http_proxy = Some(Proxy {
        host: "127.0.0.1".to_owned(),
        port: proxy_addr.port(),
    });
    let outcome = check(&checker, &pki.verify(&leaf), &p).await;
    assert_eq!(
        (outcome.verdict, outcome.source),
        (Verdict::Good, Source::Crl),
        "{outcome}"
    );
    assert_eq!(proxy.hits(), 1);

    // https with a self-signed server certificate: refused with ssl_verify, read without.
    let https = Canned::ok(pki.crl(&[0x8002]));
    let https_addr = http_server(https.clone(), true).await;
    let uri = format!("https://localhost:{}/ca.crl", https_addr.port());
    let leaf = pki.leaf(0x8002, "client", None, Some(&uri));
    let (connect_addr, tunnels) = connect_proxy().await;
    let mut p = policy(RevocationMode::Strict, 5 * SECOND);
    p.fetch.https_proxy = Some(Proxy {
        host: "127.0.0.1".to_owned(),
        port: connect_addr.port(),
    });
    let verified = check(&checker, &pki.verify(&leaf), &p).await;
    assert_eq!(verified.verdict, Verdict::NoAnswer, "{verified}");
    assert!(verified.detail.contains("TLS with localhost"), "{verified}");
    assert_eq!(https.hits(), 0);

    p.fetch.ssl_verify = false;
    let unverified = check(&checker, &pki.verify(&leaf), &p).await;
    assert_eq!(
        (unverified.verdict, unverified.source),
        (Verdict::Revoked, Source::Crl),
        "{unverified}"
    );
    assert_eq!(https.hits(), 1);
    assert_eq!(
        tunnels.load(Ordering::SeqCst),
        2,
        "both attempts went through the tunnel"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let pki = Pki::new();
    let big = Canned::ok(vec![0x30; mtls_gateway::MAX_OCSP_RESPONSE_SIZE + 1]);
    let addr = http_server(big, false).await;
    let leaf = pki.leaf(0x9001, "client", Some(&format!("http://{addr}/")), None);
    let checker = RevocationChecker::new(provider());
    let outcome = check(
        &checker,
        &pki.verify(&leaf),
        &policy(RevocationMode::Strict, 5 * SECOND),
    )
    .await;
    assert_eq!(outcome.verdict, Verdict::NoAnswer, "{outcome}");
    assert!(outcome.detail.contains("over the limit"), "{outcome}");
}

#[tokio::test]
async fn answer_cache_is_bounded() {
    let pki = Pki::new();
    let crl = Canned::ok(pki.crl(&[]));
    let addr = http_server(crl, false).await;
    let uri = format!("http://{addr}/ca.crl");
    let checker = RevocationChecker::with_capacity(provider(), None, 4, 1);
    let p = policy(RevocationMode::Strict, 5 * SECOND);
    for serial in 0..20u64 {
        let leaf = pki.leaf(0xA000 + serial, "client", None, Some(&uri));
        assert_eq!(
            check(&checker, &pki.verify(&leaf), &p).await.verdict,
            Verdict::Good
        );
    }
    assert!(
        checker.cached_answers() <= 4,
        "{}",
        checker.cached_answers()
    );
    assert!(checker.cached_crls() <= 1);
}
