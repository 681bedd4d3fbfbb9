//! Strict PEM reading for header values: one or more `CERTIFICATE` blocks and nothing else
//! (header-formats.md section 1.6). Lines break on LF or CRLF ([`Breaks::Lines`]) or, for
//! Apache's mod_headers output, on runs of spaces ([`Breaks::Spaces`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::HeaderFormat;
use crate::chain::check_count;
use crate::error::{HeaderError, PemProblem};
use crate::hygiene::Limits;

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";
const LABEL: &[u8] = b"CERTIFICATE";
const MAX_LINE: usize = 64;

/// Whether `b` may appear in a body line: the base64 alphabet and `=`.
fn is_body_byte(b: u8) -> bool {
    // Written as lane-wise arithmetic so that a chunk check vectorises: digits, letters of
    // either case (`| 0x20` folds them), `+`, `/`, `=`.
    (b.wrapping_sub(b'0') < 10)
        | ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b == b'+')
        | (b == b'/')
        | (b == b'=')
}

/// The length of the run of body bytes at the start of `text`. Whole 16-byte chunks are
/// checked branch-free (vectorised) first, then the chunk holding the end byte by byte.
fn body_run(text: &[u8]) -> usize {
    let mut n = 0;
    for chunk in text.chunks_exact(16) {
        if !chunk.iter().fold(true, |all, &b| all & is_body_byte(b)) {
            break;
        }
        n += 16;
    }
    let rest = text.get(n..).unwrap_or_default();
    n + rest
        .iter()
        .position(|&b| !is_body_byte(b))
        .unwrap_or(rest.len())
}

/// What separates the lines of a PEM text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Breaks {
    /// LF or CRLF (OpenSSL / Go output, after percent-decoding).
    Lines,
    /// One or more SP or HTAB (Apache replaced each CR and LF by a space; an unfolded
    /// obs-fold became spaces).
    Spaces,
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    breaks: Breaks,
    format: HeaderFormat,
    index: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, problem: PemProblem) -> HeaderError {
        HeaderError::Pem {
            format: self.format,
            index: self.index,
            offset: self.pos,
            problem,
        }
    }

    fn rest(&self) -> &[u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Consumes a line break; false when there is none here.
    fn line_break(&mut self) -> bool {
        let rest = self.rest();
        let n = match self.breaks {
            Breaks::Lines if rest.starts_with(b"\r\n") => 2,
            Breaks::Lines if rest.starts_with(b"\n") => 1,
            Breaks::Lines => 0,
            Breaks::Spaces => rest
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count(),
        };
        self.pos += n;
        n > 0
    }

    /// Reads `-----<kind>LABEL-----`, returning the label.
    fn boundary(&mut self, kind: &[u8]) -> Result<&'a [u8], HeaderError> {
        let input: &'a [u8] = self.input;
        if !self.rest().starts_with(kind) {
            return Err(self.err(if kind == BEGIN {
                PemProblem::ExpectedBegin
            } else {
                PemProblem::MalformedBoundary
            }));
        }
        let label_start = self.pos + kind.len();
        let label_len = input
            .get(label_start..)
            .unwrap_or_default()
            .windows(DASHES.len())
            .position(|w| w == DASHES)
            .ok_or_else(|| self.err(PemProblem::MalformedBoundary))?;
        let label = &input[label_start..label_start + label_len];
        if label
            .iter()
            .any(|&b| !(0x20..0x7f).contains(&b) || b == b'-')
        {
            return Err(self.err(PemProblem::MalformedBoundary));
        }
        self.pos = label_start + label_len + DASHES.len();
        Ok(label)
    }

    /// Reads one block; returns its DER.
    fn block(&mut self) -> Result<Vec<u8>, HeaderError> {
        let label = self.boundary(BEGIN)?;
        if label != LABEL {
            return Err(HeaderError::WrongPemLabel {
                format: self.format,
                index: self.index,
                label: String::from_utf8_lossy(label).into_owned(),
            });
        }
        if !self.line_break() {
            return Err(self.err(PemProblem::MalformedBoundary));
        }
        let mut body = Vec::with_capacity(self.input.len().min(64 * 1024));
        loop {
            if self.at_end() {
                return Err(self.err(PemProblem::Unterminated));
            }
            if self.rest().starts_with(END) {
                break;
            }
            let line_len = body_run(self.rest());
            let line = &self.input[self.pos..self.pos + line_len];
            self.pos += line_len;
            if line_len == 0 || line_len > MAX_LINE {
                if line_len == 0
                    && let Some(&byte) = self.rest().first()
                {
                    return Err(self.err(PemProblem::UnexpectedByte { byte }));
                }
                return Err(self.err(PemProblem::BadLineLength { length: line_len }));
            }
            body.extend_from_slice(line);
            if !self.line_break() {
                return match self.rest().first() {
                    Some(&byte) => Err(self.err(PemProblem::UnexpectedByte { byte })),
                    None => Err(self.err(PemProblem::Unterminated)),
                };
            }
        }
        let end_label = self.boundary(END)?;
        if end_label != LABEL {
            return Err(self.err(PemProblem::EndLabelMismatch));
        }
        STANDARD.decode(&body).map_err(|e| HeaderError::Base64 {
            format: self.format,
            index: self.index,
            problem: e.into(),
        })
    }
}

