//! Text the tests put around certificates: YAML block scalars, percent-encoding.

/// `text` (PEM) indented by `spaces` for a YAML block scalar, one line per line, no final
/// newline.
///
/// ```
/// assert_eq!(mtls_test_pki::yaml_block("a\nb\n", 2), "  a\n  b");
/// ```
pub fn yaml_block(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.trim_end()
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Percent-encodes everything but unreserved characters (what header-cert-auth's
/// `url_encoded` format decodes).
///
/// ```
/// assert_eq!(mtls_test_pki::url_encode("a b+/"), "a%20b%2B%2F");
/// ```
pub fn url_encode(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
