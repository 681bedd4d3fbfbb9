//! `xfcc`: Envoy / Istio / Azure Container Apps `x-forwarded-client-cert`.
//!
//! Grammar (Envoy's docs and its `xfcc_value` formatter): elements separated by `,`, pairs
//! by `;`, both only outside double quotes; a `"` opens or closes quoting unless preceded by an
//! odd number of backslashes; keys case-insensitive. Inside a quoted value only `\"` and `\\`
//! are unescaped, other `\X` stay verbatim (so RFC 2253 escapes in `Subject` survive).
//!
//! Accepted: one or more field lines (they combine as more elements); OWS around elements;
//! any keys (`By`, `URI`, `DNS` may repeat; unknown keys are ignored). Only the LAST element
//! is used: it is the one the directly connected proxy added and vouches for, earlier ones
//! came from earlier hops (envoyproxy/envoy#6038). In it, `Cert` (percent-decoded once, then
//! exactly one PEM block) and/or `Chain` (percent-decoded, 1..n PEM blocks, leaf included
//! first), quoted or not; when both are present `Chain` must start with `Cert`. `Hash`, when
//! present, must be the leaf's SHA-256 in hex (either case).
//!
//! Absent: an empty header.
//!
//! Refused: unterminated quotes, a quote inside an unquoted value, empty elements or pairs
//! (`,,`, `;;`, trailing separators), pairs without `=`, duplicate `Cert`/`Chain`/`Hash`/
//! `Subject` in any element (the trace of a forged `Cert=` smuggled through a DN, which the
//! quote-aware split already keeps inside `Subject`), a last element with neither `Cert` nor
//! `Chain`, a `Hash` mismatch, raw PEM (line breaks), a gorouter-style bare base64 value.

use std::borrow::Cow;

use crate::HeaderFormat;
use crate::chain::ForwardedChain;
use crate::error::{HeaderError, XfccSyntax};
use crate::formats::url_encoded::percent_decode_strict;
use crate::hygiene::{Limits, clean_value};
use crate::pem::{Breaks, read_blocks};

const FORMAT: HeaderFormat = HeaderFormat::Xfcc;

/// The default header name.
pub const HEADER: &str = "x-forwarded-client-cert";

/// Keys that may appear at most once per element.
const SINGLE_KEYS: [&str; 4] = ["Hash", "Cert", "Chain", "Subject"];

/// One `key=value` pair of an element; the value is unquoted and unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair<'a> {
    /// The key as written (compare case-insensitively).
    pub key: &'a str,
    /// The value: unquoted, `\"` and `\\` unescaped.
    pub value: Cow<'a, str>,
}

/// One XFCC element: the pairs one proxy added, in order.
pub type Element<'a> = Vec<Pair<'a>>;

fn syntax(line: usize, offset: usize, syntax: XfccSyntax) -> HeaderError {
    HeaderError::XfccSyntax {
        line,
        offset,
        syntax,
    }
}

fn ascii(bytes: &[u8]) -> &str {
    // Hygiene admitted only ASCII; an empty string is never reached.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Unquotes a value written between `start` and `end` of `line`.
fn value<'a>(line: &'a [u8], start: usize, n: usize) -> Result<Cow<'a, str>, HeaderError> {
    let raw = &line[start..start + n];
    let [b'"', inner @ .., b'"'] = raw else {
        if let Some(p) = raw.iter().position(|&b| b == b'"') {
            return Err(syntax(0, start + p, XfccSyntax::MisplacedQuote));
        }
        return Ok(Cow::Borrowed(ascii(raw)));
    };
    // Inside: every `"` must be escaped, and the closing quote must not be.
    let mut out = String::new();
    let mut escaped = false;
    let mut needs_copy = false;
    for (i, &b) in inner.iter().enumerate() {
        if escaped {
            if b != b'"' && b != b'\\' {
                out.push('\\');
            } else {
                needs_copy = true;
            }
            out.push(char::from(b));
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            return Err(syntax(0, start + 1 + i, XfccSyntax::MisplacedQuote));
        } else {
            out.push(char::from(b));
        }
    }
    if escaped {
        return Err(syntax(0, start + n - 1, XfccSyntax::UnterminatedQuote));
    }
    Ok(if needs_copy {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(ascii(inner))
    })
}

