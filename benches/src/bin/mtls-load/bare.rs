//! `mtls-load bare`: the baseline server. tokio-rustls with a required client certificate
//! (rustls' `WebPkiClientVerifier`), hyper HTTP/1.1 keep-alive, and one of three answers:
//! directly (no upstream), proxied over a new upstream connection per request (what
//! `mtls serve` does), or proxied over pooled keep-alive upstream connections (what nginx does
//! with `keepalive` in its upstream block). Comparing a gateway with these tells how much of its
//! time is TLS, HTTP, upstream connections, or its own work.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client as PoolClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::client::{load_pair, load_roots};

type Body = BoxBody<Bytes, hyper::Error>;

/// What the bare server does with a request.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 200 with the echo body, no upstream.
    Direct,
    /// Proxy to --upstream over a new TCP connection per request.
    ProxyNew,
    /// Proxy to --upstream over pooled keep-alive connections.
    ProxyPool,
}

/// Arguments of `mtls-load bare`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The TLS listener's address.
    #[arg(long, default_value = "127.0.0.1:18444")]
    listen: SocketAddr,
    /// PEM chain of the server certificate.
    #[arg(long)]
    cert: PathBuf,
    /// PEM private key of the server certificate.
    #[arg(long)]
    key: PathBuf,
    /// PEM file of the CA client certificates must chain to.
    #[arg(long)]
    ca: PathBuf,
    /// What to answer.
    #[arg(long, value_enum, default_value_t = Answer::Direct)]
    answer: Answer,
    /// The upstream, `HOST:PORT` (for the proxy answers).
    #[arg(long)]
    upstream: Option<String>,
    /// TLS 1.3 session tickets sent after each handshake (rustls' default is 2).
    #[arg(long, default_value_t = 2)]
    tickets: usize,
    /// Tokio worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

struct State {
    answer: Answer,
    upstream: String,
    upstream_host: HeaderValue,
    pool: PoolClient<HttpConnector, Empty<Bytes>>,
}

fn direct() -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(crate::echo::BODY))
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn bad_gateway() -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(b"bad gateway\n"))
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}

async fn proxy_new(state: &State, path: &str) -> Result<Response<Body>, String> {
    let tcp = TcpStream::connect(state.upstream.as_str())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut req = Request::new(Empty::<Bytes>::new());
    *req.uri_mut() = path.parse::<Uri>().map_err(|e| e.to_string())?;
    req.headers_mut().insert(HOST, state.upstream_host.clone());
    let response = sender
        .send_request(req)
        .await
        .map_err(|e| format!("request: {e}"))?;
    Ok(response.map(BodyExt::boxed))
}

async fn proxy_pool(state: &State, path: &str) -> Result<Response<Body>, String> {
    let uri = format!("http://{}{path}", state.upstream)
        .parse::<Uri>()
        .map_err(|e| e.to_string())?;
    let mut req = Request::new(Empty::<Bytes>::new());
    *req.uri_mut() = uri;
    let response = state
        .pool
        .request(req)
        .await
        .map_err(|e| format!("request: {e}"))?;
    Ok(response.map(BodyExt::boxed))
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let result = match state.answer {
        Answer::Direct => return Ok(direct()),
        Answer::ProxyNew => proxy_new(&state, &path).await,
        Answer::ProxyPool => proxy_pool(&state, &path).await,
    };
    Ok(result.unwrap_or_else(|e| {
        eprintln!("mtls-load bare: upstream: {e}");
        bad_gateway()
    }))
}

/// `mtls-load bare`.
pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    let upstream = match (args.answer, &args.upstream) {
        (Answer::Direct, _) => String::new(),
        (_, Some(u)) => u.clone(),
        (_, None) => return Err("--upstream is required to proxy".to_owned()),
    };
    let upstream_host =
        HeaderValue::from_str(&upstream).map_err(|e| format!("--upstream {upstream}: {e}"))?;
    let roots = Arc::new(load_roots(&args.ca)?);
    let (chain, key) = load_pair(&args.cert, &args.key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, Arc::clone(&provider))
        .build()
        .map_err(|e| format!("client verifier: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("server certificate {}: {e}", args.cert.display()))?;
    config.send_tls13_tickets = args.tickets;
    let acceptor = TlsAcceptor::from(Arc::new(config));

    let runtime = crate::runtime(args.threads)?;
    let served: Result<ExitCode, String> = runtime.block_on(async {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let pool = PoolClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        let state = Arc::new(State {
            answer: args.answer,
            upstream,
            upstream_host,
            pool,
        });
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("local address: {e}"))?;
        println!(
            "mtls-load bare: listening on https://{addr} ({:?})",
            args.answer
        );
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    eprintln!("mtls-load bare: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                else {
                    return;
                };
                let service = service_fn(move |req| handle(Arc::clone(&state), req));
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    served
}
