//! kong.conf's syntax, as Kong reads it (Penlight's `config.read` without its "smart" mode,
//! then Kong's comment stripping):
//!
//! - blank lines, and lines whose first non-blank character is `#` or `;`, are skipped;
//! - a line ending in `\` (trailing blanks allowed) continues on the next line that is not
//!   skipped: the text before the `\` and that line are joined;
//! - `name = value`: the name is the text before the first `=` (blanks around it dropped,
//!   characters other than letters and digits read as `_`), the value the text after it,
//!   trimmed, up to an unescaped `#` (a comment; `\#` is a `#`).
//!
//! Where Kong quietly drops a line, this parser refuses it with its line number: a line
//! without `=`, an empty name, an INI section (`[name]`), and a continuation still open at
//! the end of the file (Kong drops the joined line).

use crate::error::{Origin, SettingError};

/// One `name = value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfLine {
    /// The name, as Kong reads it (`proxy_listen`).
    pub name: String,
    /// The value, trimmed, comments removed (may be empty).
    pub value: String,
    /// The line it starts on, from 1.
    pub line: usize,
}

/// Parses kong.conf text. `Err` holds every line that does not parse, with its number
/// (`origin` gives the file's name in messages).
pub fn parse_conf(text: &str, file: &str) -> Result<Vec<ConfLine>, Vec<SettingError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let at = |line: usize| Origin::File {
        path: file.to_owned(),
        line,
    };
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let (start, logical) = match continuation(raw) {
            Some(head) => {
                match &mut pending {
                    Some((_, acc)) => acc.push_str(head),
                    None => pending = Some((number, head.to_owned())),
                }
                continue;
            }
            None => match pending.take() {
                Some((start, mut acc)) => {
                    acc.push_str(raw);
                    (start, acc)
                }
                None => (number, raw.to_owned()),
            },
        };
        match parse_line(&logical) {
            Ok((name, value)) => out.push(ConfLine {
                name,
                value,
                line: start,
            }),
            Err(message) => errors.push(SettingError::new(None, at(start), message)),
        }
    }
    if let Some((start, _)) = pending {
        errors.push(SettingError::new(
            None,
            at(start),
            "the line continues (it ends with \\) past the end of the file",
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The text before a final `\` (blanks after it allowed), when the line continues.
fn continuation(line: &str) -> Option<&str> {
    let body = line.trim_end();
    body.strip_suffix('\\')
}

fn parse_line(line: &str) -> Result<(String, String), String> {
    if line.starts_with('[') {
        return Err("an INI section is not kong.conf syntax: expected name = value".into());
    }
    let line = line.trim_start();
    let Some(eq) = line.find('=') else {
        return Err(format!("expected name = value, got {:?}", clip(line)));
    };
    let name: String = line[..eq]
        .trim_end()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() {
        return Err("a setting's name is missing before =".into());
    }
    Ok((name, strip_comment(&line[eq + 1..])))
}

/// The value without its comment (from an unescaped `#`), trimmed, `\#` read as `#`.
fn strip_comment(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut end = value.len();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1] != b'\\') {
            end = i;
            break;
        }
    }
    value[..end].trim().replace("\\#", "#")
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, String) {
        let lines = parse_conf(text, "kong.conf").unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        (lines[0].name.clone(), lines[0].value.clone())
    }

    #[test]
    fn kong_syntax() {
        assert_eq!(
            one("proxy_listen = 0.0.0.0:8000"),
            ("proxy_listen".into(), "0.0.0.0:8000".into())
        );
        assert_eq!(
            one("  log_level=debug   # verbose"),
            ("log_level".into(), "debug".into())
        );
        assert_eq!(
            one("pg_password = a\\#b # c"),
            ("pg_password".into(), "a#b".into())
        );
        assert_eq!(one("pg-host = db"), ("pg_host".into(), "db".into()));
        assert_eq!(one("headers ="), ("headers".into(), String::new()));
        assert_eq!(one("x = a = b"), ("x".into(), "a = b".into()));
        assert_eq!(one("a = b\r\n"), ("a".into(), "b".into()));
        let text = "# comment\n; also\n\nproxy_listen = 0.0.0.0:8000, \\\n# between\n   0.0.0.0:8443 ssl\nlog_level = info\n";
        let lines = parse_conf(text, "kong.conf").unwrap();
        assert_eq!(lines[0].value, "0.0.0.0:8000,    0.0.0.0:8443 ssl");
        assert_eq!(lines[0].line, 4);
        assert_eq!(lines[1].line, 7);
    }

    #[test]
    fn refused_lines() {
        let errors =
            parse_conf("a = 1\njust words\n[section]\n = 3\nb = 2 \\\n", "k.conf").unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 4, "{shown:?}");
        assert!(
            shown[0].starts_with("k.conf line 2: expected name = value"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("k.conf line 3: an INI section"),
            "{shown:?}"
        );
        assert!(
            shown[2].starts_with("k.conf line 4: a setting's name is missing"),
            "{shown:?}"
        );
        assert!(
            shown[3].starts_with("k.conf line 5: the line continues"),
            "{shown:?}"
        );
    }
}
