//! Raw sockets for the attack tests (issue 13): a client that writes exactly the bytes given,
//! and an upstream that records exactly the bytes it receives. Neither parses more HTTP than
//! it needs to find where a message ends, so nothing is normalised on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest any socket read waits.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a message may hold (the tests send small ones).
const MAX_MESSAGE: usize = 1 << 20;

/// A response as the raw client read it.
#[derive(Debug)]
pub struct RawResponse {
    /// The status line (`HTTP/1.1 200 OK`).
    pub status_line: String,
    /// The status code.
    pub status: u16,
    /// The head after the status line (header lines, lower-cased names kept as sent).
    pub head: String,
    /// The body (lossy UTF-8).
    pub body: String,
}

/// Where the head ends (the index after `\r\n\r\n`).
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

fn is_chunked(head: &str) -> bool {
    head.lines().any(|l| {
        l.split_once(':').is_some_and(|(n, v)| {
            n.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        })
    })
}

/// Reads one message (head, then a Content-Length or chunked body; with neither, a request
/// has no body and a response runs to EOF). Returns what was read, complete or not, at EOF,
/// on a timeout or an error.
fn read_message(stream: &mut TcpStream, response: bool) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = Instant::now() + READ_TIMEOUT;
    loop {
        if let Some(end) = head_end(&buf) {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let done = if let Some(n) = content_length(&head) {
                buf.len() >= end + n
            } else if is_chunked(&head) {
                buf[end..].ends_with(b"0\r\n\r\n")
            } else {
                !response
            };
            if done {
                return buf;
            }
        }
        if buf.len() > MAX_MESSAGE || Instant::now() >= deadline {
            return buf;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return buf,
        }
    }
}

/// Reads up to the end of the head (or EOF, a timeout, an error), and no further.
fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while head_end(&buf).is_none() && buf.len() < MAX_MESSAGE {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    buf
}

/// Sends `request` as given to `addr` and reads one response (at most 10 s). A request the
/// gateway stops reading (it answered first) is cut short after 10 s of blocked writing.
///
/// # Panics
/// If the connection fails or no status line comes back.
pub fn raw(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
    let _ = stream.write_all(request);
    let bytes = read_message(&mut stream, true);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let (status_line, head) = head.split_once("\r\n").unwrap_or((head, ""));
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    RawResponse {
        status_line: status_line.to_owned(),
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// What a [`RawUpstream`] does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Answers `HTTP/1.0 200 OK` with the raw request as its body, then closes.
    Echo,
    /// Never answers (until the test ends).
    Silent,
    /// Reads the head only, then neither reads nor answers (until the test ends): a request
    /// body larger than the socket buffers stalls.
    Stall,
}

/// An upstream on a thread of its own that records every request's raw bytes. One request
/// per connection (it answers HTTP/1.0 and closes). Stopped on drop.
#[derive(Debug)]
pub struct RawUpstream {
    /// Where it listens (127.0.0.1, an ephemeral port).
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

impl RawUpstream {
    /// Starts it.
    pub fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (seen, stop) = (Arc::clone(&seen2), Arc::clone(&stop2));
                        std::thread::spawn(move || serve(stream, answer, &seen, &stop));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self { addr, seen, stop }
    }

    /// The requests received so far, raw, as lossy UTF-8.
    pub fn requests(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect()
    }
}

fn serve(mut stream: TcpStream, answer: Answer, seen: &Mutex<Vec<Vec<u8>>>, stop: &AtomicBool) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let request = if answer == Answer::Stall {
        read_head(&mut stream)
    } else {
        read_message(&mut stream, false)
    };
    if request.is_empty() {
        return;
    }
    seen.lock().unwrap().push(request.clone());
    match answer {
        Answer::Echo => {
            let head = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                request.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&request);
        }
        Answer::Silent | Answer::Stall => {
            let deadline = Instant::now() + READ_TIMEOUT;
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for RawUpstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
