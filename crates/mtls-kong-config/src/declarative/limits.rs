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
    // The last blank-separated token of the line outside quotes and comments (a `|` or `>`
    // there opens a YAML block scalar), and the indentation of the line that opened the
    // block scalar being skipped.
    let mut token = 0..0;
    let mut block_scalar: Option<usize> = None;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            // In block context a quote never runs past its line for this check: a quoted
            // scalar spanning lines has its next lines counted (over-counting is safe), and
            // a quote this check took for one where the parser sees plain text can hide at
            // most the rest of one line.
            if flow == 0 {
                quote = None;
                escaped = false;
            }
            if quote.is_none()
                && flow == 0
                && block_scalar.is_none()
                && opens_block_scalar(&bytes[token.clone()])
            {
                block_scalar = Some(indent);
            }
            line += 1;
            in_comment = false;
            at_line_start = true;
            indent = 0;
            token = i + 1..i + 1;
            continue;
        }
        if in_comment {
            continue;
        }
        // A block scalar's lines are text, whatever they hold (quotes, brackets), as long as
        // they are indented deeper than the line that opened it.
        if at_line_start
            && quote.is_none()
            && b != b' '
            && let Some(parent) = block_scalar
        {
            if indent > parent || b == b'\r' {
                in_comment = true;
                continue;
            }
            block_scalar = None;
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
        if b == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n')) {
            // The comment is not a token: the line's last token is the one before it.
            in_comment = true;
            continue;
        }
        if !matches!(b, b' ' | b'\t' | b'\r') {
            if token.end != i {
                token = i..i;
            }
            token.end = i + 1;
        }
        match b {
            b'"' | b'\'' if starts_scalar(bytes, i, flow) => quote = Some(b),
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

/// Whether a line's last token opens a YAML block scalar: `|` or `>`, with at most a
/// chomping indicator and an indentation digit (`|-`, `>+`, `|2-`).
fn opens_block_scalar(token: &[u8]) -> bool {
    matches!(token.first(), Some(b'|' | b'>'))
        && token.len() <= 3
        && token[1..]
            .iter()
            .all(|b| matches!(b, b'-' | b'+' | b'1'..=b'9'))
}

/// Whether a quote at `i` opens a quoted scalar (or a JSON string), as YAML reads it: first
/// on its line; after `[` or `{`; after `,` in a flow collection; after `-`, `?` or `:`
/// followed by a blank (or, for `:`, right after a quoted key: `{"a":"b"}`). A quote inside a
/// plain scalar (`O'Brien`, `a:"b`, `-"x`, `a,"b`) does not: the check must never think a
/// quote hides what the parser reads as structure.
fn starts_scalar(bytes: &[u8], i: usize, flow: usize) -> bool {
    let Some(j) = bytes[..i].iter().rposition(|b| !matches!(b, b' ' | b'\t')) else {
        return true;
    };
    let blank_between = j + 1 < i;
    match bytes[j] {
        b'\n' | b'\r' | b'[' | b'{' => true,
        b',' => flow > 0,
        b'-' | b'?' => blank_between,
        b':' => blank_between || (j > 0 && matches!(bytes[j - 1], b'"' | b'\'' | b']' | b'}')),
        _ => false,
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
        // A block scalar is text: its quotes and brackets neither open nor nest anything,
        // and what follows it is checked again.
        let deep = "[".repeat(MAX_DEPTH + 1);
        let text_only = format!("a: |\n  \"\n  {deep}\n\n  x\nb: 1\n");
        assert!(check(&text_only).is_ok());
        let after = format!("a: |-\n  \"\nb: {deep}\n");
        assert!(matches!(check(&after), Err(Refusal::TooDeep { line: 3 })));
        let folded = format!("- >2+ # note\n   '\n- {deep}\n");
        assert!(matches!(check(&folded), Err(Refusal::TooDeep { line: 3 })));
        // A quote inside a plain scalar hides nothing from the check.
        for plain in ["x: a:\"", "x: -\"", "x: a,\"", "x: ?\"", "x: [a:\"b, "] {
            let text = format!("{plain}\ny: {deep}\n");
            assert!(check(&text).is_err(), "{plain}");
        }
        // JSON-like keys and values in flow collections are strings.
        assert!(check("{\"a\":\"[[[[\", \"b\": [\"{{\"]}").is_ok());
        // A comment first on its line holds nothing either.
        assert!(check(&format!("#{deep}\na: 1\n")).is_ok());
    }
}
