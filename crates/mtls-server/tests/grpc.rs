//! gRPC through the gateway: a client (the `h2` crate, gRPC messages framed by hand) over TLS
//! with ALPN h2, mtls-auth on the route, and an HTTP/2 upstream (`grpc://` and `grpcs://`)
//! that echoes each message as it arrives and ends with trailers. Streaming both ways,
//! trailers passed through, refusals as gRPC statuses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use support::*;

/// One gRPC message: uncompressed, length-prefixed.
fn message(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 5);
    out.put_u8(0);
    out.put_u32(u32::try_from(payload.len()).unwrap());
    out.put_slice(payload);
    out.freeze()
}

/// Takes whole messages off the front of `buf`.
fn messages(buf: &mut BytesMut) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while buf.len() >= 5 {
        let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
        if buf.len() < 5 + len {
            break;
        }
        let whole = buf.split_to(5 + len);
        out.push(whole[5..].to_vec());
    }
    out
}

/// An HTTP/2 upstream (over TLS with ALPN h2 when `tls` is given): for each request, a 200
/// at once, then `echo:<message>` for each message as it arrives, then trailers with
/// `grpc-status: 0` and the consumer the gateway named (`x-consumer-username`), or
/// `grpc-status: 3` for a request that is not `application/grpc`.
async fn grpc_upstream(tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(config) => {
                        let stream = tokio_rustls::TlsAcceptor::from(config)
                            .accept(tcp)
                            .await
                            .unwrap();
                        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
                        serve_grpc(stream).await;
                    }
                    None => serve_grpc(tcp).await,
                }
            });
        }
    });
    addr
}

async fn serve_grpc<T>(io: T)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Ok(mut connection) = h2::server::handshake(io).await else {
        return;
    };
    while let Some(Ok((req, mut respond))) = connection.accept().await {
        tokio::spawn(async move {
            let (parts, mut body) = req.into_parts();
            let grpc = parts
                .headers
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
            let te = parts.headers.get("te").cloned();
            let consumer = parts.headers.get("x-consumer-username").cloned();
            // Slow: never answers in time; Stall: answers one message, then nothing.
            let path = parts.uri.path().to_owned();
            if path.ends_with("/Slow") {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            let response = http::Response::builder()
                .header("content-type", "application/grpc")
                .body(())
                .unwrap();
            let mut send = respond.send_response(response, false).unwrap();
            if path.ends_with("/Stall") {
                send.send_data(message(b"first"), false).unwrap();
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            let mut buf = BytesMut::new();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
                buf.extend_from_slice(&chunk);
                for m in messages(&mut buf) {
                    let mut reply = b"echo:".to_vec();
                    reply.extend_from_slice(&m);
                    send.send_data(message(&reply), false).unwrap();
                }
            }
            let mut trailers = http::HeaderMap::new();
            let ok = grpc && te.as_ref().is_some_and(|v| v == "trailers");
            trailers.insert("grpc-status", if ok { "0" } else { "3" }.parse().unwrap());
            if let Some(c) = consumer {
                trailers.insert("x-seen-consumer", c);
            }
            let _ = send.send_trailers(trailers);
        });
    }
}

