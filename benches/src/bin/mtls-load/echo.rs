//! `mtls-load echo`: the benchmark's upstream. HTTP/1.1 with keep-alive; every request, whatever
//! its method or path, gets 200 and the same small body.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// The body of every answer.
pub(crate) const BODY: &[u8] = b"{\"ok\":true,\"from\":\"mtls-load echo\"}\n";

/// Arguments of `mtls-load echo`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:18080")]
    listen: SocketAddr,
    /// Tokio worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

async fn answer(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// Serves the echo upstream on `listener` forever.
pub(crate) async fn serve(listener: TcpListener) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                eprintln!("mtls-load echo: accept: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(tcp), service_fn(answer))
                .await;
        });
    }
}

/// `mtls-load echo`.
pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    let runtime = crate::runtime(args.threads)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("local address: {e}"))?;
        println!("mtls-load echo: listening on http://{addr}");
        serve(listener).await;
        Ok(ExitCode::SUCCESS)
    })
}
