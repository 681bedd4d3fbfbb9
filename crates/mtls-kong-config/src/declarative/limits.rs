//! Limits checked on the raw text before any parser sees it, in one linear pass: the nesting
//! depth (brackets and braces outside strings and comments, and YAML block indentation
//! levels) and the size. A parser's own recursion limits come too late for a hostile file:
//! this refuses it before parsing work grows (issue 13, item 5).

/// The deepest nesting a configuration may have. Kong's deepest real structure (a plugin's
/// `config` inside a route inside a service) is about 8 levels deep.
pub const MAX_DEPTH: usize = 64;

/// The largest configuration text read (1 GiB: a million consumers with credentials fit).
pub const MAX_SIZE: usize = 1 << 30;

/// Why the text was refused before parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    TooDeep { line: usize },
    TooLarge { size: usize },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooDeep { line } => write!(
                f,
                "nested more than {MAX_DEPTH} levels deep (at line {line}); refused before parsing"
            ),
            Self::TooLarge { size } => write!(
                f,
                "{size} bytes is over the limit of {MAX_SIZE} bytes; refused before parsing"
            ),
        }
    }
}

/// Checks `text` (JSON or YAML) against [`MAX_DEPTH`] and [`MAX_SIZE`].
pub(crate) fn check(text: &str) -> Result<(), Refusal> {
    if text.len() > MAX_SIZE {
        return Err(Refusal::TooLarge { size: text.len() });
    }
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    let mut line = 1usize;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut in_comment = false;
    let mut at_line_start = true;
    let mut indent = 0usize;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            line += 1;
            in_comment = false;
            at_line_start = true;
            indent = 0;
            // A YAML single- or double-quoted scalar may span lines; JSON strings may not,
            // and either way the quote state carries on correctly.
            continue;
        }
        if in_comment {
            continue;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == b'"' && b == b'\\' {
                escaped = true;
            } else if b == q {
                quote = None;
            }
            continue;
        }
        if at_line_start {
            if b == b' ' {
                indent += 1;
                continue;
            }
            at_line_start = false;
            // Block structure: a deeper indentation opens a level, a shallower closes levels.
            if flow == 0 && b != b'#' && b != b'\r' {
                while indents.last().is_some_and(|&top| top > indent) {
                    indents.pop();
                }
                if indents.last().is_none_or(|&top| top < indent) {
                    indents.push(indent);
                }
                // `- - - x` nests sequences on one line.
                let dashes = bytes[i..]
                    .chunks(2)
                    .take_while(|c| c.first() == Some(&b'-') && c.get(1) == Some(&b' '))
                    .count();
                if indents.len() + dashes > MAX_DEPTH {
                    return Err(Refusal::TooDeep { line });
                }
            }
        }
        match b {
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => in_comment = true,
            b'"' | b'\'' if starts_scalar(bytes, i) => quote = Some(b),
            b'[' | b'{' => {
                flow += 1;
                if flow + indents.len() > MAX_DEPTH {
                    return Err(Refusal::TooDeep { line });
                }
            }
            b']' | b'}' => flow = flow.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Whether a quote at `i` opens a quoted scalar (or a JSON string): first on its line, or
/// after `:`, `-`, `[`, `{`, `,` and blanks. A quote inside a plain scalar (`O'Brien`) does not.
fn starts_scalar(bytes: &[u8], i: usize) -> bool {
    let before = bytes[..i]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t'))
        .copied();
    match before {
        None | Some(b'\n' | b':' | b'-' | b'[' | b'{' | b',' | b'?') => true,
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth() {
        assert!(check("{\"a\": [1, {\"b\": \"[[[[\"}]}").is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(check(&deep), Err(Refusal::TooDeep { line: 1 }));
        let ok = "[".repeat(MAX_DEPTH - 1);
        assert!(check(&ok).is_ok());
        let mut yaml = String::new();
        for level in 0..(MAX_DEPTH + 2) {
            yaml.push_str(&" ".repeat(level));
            yaml.push_str("a:\n");
        }
        assert!(matches!(check(&yaml), Err(Refusal::TooDeep { .. })));
        let dashes = "- ".repeat(MAX_DEPTH + 1) + "x\n";
        assert!(matches!(check(&dashes), Err(Refusal::TooDeep { .. })));
        let kong = "_format_version: \"3.0\"\nservices:\n  - name: a\n    routes:\n      - paths: [\"/a\"]\n        plugins:\n          - name: acl\n            config:\n              allow: [x] # [[[[\n";
        assert!(check(kong).is_ok());
        let apostrophe = "name: O'Brien\nlist: [[[1]]]\n";
        assert!(check(apostrophe).is_ok());
        let hidden = format!("name: O'Brien\nx: {}", "[".repeat(MAX_DEPTH + 1));
        assert!(check(&hidden).is_err());
    }
}
