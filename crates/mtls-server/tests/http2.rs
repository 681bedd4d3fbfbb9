//! HTTP/2 through the gateway: ALPN `h2` on the TLS listener and h2c with prior knowledge on
//! the plain one (real curl), mtls-auth over HTTP/2, and hyper's abuse limits (rapid reset,
//! CONTINUATION flood) seen from a client writing frames by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::frames::{self, Ended};
use support::*;
use tokio::io::AsyncWriteExt;

fn has_http2_curl() -> bool {
    std::process::Command::new("curl")
        .arg("-V")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("HTTP2"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_negotiates_h2_by_alpn_and_h2c_with_prior_knowledge() {
    assert!(has_http2_curl(), "this curl has no HTTP/2 (nghttp2)");
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]");
    let gw = Gateway::start(&yaml, &pki.server).await;
    let dir = TempDir::new("h2-curl");
    let (cert, key) = dir.save(&pki.alice, "alice");

    // TLS: ALPN offers h2 and http/1.1; curl picks h2.
    let mut args = resolve(&["open.test"], gw.tls);
    args.extend([
        "-k".to_owned(),
        "--http2".to_owned(),
        format!("https://open.test:{}/x", gw.tls.port()),
    ]);
    let r = curl(args).await;
    println!("{}", r.verbose);
    assert_eq!(r.status, 200, "{}\n{}", r.body, r.verbose);
    assert!(
        r.verbose.contains("ALPN: server accepted h2"),
        "{}",
        r.verbose
    );
    assert!(r.verbose.contains("< HTTP/2 200"), "{}", r.verbose);
    // The upstream got the request's :authority as X-Forwarded-Host, and the service's
    // host as Host (preserve_host is off).
    assert_eq!(
        upstream_header(&r.body, "x-forwarded-host").as_deref(),
        Some("open.test")
    );
    assert_eq!(
        upstream_header(&r.body, "host"),
        Some(upstream.addr.to_string())
    );

    // mtls-auth over HTTP/2: the consumer reaches the upstream.
    let mut args = resolve(&["mtls.test"], gw.tls);
    args.extend([
        "-k".to_owned(),
        "--http2".to_owned(),
        "--cert".to_owned(),
        cert.display().to_string(),
        "--key".to_owned(),
        key.display().to_string(),
        format!("https://mtls.test:{}/x", gw.tls.port()),
    ]);
    let r = curl(args).await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, r.verbose);
    assert!(
        r.verbose.contains("ALPN: server accepted h2"),
        "{}",
        r.verbose
    );
    assert_eq!(
        upstream_header(&r.body, "x-consumer-username").as_deref(),
        Some("alice")
    );

    // Without a certificate: mtls-auth's 401, over HTTP/2.
    let mut args = resolve(&["mtls.test"], gw.tls);
    args.extend([
        "-k".to_owned(),
        "--http2".to_owned(),
        format!("https://mtls.test:{}/x", gw.tls.port()),
    ]);
    let r = curl(args).await;
    assert_eq!(r.status, 401, "{}\n{}", r.body, r.verbose);
    assert!(r.verbose.contains("< HTTP/2 401"), "{}", r.verbose);

    // An HTTP/1.1-only client still gets HTTP/1.1.
    let mut args = resolve(&["open.test"], gw.tls);
    args.extend([
        "-k".to_owned(),
        "--http1.1".to_owned(),
        format!("https://open.test:{}/x", gw.tls.port()),
    ]);
    let r = curl(args).await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, r.verbose);
    assert!(r.verbose.contains("< HTTP/1.1 200"), "{}", r.verbose);

    // Plain listener: h2c with prior knowledge, and HTTP/1.1 beside it.
    let r = curl(vec![
        "--http2-prior-knowledge".to_owned(),
        "-H".to_owned(),
        "Host: open.test".to_owned(),
        format!("http://{}/x", gw.plain),
    ])
    .await;
    println!("{}", r.verbose);
    assert_eq!(r.status, 200, "{}\n{}", r.body, r.verbose);
    assert!(r.verbose.contains("< HTTP/2 200"), "{}", r.verbose);
    let r = curl(vec![
        "-H".to_owned(),
        "Host: open.test".to_owned(),
        format!("http://{}/x", gw.plain),
    ])
    .await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, r.verbose);
    assert!(r.verbose.contains("< HTTP/1.1 200"), "{}", r.verbose);
    gw.running.shutdown().await;
}

