//! The header-read timeout and the keep-alive timeout, apart: an idle keep-alive connection
//! outlives the header timeout (and is closed at the keep-alive one), a header section
//! that stalls is closed at the header timeout, an idle HTTP/2 connection gets a GOAWAY.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::frames::{self, Ended};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GET: &[u8] = b"GET /x HTTP/1.1\r\nHost: open.test\r\n\r\n";

/// Reads one HTTP/1.1 response (the upstream's JSON has a Content-Length); its status.
async fn read_response(tcp: &mut TcpStream) -> u16 {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut chunk))
            .await
            .expect("a response within the bound")
            .unwrap();
        assert!(
            n > 0,
            "closed before a response: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return text[9..12].parse().unwrap();
            }
        }
    }
}

/// Whether the server closes `tcp` within `limit` (reading and discarding anything).
async fn closed_within(tcp: &mut TcpStream, limit: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keepalive_outlives_the_header_timeout() {
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]");
    let gw = Gateway::start_with(&yaml, &pki.server, |o| {
        o.header_read_timeout = Duration::from_millis(300);
        o.keepalive_timeout = Duration::from_secs(30);
    })
    .await;
    let mut tcp = TcpStream::connect(gw.plain).await.unwrap();
    tcp.write_all(GET).await.unwrap();
    assert_eq!(read_response(&mut tcp).await, 200);
    // Idle for three header timeouts: still open for the next request.
    tokio::time::sleep(Duration::from_millis(900)).await;
    tcp.write_all(GET).await.unwrap();
    assert_eq!(read_response(&mut tcp).await, 200);
    // A header section that stops half way is closed at the header timeout.
    tcp.write_all(b"GET /x HTTP/1.1\r\nHost: open")
        .await
        .unwrap();
    assert!(closed_within(&mut tcp, Duration::from_secs(10)).await);
    // A connection that never sends anything too.
    let mut silent = TcpStream::connect(gw.plain).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(10)).await);
    drop((tcp, silent));
    gw.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_close_at_the_keepalive_timeout() {
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]");
    let gw = Gateway::start_with(&yaml, &pki.server, |o| {
        o.header_read_timeout = Duration::from_secs(30);
        o.keepalive_timeout = Duration::from_millis(300);
    })
    .await;
    // HTTP/1.1: closed once idle past the keep-alive timeout.
    let mut tcp = TcpStream::connect(gw.plain).await.unwrap();
    tcp.write_all(GET).await.unwrap();
    assert_eq!(read_response(&mut tcp).await, 200);
    assert!(closed_within(&mut tcp, Duration::from_secs(10)).await);

    // HTTP/2: an idle connection gets a GOAWAY.
    let mut tcp = TcpStream::connect(gw.plain).await.unwrap();
    let mut out = frames::client_start();
    frames::frame(
        &mut out,
        frames::HEADERS,
        frames::END_HEADERS | frames::END_STREAM,
        1,
        &frames::get_block("open.test"),
    );
    tcp.write_all(&out).await.unwrap();
    let ended = frames::goaway(&mut tcp, Duration::from_secs(10)).await;
    assert_eq!(ended, Ended::GoAway(0));
    drop(tcp);
    gw.running.shutdown().await;
}
