//! WebSocket (and any HTTP/1.1 Upgrade the plan let through): once the upstream answered
//! 101, the client's connection and the upstream's are joined byte for byte, until either
//! side closes or nothing moved either way for the idle limit (the service's `read_timeout`,
//! as nginx's `proxy_read_timeout` does for Kong). The client's frame headers are followed
//! ([`crate::ws_frames`]): a frame or message over the size limit ends the tunnel, logged
//! under `[websocket]`. Payloads are passed through untouched.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::ws_frames::{FrameError, FrameLimit};

/// Joins the two upgraded connections on a task of its own.
pub(crate) fn spawn(
    client: OnUpgrade,
    upstream: OnUpgrade,
    idle: Duration,
    max_message: u64,
    route: Arc<str>,
) {
    tokio::spawn(async move {
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(both) => both,
            Err(e) => {
                tracing::debug!(target: "mtls::serve", route = &*route, "upgrade: {e}");
                return;
            }
        };
        let start = Instant::now();
        let last = Arc::new(AtomicU64::new(0));
        let mut client = Active::new(TokioIo::new(client), start, Arc::clone(&last));
        client.frames = Some(FrameLimit::new(max_message));
        let mut upstream = Active::new(TokioIo::new(upstream), start, Arc::clone(&last));
        tokio::select! {
            r = tokio::io::copy_bidirectional(&mut client, &mut upstream) => match r {
                Ok((up, down)) => tracing::debug!(target: "mtls::serve", route = &*route, up, down, "tunnel closed"),
                Err(e) if e.get_ref().is_some_and(|inner| inner.is::<FrameError>()) => {
                    tracing::info!(target: "websocket", route = &*route, "[websocket] tunnel closed: {e}");
                }
                Err(e) => tracing::debug!(target: "mtls::serve", route = &*route, "tunnel: {e}"),
            },
            () = idle_for(start, &last, idle) => {
                tracing::debug!(target: "mtls::serve", route = &*route, "tunnel idle for {idle:?}; closed");
            }
        }
    });
}

/// Returns once nothing was read either way for `limit`.
async fn idle_for(start: Instant, last: &AtomicU64, limit: Duration) {
    loop {
        let deadline = start + Duration::from_millis(last.load(Ordering::Relaxed)) + limit;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// A stream that records when it last read anything, and (the client's side) follows the
/// WebSocket frames read from it.
struct Active<T> {
    inner: T,
    start: Instant,
    last: Arc<AtomicU64>,
    frames: Option<FrameLimit>,
}

impl<T> Active<T> {
    fn new(inner: T, start: Instant, last: Arc<AtomicU64>) -> Self {
        Self {
            inner,
            start,
            last,
            frames: None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Active<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let ms = u64::try_from(this.start.elapsed().as_millis()).unwrap_or(u64::MAX);
            this.last.store(ms, Ordering::Relaxed);
            if let Some(frames) = &mut this.frames
                && let Err(e) = frames.feed(&buf.filled()[before..])
            {
                return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)));
            }
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Active<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
