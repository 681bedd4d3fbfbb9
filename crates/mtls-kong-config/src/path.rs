//! Request paths, normalised before routing as Kong's router normalises them (decisions.md
//! item 13), and escaped again for the upstream as Kong escapes them.
//!
//! [`normalize`] follows Kong's `kong.tools.uri.normalize(path, true)`, which Kong's router
//! applies to every request path before matching:
//!
//! 1. Percent-decoding. An escape of a reserved character (`! * ' ( ) ; : @ & = + $ , / ? % #
//!    [ ]`) stays an escape, its hex digits upper-cased (`%2f` becomes `%2F`), so `%2F` never
//!    splits a segment. Every other escape is decoded: the unreserved characters (`%41` is
//!    `A`, `%2E` is `.`) and, as Kong does, the characters that are neither (`%20` is a space,
//!    `%C3%A9` is `é`). Routes match the decoded text; [`escape`] encodes those characters
//!    again for the upstream.
//! 2. Dot segments are removed (RFC 3986 section 5.2.4), also when written `%2e` / `%2E`, and
//!    empty segments are merged (`//x` is `/x`), as Kong's router does.
//!
//! Where Kong (and nginx before it) refuse a request, so does [`normalize`], with a
//! [`PathError`] the caller answers 400: a path that climbs above the root (`/..`, `/a/../..`;
//! nginx answers 400, Kong's normaliser alone would stop at the root), a `%` not followed by two
//! hex digits (nginx: 400), and escapes that decode to bytes that are not UTF-8 (Kong's router
//! cannot match such a path and answers 404). The path is the request target's path only: a
//! `?` or `#` in it is refused, so a query can never be normalised into the path.
//!
//! ```
//! use mtls_kong_config::path::{PathError, normalize};
//!
//! assert_eq!(normalize("/public/../admin")?.as_str(), "/admin");
//! assert_eq!(normalize("/public/%2e%2E/admin")?.as_str(), "/admin");
//! assert_eq!(normalize("/a/%2f/b")?.as_str(), "/a/%2F/b");
//! assert_eq!(normalize("/caf%C3%A9%20au%20lait")?.as_str(), "/café au lait");
//! // What the upstream receives: Kong's escape of the normalised path.
//! assert_eq!(normalize("/caf%C3%A9%20au%20lait")?.escaped(), "/caf%C3%A9%20au%20lait");
//! assert_eq!(normalize("/.."), Err(PathError::AboveRoot));
//! # Ok::<(), PathError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

/// Kong's reserved characters: an escape of one of these keeps its meaning only encoded, so it
/// is never decoded (only its hex digits are upper-cased).
const RESERVED: &[u8] = b"!*'();:@&=+$,/?%#[]";

/// Whether [`escape`] leaves `byte` as it is: the reserved and unreserved characters and `%`
/// (Kong's `uri.escape` pattern). Everything else is written as an upper-case `%XX`.
fn kept_by_escape(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$&'()*+,/:;=?@[]-_.~%".contains(&byte)
}

/// Why a request path cannot be routed: the caller answers 400 Bad Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path does not start with `/` (an origin-form request target always does).
    #[error("request path does not start with '/'")]
    NotAbsolute,
    /// A raw `?` or `#`: the query or fragment was passed as part of the path.
    #[error("request path contains a raw {found:?} at byte {at}: pass the path without its query")]
    QueryInPath {
        /// The character (`?` or `#`).
        found: char,
        /// Its byte offset in the raw path.
        at: usize,
    },
    /// A `%` not followed by two hex digits.
    #[error("request path: '%' at byte {at} is not followed by two hex digits")]
    BadPercentEncoding {
        /// The byte offset of the `%` in the raw path.
        at: usize,
    },
    /// Percent-decoding gives a byte sequence that is not UTF-8.
    #[error("request path: the percent-escapes decode to bytes that are not UTF-8")]
    NotUtf8,
    /// A `..` segment climbs above the root.
    #[error("request path: a '..' segment climbs above the root")]
    AboveRoot,
}

