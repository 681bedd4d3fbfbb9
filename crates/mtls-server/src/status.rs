//! The status listener (Kong's `status_listen`): `GET /status` (Kong's shape) and `GET
//! /metrics` (Prometheus text).

use std::convert::Infallible;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mtls_gateway::SnapshotHandle;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::metrics::Metrics;
use crate::respond::{Body, full};

/// Serves `/status` and `/metrics` on `listener` until `shutdown` turns true.
pub async fn serve_status(
    listener: TcpListener,
    handle: Arc<SnapshotHandle>,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let (handle, metrics) = (Arc::clone(&handle), Arc::clone(&metrics));
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let answer = answer(&req, &handle, &metrics);
                        async move { Ok::<_, Infallible>(answer) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        }
    }
}

fn answer(req: &Request<Incoming>, handle: &SnapshotHandle, metrics: &Metrics) -> Response<Body> {
    let json = |status: StatusCode, body: serde_json::Value| {
        let mut r = Response::new(full(body.to_string()));
        *r.status_mut() = status;
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json; charset=utf-8"),
        );
        r
    };
    if req.method() != Method::GET {
        return json(
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({"message": "Method not allowed"}),
        );
    }
    match req.uri().path() {
        "/status" => json(StatusCode::OK, status_body(handle, metrics)),
        "/metrics" => {
            let mut r = Response::new(full(metrics.render(&handle.load())));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    }
}

/// Kong's `/status` body: `server` counters, then `database.reachable` (DB mode) or
/// `configuration_hash` (DB-less: here the configuration's version).
pub fn status_body(handle: &SnapshotHandle, metrics: &Metrics) -> serde_json::Value {
    let mut body = serde_json::json!({
        "memory": {},
        "server": metrics.status_json(),
    });
    match metrics.database() {
        Some(reachable) => body["database"] = serde_json::json!({ "reachable": reachable }),
        None => {
            body["configuration_hash"] = serde_json::json!(format!("{:032x}", handle.version()))
        }
    }
    body
}
