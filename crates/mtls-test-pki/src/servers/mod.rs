//! Loopback servers and clients for the end-to-end tests, the demo and the load tool
//! (feature `servers`: tokio, hyper, rustls).
//!
//! - [`echo`]: the httpbin-like echo upstream the demo serves (`/anything`);
//! - [`Upstream`]: an upstream in a thread of its own that answers every request with what
//!   it received (method, path, headers, body) as JSON, over plain TCP or TLS;
//! - [`Gateway`]: the `mtls serve` process (its binary's path given by the test, e.g.
//!   `env!("CARGO_BIN_EXE_mtls")`), started on ephemeral ports, killed on drop;
//! - [`https`], [`https_with`], [`http`]: one request over rustls + hyper, read as a [`Resp`].
//!
//! Everything but [`echo`] panics on failure: it is test harness.

mod client;
pub mod echo;
mod gateway;
mod upstream;

pub use client::{Resp, client_config, http, https, https_with};
pub use gateway::Gateway;
pub use upstream::Upstream;

/// A current-thread tokio runtime with IO and time.
///
/// # Panics
/// If tokio cannot build it.
#[allow(clippy::expect_used)]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// The crypto provider of every side: aws-lc-rs with its defaults.
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}
