//! Issue 13 item 5: a deeply nested YAML or JSON file is refused before parsing work grows.
//! Each adversarial file here is about 200 KB; the bench `benches/benches/nesting.rs`
//! measures how long the refusal takes (this test asserts only that it is refused, with a
//! syntax error naming the depth, and never a panic or a stack overflow).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_kong_config::declarative::MAX_DEPTH;
use mtls_kong_config::{LoadError, load_str};

const SIZE: usize = 200 * 1024;

/// `unit` repeated to about 200 KB, after `prefix`, then `suffix`.
fn fill(prefix: &str, unit: &str, suffix: &str) -> String {
    let mut text = String::from(prefix);
    while text.len() + unit.len() + suffix.len() <= SIZE {
        text.push_str(unit);
    }
    text.push_str(suffix);
    text
}

/// The adversarial files, named.
fn adversarial() -> Vec<(&'static str, String)> {
    let mut indented = String::from("_format_version: \"3.0\"\nservices:\n");
    let mut level = 0;
    while indented.len() < SIZE {
        indented.push_str(&" ".repeat(level));
        indented.push_str("a:\n");
        level += 1;
    }
    vec![
        ("json arrays", fill("", "[", "")),
        ("json objects", fill("", "{\"a\":", "")),
        (
            "json objects, closed",
            fill("", "{\"a\":", "") + &"}".repeat(SIZE / 5),
        ),
        (
            "yaml flow sequences",
            fill("_format_version: \"3.0\"\nservices: ", "[", ""),
        ),
        (
            "yaml flow mappings",
            fill("_format_version: \"3.0\"\nservices: ", "{a: ", ""),
        ),
        (
            "yaml block sequences on one line",
            fill("_format_version: \"3.0\"\nservices:\n", "- ", "x\n"),
        ),
        ("yaml block mappings by indentation", indented),
        (
            "yaml mixed flow and block",
            fill("_format_version: \"3.0\"\nservices:\n", "- [", ""),
        ),
        (
            "yaml after a block scalar holding a quote",
            fill(
                "_format_version: \"3.0\"\ntags: |\n  \"\nservices: ",
                "[",
                "",
            ),
        ),
        (
            "yaml after a quote inside a plain scalar",
            fill("_format_version: \"3.0\"\ntags: a:\"\nservices: ", "[", ""),
        ),
        (
            "yaml after a comment holding a bracket",
            fill("_format_version: \"3.0\" # ]]]]\nservices: ", "[", ""),
        ),
    ]
}

#[test]
fn a_200_kb_deeply_nested_file_is_refused() {
    for (name, text) in adversarial() {
        assert!(text.len() >= SIZE - 16, "{name}: {} bytes", text.len());
        match load_str(&text) {
            Err(LoadError::Syntax { message, .. }) => {
                assert!(
                    message.contains(&format!("nested more than {MAX_DEPTH} levels")),
                    "{name}: {message}"
                );
            }
            Err(other) => panic!("{name}: refused, but not for its depth: {other}"),
            Ok(_) => panic!("{name}: loaded"),
        }
    }
}

#[test]
fn real_nesting_below_the_limit_still_loads() {
    // A Kong file as deep as real ones get (a plugin's config in a route in a service), with
    // brackets and quotes in strings and comments that must not count.
    let text = r#"_format_version: "3.0"
services:
  - name: svc
    tags: ["x [1]", 'y{']
    url: http://backend.internal
    routes:
      - name: r # {[{[
        paths: ["/a"]
        plugins:
          - name: acl
            config:
              allow: [x]
"#;
    let (config, _) = load_str(text).unwrap();
    assert_eq!(config.routes().len(), 1);
}
