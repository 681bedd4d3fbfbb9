//! `mtls-load idle`: opens N mTLS connections (full handshake and one keep-alive request each),
//! prints `ready` with a JSON line, holds them idle, then reports how many the server closed
//! meanwhile. Meant for reading the server's memory per idle connection.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::client::{Client, Failure, Target};

/// Arguments of `mtls-load idle`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    target: Target,
    /// Connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Seconds to hold them idle once all are open.
    #[arg(long, default_value_t = 30.0)]
    hold: f64,
    /// Handshakes in flight at once while opening.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds a connection (connect, handshake, request) may take.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// A file created (with the JSON line) once every connection is open, for scripts.
    #[arg(long)]
    ready_file: Option<std::path::PathBuf>,
}

/// `mtls-load idle`.
pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    if !(args.hold >= 0.0 && args.hold.is_finite()) {
        return Err("--hold must be a number of seconds".to_owned());
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err("--timeout must be a positive number of seconds".to_owned());
    }
    let runtime = crate::runtime(args.target.threads)?;
    runtime.block_on(idle(args))
}

async fn idle(args: &Args) -> Result<ExitCode, String> {
    let client = Arc::new(Client::new(&args.target).await?);
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let timeout = Duration::from_secs_f64(args.timeout);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.connections {
        let client = Arc::clone(&client);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|_| Failure::Connect)?;
            let open = async {
                let mut sender = client.connect(None).await?;
                let status = client.request(&mut sender, false, timeout).await?;
                Ok::<_, Failure>((sender, status))
            };
            tokio::time::timeout(timeout, open)
                .await
                .unwrap_or(Err(Failure::Timeout))
        });
    }
    let mut senders = Vec::with_capacity(args.connections);
    let mut failures = [0u64; 4];
    let mut non2xx = 0u64;
    while let Some(joined) = tasks.join_next().await {
        match joined.map_err(|e| format!("a client task failed: {e}"))? {
            Ok((sender, status)) => {
                if !status.is_success() {
                    non2xx += 1;
                }
                senders.push(sender);
            }
            Err(f) => {
                failures[f as usize] += 1;
            }
        }
    }
    let open_s = started.elapsed().as_secs_f64();
    let failed: u64 = failures.iter().sum();
    let ready = serde_json::json!({
        "tool": "mtls-load idle",
        "state": "ready",
        "target": args.target.target,
        "opened": senders.len(),
        "failed": failed,
        "connect_errors": failures[Failure::Connect as usize],
        "tls_errors": failures[Failure::Tls as usize],
        "http_errors": failures[Failure::Http as usize],
        "timeouts": failures[Failure::Timeout as usize],
        "non2xx": non2xx,
        "open_s": (open_s * 1000.0).round() / 1000.0,
    });
    println!(
        "mtls-load idle: {} connections open ({failed} failed, {non2xx} non-2xx) in {open_s:.1} s; holding {} s",
        senders.len(),
        args.hold
    );
    println!("{ready}");
    if let Some(path) = &args.ready_file {
        std::fs::write(path, format!("{ready}\n"))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    tokio::time::sleep(Duration::from_secs_f64(args.hold)).await;
    let closed = senders.iter().filter(|s| s.is_closed()).count();
    let done = serde_json::json!({
        "tool": "mtls-load idle",
        "state": "done",
        "target": args.target.target,
        "opened": senders.len(),
        "closed_by_server_during_hold": closed,
        "hold_s": args.hold,
    });
    println!(
        "mtls-load idle: after {} s, {closed} of {} connections were closed by the server",
        args.hold,
        senders.len()
    );
    println!("{done}");
    Ok(ExitCode::SUCCESS)
}
