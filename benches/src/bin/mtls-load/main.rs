//! `mtls-load`: a load generator for mutual-TLS HTTP/1.1 servers, and the pieces a loopback
//! benchmark needs around it (issue 9):
//!
//! - `pki`: a P-256 test PKI (root, intermediate, server and client certificates) as PEM files;
//! - `echo`: a minimal keep-alive HTTP/1.1 upstream answering 200 to anything;
//! - `run`: N concurrent TLS clients with a client certificate, keep-alive or one new
//!   connection per request, for a fixed time or a fixed number of requests; prints requests/s,
//!   latency percentiles and errors, then one JSON line;
//! - `idle`: N mTLS connections, one request each, then held idle (to read a server's RSS);
//! - `bare`: a bare tokio-rustls + hyper server requiring a client certificate, answering
//!   directly or proxying (new upstream connection per request, or pooled): the baseline that
//!   tells where a gateway's time goes.
//!
//! `benches/nginx-compare.sh` and `benches/soak.sh` drive it.
#![forbid(unsafe_code)]

mod bare;
mod client;
mod echo;
mod hist;
mod idle;
mod pki;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A load tool for mutual-TLS HTTP/1.1 servers.
#[derive(Parser, Debug)]
#[command(name = "mtls-load", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a P-256 test PKI (root, intermediate, server for localhost/127.0.0.1, client with
    /// an email SAN, and an untrusted client) as PEM files.
    Pki(pki::Args),
    /// Serve a minimal HTTP/1.1 keep-alive upstream: 200 with a small fixed body to anything.
    Echo(echo::Args),
    /// Send requests over mTLS connections for a fixed time (or count) and report
    /// requests/s, latency percentiles and errors.
    Run(run::Args),
    /// Open N mTLS connections (handshake plus one request each) and hold them idle.
    Idle(idle::Args),
    /// Serve a bare tokio-rustls + hyper server that requires a client certificate (the
    /// baseline for a gateway): answer directly or proxy to an upstream.
    Bare(bare::Args),
}

/// A multi-threaded tokio runtime with `threads` workers (0: one per core).
pub(crate) fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, String> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    builder
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pki(args) => pki::run(&args),
        Command::Echo(args) => echo::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Idle(args) => idle::run(&args),
        Command::Bare(args) => bare::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mtls-load: {e}");
            ExitCode::from(2)
        }
    }
}
