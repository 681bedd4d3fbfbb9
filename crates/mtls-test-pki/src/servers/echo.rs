//! An httpbin-like echo upstream (the demo's): `/anything` (and below) answers the request's
//! method, path, query, headers and body as JSON; anything else is 404.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The largest body echoed back.
const MAX_BODY: usize = 1024 * 1024;

/// `x-consumer-username` as httpbin shows it: `X-Consumer-Username`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

async fn answer(
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let respond = |status: StatusCode, body: Value| {
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(response)
    };
    if path != "/anything" && !path.starts_with("/anything/") {
        return respond(
            StatusCode::NOT_FOUND,
            json!({"message": "not found: try /anything"}),
        );
    }
    let mut headers = Map::new();
    for (name, value) in req.headers() {
        let key = title_case(name.as_str());
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(&key) {
            Some(Value::String(prior)) => {
                prior.push_str(", ");
                prior.push_str(&value);
            }
            _ => {
                headers.insert(key, Value::String(value));
            }
        }
    }
    let method = req.method().to_string();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let url = req.uri().to_string();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return respond(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"message": e.to_string()}),
            );
        }
    };
    respond(
        StatusCode::OK,
        json!({
            "method": method,
            "path": path,
            "url": url,
            "args": query,
            "headers": headers,
            "data": String::from_utf8_lossy(&body),
            "origin": peer.ip().to_string(),
        }),
    )
}

/// Serves the echo upstream on `listener` until `shutdown` turns true.
pub async fn serve(listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((tcp, peer)) = accepted else { continue };
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(peer, req));
                    let _ = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(std::time::Duration::from_secs(30))
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        }
    }
}