/// Streams opened and reset before the gateway accepted them (CVE-2023-44487): past
/// `max_pending_accept_reset_streams` (20) the connection gets GOAWAY ENHANCE_YOUR_CALM; a
/// few resets do not close it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_is_refused_with_goaway() {
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]");
    let gw = Gateway::start(&yaml, &pki.server).await;

    // 200 streams opened and cancelled in one write.
    let mut tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let mut out = frames::client_start();
    let block = frames::get_block("open.test");
    for i in 0..200u32 {
        let stream = 2 * i + 1;
        frames::frame(
            &mut out,
            frames::HEADERS,
            frames::END_HEADERS,
            stream,
            &block,
        );
        frames::frame(
            &mut out,
            frames::RST_STREAM,
            0,
            stream,
            &frames::CANCEL.to_be_bytes(),
        );
    }
    tcp.write_all(&out).await.unwrap();
    let ended = frames::goaway(&mut tcp, Duration::from_secs(10)).await;
    assert_eq!(ended, Ended::GoAway(frames::ENHANCE_YOUR_CALM));

    // Five resets, then a real request on the same connection: served.
    let tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let mut send = h2_client(tcp).await;
    for _ in 0..5 {
        let req = http::Request::get("http://open.test/x").body(()).unwrap();
        send = send.ready().await.unwrap();
        let (_, mut stream) = send.send_request(req, false).unwrap();
        stream.send_reset(h2::Reason::CANCEL);
    }
    let (status, _) = h2_get(&mut send, "http", "open.test", "/x").await;
    assert_eq!(status, 200);
    gw.running.shutdown().await;
}

/// A header block that never ends (HEADERS, then CONTINUATION frames without END_HEADERS):
/// the gateway stops it with GOAWAY ENHANCE_YOUR_CALM once the frames exceed what
/// `max_header_list_size` allows, instead of buffering it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuation_flood_is_refused_with_goaway() {
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]");
    let gw = Gateway::start(&yaml, &pki.server).await;

    let mut tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let mut out = frames::client_start();
    frames::frame(
        &mut out,
        frames::HEADERS,
        0,
        1,
        &frames::get_block("open.test"),
    );
    tcp.write_all(&out).await.unwrap();
    // 4 MiB of headers in 1 KiB CONTINUATION frames, far past the 64 KiB list limit. The
    // server may close before all of it is written.
    let field = frames::literal("x-flood", &[b'a'; 1000]);
    let mut chunk = Vec::new();
    for _ in 0..64 {
        frames::frame(&mut chunk, frames::CONTINUATION, 0, 1, &field);
    }
    for _ in 0..64 {
        if tcp.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let ended = frames::goaway(&mut tcp, Duration::from_secs(10)).await;
    assert_eq!(ended, Ended::GoAway(frames::ENHANCE_YOUR_CALM));

    // A new connection with an ordinary request is served.
    let tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let mut send = h2_client(tcp).await;
    let (status, _) = h2_get(&mut send, "http", "open.test", "/x").await;
    assert_eq!(status, 200);
    gw.running.shutdown().await;
}

/// Shutdown tells HTTP/2 clients with a GOAWAY (NO_ERROR) and then closes the idle
/// connection, instead of cutting it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_sends_goaway() {
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]");
    let gw = Gateway::start(&yaml, &pki.server).await;
    let mut tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    tcp.write_all(&frames::client_start()).await.unwrap();
    // The server's SETTINGS come first: the connection is being served.
    let mut head = [0u8; 9];
    tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut head)
        .await
        .unwrap();
    assert_eq!(head[3], frames::SETTINGS);
    let mut payload = vec![0u8; u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize];
    tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut payload)
        .await
        .unwrap();
    let stopping = tokio::spawn(gw.running.shutdown());
    let ended = frames::goaway(&mut tcp, Duration::from_secs(10)).await;
    assert_eq!(ended, Ended::GoAway(0));
    drop(tcp);
    stopping.await.unwrap();
}

/// `preserve_host` over HTTP/2: the upstream gets the client's `:authority` as its Host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preserve_host_takes_the_authority_of_http2_requests() {
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]").replace(
        "      - name: open\n",
        "      - name: open\n        preserve_host: true\n",
    );
    assert!(yaml.contains("preserve_host"));
    let gw = Gateway::start(&yaml, &pki.server).await;
    let tls = tls_connect(gw.tls, "open.test", None, &[b"h2"]).await;
    let mut send = h2_client(tls).await;
    let (status, body) = h2_get(&mut send, "https", "open.test", "/x").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(upstream_header(&body, "host").as_deref(), Some("open.test"));
    // h2c too.
    let tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let mut send = h2_client(tcp).await;
    let (_, body) = h2_get(&mut send, "http", "open.test", "/x").await;
    assert_eq!(upstream_header(&body, "host").as_deref(), Some("open.test"));
    gw.running.shutdown().await;
}
