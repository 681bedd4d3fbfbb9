//! A throwaway PostgreSQL for tests: the system's `initdb` and `pg_ctl`, run as the
//! `postgres` user, on a free loopback port, stopped when dropped. `MTLS_POSTGRES_URL` names
//! one already running instead (CI's). Without either, a test is skipped, unless
//! `MTLS_REQUIRE_POSTGRES=1`, when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

/// A PostgreSQL server for one test (or the one `MTLS_POSTGRES_URL` names).
#[derive(Debug)]
pub struct Postgres {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    dir: Option<PathBuf>,
}

fn required() -> bool {
    std::env::var("MTLS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

fn tool(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var("PATH").unwrap_or_default();
    let mut candidates: Vec<PathBuf> = dirs
        .split(':')
        .map(|d| PathBuf::from(d).join(name))
        .collect();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in entries.flatten() {
            candidates.push(e.path().join("bin").join(name));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

fn as_postgres(program: &PathBuf, args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
}

/// `pg_ctl start` on the cluster in `dir/data`, listening on 127.0.0.1:`port` (fsync off).
///
/// # Panics
/// If it does not start.
fn pg_ctl_start(pg_ctl: &PathBuf, dir: &std::path::Path, port: u16) {
    let data = dir.join("data").display().to_string();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
        dir.display()
    );
    let log = dir.join("log").display().to_string();
    let out = as_postgres(
        pg_ctl,
        &[
            "-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
        ],
    )
    .expect("pg_ctl runs");
    assert!(
        out.status.success(),
        "pg_ctl start: {} {}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Postgres {
    /// A running server, or `None` (the test is skipped) when there is none to run.
    ///
    /// # Panics
    /// If one should run (`MTLS_REQUIRE_POSTGRES=1`, or initdb is there) but does not start.
    pub fn start(name: &str) -> Option<Self> {
        if let Ok(url) = std::env::var("MTLS_POSTGRES_URL") {
            return Some(Self { url, dir: None });
        }
        let (Some(initdb), Some(pg_ctl)) = (tool("initdb"), tool("pg_ctl")) else {
            assert!(
                !required(),
                "MTLS_REQUIRE_POSTGRES=1 but initdb / pg_ctl are not installed"
            );
            eprintln!("skipped: no PostgreSQL (install postgresql, or set MTLS_POSTGRES_URL)");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("mtls-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status();
        if !chown.is_ok_and(|s| s.success()) {
            assert!(
                !required(),
                "MTLS_REQUIRE_POSTGRES=1 but the postgres user cannot be used"
            );
            eprintln!("skipped: cannot run as the postgres user");
            return None;
        }
        let data = dir.join("data");
        let data_s = data.display().to_string();
        let out = as_postgres(
            &initdb,
            &["-D", &data_s, "-A", "trust", "-U", "postgres", "--no-sync"],
        )
        .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        pg_ctl_start(&pg_ctl, &dir, port);
        Some(Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir: Some(dir),
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let (Some(dir), Some(pg_ctl)) = (&self.dir, tool("pg_ctl")) else {
            return;
        };
        let data = dir.join("data").display().to_string();
        let _ = as_postgres(&pg_ctl, &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(dir);
    }
}

impl Postgres {
    /// Stops the server (`pg_ctl stop -m fast`): clients see the database go away. Nothing
    /// happens for a server this harness did not start.
    pub fn stop(&self) {
        let (Some(dir), Some(pg_ctl)) = (&self.dir, tool("pg_ctl")) else {
            return;
        };
        let data = dir.join("data").display().to_string();
        let _ = as_postgres(&pg_ctl, &["-D", &data, "-m", "fast", "-w", "stop"]);
    }

    /// Starts it again after [`Postgres::stop`], on the same port and data.
    ///
    /// # Panics
    /// If it does not start.
    pub fn restart(&self) {
        let (Some(dir), Some(pg_ctl)) = (&self.dir, tool("pg_ctl")) else {
            return;
        };
        let port = self
            .url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        pg_ctl_start(&pg_ctl, dir, port);
    }
}
