//! The `mtls serve` process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;

/// `mtls serve` as a child process, killed on drop.
#[derive(Debug)]
pub struct Gateway {
    /// The process.
    pub child: Child,
    /// Its TLS listener (from its `listening: https://` line).
    pub tls: SocketAddr,
    /// Its plain HTTP listener (from its `listening: http://` line).
    pub http: SocketAddr,
    /// Its first Admin API listener (from its `admin: http(s)://` line), when one runs.
    /// Without an `--admin-listen` or `KONG_ADMIN_LISTEN` of the caller's, the harness turns
    /// the Admin API off (its default ports would clash between tests).
    pub admin: Option<SocketAddr>,
    /// Its status listener (from its `status: http://` line), when one runs.
    pub status: Option<SocketAddr>,
    /// Where its stderr (the log) goes.
    pub stderr: PathBuf,
}

impl Gateway {
    /// Starts `BINARY serve --config CONFIG` on ephemeral loopback ports, with `extra` args,
    /// and waits (at most 20 s) until it prints both listening lines. `binary` is the `mtls`
    /// executable (`env!("CARGO_BIN_EXE_mtls")` in the binary's tests).
    pub fn start(binary: impl AsRef<Path>, dir: &TempDir, config: &Path, extra: &[&str]) -> Self {
        let config = config.display().to_string();
        let mut args = vec![
            "--config",
            config.as_str(),
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        Self::spawn(binary, dir, &args, &[])
    }

    /// Starts `BINARY serve ARGS` with `env` added to its environment (`KONG_*` settings),
    /// and waits (at most 20 s) until it prints a TLS and a plain listening line.
    pub fn spawn(
        binary: impl AsRef<Path>,
        dir: &TempDir,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let stderr = dir.path(&format!("serve-{nanos}.log"));
        let mut command = Command::new(binary.as_ref());
        // In the test's directory: what the node writes by default (`./mtls.db`,
        // `./mtls-snapshot.json`) stays out of the source tree.
        command
            .current_dir(dir.path(""))
            .arg("serve")
            .args(args)
            .env("RUST_LOG", "info")
            .env("KONG_ADMIN_LISTEN", "off");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gateway = Self {
            child,
            tls: SocketAddr::from(([127, 0, 0, 1], 0)),
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin: None,
            status: None,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while gateway.tls.port() == 0 || gateway.http.port() == 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                panic!("mtls serve did not start:\n{}", gateway.log());
            };
            if let Some(a) = line.strip_prefix("listening: https://") {
                gateway.tls = a.parse().unwrap();
            } else if let Some(a) = line.strip_prefix("listening: http://") {
                gateway.http = a.parse().unwrap();
            } else if let Some(a) = line.strip_prefix("status: http://") {
                gateway.status = Some(a.parse().unwrap());
            } else if let Some(a) = line
                .strip_prefix("admin: http://")
                .or_else(|| line.strip_prefix("admin: https://"))
            {
                gateway.admin.get_or_insert(a.parse().unwrap());
            }
        }
        gateway
    }

    /// Starts `BINARY serve --database URL` with its Admin API on an ephemeral loopback port
    /// and the proxy on ephemeral ports, with `extra` args; waits as [`Gateway::spawn`].
    pub fn start_database(
        binary: impl AsRef<Path>,
        dir: &TempDir,
        url: &str,
        extra: &[&str],
    ) -> Self {
        let mut args = vec![
            "--database",
            url,
            "--admin-listen",
            "127.0.0.1:0",
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let gateway = Self::spawn(binary, dir, &args, &[]);
        assert!(gateway.admin.is_some(), "no Admin API:\n{}", gateway.log());
        gateway
    }

    /// The Admin API's URL for `path` (plain HTTP).
    pub fn admin_url(&self, path: &str) -> String {
        let admin = self.admin.expect("the Admin API runs");
        format!("http://{admin}{path}")
    }

    /// What the gateway logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends SIGHUP (reload).
    pub fn hup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Sends SIGTERM and waits (at most 15 s) for the exit status.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
