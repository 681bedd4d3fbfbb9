//! `mtls-load run`: N concurrent client tasks, each on its own connection (keep-alive) or with a
//! new connection per request, until a deadline or a request count; then requests/s, latency
//! percentiles, errors, and one JSON line.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hyper::StatusCode;

use crate::client::{Client, Failure, Negotiated, Target};
use crate::hist::Histogram;

/// How the client tasks use connections.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Many requests per TLS connection (see --requests-per-conn).
    Keepalive,
    /// A full TLS handshake per request (`Connection: close`, no session resumption), the
    /// latency counting from the TCP connect.
    Newconn,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Keepalive => "keepalive",
            Self::Newconn => "newconn",
        }
    }
}

/// Arguments of `mtls-load run`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    target: Target,
    /// Concurrent client tasks (each with at most one connection open).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// How long to send requests, in seconds, warm-up excluded (default 10 unless --requests
    /// is given).
    #[arg(long)]
    duration: Option<f64>,
    /// Stop after this many requests in all (warm-up included); with --duration, whichever
    /// comes first.
    #[arg(long)]
    requests: Option<u64>,
    /// Connection use.
    #[arg(long, value_enum, default_value_t = Mode::Keepalive)]
    mode: Mode,
    /// In keepalive mode, open a new connection after this many requests (0: never).
    #[arg(long, default_value_t = 0)]
    requests_per_conn: u64,
    /// Seconds at the start whose requests are not counted in requests/s and latency (errors
    /// are counted throughout).
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Seconds a request (including connect and handshake in newconn mode) may take before
    /// it counts as a timeout.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Print a progress line to stderr every this many seconds (0: never).
    #[arg(long, default_value_t = 0.0)]
    progress: f64,
    /// A free-form label copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
}

/// What every task shares.
struct Shared {
    start: Instant,
    warm_end: Instant,
    deadline: Option<Instant>,
    total: Option<u64>,
    issued: AtomicU64,
    stop: AtomicBool,
    timeout: Duration,
    completed: AtomicU64,
    failed: AtomicU64,
}

