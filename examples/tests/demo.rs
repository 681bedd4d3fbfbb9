//! `mtls demo`: the self-test passes, and the printed curl commands work as printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mtls-demo-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills the child on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (bounded) for the child to exit.
fn wait(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn self_test_passes() {
    let dir = Dir::new("self-test");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_mtls"))
            .args(["demo", "--self-test", "--dir"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let status = wait(&mut child.0, Duration::from_secs(60)).expect("demo --self-test hung");
    let mut out = String::new();
    std::io::Read::read_to_string(child.0.stdout.as_mut().unwrap(), &mut out).unwrap();
    println!("{out}");
    assert!(status.success(), "{out}");
    assert!(out.contains("self-test passed"), "{out}");
    assert!(!out.contains("MISMATCH"), "{out}");
    for file in [
        "kong.yaml",
        "root-ca.crt",
        "intermediate-ca.crt",
        "alice.crt",
        "alice.key",
        "partner.crt",
        "untrusted.crt",
        "expired.crt",
    ] {
        assert!(dir.0.join(file).is_file(), "{file}");
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.0.join("alice.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o077, 0, "keys are private");
}

#[test]
fn printed_curl_commands_work() {
    if Command::new("curl").arg("--version").output().is_err() {
        println!("note: `curl` is not installed; skipping");
        return;
    }
    let dir = Dir::new("curl");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_mtls"))
            .args(["demo", "--dir"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut commands = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("the demo printed no commands");
        if line.starts_with("curl ") {
            commands.push(line);
        } else if line.starts_with("openssl ") {
            break;
        }
    }
    assert!(commands.len() >= 7, "{commands:?}");
    let run = |cmd: &str| {
        let out = Command::new("sh")
            .args([
                "-c",
                &format!("{cmd} --max-time 10 -s -w '\n%{{http_code}}'"),
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.to_owned(), body.to_owned())
    };
    // The order the demo prints them in, and what each answers.
    let expected = ["401", "200", "200", "401", "401", "200", "200"];
    for (cmd, want) in commands.iter().zip(expected) {
        let (code, body) = run(cmd);
        assert_eq!(code, want, "{cmd}\n{body}");
    }
    let (_, body) = run(&commands[1]);
    assert!(body.contains("\"X-Consumer-Username\":\"alice\""), "{body}");

    // Ctrl-C: a graceful exit.
    Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    let status = wait(&mut child.0, Duration::from_secs(15)).expect("demo did not stop on SIGINT");
    assert!(status.success());
}

#[test]
fn admin_self_test_passes() {
    let dir = Dir::new("admin-self-test");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_mtls"))
            .args(["demo", "--admin", "--self-test", "--dir"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let status = wait(&mut child.0, Duration::from_secs(60)).expect("demo --admin hung");
    let mut out = String::new();
    std::io::Read::read_to_string(child.0.stdout.as_mut().unwrap(), &mut out).unwrap();
    println!("{out}");
    assert!(status.success(), "{out}");
    assert!(out.contains("admin self-test passed"), "{out}");
    assert!(!out.contains("MISMATCH"), "{out}");
    assert!(dir.0.join("mtls.db").is_file());
}

/// The printed Admin API walk-through, run as printed by sh with curl and jq: every step
/// answers what its comment says.
#[test]
fn printed_admin_commands_work() {
    assert!(mtls_test_pki::have("curl"), "curl is needed");
    assert!(mtls_test_pki::have("jq"), "jq is needed");
    let dir = Dir::new("admin-curl");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_mtls"))
            .args(["demo", "--admin", "--dir"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // (expected status or None for a captured id, the command)
    let mut steps: Vec<(Option<String>, String)> = Vec::new();
    let mut expect: Option<String> = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("the demo printed no commands");
        if let Some(comment) = line.strip_prefix("# ") {
            expect = comment.rsplit_once(": ").map(|(_, c)| c.to_owned());
        } else if line.contains("$(curl ") {
            steps.push((None, line));
        } else if line.starts_with("curl ") {
            steps.push((expect.take(), line));
            if steps.len() == 17 {
                break;
            }
        }
    }
    let mut script = String::from("set -u\n");
    for (status, cmd) in &steps {
        match status {
            None => script.push_str(&format!("{cmd}\n")),
            Some(_) => script.push_str(&format!(
                "{cmd} --max-time 10 -o /dev/null -w '%{{http_code}}\\n'\n"
            )),
        }
    }
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    for (status, cmd) in &steps {
        let got = lines.next().unwrap_or_default();
        match status {
            None => {
                let (var, id) = got.split_once('=').expect("VAR=id");
                assert!(
                    id.len() == 36 && cmd.starts_with(var),
                    "{cmd}\n{got}\n{text}"
                );
            }
            Some(want) => assert_eq!(got, want, "{cmd}\n{text}"),
        }
    }
    Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    let status = wait(&mut child.0, Duration::from_secs(15)).expect("demo did not stop");
    assert!(status.success());
}
