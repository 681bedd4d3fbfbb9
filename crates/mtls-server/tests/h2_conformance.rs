//! HTTP/2 conformance cases of h2spec (RFC 9113) that apply to a server, written as frames
//! by hand against the gateway's plain listener (h2spec itself could not be installed here:
//! no Go module proxy). Each case: what the client sends after the preface and SETTINGS, and
//! the frame the server must answer with. The table lists h2spec's section numbers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::frames::{self, Frame};
use support::*;
use tokio::io::AsyncWriteExt;

const DATA: u8 = 0x0;
const PRIORITY: u8 = 0x2;
const PING: u8 = 0x6;
const WINDOW_UPDATE: u8 = 0x8;
const ACK: u8 = 0x1;
const PROTOCOL_ERROR: u32 = 0x1;
const FLOW_CONTROL_ERROR: u32 = 0x3;
const FRAME_SIZE_ERROR: u32 = 0x6;

/// What the server must answer.
#[derive(Debug)]
enum Expect {
    /// GOAWAY with this code (a connection error).
    GoAway(u32),
    /// RST_STREAM on this stream with this code, or GOAWAY with it (h2spec accepts either
    /// where the RFC allows a connection error).
    Reset(u32, u32),
    /// This frame type with these flags (and the payload, when given).
    Frame(u8, u8, Option<Vec<u8>>),
    /// A HEADERS answer on this stream (the request was served).
    Answered(u32),
}

struct Case {
    section: &'static str,
    what: &'static str,
    send: Vec<u8>,
    expect: Expect,
    /// Where the `h2` crate (hyper's HTTP/2) answers otherwise than RFC 9113 asks, what the
    /// RFC (and h2spec) want; `expect` is then what the gateway does (still a refusal).
    rfc: Option<&'static str>,
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    frames::frame(&mut out, kind, flags, stream, payload);
    out
}

fn get(stream: u32) -> Vec<u8> {
    frame(
        frames::HEADERS,
        frames::END_HEADERS | frames::END_STREAM,
        stream,
        &frames::get_block("open.test"),
    )
}

fn cases() -> Vec<Case> {
    let block = frames::get_block("open.test");
    let mut upper = block.clone();
    upper.extend(frames::literal("X-Upper", b"1"));
    let mut connection_header = block.clone();
    connection_header.extend(frames::literal("connection", b"keep-alive"));
    let mut no_path = vec![0x82, 0x86];
    no_path.extend(frames::literal(":authority", b"open.test"));
    let mut settings_window = Vec::new();
    settings_window.extend_from_slice(&4u16.to_be_bytes());
    settings_window.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    let mut settings_frame_size = Vec::new();
    settings_frame_size.extend_from_slice(&5u16.to_be_bytes());
    settings_frame_size.extend_from_slice(&16_383u32.to_be_bytes());
    vec![
        Case {
            section: "4.2/2",
            what: "a DATA frame larger than SETTINGS_MAX_FRAME_SIZE (16384)",
            send: [
                frame(frames::HEADERS, frames::END_HEADERS, 1, &block),
                frame(DATA, 0, 1, &vec![0; 16_385]),
            ]
            .concat(),
            rfc: None,
            expect: Expect::GoAway(FRAME_SIZE_ERROR),
        },
        Case {
            section: "4.3/1",
            what: "a header block that is not valid HPACK (an index beyond both tables)",
            send: frame(frames::HEADERS, frames::END_HEADERS, 1, &[0xc6]),
            rfc: Some("GOAWAY COMPRESSION_ERROR"),
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "5.1.1/1",
            what: "a client stream with an even id",
            send: get(2),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "5.1.1/2",
            what: "a stream id lower than one already used",
            send: [get(5), get(3)].concat(),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "5.1/9",
            what: "DATA on a stream the client half-closed",
            send: [get(1), frame(DATA, 0, 1, b"x")].concat(),
            rfc: Some("STREAM_CLOSED (stream or connection error)"),
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.1/2",
            what: "DATA on stream 0",
            send: frame(DATA, 0, 0, b"x"),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.2/2",
            what: "HEADERS on stream 0",
            send: frame(frames::HEADERS, frames::END_HEADERS, 0, &block),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.3/2",
            what: "a PRIORITY frame of 4 bytes",
            send: frame(PRIORITY, 0, 1, &[0, 0, 0, 0]),
            rfc: Some("RST_STREAM FRAME_SIZE_ERROR"),
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.4/2",
            what: "RST_STREAM on an idle stream",
            send: frame(frames::RST_STREAM, 0, 1, &frames::CANCEL.to_be_bytes()),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.5/1",
            what: "SETTINGS with ACK and a payload",
            send: frame(frames::SETTINGS, ACK, 0, &[0, 4, 0, 0, 0, 1]),
            rfc: Some("GOAWAY FRAME_SIZE_ERROR"),
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.5/3",
            what: "SETTINGS of 3 bytes",
            send: frame(frames::SETTINGS, 0, 0, &[0, 0, 0]),
            rfc: Some("GOAWAY FRAME_SIZE_ERROR"),
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.5.2/3",
            what: "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1",
            send: frame(frames::SETTINGS, 0, 0, &settings_window),
            rfc: Some("GOAWAY FLOW_CONTROL_ERROR"),
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.5.2/4",
            what: "SETTINGS_MAX_FRAME_SIZE below 16384",
            send: frame(frames::SETTINGS, 0, 0, &settings_frame_size),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.7/1",
            what: "PING is answered with its payload",
            send: frame(PING, 0, 0, b"h2spec!!"),
            rfc: None,
            expect: Expect::Frame(PING, ACK, Some(b"h2spec!!".to_vec())),
        },
        Case {
            section: "6.7/4",
            what: "PING on a stream",
            send: frame(PING, 0, 1, b"h2spec!!"),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.9/2",
            what: "WINDOW_UPDATE of 0 on the connection",
            send: frame(WINDOW_UPDATE, 0, 0, &[0, 0, 0, 0]),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "6.9.1/2",
            what: "a connection window beyond 2^31-1",
            send: [
                frame(WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()),
                frame(WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()),
            ]
            .concat(),
            rfc: None,
            expect: Expect::GoAway(FLOW_CONTROL_ERROR),
        },
        Case {
            section: "6.10/2",
            what: "CONTINUATION after a HEADERS that ended its block",
            send: [
                get(1),
                frame(frames::CONTINUATION, frames::END_HEADERS, 1, &block),
            ]
            .concat(),
            rfc: None,
            expect: Expect::GoAway(PROTOCOL_ERROR),
        },
        Case {
            section: "8.1.2/1",
            what: "an upper-case header name",
            send: frame(
                frames::HEADERS,
                frames::END_HEADERS | frames::END_STREAM,
                1,
                &upper,
            ),
            rfc: None,
            expect: Expect::Reset(1, PROTOCOL_ERROR),
        },
        Case {
            section: "8.1.2.2/1",
            what: "a connection-specific header field",
            send: frame(
                frames::HEADERS,
                frames::END_HEADERS | frames::END_STREAM,
                1,
                &connection_header,
            ),
            rfc: None,
            expect: Expect::Reset(1, PROTOCOL_ERROR),
        },
        Case {
            section: "8.1.2.3/3",
            what: "a request without :path",
            send: frame(
                frames::HEADERS,
                frames::END_HEADERS | frames::END_STREAM,
                1,
                &no_path,
            ),
            rfc: None,
            expect: Expect::Reset(1, PROTOCOL_ERROR),
        },
        Case {
            section: "5.1/1 (sanity)",
            what: "a well-formed GET is answered",
            send: get(1),
            rfc: None,
            expect: Expect::Answered(1),
        },
    ]
}

