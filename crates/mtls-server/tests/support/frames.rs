//! HTTP/2 frames written by hand, for the abuse tests (a client library would refuse to send
//! them): the preface, SETTINGS, HEADERS, CONTINUATION, RST_STREAM; and a reader that finds
//! the server's GOAWAY.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const GOAWAY: u8 = 0x7;
pub const CONTINUATION: u8 = 0x9;
pub const END_STREAM: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const CANCEL: u32 = 0x8;
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

/// Appends one frame.
pub fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = u32::try_from(payload.len()).unwrap();
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// An HPACK integer with an `n`-bit prefix whose high bits are `first`.
pub fn hpack_int(out: &mut Vec<u8>, first: u8, n: u32, value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    let mut rest = value - max;
    while rest >= 128 {
        out.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    out.push(rest as u8);
}

/// A header block for `GET http://authority/` (static-table method, scheme and path; the
/// authority a literal without indexing).
pub fn get_block(authority: &str) -> Vec<u8> {
    let mut out = vec![0x82, 0x86, 0x84];
    hpack_int(&mut out, 0x00, 4, 1);
    hpack_int(&mut out, 0x00, 7, authority.len());
    out.extend_from_slice(authority.as_bytes());
    out
}

/// A literal header field without indexing, new name.
pub fn literal(name: &str, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x00];
    hpack_int(&mut out, 0x00, 7, name.len());
    out.extend_from_slice(name.as_bytes());
    hpack_int(&mut out, 0x00, 7, value.len());
    out.extend_from_slice(value);
    out
}

/// The preface and an empty SETTINGS frame.
pub fn client_start() -> Vec<u8> {
    let mut out = PREFACE.to_vec();
    frame(&mut out, SETTINGS, 0, 0, &[]);
    out
}

/// How the server ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// A GOAWAY with this error code.
    GoAway(u32),
    /// The connection closed without one.
    Closed,
    /// Nothing within the limit: the connection is still open.
    StillOpen,
}

/// Reads frames until a GOAWAY or the end of the connection, for at most `limit`.
pub async fn goaway<R: AsyncRead + Unpin>(io: &mut R, limit: Duration) -> Ended {
    let read = async {
        loop {
            let mut head = [0u8; 9];
            if io.read_exact(&mut head).await.is_err() {
                return Ended::Closed;
            }
            let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
            let mut payload = vec![0u8; len];
            if io.read_exact(&mut payload).await.is_err() {
                return Ended::Closed;
            }
            if head[3] == GOAWAY && payload.len() >= 8 {
                return Ended::GoAway(u32::from_be_bytes([
                    payload[4], payload[5], payload[6], payload[7],
                ]));
            }
        }
    };
    tokio::time::timeout(limit, read)
        .await
        .unwrap_or(Ended::StillOpen)
}

/// A frame as read: type, flags, stream, payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// Reads frames until `wanted` picks one, the connection ends (`None`), or `limit` passes
/// (`None`).
pub async fn read_until<R: AsyncRead + Unpin>(
    io: &mut R,
    limit: Duration,
    wanted: impl Fn(&Frame) -> bool,
) -> Option<Frame> {
    let read = async {
        loop {
            let mut head = [0u8; 9];
            io.read_exact(&mut head).await.ok()?;
            let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
            let mut payload = vec![0u8; len];
            io.read_exact(&mut payload).await.ok()?;
            let frame = Frame {
                kind: head[3],
                flags: head[4],
                stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
                payload,
            };
            if wanted(&frame) {
                return Some(frame);
            }
        }
    };
    tokio::time::timeout(limit, read).await.ok().flatten()
}

/// The error code of a GOAWAY or RST_STREAM frame.
pub fn error_code(frame: &Frame) -> Option<u32> {
    let at = match frame.kind {
        GOAWAY => 4,
        RST_STREAM => 0,
        _ => return None,
    };
    let b = frame.payload.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}
