//! `mtls demo --admin`: tutorial A's Admin API walk-through (../shared/spec/tutorials.md)
//! against a gateway serving from a fresh SQLite file: a service and a route, the CA, the
//! server certificate, mtls-auth, consumers, a manual mapping, then no consumer lookup with
//! an ACL. Printed as the tutorial's curl commands (ids captured with jq), or, with
//! `--self-test`, sent in-process and checked step by step, the proxy's answers included.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::pki::{Pair, Pki};
use super::selftest;
use super::sh;

/// One field of an Admin API request body.
enum Field {
    /// `-d name=value` (or `-F name=value` next to a file).
    Text(&'static str, String),
    /// `-F name=@path`.
    File(&'static str, PathBuf),
}

/// One step of the walk-through.
enum Step<'a> {
    /// An Admin API call: what it does, method, path, body fields, the expected status, and
    /// the shell variable its answer's `id` goes into.
    Admin {
        say: &'static str,
        method: &'static str,
        path: String,
        fields: Vec<Field>,
        expect: u16,
        capture: Option<&'static str>,
    },
    /// A proxy request over TLS: the client's certificate, the expected status and the
    /// consumer (or `group:G`, or `-`) the upstream is told about.
    Proxy {
        say: &'static str,
        path: &'static str,
        identity: Option<&'a Pair>,
        expect: u16,
        consumer: &'static str,
    },
}

fn admin<'a>(
    say: &'static str,
    method: &'static str,
    path: &str,
    fields: Vec<Field>,
    expect: u16,
    capture: Option<&'static str>,
) -> Step<'a> {
    Step::Admin {
        say,
        method,
        path: path.to_owned(),
        fields,
        expect,
        capture,
    }
}

fn text(name: &'static str, value: impl Into<String>) -> Field {
    Field::Text(name, value.into())
}

/// Tutorial A's steps with the demo's PKI and echo upstream.
fn steps<'a>(pki: &'a Pki, echo: SocketAddr) -> Vec<Step<'a>> {
    let proxy = |say, path, identity, expect, consumer| Step::Proxy {
        say,
        path,
        identity,
        expect,
        consumer,
    };
    vec![
        admin(
            "1. A service",
            "POST",
            "/services",
            vec![
                text("name", "mtls-service"),
                text("url", format!("http://{echo}/anything")),
            ],
            201,
            None,
        ),
        admin(
            "2. A route on it",
            "POST",
            "/services/mtls-service/routes",
            vec![text("name", "mtls-route"), text("paths[]", "/mtls")],
            201,
            None,
        ),
        admin(
            "The server certificate for localhost (issued by the demo CA)",
            "POST",
            "/certificates",
            vec![
                Field::File("cert", pki.server.cert_path.clone()),
                Field::File("key", pki.server.key_path.clone()),
                text("snis[]", "localhost"),
            ],
            201,
            None,
        ),
        proxy("GET /mtls, open: 200", "/mtls", None, 200, "-"),
        admin(
            "3. The CA certificate",
            "POST",
            "/ca_certificates",
            vec![Field::File("cert", pki.root.cert_path.clone())],
            201,
            Some("CA_ID"),
        ),
        admin(
            "4. mtls-auth, global",
            "POST",
            "/plugins",
            vec![
                text("name", "mtls-auth"),
                text("config.ca_certificates", "$CA_ID"),
            ],
            201,
            Some("PLUGIN_ID"),
        ),
        proxy("GET /mtls, no certificate: 401", "/mtls", None, 401, "-"),
        admin(
            "5. A consumer named as partner's CN",
            "POST",
            "/consumers",
            vec![text("username", "partner")],
            201,
            None,
        ),
        proxy(
            "GET /mtls, partner (CN = username): 200",
            "/mtls",
            Some(&pki.partner),
            200,
            "partner",
        ),
        admin(
            "7. A consumer, and a manual mapping of alice's email to it",
            "POST",
            "/consumers",
            vec![text("username", "alice-consumer")],
            201,
            None,
        ),
        admin(
            "7. (the mapping)",
            "POST",
            "/consumers/alice-consumer/mtls-auth",
            vec![
                text("subject_name", "alice@example.com"),
                text("ca_certificate.id", "$CA_ID"),
            ],
            201,
            None,
        ),
        proxy(
            "GET /mtls, alice (manual mapping): 200",
            "/mtls",
            Some(&pki.alice),
            200,
            "alice-consumer",
        ),
        proxy(
            "GET /mtls, expired certificate: 401",
            "/mtls",
            Some(&pki.expired),
            401,
            "-",
        ),
        admin(
            "5b. No consumer lookup (PATCH merges config)",
            "PATCH",
            "/plugins/$PLUGIN_ID",
            vec![text("config.skip_consumer_lookup", "true")],
            200,
            None,
        ),
        admin(
            "5b. An ACL allowing the CN partner",
            "POST",
            "/plugins",
            vec![text("name", "acl"), text("config.allow", "partner")],
            201,
            None,
        ),
        proxy(
            "GET /mtls, partner (acl allows): 200",
            "/mtls",
            Some(&pki.partner),
            200,
            "group:partner",
        ),
        proxy(
            "GET /mtls, alice (acl refuses): 403",
            "/mtls",
            Some(&pki.alice),
            403,
            "-",
        ),
    ]
}

