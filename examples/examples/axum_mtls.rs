//! An existing axum app gets Kong-compatible mutual TLS: the lines marked `mTLS` are all it
//! takes. The routes, plugins, CAs and consumers come from a kong.yaml (its services' URLs
//! are not used: the app is the upstream); each allowed request carries the consumer in its
//! extensions, and refusals are Kong's (401, 403, ...).
//!
//! `cargo run -p mtls-examples --example axum_mtls -- kong.yaml 127.0.0.1:8443`

use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};
use mtls_gateway::{Authenticated, CompileOptions, MtlsLayer, Snapshot, SnapshotHandle};

/// The app's own handler: it reads who the certificate's consumer is.
async fn hello(Extension(auth): Extension<Authenticated>) -> String {
    let consumer = auth.0.consumer.as_ref().and_then(|c| c.username.clone());
    format!(
        "hello {}\n",
        consumer.unwrap_or_else(|| "anonymous".to_owned())
    )
}

/// Serves the app on `listener`, with the mutual-TLS plugins of `kong_yaml`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    kong_yaml: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let app = Router::new().route("/hello", get(hello));

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider()); // mTLS
    let (config, _) = mtls_kong_config::load_str(kong_yaml)?; // mTLS
    let mut options = CompileOptions::new(Arc::clone(&provider)); // mTLS
    options.default_server_certificate =
        Some(mtls_server::tls_files::self_signed_default(&provider)?); // mTLS
    let handle = Arc::new(SnapshotHandle::try_new(|v| {
        Snapshot::compile(&config, v, &options)
    })?); // mTLS
    let app = app.layer(MtlsLayer::new(Arc::clone(&handle))); // mTLS
    mtls_server::embed::serve(listener, handle, app).await?; // mTLS (instead of axum::serve)
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let config = args.next().ok_or("usage: axum_mtls KONG_YAML [ADDR]")?;
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8443".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening: https://{}", listener.local_addr()?);
    serve(listener, &std::fs::read_to_string(config)?).await
}
