//! Bodies in flight: the client's request body on its way upstream (it remembers whether the
//! client broke it, and when the upstream last took data), and the upstream's response body
//! on its way back (an idle deadline between frames: the service's `read_timeout`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::Sleep;

/// What the proxy learns from a request body while hyper sends it.
#[derive(Debug, Default)]
pub(crate) struct ClientBodyState {
    /// The client's body was malformed or broke off (bad chunk size, reset): the client's
    /// fault, answered 400.
    pub(crate) broken: AtomicBool,
    /// The body was sent to its end.
    pub(crate) done: AtomicBool,
    /// When the upstream connection last asked for more body (ms since `start`).
    pub(crate) last_pull_ms: AtomicU64,
    /// Wakes the response-head deadline once the body is sent.
    finished: tokio::sync::Notify,
}

impl ClientBodyState {
    fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
        self.finished.notify_waiters();
    }
}

/// The client's request body, forwarded.
pub(crate) struct ClientBody {
    inner: Incoming,
    state: Arc<ClientBodyState>,
    start: Instant,
}

impl ClientBody {
    pub(crate) fn new(inner: Incoming, start: Instant) -> (Self, Arc<ClientBodyState>) {
        let state = Arc::new(ClientBodyState::default());
        if inner.is_end_stream() {
            state.done.store(true, Ordering::Relaxed);
        }
        (
            Self {
                inner,
                state: Arc::clone(&state),
                start,
            },
            state,
        )
    }
}

impl Body for ClientBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let ms = u64::try_from(this.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        this.state.last_pull_ms.store(ms, Ordering::Relaxed);
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.state.finish(),
            Poll::Ready(Some(Err(_))) => this.state.broken.store(true, Ordering::Relaxed),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.state.finish(),
            _ => {}
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

/// Waits until the upstream has not asked for more of the request body for `limit` (Kong's
/// `write_timeout`); never returns while the body keeps moving or once it has been sent.
pub(crate) async fn write_stall(state: &ClientBodyState, start: Instant, limit: Duration) {
    loop {
        if state.done.load(Ordering::Relaxed) {
            std::future::pending::<()>().await;
        }
        let last = Duration::from_millis(state.last_pull_ms.load(Ordering::Relaxed));
        let deadline = start + last + limit;
        if Instant::now() >= deadline {
            if state.done.load(Ordering::Relaxed) {
                std::future::pending::<()>().await;
            }
            return;
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// Returns `limit` after the request body was sent (Kong's `read_timeout` for the response
/// head).
pub(crate) async fn read_deadline(state: &ClientBodyState, limit: Duration) {
    loop {
        let finished = state.finished.notified();
        if state.done.load(Ordering::Relaxed) {
            break;
        }
        finished.await;
    }
    tokio::time::sleep(limit).await;
}

/// An upstream body with an idle deadline between frames (Kong's `read_timeout`): past it the
/// body ends with an error (the client sees the response cut short, as with nginx).
pub(crate) struct IdleTimeout<B> {
    inner: B,
    limit: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<B> IdleTimeout<B> {
    pub(crate) fn new(inner: B, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            sleep: None,
        }
    }
}

/// The error an idle upstream body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the upstream sent nothing for {0:?} (read_timeout)")]
pub(crate) struct ReadTimeout(Duration);

impl<B> Body for IdleTimeout<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                // Data came: the next wait starts from now (the timer is made only when a
                // wait happens).
                this.sleep = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = this.limit;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(ReadTimeout(limit))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