impl Shared {
    /// Whether another request may start (and counts it).
    fn take(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        if let Some(total) = self.total
            && self.issued.fetch_add(1, Ordering::Relaxed) >= total
        {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn in_window(&self, at: Instant) -> bool {
        at >= self.warm_end && self.deadline.is_none_or(|d| at <= d)
    }
}

/// One task's counts.
struct Stats {
    latency: Histogram,
    /// 2xx responses completed in the measurement window.
    ok_window: u64,
    /// Every response, warm-up included.
    responses: u64,
    /// Non-2xx responses by status, warm-up included.
    statuses: BTreeMap<u16, u64>,
    connect: u64,
    tls: u64,
    http: u64,
    timeout: u64,
    handshakes: u64,
    last_completion: Option<Instant>,
}

impl Stats {
    fn new() -> Self {
        Self {
            latency: Histogram::new(),
            ok_window: 0,
            responses: 0,
            statuses: BTreeMap::new(),
            connect: 0,
            tls: 0,
            http: 0,
            timeout: 0,
            handshakes: 0,
            last_completion: None,
        }
    }

    fn fail(&mut self, shared: &Shared, failure: Failure) {
        match failure {
            Failure::Connect => self.connect += 1,
            Failure::Tls => self.tls += 1,
            Failure::Http => self.http += 1,
            Failure::Timeout => self.timeout += 1,
        }
        shared.failed.fetch_add(1, Ordering::Relaxed);
    }

    fn finish(&mut self, shared: &Shared, started: Instant, result: Result<StatusCode, Failure>) {
        let now = Instant::now();
        self.last_completion = Some(now);
        match result {
            Ok(status) => {
                self.responses += 1;
                shared.completed.fetch_add(1, Ordering::Relaxed);
                if !status.is_success() {
                    *self.statuses.entry(status.as_u16()).or_default() += 1;
                }
                if shared.in_window(now) {
                    let nanos = u64::try_from((now - started).as_nanos()).unwrap_or(u64::MAX);
                    self.latency.record(nanos);
                    if status.is_success() {
                        self.ok_window += 1;
                    }
                }
            }
            Err(failure) => self.fail(shared, failure),
        }
    }

    fn merge(&mut self, other: Self) {
        self.latency.merge(&other.latency);
        self.ok_window += other.ok_window;
        self.responses += other.responses;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.connect += other.connect;
        self.tls += other.tls;
        self.http += other.http;
        self.timeout += other.timeout;
        self.handshakes += other.handshakes;
        self.last_completion = match (self.last_completion, other.last_completion) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    fn errors(&self) -> u64 {
        self.connect + self.tls + self.http + self.timeout
    }
}

async fn worker(
    client: Arc<Client>,
    shared: Arc<Shared>,
    mode: Mode,
    per_conn: u64,
    mut negotiated: Option<Negotiated>,
) -> (Stats, Option<Negotiated>) {
    let mut stats = Stats::new();
    let timeout = shared.timeout;
    'connections: loop {
        if mode == Mode::Newconn {
            if !shared.take() {
                break;
            }
            let started = Instant::now();
            let exchange = async {
                let mut sender = client.connect(negotiated.as_mut()).await?;
                client.request(&mut sender, true, timeout).await
            };
            let result = tokio::time::timeout(timeout, exchange)
                .await
                .unwrap_or(Err(Failure::Timeout));
            if !matches!(result, Err(Failure::Connect | Failure::Tls)) {
                stats.handshakes += 1;
            }
            stats.finish(&shared, started, result);
            continue;
        }

        if shared.stopped() {
            break;
        }
        let connected = tokio::time::timeout(timeout, client.connect(negotiated.as_mut()))
            .await
            .unwrap_or(Err(Failure::Timeout));
        let mut sender = match connected {
            Ok(s) => s,
            Err(failure) => {
                // A connection that cannot be opened fails the request it was for.
                if !shared.take() {
                    break;
                }
                stats.fail(&shared, failure);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        stats.handshakes += 1;
        let mut sent = 0u64;
        loop {
            if per_conn > 0 && sent >= per_conn {
                continue 'connections;
            }
            // Closed by the server between requests (after a `Connection: close` answer,
            // or idle): open a new one, no request was lost.
            match tokio::time::timeout(timeout, sender.ready()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => continue 'connections,
                Err(_) => {
                    if !shared.take() {
                        break 'connections;
                    }
                    stats.fail(&shared, Failure::Timeout);
                    continue 'connections;
                }
            }
            if !shared.take() {
                break 'connections;
            }
            let started = Instant::now();
            let result = client.request(&mut sender, false, timeout).await;
            let failed = result.is_err();
            stats.finish(&shared, started, result);
            sent += 1;
            if failed {
                continue 'connections;
            }
        }
    }
    (stats, negotiated)
}

/// CPU seconds (user + system, every thread) this process has used so far, from
/// `/proc/self/stat` (assuming the usual 100 clock ticks per second); `None` off Linux.
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14,
    // stime 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

fn us(nanos: u64) -> f64 {
    (nanos as f64 / 100.0).round() / 10.0
}

async fn progress(shared: Arc<Shared>, every: Duration) {
    let mut last_done = 0u64;
    let mut last = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        let done = shared.completed.load(Ordering::Relaxed);
        let failed = shared.failed.load(Ordering::Relaxed);
        let now = Instant::now();
        let rate = (done - last_done) as f64 / (now - last).as_secs_f64();
        eprintln!(
            "mtls-load run: {:.0} s: {done} responses, {failed} errors, {rate:.0} req/s",
            (now - shared.start).as_secs_f64()
        );
        last_done = done;
        last = now;
    }
}

/// `mtls-load run`.
pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    if args.connections == 0 {
        return Err("--connections must be at least 1".to_owned());
    }
    let duration = match (args.duration, args.requests) {
        (None, None) => Some(10.0),
        (d, _) => d,
    };
    if duration.is_some_and(|d| !(d > 0.0 && d.is_finite())) {
        return Err("--duration must be a positive number of seconds".to_owned());
    }
    if !(args.warmup >= 0.0 && args.warmup.is_finite()) {
        return Err("--warmup must be a number of seconds".to_owned());
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err("--timeout must be a positive number of seconds".to_owned());
    }
    let runtime = crate::runtime(args.target.threads)?;
    runtime.block_on(run_async(args, duration))
}

async fn run_async(args: &Args, duration: Option<f64>) -> Result<ExitCode, String> {
    let client = Arc::new(Client::new(&args.target).await?);
    let start = Instant::now();
    let warm_end = start + Duration::from_secs_f64(args.warmup);
    let shared = Arc::new(Shared {
        start,
        warm_end,
        deadline: duration.map(|d| warm_end + Duration::from_secs_f64(d)),
        total: args.requests,
        issued: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        timeout: Duration::from_secs_f64(args.timeout),
        completed: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    let progress = (args.progress > 0.0).then(|| {
        tokio::spawn(progress(
            Arc::clone(&shared),
            Duration::from_secs_f64(args.progress),
        ))
    });
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..args.connections {
        tasks.spawn(worker(
            Arc::clone(&client),
            Arc::clone(&shared),
            args.mode,
            args.requests_per_conn,
            (i == 0).then(Negotiated::default),
        ));
    }
    let mut stats = Stats::new();
    let mut negotiated = Negotiated::default();
    while let Some(joined) = tasks.join_next().await {
        let (s, n) = joined.map_err(|e| format!("a client task failed: {e}"))?;
        stats.merge(s);
        if let Some(n) = n {
            negotiated = n;
        }
    }
    if let Some(p) = progress {
        p.abort();
    }
    let end = Instant::now();
    let window_end = match shared.deadline {
        Some(d) => d.min(stats.last_completion.unwrap_or(end)),
        None => stats.last_completion.unwrap_or(end),
    };
    let window = window_end.saturating_duration_since(warm_end).as_secs_f64();
    let rps = if window > 0.0 {
        stats.ok_window as f64 / window
    } else {
        0.0
    };
    let h = &stats.latency;
    let non2xx: u64 = stats.statuses.values().sum();
    let errors = stats.errors();

    println!(
        "mtls-load run: {} {} (sni {}), {} connections, {:.1} s measured after {:.1} s warm-up{}",
        args.mode.name(),
        args.target.target,
        args.target.sni,
        args.connections,
        window,
        args.warmup,
        args.requests
            .map(|r| format!(", stop after {r} requests"))
            .unwrap_or_default()
    );
    println!(
        "  TLS         {} {} {}",
        negotiated.version, negotiated.suite, negotiated.group
    );
    println!(
        "  requests/s  {rps:.1}  ({} 2xx measured; {} responses in all, {} handshakes)",
        stats.ok_window, stats.responses, stats.handshakes
    );
    println!(
        "  latency     p50 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms  mean {:.3} ms  ({} samples)",
        ms(h.quantile(0.5)),
        ms(h.quantile(0.99)),
        ms(h.quantile(0.999)),
        ms(h.max()),
        ms(h.mean()),
        h.count()
    );
    println!(
        "  errors      {errors} (connect {}, tls {}, http {}, timeout {});  non-2xx {non2xx} {:?}",
        stats.connect, stats.tls, stats.http, stats.timeout, stats.statuses
    );
    let cpu = own_cpu_seconds().unwrap_or(0.0);
    println!(
        "  load tool   {cpu:.2} CPU s ({:.1} us per response)",
        if stats.responses > 0 {
            cpu * 1e6 / stats.responses as f64
        } else {
            0.0
        }
    );
    let statuses: serde_json::Map<String, serde_json::Value> = stats
        .statuses
        .iter()
        .map(|(s, n)| (s.to_string(), serde_json::Value::from(*n)))
        .collect();
    let line = serde_json::json!({
        "tool": "mtls-load run",
        "label": args.label,
        "target": args.target.target,
        "mode": args.mode.name(),
        "connections": args.connections,
        "window_s": (window * 1000.0).round() / 1000.0,
        "warmup_s": args.warmup,
        "rps": (rps * 10.0).round() / 10.0,
        "ok": stats.ok_window,
        "responses": stats.responses,
        "handshakes": stats.handshakes,
        "p50_us": us(h.quantile(0.5)),
        "p99_us": us(h.quantile(0.99)),
        "p999_us": us(h.quantile(0.999)),
        "max_us": us(h.max()),
        "mean_us": us(h.mean()),
        "non2xx": non2xx,
        "statuses": statuses,
        "errors": errors,
        "connect_errors": stats.connect,
        "tls_errors": stats.tls,
        "http_errors": stats.http,
        "timeouts": stats.timeout,
        "tls_version": negotiated.version,
        "cipher_suite": negotiated.suite,
        "kx_group": negotiated.group,
        "client_cpu_s": (cpu * 100.0).round() / 100.0,
        "elapsed_s": ((end - start).as_secs_f64() * 1000.0).round() / 1000.0,
    });
    println!("{line}");
    Ok(ExitCode::SUCCESS)
}