fn grpc_request(authority: &str) -> http::Request<()> {
    http::Request::post(format!("https://{authority}/echo.Echo/Chat"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap()
}

/// A bidirectional stream: each message is answered before the next is sent; then the
/// trailers.
async fn chat(
    send: &mut h2::client::SendRequest<Bytes>,
    authority: &str,
) -> (u16, Vec<String>, http::HeaderMap) {
    *send = send.clone().ready().await.unwrap();
    let (response, mut stream) = send.send_request(grpc_request(authority), false).unwrap();
    let response = response.await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = response.into_body();
    let mut got = Vec::new();
    if headers.contains_key("grpc-status") {
        // Trailers-Only: the status is in the head.
        return (status, got, headers);
    }
    let mut buf = BytesMut::new();
    for word in ["one", "two", "three"] {
        stream.send_data(message(word.as_bytes()), false).unwrap();
        // Wait for this message's answer before sending the next: streaming both ways.
        loop {
            let ms = messages(&mut buf);
            if !ms.is_empty() {
                got.extend(ms.into_iter().map(|m| String::from_utf8(m).unwrap()));
                break;
            }
            let chunk = body.data().await.expect("a message").unwrap();
            let _ = body.flow_control().release_capacity(chunk.len());
            buf.extend_from_slice(&chunk);
        }
    }
    stream.send_data(Bytes::new(), true).unwrap();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    let trailers = body.trailers().await.unwrap().unwrap_or_default();
    (status, got, trailers)
}

async fn grpc_through_gateway(upstream_tls: bool) {
    let pki = Pki::new();
    let (url, tls) = if upstream_tls {
        let upstream_cert = pki.root.server(&["localhost"]);
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(upstream_cert.chain(), upstream_cert.key_der())
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        ("grpcs", Some(Arc::new(config)))
    } else {
        ("grpc", None)
    };
    let addr = grpc_upstream(tls).await;
    let yaml = config(
        &pki,
        &format!("{url}://localhost:{}", addr.port()),
        "[grpc, grpcs]",
    );
    let gw = Gateway::start(&yaml, &pki.server).await;

    // With alice's certificate: three messages each way, the trailers of the upstream, the
    // consumer at the upstream.
    let tls = tls_connect(gw.tls, "mtls.test", Some(&pki.alice), &[b"h2"]).await;
    let mut send = h2_client(tls).await;
    let (status, got, trailers) = chat(&mut send, "mtls.test").await;
    assert_eq!(status, 200);
    assert_eq!(got, ["echo:one", "echo:two", "echo:three"]);
    assert_eq!(trailers.get("grpc-status").unwrap(), "0", "{trailers:?}");
    assert_eq!(trailers.get("x-seen-consumer").unwrap(), "alice");
    // Twice on the same connection (the upstream connection is shared).
    let (_, got, trailers) = chat(&mut send, "mtls.test").await;
    assert_eq!(got.len(), 3);
    assert_eq!(trailers.get("grpc-status").unwrap(), "0");

    // Without a certificate: mtls-auth's 401 as UNAUTHENTICATED, Trailers-Only with a 200.
    let tls = tls_connect(gw.tls, "mtls.test", None, &[b"h2"]).await;
    let mut send = h2_client(tls).await;
    let (status, got, head) = chat(&mut send, "mtls.test").await;
    assert_eq!(status, 200);
    assert!(got.is_empty());
    assert_eq!(head.get("grpc-status").unwrap(), "16", "{head:?}");
    assert_eq!(
        head.get("grpc-message").unwrap(),
        "No required TLS certificate was sent"
    );
    assert_eq!(head.get("content-type").unwrap(), "application/grpc");

    // The open route: served without a certificate, no consumer.
    let (status, got, trailers) = chat(&mut send, "open.test").await;
    assert_eq!(status, 200);
    assert_eq!(got.len(), 3);
    assert_eq!(trailers.get("grpc-status").unwrap(), "0");
    assert!(trailers.get("x-seen-consumer").is_none());
    gw.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_streams_both_ways_to_an_h2c_upstream() {
    grpc_through_gateway(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcs_streams_both_ways_to_a_tls_upstream() {
    grpc_through_gateway(true).await;
}

/// The upstream is down: 502 becomes UNAVAILABLE (14), Trailers-Only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_grpc_upstream_is_unavailable() {
    let pki = Pki::new();
    // A port with nothing listening: bound, then closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let yaml = config(&pki, &format!("grpc://127.0.0.1:{port}"), "[grpc, grpcs]");
    let gw = Gateway::start(&yaml, &pki.server).await;
    let tls = tls_connect(gw.tls, "open.test", None, &[b"h2"]).await;
    let mut send = h2_client(tls).await;
    let (status, _, head) = chat(&mut send, "open.test").await;
    assert_eq!(status, 200);
    assert_eq!(head.get("grpc-status").unwrap(), "14", "{head:?}");
    gw.running.shutdown().await;
}

/// A Python with grpcio: `MTLS_GRPC_PYTHON`, else `python3` if it has grpcio. Without one
/// the test is skipped, unless `MTLS_REQUIRE_GRPCIO=1` (CI) makes that a failure.
fn grpc_python() -> Option<String> {
    let candidate = std::env::var("MTLS_GRPC_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let works = std::process::Command::new(&candidate)
        .args(["-c", "import grpc"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    assert!(
        std::env::var("MTLS_REQUIRE_GRPCIO").as_deref() != Ok("1"),
        "MTLS_REQUIRE_GRPCIO=1 but {candidate} has no grpcio"
    );
    eprintln!("skipped: no Python with grpcio (set MTLS_GRPC_PYTHON)");
    None
}

/// grpcio (Python's gRPC, a real client) through the gateway: unary and bidirectional
/// streaming with alice's certificate (the consumer at the upstream), UNAUTHENTICATED
/// without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_client_unary_and_streaming() {
    let Some(python) = grpc_python() else {
        return;
    };
    let pki = Pki::new();
    let addr = grpc_upstream(None).await;
    let yaml = config(
        &pki,
        &format!("grpc://127.0.0.1:{}", addr.port()),
        "[grpc, grpcs]",
    );
    let gw = Gateway::start(&yaml, &pki.server).await;
    let dir = TempDir::new("grpcio");
    let root = dir.write("root.pem", &pki.root.pem());
    let (cert, key) = dir.save(&pki.alice, "alice");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/grpc_client.py");
    let run = |with_cert: bool| {
        let mut cmd = std::process::Command::new(&python);
        cmd.arg(script)
            .arg(gw.tls.to_string())
            .arg("mtls.test")
            .arg(&root);
        if with_cert {
            cmd.arg(&cert).arg(&key);
        }
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        }
    };
    let with = run(true).await;
    assert_eq!(with["unary"], "echo:hi", "{with}");
    assert_eq!(with["trailers"]["x-seen-consumer"], "alice", "{with}");
    assert_eq!(
        with["stream"],
        serde_json::json!(["echo:one", "echo:two", "echo:three"]),
        "{with}"
    );
    let without = run(false).await;
    assert_eq!(
        without["unary_error"],
        serde_json::json!([16, "No required TLS certificate was sent"]),
        "{without}"
    );
    assert_eq!(without["stream_error"][0], 16, "{without}");
    gw.running.shutdown().await;
}

/// `grpc-timeout`: past the client's deadline the gateway ends the call with
/// DEADLINE_EXCEEDED (4): Trailers-Only when the upstream never answered, trailers after the
/// messages that came when it stalled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_timeout_ends_the_call_with_deadline_exceeded() {
    let pki = Pki::new();
    let addr = grpc_upstream(None).await;
    let yaml = config(
        &pki,
        &format!("grpc://127.0.0.1:{}", addr.port()),
        "[grpc, grpcs]",
    );
    let gw = Gateway::start(&yaml, &pki.server).await;
    let tls = tls_connect(gw.tls, "open.test", None, &[b"h2"]).await;
    let mut send = h2_client(tls).await;
    let call = |method: &str| {
        http::Request::post(format!("https://open.test/echo.Echo/{method}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("grpc-timeout", "300m")
            .body(())
            .unwrap()
    };

    send = send.clone().ready().await.unwrap();
    let (response, slow) = send.send_request(call("Slow"), false).unwrap();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("grpc-status").unwrap(), "4");

    send = send.clone().ready().await.unwrap();
    let (response, stall) = send.send_request(call("Stall"), false).unwrap();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("grpc-status").is_none());
    let mut body = response.into_body();
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        buf.extend_from_slice(&chunk);
    }
    assert_eq!(messages(&mut buf), [b"first".to_vec()]);
    let trailers = body.trailers().await.unwrap().unwrap();
    assert_eq!(trailers.get("grpc-status").unwrap(), "4", "{trailers:?}");
    assert_eq!(trailers.get("grpc-message").unwrap(), "Deadline Exceeded");
    let (mut slow, mut stall) = (slow, stall);
    slow.send_reset(h2::Reason::CANCEL);
    stall.send_reset(h2::Reason::CANCEL);
    drop(send);
    gw.running.shutdown().await;
}
