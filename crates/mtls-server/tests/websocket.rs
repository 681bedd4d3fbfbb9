//! WebSocket through the gateway (tokio-tungstenite client and upstream): the HTTP/1.1
//! Upgrade is proxied after mtls-auth's decision, the consumer's headers on the upgrade
//! request, then messages both ways; without a certificate the upgrade is refused (401);
//! an idle tunnel is closed after the service's read_timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// A WebSocket upstream: first sends `consumer:<x-consumer-username>` (or `consumer:-`),
/// then echoes every text message.
async fn ws_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut consumer = String::from("-");
                let callback = |req: &Request, resp: Response| {
                    if let Some(v) = req.headers().get("x-consumer-username") {
                        consumer = v.to_str().unwrap().to_owned();
                    }
                    Ok(resp)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                    return;
                };
                ws.send(Message::text(format!("consumer:{consumer}")))
                    .await
                    .unwrap();
                while let Some(Ok(m)) = ws.next().await {
                    if m.is_text() && ws.send(m).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrade_passes_mtls_auth_with_the_consumer() {
    let pki = Pki::new();
    let upstream = ws_upstream().await;
    let yaml = config(&pki, &format!("http://{upstream}"), "[http, https]");
    let gw = Gateway::start(&yaml, &pki.server).await;

    // wss with alice's certificate (ALPN http/1.1: the Upgrade is HTTP/1.1's).
    let tls = tls_connect(gw.tls, "mtls.test", Some(&pki.alice), &[b"http/1.1"]).await;
    let req = "wss://mtls.test/chat".into_client_request().unwrap();
    let (mut ws, response) = tokio_tungstenite::client_async(req, tls).await.unwrap();
    assert_eq!(response.status(), 101);
    let first = ws.next().await.unwrap().unwrap();
    assert_eq!(first.to_text().unwrap(), "consumer:alice");
    for i in 0..20 {
        let text = format!("hello {i}");
        ws.send(Message::text(text.clone())).await.unwrap();
        let back = ws.next().await.unwrap().unwrap();
        assert_eq!(back.to_text().unwrap(), text);
    }
    ws.close(None).await.unwrap();

    // Without a certificate: the upgrade is refused with mtls-auth's 401.
    let tls = tls_connect(gw.tls, "mtls.test", None, &[b"http/1.1"]).await;
    let req = "wss://mtls.test/chat".into_client_request().unwrap();
    match tokio_tungstenite::client_async(req, tls).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("expected a 401, got {:?}", other.map(|(_, r)| r.status())),
    }

    // Plain ws to the open route: no consumer.
    let tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let req = "ws://open.test/chat".into_client_request().unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    let first = ws.next().await.unwrap().unwrap();
    assert_eq!(first.to_text().unwrap(), "consumer:-");
    ws.send(Message::text("plain")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap().to_text().unwrap(),
        "plain"
    );
    gw.running.shutdown().await;
}

/// A tunnel where nothing moves for the service's read_timeout (here 300 ms) is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_websocket_tunnel_is_closed() {
    let pki = Pki::new();
    let upstream = ws_upstream().await;
    let yaml = config(&pki, &format!("http://{upstream}"), "[http, https]").replace(
        "  - name: echo\n",
        "  - name: echo\n    read_timeout: 300\n",
    );
    let gw = Gateway::start(&yaml, &pki.server).await;
    let tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let req = "ws://open.test/chat".into_client_request().unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap().to_text().unwrap(),
        "consumer:-"
    );
    // Then silence: the gateway closes the tunnel (the stream ends, or errors on the
    // missing close frame), well within the bound of this wait.
    let ended = tokio::time::timeout(Duration::from_secs(20), ws.next()).await;
    match ended {
        Ok(None | Some(Err(_))) => {}
        Ok(Some(Ok(m))) => assert!(m.is_close(), "{m:?}"),
        Err(_) => panic!("the idle tunnel was not closed"),
    }
    gw.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_closes_the_tunnel() {
    let pki = Pki::new();
    let upstream = ws_upstream().await;
    let yaml = config(&pki, &format!("http://{upstream}"), "[http, https]");
    let gw = Gateway::start_with(&yaml, &pki.server, |o| o.websocket_max_message = 4096).await;
    let tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
    let req = "ws://open.test/chat".into_client_request().unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap().to_text().unwrap(),
        "consumer:-"
    );
    // Under the limit: echoed.
    let small = "a".repeat(4000);
    ws.send(Message::text(small.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap().to_text().unwrap(), small);
    // Over it: the tunnel ends before the upstream sees the message.
    let _ = ws.send(Message::text("b".repeat(5000))).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
    match ended {
        Ok(None | Some(Err(_))) => {}
        Ok(Some(Ok(m))) => assert!(m.is_close(), "the large message came back: {m:?}"),
        Err(_) => panic!("the tunnel stayed open"),
    }
    gw.running.shutdown().await;
}
