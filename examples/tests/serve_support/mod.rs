//! The `mtls serve` tests' PKI and harness are mtls-test-pki's (feature `servers`); this
//! names the binary under test.
#![allow(dead_code, unreachable_pub)]

pub mod raw;

pub use mtls_test_pki::servers::*;
pub use mtls_test_pki::*;

/// The `mtls` binary under test.
pub const MTLS: &str = env!("CARGO_BIN_EXE_mtls");

/// `curl -sk ARGS URL` (15 s at most): the status (0 when there was none) and the body, as
/// JSON when it parses, else as a string.
pub fn curl(url: &str, args: &[&str]) -> (u16, serde_json::Value) {
    let out = std::process::Command::new("curl")
        .args(["-sk", "--max-time", "15", "-w", "\n%{http_code}"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    let body =
        serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.to_owned()));
    (code.trim().parse().unwrap_or(0), body)
}

/// Polls until `check` holds (every 20 ms, at most `limit`); how long it took.
pub fn until(
    limit: std::time::Duration,
    mut check: impl FnMut() -> bool,
) -> Option<std::time::Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}