/// Reads every CERTIFICATE block of `input`, in order, returning their DER. The text must
/// start with a BEGIN line and hold nothing but blocks separated by one line break; a final
/// line break is optional. At least one block is required.
pub(crate) fn read_blocks(
    format: HeaderFormat,
    input: &[u8],
    breaks: Breaks,
    limits: &Limits,
) -> Result<Vec<Vec<u8>>, HeaderError> {
    let mut reader = Reader {
        input,
        pos: 0,
        breaks,
        format,
        index: 0,
    };
    if input.is_empty() {
        return Err(reader.err(PemProblem::NoBlock));
    }
    let mut ders = Vec::new();
    loop {
        check_count(format, ders.len(), limits)?;
        reader.index = ders.len();
        ders.push(reader.block()?);
        let had_break = reader.line_break();
        if reader.at_end() {
            return Ok(ders);
        }
        if !had_break {
            return Err(reader.err(PemProblem::ExpectedBegin));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: HeaderFormat = HeaderFormat::UrlEncoded;

    fn read(input: &str, breaks: Breaks) -> Result<Vec<Vec<u8>>, HeaderError> {
        read_blocks(F, input.as_bytes(), breaks, &Limits::default())
    }

    #[test]
    fn reads_blocks_in_both_modes() {
        let text = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        assert_eq!(read(text, Breaks::Lines).unwrap(), vec![vec![0, 1, 2]]);
        let two = format!("{text}{}", text.trim_end());
        assert_eq!(read(&two, Breaks::Lines).unwrap().len(), 2);
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(read(&crlf, Breaks::Lines).unwrap(), vec![vec![0, 1, 2]]);
        let spaced = "-----BEGIN CERTIFICATE----- AAEC  -----END CERTIFICATE-----";
        assert_eq!(read(spaced, Breaks::Spaces).unwrap(), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn refuses_what_is_not_strict() {
        let kind = |s: &str| match read(s, Breaks::Lines).unwrap_err() {
            HeaderError::Pem { problem, .. } => format!("{problem:?}"),
            e => e.kind().to_owned(),
        };
        assert_eq!(kind(""), "NoBlock");
        assert_eq!(
            kind("x-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n"),
            "ExpectedBegin"
        );
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\nx"),
            "ExpectedBegin"
        );
        assert_eq!(
            kind("-----BEGIN X509 CERTIFICATE-----\nAAEC\n-----END X509 CERTIFICATE-----\n"),
            "wrong_pem_label"
        );
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\nAAEC\n-----END PRIVATE KEY-----\n"),
            "EndLabelMismatch"
        );
        assert_eq!(kind("-----BEGIN CERTIFICATE-----\nAAEC\n"), "Unterminated");
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\nAA EC\n-----END CERTIFICATE-----\n"),
            "UnexpectedByte { byte: 32 }"
        );
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"),
            "UnexpectedByte { byte: 10 }"
        );
        let long = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            "A".repeat(68)
        );
        assert_eq!(kind(&long), "BadLineLength { length: 68 }");
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\nAAE\n-----END CERTIFICATE-----\n"),
            "base64"
        );
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\nAA%3D\n-----END CERTIFICATE-----\n"),
            "UnexpectedByte { byte: 37 }"
        );
    }

    #[test]
    fn block_limit() {
        let text = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n".repeat(3);
        let limits = Limits::default().with_max_certificates(2);
        assert_eq!(
            read_blocks(F, text.as_bytes(), Breaks::Lines, &limits).unwrap_err(),
            HeaderError::TooManyCertificates {
                format: F,
                limit: 2
            }
        );
    }
}
