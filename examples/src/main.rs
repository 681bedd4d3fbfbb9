//! `mtls`: the workspace's command-line tool.
//!
//! - `mtls serve --config kong.yaml`: the gateway, a reverse proxy applying the configuration's
//!   mutual-TLS plugins.
//! - `mtls demo [--self-test]`: Kong's mTLS tutorial with no setup.
//! - `mtls inspect FILE`: what a certificate says, as JSON.
//! - `mtls verify --ca FILE --cert FILE ...`: validate a chain as the gateway would.
//! - `mtls check --config FILE ...`: what the gateway would decide for one request, as JSON.
//! - `mtls db migrate|import FILE|export [FILE] --database URL`: the database `serve` uses.
//! - `mtls convert FILE`: Kubernetes manifests (or a kong.yaml) as Kong's declarative format.
//! - `mtls limbo`: the x509-limbo harness (test cases on stdin, results on stdout).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: the proxy allocates and frees per request across
/// threads, where glibc's arenas were 9% of the keep-alive profile (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod check;
mod convert;
mod crl_files;
mod db;
mod demo;
mod inspect;
mod limbo;
mod serve;
mod verify;

/// Kong-compatible mutual TLS for Rust: diagnostics and conformance tools.
#[derive(Parser)]
#[command(name = "mtls", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what each certificate in FILE (PEM or DER) says, as JSON.
    Inspect(inspect::Args),
    /// Validate a certificate chain against CA certificates; print the verdict as JSON.
    /// Exit 0 valid, 1 invalid, 2 usage error or unreadable input.
    Verify(verify::Args),
    /// x509-limbo harness: read a limbo test file on stdin, write results on stdout.
    Limbo(limbo::Args),
    /// Run the gateway: a reverse proxy applying kong.yaml's mutual-TLS plugins.
    /// SIGHUP reloads the configuration, SIGINT / SIGTERM stop it.
    Serve(serve::Args),
    /// Kong's mTLS tutorial with no setup: a demo PKI, kong.yaml, an echo upstream and the
    /// gateway on loopback, with curl commands to try (--self-test runs them itself).
    Demo(demo::Args),
    /// What the gateway would decide for one request, as JSON, without starting anything.
    /// Exit 0 allowed, 1 refused, 2 usage or configuration error.
    Check(check::Args),
    /// What a configuration becomes: Kubernetes manifests translated (or a kong.yaml checked
    /// and flattened), printed as Kong's declarative format.
    Convert(convert::Args),
    /// The database `mtls serve --database` serves from: create or migrate it, import a
    /// kong.yaml into it (all or nothing), export it as a kong.yaml.
    Db(db::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Limbo(args) => limbo::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Db(args) => db::run(&args),
    }
}

/// Reads a file, or explains on stderr why it could not be read.
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
