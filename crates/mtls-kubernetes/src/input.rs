//! Reading manifests: a multi-document YAML (or JSON) text, a file, or a directory of them
//! (its `.yaml`, `.yml` and `.json` files in name order, as `kubectl apply -f DIR` reads
//! them; hidden entries such as a ConfigMap volume's `..data` are not listed). `kind: List`
//! documents are expanded into their items.

use std::path::{Path, PathBuf};

use serde::Deserialize;
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
            }),
            "",
            format!("not read: {refusal}"),
        ));
        return out;
    }
    let stream = serde_norway::Deserializer::from_str(&source.text);
    for (i, document) in stream.enumerate() {
        let doc = DocumentRef {
            source: source.name.clone(),
            index: i + 1,
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
        let value = match Value::deserialize(document) {
            Ok(v) => v,
            Err(e) => {
                problems.push(Problem::new(
                    None,
                    Some(doc),
                    "",
                    format!("not valid YAML: {e}"),
                ));
                // The stream cannot be trusted past a syntax error.
                break;
            }
        };
        push_value(value, doc, &mut out, problems);
    }
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