fn pair(line: &[u8], start: usize, end: usize) -> Result<Pair<'_>, HeaderError> {
    let text = &line[start..end];
    let eq = text
        .iter()
        .position(|&b| b == b'=')
        .ok_or_else(|| syntax(0, start, XfccSyntax::MissingEquals))?;
    let key = &text[..eq];
    if key.is_empty()
        || !key
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(syntax(0, start, XfccSyntax::BadKey));
    }
    let value = value(line, start + eq + 1, text.len() - eq - 1)?;
    Ok(Pair {
        key: ascii(key),
        value,
    })
}

fn trim_span(line: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && matches!(line[start], b' ' | b'\t') {
        start += 1;
    }
    while end > start && matches!(line[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    (start, end)
}

/// Splits one field line into elements of pairs, quote-aware.
fn parse_line_inner<'a>(
    line: &'a [u8],
    out: &mut Vec<Element<'a>>,
    limits: &Limits,
) -> Result<(), HeaderError> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut in_quotes = false;
    let mut quote_at = 0;
    let mut backslashes = 0usize;
    let mut pair_start = 0;
    let mut finish_element =
        |spans: &mut Vec<(usize, usize)>, at: usize| -> Result<(), HeaderError> {
            if out.len() >= limits.max_xfcc_elements() {
                return Err(HeaderError::TooManyElements {
                    limit: limits.max_xfcc_elements(),
                });
            }
            // Surrounding OWS belongs to the element separator, not to the values.
            if let Some(first) = spans.first_mut() {
                first.0 = trim_span(line, first.0, first.1).0;
            }
            if let Some(last) = spans.last_mut() {
                last.1 = trim_span(line, last.0, last.1).1;
            }
            if let [(s, e)] = spans[..]
                && s == e
            {
                return Err(syntax(0, at, XfccSyntax::EmptyElement));
            }
            let mut element = Vec::with_capacity(spans.len());
            for &(s, e) in spans.iter() {
                if s == e {
                    return Err(syntax(0, s, XfccSyntax::EmptyPair));
                }
                element.push(pair(line, s, e)?);
            }
            spans.clear();
            out.push(element);
            Ok(())
        };
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'\\' => {
                backslashes += 1;
                continue;
            }
            b'"' if backslashes.is_multiple_of(2) => {
                in_quotes = !in_quotes;
                quote_at = i;
            }
            b';' if !in_quotes => {
                spans.push((pair_start, i));
                pair_start = i + 1;
            }
            b',' if !in_quotes => {
                spans.push((pair_start, i));
                finish_element(&mut spans, i)?;
                pair_start = i + 1;
            }
            _ => {}
        }
        backslashes = 0;
    }
    if in_quotes {
        return Err(syntax(0, quote_at, XfccSyntax::UnterminatedQuote));
    }
    spans.push((pair_start, line.len()));
    finish_element(&mut spans, line.len())
}