impl PathError {
    /// The HTTP status to answer: always 400.
    pub fn status(&self) -> u16 {
        400
    }
}

/// A request path after [`normalize`]: what the router matches (`as_str`), and what the
/// upstream receives once escaped ([`NormalizedPath::escaped`]). Borrows the raw path when it
/// was already normal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedPath<'a>(Cow<'a, str>);

impl<'a> NormalizedPath<'a> {
    /// The normalised path, as routes match it (decoded: it may hold spaces or non-ASCII
    /// characters). Not for a request line or a log: use [`NormalizedPath::escaped`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised path as the upstream receives it (Kong's `uri.escape`): the decoded
    /// characters that need encoding are encoded again, upper-case.
    pub fn escaped(&self) -> Cow<'_, str> {
        escape(&self.0)
    }

    /// Whether the raw path was already normal (nothing was allocated).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }

    /// An owned copy.
    pub fn into_owned(self) -> NormalizedPath<'static> {
        NormalizedPath(Cow::Owned(self.0.into_owned()))
    }
}

impl AsRef<str> for NormalizedPath<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Writes the escaped form (safe in a request line and in a log).
impl fmt::Display for NormalizedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.escaped())
    }
}

/// Normalises a request path (the request target's path, without its query) as Kong's router
/// does before matching; see the [module documentation](self).
///
/// ```
/// use mtls_kong_config::path::normalize;
///
/// assert_eq!(normalize("/anon/../mtls")?.as_str(), "/mtls");
/// assert_eq!(normalize("//x")?.as_str(), "/x");
/// assert!(normalize("/plain/path")?.is_borrowed());
/// # Ok::<(), mtls_kong_config::path::PathError>(())
/// ```
pub fn normalize(raw: &str) -> Result<NormalizedPath<'_>, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if let Some(at) = raw.find(['?', '#']) {
        let found = if raw.as_bytes()[at] == b'?' { '?' } else { '#' };
        return Err(PathError::QueryInPath { found, at });
    }
    let decoded = if raw.contains('%') {
        Cow::Owned(percent_decode(raw)?)
    } else {
        Cow::Borrowed(raw)
    };
    let normal = if needs_dot_removal(&decoded) {
        Cow::Owned(remove_dot_segments(&decoded)?)
    } else {
        decoded
    };
    // Decoding may have produced exactly the raw text (`%2F` stays `%2F`): borrow it then.
    Ok(NormalizedPath(match normal {
        Cow::Owned(s) if s == raw => Cow::Borrowed(raw),
        other => other,
    }))
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes every escape except those of reserved characters, which are upper-cased.
fn percent_decode(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte != b'%' {
            out.push(byte);
            i += 1;
            continue;
        }
        let hi = bytes.get(i + 1).copied().and_then(hex_value);
        let lo = bytes.get(i + 2).copied().and_then(hex_value);
        let (Some(hi), Some(lo)) = (hi, lo) else {
            return Err(PathError::BadPercentEncoding { at: i });
        };
        let value = (hi << 4) | lo;
        if RESERVED.contains(&value) {
            out.push(b'%');
            out.push(bytes[i + 1].to_ascii_uppercase());
            out.push(bytes[i + 2].to_ascii_uppercase());
        } else {
            out.push(value);
        }
        i += 3;
    }
    String::from_utf8(out).map_err(|_| PathError::NotUtf8)
}

/// Whether `path` may hold a dot segment or an empty segment.
fn needs_dot_removal(path: &str) -> bool {
    path.contains("//") || path.contains("/.")
}

