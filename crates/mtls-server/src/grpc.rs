//! gRPC's `grpc-timeout`: the client's deadline for the whole call. The header goes on to the
//! upstream (which enforces it too); the gateway also holds the call to it, so a call whose
//! upstream never answers ends at the client's deadline with `DEADLINE_EXCEEDED` (4), as
//! Envoy does: a Trailers-Only answer before the response head, trailers that end the body
//! after it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// The header.
pub(crate) const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// `grpc-timeout`'s value (gRPC over HTTP/2: at most 8 digits and a unit `H`, `M`, `S`, `m`,
/// `u`, `n`); `None` when malformed (then ignored, as gRPC servers ignore it).
pub(crate) fn parse_timeout(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The status a call past its deadline ends with.
pub(crate) fn deadline_exceeded() -> [(HeaderName, HeaderValue); 2] {
    [
        (
            HeaderName::from_static("grpc-status"),
            HeaderValue::from_static("4"),
        ),
        (
            HeaderName::from_static("grpc-message"),
            HeaderValue::from_static("Deadline Exceeded"),
        ),
    ]
}

/// A response body that ends with `DEADLINE_EXCEEDED` trailers at the deadline.
pub(crate) struct Deadline<B> {
    inner: B,
    sleep: Pin<Box<Sleep>>,
    done: bool,
}

impl<B> Deadline<B> {
    pub(crate) fn new(inner: B, at: tokio::time::Instant) -> Self {
        Self {
            inner,
            sleep: Box::pin(tokio::time::sleep_until(at)),
            done: false,
        }
    }
}

impl<B> Body for Deadline<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame),
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    let mut trailers = HeaderMap::new();
                    for (name, value) in deadline_exceeded() {
                        trailers.insert(name, value);
                    }
                    Poll::Ready(Some(Ok(Frame::trailers(trailers))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        let t = |s: &str| parse_timeout(&HeaderValue::from_str(s).unwrap());
        assert_eq!(t("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(t("2M"), Some(Duration::from_secs(120)));
        assert_eq!(t("3S"), Some(Duration::from_secs(3)));
        assert_eq!(t("250m"), Some(Duration::from_millis(250)));
        assert_eq!(t("7u"), Some(Duration::from_micros(7)));
        assert_eq!(t("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "S", "123456789S", "1s", "1.5S", "-1S", "1 S"] {
            assert_eq!(t(bad), None, "{bad:?}");
        }
    }
}
