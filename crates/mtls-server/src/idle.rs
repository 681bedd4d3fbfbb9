//! A connection's two waits, timed apart (nginx's `client_header_timeout` and
//! `keepalive_timeout`, both 60 s in Kong): how long a client has to send a request's header
//! section once it started one (or once it connected), and how long a connection with no
//! request in flight is kept open for the next one.
//!
//! hyper's own header-read timer starts as soon as a keep-alive connection becomes idle, so
//! it would close idle connections at the header timeout; it is off, and this module keeps
//! both timers: the connection's reads tell when a new request began, the service tells when
//! requests start and their responses end.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// No byte read since the connection became idle.
const NONE: u64 = u64::MAX;

/// What a connection is doing, shared by its reads, its requests and its watcher.
pub(crate) struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    /// When the connection last became idle (ms since `start`).
    idle_since: AtomicU64,
    /// When the first byte after that came (ms since `start`), or [`NONE`].
    first_byte: AtomicU64,
    changed: Notify,
}

/// Why the watcher ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expired {
    /// A request's header section took too long: close at once.
    HeaderRead,
    /// Idle too long between requests: close gracefully (HTTP/2: GOAWAY).
    KeepAlive,
}

impl Activity {
    /// A new connection: the header timer runs from now (a client that connects must send a
    /// request).
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            first_byte: AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn read_some(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.first_byte.load(Ordering::Relaxed) == NONE
        {
            self.first_byte.store(self.now_ms(), Ordering::Relaxed);
            self.changed.notify_one();
        }
    }

    /// A request's head was read: it is in flight until its response body ends.
    pub(crate) fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_one();
        InFlight(Arc::clone(self))
    }

    /// Waits until one of the timers expires (`header_timer`: whether a started header
    /// section is timed, false for HTTP/2 where bytes between requests are frames).
    pub(crate) async fn expired(
        &self,
        header_read: Duration,
        keep_alive: Duration,
        header_timer: bool,
    ) -> Expired {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(NONE / 2);
        loop {
            let changed = self.changed.notified();
            if self.in_flight.load(Ordering::Acquire) > 0 {
                changed.await;
                continue;
            }
            let first = self.first_byte.load(Ordering::Relaxed);
            let (deadline, why) = if first != NONE && header_timer {
                (first.saturating_add(ms(header_read)), Expired::HeaderRead)
            } else {
                let idle = self.idle_since.load(Ordering::Relaxed);
                (idle.saturating_add(ms(keep_alive)), Expired::KeepAlive)
            };
            let now = self.now_ms();
            if now >= deadline {
                return why;
            }
            let sleep = tokio::time::sleep(Duration::from_millis(deadline - now));
            tokio::select! {
                () = sleep => {}
                () = changed => {}
            }
        }
    }
}

/// A request in flight; dropped when its response body ends (or is dropped).
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        if a.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            a.first_byte.store(NONE, Ordering::Relaxed);
            a.idle_since.store(a.now_ms(), Ordering::Relaxed);
        }
        a.changed.notify_one();
    }
}

/// A response body that ends its request's time in flight when it ends.
pub(crate) struct Tracked<B> {
    inner: B,
    guard: Option<InFlight>,
}

impl<B> Tracked<B> {
    pub(crate) fn new(inner: B, guard: InFlight) -> Self {
        Self {
            inner,
            guard: Some(guard),
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Tracked<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.inner.is_end_stream() {
            this.guard = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The connection's stream: reads tell [`Activity`] when a new request began.
pub(crate) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read_some();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