/// Parses the field lines of an `x-forwarded-client-cert` header into its elements (every
/// line's elements, in order), checking the grammar and the duplicate-key rule. Values are
/// not decoded. Hygiene (size, bytes) is applied first.
pub fn parse<'a>(
    header: &str,
    lines: &[&'a [u8]],
    limits: &Limits,
) -> Result<Vec<Element<'a>>, HeaderError> {
    let total: usize = lines.iter().map(|v| v.len()).sum();
    if total > limits.max_value_len() {
        return Err(HeaderError::ValueTooLarge {
            format: FORMAT,
            header: header.to_owned(),
            size: total,
            limit: limits.max_value_len(),
        });
    }
    let mut elements = Vec::new();
    for (n, raw) in lines.iter().enumerate() {
        let line = clean_value(FORMAT, header, raw, limits)?;
        if line.is_empty() {
            continue;
        }
        let lead = raw.len() - raw.trim_ascii_start().len();
        parse_line_inner(line, &mut elements, limits).map_err(|e| match e {
            HeaderError::XfccSyntax { offset, syntax, .. } => HeaderError::XfccSyntax {
                line: n,
                offset: offset + lead,
                syntax,
            },
            other => other,
        })?;
    }
    for (index, element) in elements.iter().enumerate() {
        for (i, p) in element.iter().enumerate() {
            let single = SINGLE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(p.key));
            if single
                && element[..i]
                    .iter()
                    .any(|q| q.key.eq_ignore_ascii_case(p.key))
            {
                return Err(HeaderError::XfccDuplicateKey {
                    element: index,
                    key: p.key.to_owned(),
                });
            }
        }
    }
    Ok(elements)
}

fn get<'e>(element: &'e Element<'_>, key: &str) -> Option<&'e str> {
    element
        .iter()
        .find(|p| p.key.eq_ignore_ascii_case(key))
        .map(|p| p.value.as_ref())
}

