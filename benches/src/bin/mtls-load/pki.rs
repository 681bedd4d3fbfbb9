//! `mtls-load pki`: the benchmark's PKI (`mtls_test_pki::load`: P-256, written as PEM).
//!
//! Files: `root-ca.crt`, `intermediate-ca.crt`, `server.crt` (leaf + intermediate) and
//! `server.key` for `localhost` / 127.0.0.1, `client.crt` (leaf + intermediate) and `client.key`
//! with the email SAN `client@example.test` (CN `bench-client`), and `untrusted.crt` /
//! `untrusted.key`, a client certificate from a CA nobody trusts (`untrusted-ca.crt`).

use std::path::PathBuf;
use std::process::ExitCode;

use mtls_test_pki::load::{CLIENT_EMAIL, generate};

/// Arguments of `mtls-load pki`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The directory the PEM files are written to (created if missing).
    #[arg(long)]
    out: PathBuf,
}

/// `mtls-load pki`.
pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    let dir = &args.out;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let files = generate(dir)?;
    println!(
        "mtls-load pki: wrote {files} files to {} (client email SAN {CLIENT_EMAIL})",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