/// RFC 3986 section 5.2.4 on an absolute path, with empty segments merged (Kong's
/// `merge_slashes`); `..` above the root is an error.
fn remove_dot_segments(path: &str) -> Result<String, PathError> {
    let mut kept: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    let segments = path.get(1..).unwrap_or_default().split('/');
    for segment in segments {
        // A path ending in `/`, `/.` or `/..` keeps a trailing slash.
        trailing_slash = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop().ok_or(PathError::AboveRoot)?;
            }
            other => kept.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || kept.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Kong's `uri.escape`: every byte other than the reserved and unreserved characters and `%`
/// is written `%XX` (upper case). Borrows `path` when nothing needs escaping.
///
/// ```
/// use mtls_kong_config::path::escape;
/// assert_eq!(escape("/a b/é"), "/a%20b/%C3%A9");
/// assert_eq!(escape("/a%2Fb"), "/a%2Fb");
/// ```
pub fn escape(path: &str) -> Cow<'_, str> {
    if path.bytes().all(kept_by_escape) {
        return Cow::Borrowed(path);
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len() + 16);
    for byte in path.bytes() {
        if kept_by_escape(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(raw: &str) -> Result<String, PathError> {
        normalize(raw).map(|p| p.as_str().to_owned())
    }

    #[test]
    fn the_attacks_route_as_their_target() {
        assert_eq!(n("/public/../admin").as_deref(), Ok("/admin"));
        assert_eq!(n("/public/%2e%2e/admin").as_deref(), Ok("/admin"));
        assert_eq!(n("/public/%2E%2E/admin").as_deref(), Ok("/admin"));
        assert_eq!(n("/public/.%2e/admin").as_deref(), Ok("/admin"));
        assert_eq!(n("/anon/../mtls").as_deref(), Ok("/mtls"));
        assert_eq!(n("/anon/./../mtls/").as_deref(), Ok("/mtls/"));
    }

    #[test]
    fn encoded_slash_never_splits() {
        assert_eq!(n("/a/%2F/b").as_deref(), Ok("/a/%2F/b"));
        assert_eq!(n("/a/%2f/b").as_deref(), Ok("/a/%2F/b"));
        assert_eq!(n("/a/..%2F../b").as_deref(), Ok("/a/..%2F../b"));
        assert_eq!(n("/a%2F..%2Fb").as_deref(), Ok("/a%2F..%2Fb"));
    }

    #[test]
    fn refusals() {
        assert_eq!(n("/.."), Err(PathError::AboveRoot));
        assert_eq!(n("/../a"), Err(PathError::AboveRoot));
        assert_eq!(n("/a/../.."), Err(PathError::AboveRoot));
        assert_eq!(n("/%2e%2e/a"), Err(PathError::AboveRoot));
        assert_eq!(n("a/b"), Err(PathError::NotAbsolute));
        assert_eq!(n(""), Err(PathError::NotAbsolute));
        assert_eq!(n("/a%2"), Err(PathError::BadPercentEncoding { at: 2 }));
        assert_eq!(n("/a%zz"), Err(PathError::BadPercentEncoding { at: 2 }));
        assert_eq!(n("/a%FF"), Err(PathError::NotUtf8));
        assert_eq!(
            n("/a?x=/../b"),
            Err(PathError::QueryInPath { found: '?', at: 2 })
        );
        assert_eq!(n("/a#f"), Err(PathError::QueryInPath { found: '#', at: 2 }));
        assert_eq!(PathError::AboveRoot.status(), 400);
    }

    #[test]
    fn slashes_merge() {
        assert_eq!(n("//x").as_deref(), Ok("/x"));
        assert_eq!(n("/////").as_deref(), Ok("/"));
        assert_eq!(n("/a//b//").as_deref(), Ok("/a/b/"));
        assert_eq!(n("/").as_deref(), Ok("/"));
    }

    #[test]
    fn borrowed_when_normal() {
        assert!(normalize("/a/b.c/d").unwrap().is_borrowed());
        assert!(normalize("/a%2Fb").unwrap().is_borrowed());
        assert!(!normalize("/a%2fb").unwrap().is_borrowed());
        assert!(!normalize("/a/./b").unwrap().is_borrowed());
    }

    #[test]
    fn escape_round_trip() {
        let p = normalize("/x%20y/%E2%82%AC/%5C").unwrap();
        assert_eq!(p.as_str(), "/x y/€/\\");
        assert_eq!(p.escaped(), "/x%20y/%E2%82%AC/%5C");
        assert_eq!(p.to_string(), "/x%20y/%E2%82%AC/%5C");
        assert_eq!(escape("/a"), Cow::Borrowed("/a"));
    }
}
