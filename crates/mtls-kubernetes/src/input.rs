//! Reading manifests: a multi-document YAML (or JSON) text, a file, or a directory of them
//! (its `.yaml`, `.yml` and `.json` files in name order, as `kubectl apply -f DIR` reads
//! them; hidden entries such as a ConfigMap volume's `..data` are not listed). `kind: List`
//! documents are expanded into their items.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{DocumentRef, Error, Problem};
use crate::object::Obj;

/// One text to read, with the name its documents are reported under.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) text: String,
}

/// The sources of a file or directory, and the directory entries not read.
pub(crate) fn sources_of(path: &Path) -> Result<(Vec<Source>, Vec<PathBuf>), Error> {
    let read_err = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_dir() {
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        return Ok((
            vec![Source {
                name: path.display().to_string(),
                text,
            }],
            Vec::new(),
        ));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(read_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    entries.sort();
    let mut sources = Vec::new();
    let mut not_read = Vec::new();
    for entry in entries {
        let manifest = entry
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"));
        // Follows symbolic links, as a ConfigMap volume's files are.
        let is_file = std::fs::metadata(&entry).map(|m| m.is_file());
        match is_file {
            Ok(true) if manifest => {
                let text = std::fs::read_to_string(&entry).map_err(|source| Error::Read {
                    path: entry.clone(),
                    source,
                })?;
                sources.push(Source {
                    name: entry.display().to_string(),
                    text,
                });
            }
            Ok(_) => not_read.push(entry),
            Err(source) => {
                return Err(Error::Read {
                    path: entry,
                    source,
                });
            }
        }
    }
    Ok((sources, not_read))
}

/// The most documents read from one source (a bound on the parser's work beyond the text's
/// size).
pub(crate) const MAX_DOCUMENTS: usize = 100_000;

/// Every object of `source`; problems (syntax, limits, objects that are not objects) go to
/// `problems`.
pub(crate) fn objects(source: &Source, problems: &mut Vec<Problem>) -> Vec<Obj> {
    let mut out = Vec::new();
    if let Err(refusal) = mtls_kong_config::declarative::check_limits(&source.text) {
        problems.push(Problem::new(
            None,
            Some(DocumentRef {
                source: source.name.clone(),
                index: 1,
                line: 1,
            }),
            "",
            format!("not read: {refusal}"),
        ));
        return out;
    }
    for (i, (line, text)) in split_documents(&source.text).into_iter().enumerate() {
        let doc = DocumentRef {
            source: source.name.clone(),
            index: i + 1,
            line,
        };
        if i >= MAX_DOCUMENTS {
            problems.push(Problem::new(
                None,
                Some(doc),
                "",
                format!("more than {MAX_DOCUMENTS} documents"),
            ));
            break;
        }
        // One document at a time: serde_norway's multi-document reader can panic on some
        // malformed streams, its single-document reader reports them.
        match serde_norway::from_str::<Value>(&text) {
            Ok(value) => push_value(value, doc, &mut out, problems),
            Err(e) => problems.push(Problem::new(
                None,
                Some(doc),
                "",
                format!("not valid YAML: {e} (lines counted from the document's start)"),
            )),
        }
    }
    out
}

/// Splits a YAML stream into its documents, each with the line it starts on: a line
/// starting with `---` (then a blank or the end of the line) starts one, a `...` line ends
/// one (YAML forbids such lines inside a document's content). Directives (`%YAML`) go with
/// the document they precede; documents holding only blanks and comments are left out.
pub(crate) fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    let mut directives = String::new();
    let flush = |current: &mut String, start: usize, out: &mut Vec<(usize, String)>| {
        let content = current.lines().any(|l| {
            let l = l.strip_prefix("---").unwrap_or(l).trim();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with('%')
        });
        if content {
            out.push((start, std::mem::take(current)));
        } else {
            current.clear();
        }
    };
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let number = i + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        let marker = |m: &str| {
            bare.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        if marker("---") {
            if current.trim_start().starts_with('%') && !current.contains("\n---") {
                directives = std::mem::take(&mut current);
            }
            flush(&mut current, start, &mut out);
            current.push_str(&std::mem::take(&mut directives));
            current.push_str(line);
            start = number;
        } else if marker("...") {
            flush(&mut current, start, &mut out);
            start = number + 1;
        } else {
            if current.is_empty() {
                start = number;
            }
            current.push_str(line);
        }
    }
    flush(&mut current, start, &mut out);
    out
}

fn push_value(value: Value, doc: DocumentRef, out: &mut Vec<Obj>, problems: &mut Vec<Problem>) {
    if value.is_null() {
        return;
    }
    if value.get("_format_version").is_some() {
        problems.push(Problem::new(
            None,
            Some(doc),
            "_format_version",
            "a Kong declarative file (kong.yaml), not Kubernetes manifests: give it on its own",
        ));
        return;
    }
    let is_list = value.get("kind").and_then(Value::as_str) == Some("List")
        && value.get("apiVersion").and_then(Value::as_str) == Some("v1");
    if is_list {
        match value.get("items") {
            Some(Value::Array(items)) => {
                for item in items {
                    // A List's items are objects; a nested List is not expanded.
                    match Obj::read(item.clone(), doc.clone()) {
                        Ok(obj) => out.push(obj),
                        Err(p) => problems.extend(p),
                    }
                }
            }
            None | Some(Value::Null) => {}
            Some(_) => problems.push(Problem::new(None, Some(doc), "items", "expected a list")),
        }
        return;
    }
    match Obj::read(value, doc) {
        Ok(obj) => out.push(obj),
        Err(p) => problems.extend(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(text: &str) -> Vec<usize> {
        split_documents(text).into_iter().map(|(l, _)| l).collect()
    }

    #[test]
    fn documents() {
        assert_eq!(starts("a: 1\n---\nb: 2\n"), [1, 2]);
        assert_eq!(
            starts("---\na: 1\n--- \n# only a comment\n---\nb: 2\n...\n"),
            [1, 5]
        );
        assert_eq!(starts("%YAML 1.2\n---\na: 1\n"), [2]);
        assert_eq!(starts("--- {a: 1}\n---\tb\n"), [1, 2]);
        assert_eq!(starts("a: |\n  ---x\n  text\n---x: 1\n"), [1]);
        let docs = split_documents("%YAML 1.2\n---\na: 1\n");
        assert!(docs[0].1.starts_with("%YAML 1.2\n---"));
        assert!(split_documents("").is_empty());
        assert!(split_documents("# nothing\n\n").is_empty());
    }
}