fn matches(expect: &Expect, f: &Frame) -> bool {
    match expect {
        Expect::GoAway(_) => f.kind == frames::GOAWAY,
        Expect::Reset(stream, _) => {
            f.kind == frames::GOAWAY || (f.kind == frames::RST_STREAM && f.stream == *stream)
        }
        Expect::Frame(kind, flags, _) => f.kind == *kind && f.flags & flags == *flags,
        Expect::Answered(stream) => f.kind == frames::HEADERS && f.stream == *stream,
    }
}

fn verdict(expect: &Expect, got: Option<&Frame>) -> Result<(), String> {
    let Some(f) = got else {
        return Err("no answer (connection closed or still waiting)".to_owned());
    };
    let ok = match expect {
        Expect::GoAway(code) | Expect::Reset(_, code) => frames::error_code(f) == Some(*code),
        Expect::Frame(_, _, payload) => payload.as_ref().is_none_or(|p| *p == f.payload),
        Expect::Answered(_) => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "got frame type {} code {:?}",
            f.kind,
            frames::error_code(f)
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2spec_server_cases() {
    let pki = Pki::new();
    let upstream = Upstream::start(None);
    let yaml = config(&pki, &format!("http://{}", upstream.addr), "[http, https]");
    let gw = Gateway::start(&yaml, &pki.server).await;
    let cases = cases();
    let total = cases.len();
    let mut failed = Vec::new();
    let mut deviations = Vec::new();
    for case in cases {
        let mut tcp = tokio::net::TcpStream::connect(gw.plain).await.unwrap();
        let mut out = frames::client_start();
        frames::frame(&mut out, frames::SETTINGS, ACK, 0, &[]);
        out.extend_from_slice(&case.send);
        tcp.write_all(&out).await.unwrap();
        let got = frames::read_until(&mut tcp, Duration::from_secs(10), |f| {
            matches(&case.expect, f)
        })
        .await;
        if let Some(rfc) = case.rfc {
            deviations.push(format!(
                "{} {}: RFC {rfc}, here {:?}",
                case.section, case.what, case.expect
            ));
        }
        if let Err(why) = verdict(&case.expect, got.as_ref()) {
            failed.push(format!(
                "{} {}: expected {:?}, {why}",
                case.section, case.what, case.expect
            ));
        }
    }
    println!(
        "h2spec server cases: {total} run, {} failed; {} as RFC 9113 asks, {} refused with another error code:\n{}",
        failed.len(),
        total - deviations.len(),
        deviations.len(),
        deviations.join("\n")
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    gw.running.shutdown().await;
}
