//! The size limit on what a WebSocket client sends through a tunnel: RFC 6455 frame headers
//! are followed in the client's bytes (the payloads are not read or unmasked), and a frame,
//! or a message of fragments, longer than the limit ends the tunnel. The upstream's frames
//! are not followed: it is the trusted side.

/// Why the tunnel was ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FrameError {
    /// A frame or a fragmented message is longer than the limit.
    #[error("a WebSocket message of at least {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// The size seen (the frame's declared length, or the message's so far).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A control frame longer than 125 bytes, or fragmented (RFC 6455 section 5.5).
    #[error("a WebSocket control frame that is fragmented or longer than 125 bytes")]
    BadControl,
}

/// Where the tracker is in the client's byte stream.
#[derive(Clone, Copy, Debug)]
enum Position {
    /// In a frame header: the bytes so far.
    Header { bytes: [u8; 14], have: usize },
    /// In a payload: the bytes left.
    Payload { left: u64 },
}

/// Follows frame boundaries in one direction of a WebSocket connection.
#[derive(Debug)]
pub(crate) struct FrameLimit {
    limit: u64,
    position: Position,
    /// The data message being received (its fragments so far).
    message: u64,
}

/// A header's length once its first two bytes are known.
fn header_len(first_two: [u8; 2]) -> usize {
    let masked = first_two[1] & 0x80 != 0;
    let extended = match first_two[1] & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + extended + if masked { 4 } else { 0 }
}

impl FrameLimit {
    /// A tracker refusing frames and messages over `limit` bytes.
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
            position: Position::Header {
                bytes: [0; 14],
                have: 0,
            },
            message: 0,
        }
    }

    /// Follows `data`, the next bytes the client sent.
    pub(crate) fn feed(&mut self, mut data: &[u8]) -> Result<(), FrameError> {
        while !data.is_empty() {
            match &mut self.position {
                Position::Payload { left } => {
                    let step = usize::try_from(*left).unwrap_or(usize::MAX).min(data.len());
                    *left -= u64::try_from(step).unwrap_or(u64::MAX).min(*left);
                    data = &data[step..];
                    if *left == 0 {
                        self.position = Position::Header {
                            bytes: [0; 14],
                            have: 0,
                        };
                    }
                }
                Position::Header { bytes, have } => {
                    bytes[*have] = data[0];
                    *have += 1;
                    data = &data[1..];
                    if *have >= 2 && *have == header_len([bytes[0], bytes[1]]) {
                        let header = *bytes;
                        let len = *have;
                        self.start_frame(&header[..len])?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A complete header: checks the frame against the limit and moves to its payload.
    fn start_frame(&mut self, header: &[u8]) -> Result<(), FrameError> {
        let fin = header[0] & 0x80 != 0;
        let opcode = header[0] & 0x0f;
        let payload = match header[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes([header[2], header[3]])),
            127 => {
                let mut eight = [0u8; 8];
                eight.copy_from_slice(&header[2..10]);
                u64::from_be_bytes(eight)
            }
            n => u64::from(n),
        };
        if opcode >= 8 {
            if payload > 125 || !fin {
                return Err(FrameError::BadControl);
            }
        } else {
            // A data frame starts a message (opcodes 1, 2, ...); a continuation (0) adds to it.
            let size = if opcode == 0 {
                self.message.saturating_add(payload)
            } else {
                payload
            };
            if size > self.limit {
                return Err(FrameError::TooLarge {
                    size,
                    limit: self.limit,
                });
            }
            self.message = if fin { 0 } else { size };
        }
        self.position = if payload == 0 {
            Position::Header {
                bytes: [0; 14],
                have: 0,
            }
        } else {
            Position::Payload { left: payload }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame.
    fn frame(fin: bool, opcode: u8, payload: usize) -> Vec<u8> {
        let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload {
            0..=125 => out.push(0x80 | payload as u8),
            126..=0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(payload as u16).to_be_bytes());
            }
            _ => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(payload as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&[1, 2, 3, 4]);
        out.extend(std::iter::repeat_n(0x55, payload));
        out
    }

    #[test]
    fn frames_under_the_limit_pass_in_any_split() {
        let mut stream = Vec::new();
        for (fin, opcode, len) in [(true, 1, 5), (false, 2, 300), (true, 0, 700), (true, 9, 4)] {
            stream.extend(frame(fin, opcode, len));
        }
        for chunk in [1, 2, 3, 7, 64, stream.len()] {
            let mut limit = FrameLimit::new(1000);
            for piece in stream.chunks(chunk) {
                limit.feed(piece).unwrap();
            }
        }
    }

    #[test]
    fn a_large_frame_or_message_is_refused() {
        let mut limit = FrameLimit::new(1000);
        assert_eq!(
            limit.feed(&frame(true, 2, 70_000)[..14]),
            Err(FrameError::TooLarge {
                size: 70_000,
                limit: 1000
            })
        );
        let mut limit = FrameLimit::new(1000);
        limit.feed(&frame(false, 1, 600)).unwrap();
        // A ping between fragments does not count toward the message.
        limit.feed(&frame(true, 9, 10)).unwrap();
        assert_eq!(
            limit.feed(&frame(true, 0, 600)),
            Err(FrameError::TooLarge {
                size: 1200,
                limit: 1000
            })
        );
        let mut limit = FrameLimit::new(u64::MAX);
        assert_eq!(
            limit.feed(&frame(true, 9, 200)),
            Err(FrameError::BadControl)
        );
        let mut limit = FrameLimit::new(u64::MAX);
        assert_eq!(limit.feed(&frame(false, 8, 2)), Err(FrameError::BadControl));
    }
}