/// Decodes the field lines of an `x-forwarded-client-cert` header: the certificate of its
/// last element. `Ok(None)` when every line is empty.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = rcgen::KeyPair::generate()?;
/// # let der = rcgen::CertificateParams::new(vec!["client.test".into()])?.self_signed(&key)?.der().to_vec();
/// use mtls_header::encode::{XfccElement, xfcc_element};
/// let ours = xfcc_element(&XfccElement::new(&der).with_by("spiffe://edge").with_subject("CN=x;Cert=\"forged\""));
/// // A client-supplied element first, then the one our direct proxy appended.
/// let header = format!("Cert=\"forged\",{ours}");
/// let chain = mtls_header::formats::xfcc::decode(
///     mtls_header::formats::xfcc::HEADER, &[header.as_bytes()], &Default::default())?.expect("present");
/// assert_eq!(chain.leaf().der().as_ref(), der.as_slice());
/// # Ok(()) }
/// ```
pub fn decode(
    header: &str,
    lines: &[&[u8]],
    limits: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let elements = parse(header, lines, limits)?;
    let Some(last) = elements.last() else {
        return Ok(None);
    };
    let index = elements.len() - 1;
    let pem = |text: &str| -> Result<Vec<Vec<u8>>, HeaderError> {
        let decoded = percent_decode_strict(FORMAT, text.as_bytes())?;
        read_blocks(FORMAT, &decoded, Breaks::Lines, limits)
    };
    let cert = get(last, "Cert").map(pem).transpose()?;
    let chain = get(last, "Chain").map(pem).transpose()?;
    if let Some(cert) = &cert
        && cert.len() != 1
    {
        return Err(HeaderError::XfccCertNotSingle { count: cert.len() });
    }
    let ders = match (cert, chain) {
        (None, None) => return Err(HeaderError::XfccNoCertificate { element: index }),
        (Some(cert), None) => cert,
        (None, Some(chain)) => chain,
        (Some(cert), Some(chain)) => {
            if cert.first() != chain.first() {
                return Err(HeaderError::XfccChainLeafMismatch);
            }
            chain
        }
    };
    let decoded = ForwardedChain::build(FORMAT, ders)?;
    if let Some(hash) = get(last, "Hash") {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HeaderError::XfccBadHash {
                value: hash.to_owned(),
            });
        }
        let actual = decoded.leaf().sha256_hex();
        if !hash.eq_ignore_ascii_case(&actual) {
            return Err(HeaderError::XfccHashMismatch {
                claimed: hash.to_owned(),
                actual,
            });
        }
    }
    Ok(Some(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(s: &str) -> Result<Vec<Element<'_>>, HeaderError> {
        parse(HEADER, &[s.as_bytes()], &Limits::default())
    }

    fn syntax_of(s: &str) -> (usize, XfccSyntax) {
        match parse_one(s).unwrap_err() {
            HeaderError::XfccSyntax { offset, syntax, .. } => (offset, syntax),
            e => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn envoy_docs_examples_parse() {
        let one = "By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;Subject=\"/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client\";URI=http://testclient.lyft.com";
        let e = parse_one(one).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(
            get(&e[0], "subject"),
            Some("/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client")
        );
        let two = "By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;URI=http://testclient.lyft.com,By=http://backend.lyft.com;Hash=9ba61d6425303443c0748a02dd8de688468ed33be74eee6556d90c0149c1309e;URI=http://frontend.lyft.com";
        let e = parse_one(two).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(get(&e[1], "By"), Some("http://backend.lyft.com"));
        let dns = "By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;URI=http://testclient.lyft.com;DNS=lyft.com;DNS=www.lyft.com";
        let e = parse_one(dns).unwrap();
        assert_eq!(e[0].iter().filter(|p| p.key == "DNS").count(), 2);
        // Only By/Hash/URI: no certificate to use.
        assert_eq!(
            decode(HEADER, &[dns.as_bytes()], &Limits::default()).unwrap_err(),
            HeaderError::XfccNoCertificate { element: 0 }
        );
    }

    #[test]
    fn quoted_values_keep_separators_and_rfc2253_escapes() {
        let s = r#"Subject="CN=a\,b;Cert=\"x\",O=\\ok";URI="#;
        let e = parse_one(s).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(get(&e[0], "Subject"), Some(r#"CN=a\,b;Cert="x",O=\ok"#));
        assert_eq!(get(&e[0], "Cert"), None);
        assert_eq!(get(&e[0], "uri"), Some(""));
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(syntax_of("a=1,,b=2"), (4, XfccSyntax::EmptyElement));
        assert_eq!(syntax_of(",a=1"), (0, XfccSyntax::EmptyElement));
        assert_eq!(syntax_of("a=1,"), (4, XfccSyntax::EmptyElement));
        assert_eq!(syntax_of("a=1;;b=2"), (4, XfccSyntax::EmptyPair));
        assert_eq!(syntax_of("a=1;"), (4, XfccSyntax::EmptyPair));
        assert_eq!(syntax_of("a=1;b"), (4, XfccSyntax::MissingEquals));
        assert_eq!(syntax_of("=1"), (0, XfccSyntax::BadKey));
        assert_eq!(syntax_of("a b=1"), (0, XfccSyntax::BadKey));
        assert_eq!(syntax_of("a=\"x"), (2, XfccSyntax::UnterminatedQuote));
        assert_eq!(syntax_of("a=\"x\\\""), (2, XfccSyntax::UnterminatedQuote));
        assert_eq!(syntax_of("a=x\"y\""), (3, XfccSyntax::MisplacedQuote));
        assert_eq!(syntax_of("a=\"x\"y"), (2, XfccSyntax::MisplacedQuote));
    }

    #[test]
    fn duplicate_single_keys() {
        assert_eq!(
            parse_one("Cert=a;cert=b").unwrap_err(),
            HeaderError::XfccDuplicateKey {
                element: 0,
                key: "cert".into()
            }
        );
        assert!(parse_one("By=a;By=b;URI=x;URI=y;DNS=a;DNS=b").is_ok());
        assert!(parse_one("Cert=a,Cert=b").is_ok());
    }

    #[test]
    fn lines_combine_and_elements_are_limited() {
        let l = Limits::default().with_max_xfcc_elements(2);
        let e = parse(HEADER, &[b"a=1", b"b=2"], &l).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(
            parse(HEADER, &[b"a=1", b"b=2,c=3"], &l).unwrap_err(),
            HeaderError::TooManyElements { limit: 2 }
        );
        assert_eq!(
            parse(HEADER, &[b"a=1", b"  b=2;c"], &l).unwrap_err(),
            HeaderError::XfccSyntax {
                line: 1,
                offset: 6,
                syntax: XfccSyntax::MissingEquals
            }
        );
        assert_eq!(decode(HEADER, &[b"", b" "], &l), Ok(None));
    }
}