/// The walk-through as shell commands against the running gateway.
pub(super) fn commands(pki: &Pki, echo: SocketAddr, admin_addr: SocketAddr, tls: u16) -> String {
    let mut out = String::new();
    let ca = sh(&pki.root.cert_path);
    for step in steps(pki, echo) {
        match step {
            Step::Admin {
                say,
                method,
                path,
                fields,
                capture,
                expect,
            } => {
                let multipart = fields.iter().any(|f| matches!(f, Field::File(..)));
                let flag = if multipart { "-F" } else { "-d" };
                let mut cmd = format!("curl -s -X {method} http://{admin_addr}{path}");
                for field in &fields {
                    let arg = match field {
                        Field::Text(n, v) => format!("{n}={v}"),
                        Field::File(n, p) => format!("{n}=@{}", p.display()),
                    };
                    let _ = write!(cmd, " {flag} \"{arg}\"");
                }
                let cmd = match capture {
                    Some(var) => format!("{var}=$({cmd} | jq -r .id); echo {var}=${var}"),
                    None => cmd,
                };
                let _ = writeln!(out, "# {say}: {expect}\n{cmd}\n");
            }
            Step::Proxy {
                say,
                path,
                identity,
                ..
            } => {
                let with = identity.map_or_else(String::new, |p| {
                    format!(" --cert {} --key {}", sh(&p.cert_path), sh(&p.key_path))
                });
                let _ = writeln!(
                    out,
                    "# {say}\ncurl --cacert {ca}{with} https://localhost:{tls}{path}\n"
                );
            }
        }
    }
    out
}

/// `$VAR` in `value` replaced by what was captured.
fn substitute(value: &str, vars: &HashMap<&'static str, String>) -> String {
    let mut out = value.to_owned();
    for (name, v) in vars {
        out = out.replace(&format!("${name}"), v);
    }
    out
}

const BOUNDARY: &str = "mtls-demo-7f3a9c";

/// The request body: form-urlencoded, or multipart when a file is sent (as curl's -d / -F).
fn body(
    fields: &[Field],
    vars: &HashMap<&'static str, String>,
) -> Result<(String, Vec<u8>), String> {
    if !fields.iter().any(|f| matches!(f, Field::File(..))) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for field in fields {
            if let Field::Text(n, v) = field {
                form.append_pair(n, &substitute(v, vars));
            }
        }
        return Ok((
            "application/x-www-form-urlencoded".into(),
            form.finish().into_bytes(),
        ));
    }
    let mut out = Vec::new();
    for field in fields {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match field {
            Field::Text(n, v) => {
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{n}\"\r\n\r\n").as_bytes(),
                );
                out.extend_from_slice(substitute(v, vars).as_bytes());
            }
            Field::File(n, path) => {
                let content = std::fs::read(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let file = path
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{n}\"; filename=\"{file}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(&content);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Ok((format!("multipart/form-data; boundary={BOUNDARY}"), out))
}

/// One Admin API request over plain HTTP, bounded in time: the status and the JSON answer.
async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(u16, Value), String> {
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", addr.to_string())
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()))
}

/// Runs every step, printing expected against actual; whether all matched.
pub(super) async fn self_test(
    pki: &Pki,
    echo: SocketAddr,
    admin_addr: SocketAddr,
    tls: SocketAddr,
) -> bool {
    let mut vars: HashMap<&'static str, String> = HashMap::new();
    let mut all = true;
    println!(
        "{:62}  {:>8}  {:>6}  {:>14}  result",
        "step", "expected", "actual", "consumer"
    );
    for step in steps(pki, echo) {
        let (say, expect, actual, consumer, ok) = match step {
            Step::Admin {
                say,
                method,
                path,
                fields,
                expect,
                capture,
            } => {
                let path = substitute(&path, &vars);
                let result = match body(&fields, &vars) {
                    Ok((content_type, bytes)) => {
                        call(admin_addr, method, &path, &content_type, bytes).await
                    }
                    Err(e) => Err(e),
                };
                match result {
                    Ok((status, answer)) => {
                        if let (Some(var), Some(id)) = (capture, answer["id"].as_str()) {
                            vars.insert(var, id.to_owned());
                        }
                        let ok = status == expect;
                        if !ok {
                            println!("  answer: {answer}");
                        }
                        (say, expect, status.to_string(), "".to_owned(), ok)
                    }
                    Err(e) => (say, expect, format!("error: {e}"), String::new(), false),
                }
            }
            Step::Proxy {
                say,
                path,
                identity,
                expect,
                consumer,
            } => match selftest::https(pki, tls, identity, path, &[]).await {
                Ok(o) => {
                    let ok = o.status == expect && o.consumer == consumer;
                    (say, expect, o.status.to_string(), o.consumer, ok)
                }
                Err(e) => (say, expect, format!("error: {e}"), String::new(), false),
            },
        };
        all &= ok;
        println!(
            "{say:62}  {expect:>8}  {actual:>6}  {consumer:>14}  {}",
            if ok { "ok" } else { "MISMATCH" }
        );
    }
    println!();
    println!(
        "{}",
        if all {
            "admin self-test passed"
        } else {
            "admin self-test FAILED"
        }
    );
    all
}
