//! Request-path normalisation (decisions.md item 13): the attacks of issue 13, Kong's own
//! `kong.tools.uri` cases, and a proptest against a reference normaliser written here, step by
//! step from RFC 3986 section 5.2.4 and Kong's decoding rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_gateway::{PathError, escape_path as escape, normalize_path as normalize};
use mtls_gateway::{RequestInfo, RequestProtocol, RouteMatch, RouteOutcome as Outcome, Router};
use proptest::prelude::*;

fn n(raw: &str) -> Result<String, PathError> {
    normalize(raw).map(|p| p.as_str().to_owned())
}

#[test]
fn issue_13_attacks() {
    for (raw, normal) in [
        ("/public/../admin", "/admin"),
        ("/public/%2e%2e/admin", "/admin"),
        ("/public/%2E%2E/admin", "/admin"),
        ("/public/%2e./admin", "/admin"),
        ("/anon/../mtls", "/mtls"),
        ("/anon/%2E/../mtls/x", "/mtls/x"),
        ("/a/%2F/b", "/a/%2F/b"),
        ("//x", "/x"),
        ("/public/..%2Fadmin", "/public/..%2Fadmin"),
    ] {
        assert_eq!(n(raw).as_deref(), Ok(normal), "{raw}");
    }
    assert_eq!(n("/.."), Err(PathError::AboveRoot));
    assert_eq!(n("/public/../../admin"), Err(PathError::AboveRoot));
    assert_eq!(n("/%2e%2E"), Err(PathError::AboveRoot));
}

#[test]
fn the_query_is_not_part_of_the_path() {
    // The caller passes the path only (hyper's `uri().path()`); a query passed by mistake is
    // refused rather than normalised into the path.
    assert_eq!(
        n("/a?b=/../c"),
        Err(PathError::QueryInPath { found: '?', at: 2 })
    );
    assert_eq!(n("/a%3Fb").as_deref(), Ok("/a%3Fb"));
    let target = "/x/../y?q=/../z";
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    assert_eq!(n(path).as_deref(), Ok("/y"));
}

/// Kong's spec/01-unit/18-tools_uri_spec.lua `normalize()` cases. Kong's router calls
/// `normalize(path, true)` (slashes merged), as ours does, so the cases written without
/// `merge_slashes` take their merged result here, and `/..`-style paths that Kong's normaliser
/// stops at the root are refused (decision 13).
#[test]
fn kong_uri_spec_cases() {
    let merged_or_same = [
        ("/", "/"),
        ("/a", "/a"),
        ("/a/", "/a/"),
        ("/a/b/c", "/a/b/c"),
        ("/a/b/c/", "/a/b/c/"),
        ("/a%2Fb%2Fc/", "/a%2Fb%2Fc/"),
        (
            "/%20%21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D",
            "/ %21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D",
        ),
        ("/a%2fb%2fc/", "/a%2Fb%2Fc/"),
        ("/f%6f%6f", "/foo"),
        ("/%6B%6f%6e%67", "/kong"),
        ("/%2E", "/"),
        ("//", "/"),
        ("/./", "/"),
        ("/.", "/"),
        ("/////", "/"),
        ("/a/b/c/./../../g", "/a/g"),
        ("/a//b//", "/a/b/"),
        ("/endel%C3%B8st", "/endeløst"),
        // Kong's complex case, with its non-UTF-8 escapes (%99%af) left out.
        (
            "/%C3%A4/a/%2e./a%2E//a/%2e/./a/../a/%2e%2E/%5f%2f%2F",
            "/ä/a./a/_%2F%2F",
        ),
    ];
    for (raw, normal) in merged_or_same {
        assert_eq!(n(raw).as_deref(), Ok(normal), "{raw}");
    }
    for raw in ["/..", "/../", "/./.././../"] {
        assert_eq!(n(raw), Err(PathError::AboveRoot), "{raw}");
    }
    // RFC 3986's relative example: not a request path.
    assert_eq!(n("mid/content=5/../6"), Err(PathError::NotAbsolute));
    // Kong keeps %99%af as raw bytes; a normalised path here is UTF-8.
    assert_eq!(n("/%5f%99%af"), Err(PathError::NotUtf8));

    // uri.escape()
    let kept =
        "/!#$%&'()*+,/:;=?@[]ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    assert_eq!(escape(kept), kept);
    assert_eq!(escape("/a b/c d"), "/a%20b/c%20d");
    assert_eq!(escape("/a😀"), "/a%F0%9F%98%80");
    assert_eq!(escape("/endeløst"), "/endel%C3%B8st");
}

// ---- the reference normaliser -------------------------------------------------------------

const RESERVED: &str = "!*'();:@&=+$,/?%#[]";

/// Decoding, the obvious way: every `%XX` of a character outside [`RESERVED`] becomes that
/// byte; a reserved one is kept, upper-cased.
fn reference_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(hex, 16).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            if RESERVED.as_bytes().contains(&value) {
                out.extend(format!("%{}", hex.to_ascii_uppercase()).bytes());
            } else {
                out.push(value);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// RFC 3986 section 5.2.4, rule by rule on an input buffer, with `//` merged (Kong's
/// `merge_slashes`) and `..` above the root an error (`None`).
fn reference_remove_dots(path: &str) -> Option<String> {
    let mut input = path.to_owned();
    let mut output: Vec<String> = Vec::new();
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest.to_owned();
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest.to_owned();
        } else if input.starts_with("/./") {
            input = input[2..].to_owned();
        } else if input == "/." {
            input = "/".to_owned();
        } else if input.starts_with("/../") {
            input = input[3..].to_owned();
            output.pop()?;
        } else if input == "/.." {
            input = "/".to_owned();
            output.pop()?;
        } else if input == "." || input == ".." {
            input.clear();
        } else if input.starts_with("//") {
            input = input[1..].to_owned();
        } else {
            // Move the first segment (its leading `/` included) to the output.
            let end = input[1..].find('/').map_or(input.len(), |i| i + 1);
            output.push(input[..end].to_owned());
            input = input[end..].to_owned();
        }
    }
    Some(output.concat())
}

fn reference(raw: &str) -> Option<String> {
    if !raw.starts_with('/') || raw.contains(['?', '#']) {
        return None;
    }
    reference_remove_dots(&reference_decode(raw)?)
}

/// Prefix, encoded-slash and regex routes, built once.
static ROUTER: std::sync::LazyLock<Router> = std::sync::LazyLock::new(router);

fn router() -> Router {
    let route = |paths: &[&str]| RouteMatch {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        ..RouteMatch::default()
    };
    Router::new(vec![
        route(&["/public"]),
        route(&["/admin"]),
        route(&["/a/b"]),
        route(&["/a%2Fb"]),
        route(&[r"~/(a|b)/[^/]*\.x$"]),
        route(&["~/é"]),
        route(&["/"]),
    ])
    .unwrap()
}

fn route_of(router: &Router, path: &str) -> Outcome {
    let no_headers: [(&str, &str); 0] = [];
    router.route(&RequestInfo {
        host: "a.test",
        port: 443,
        path,
        method: "GET",
        sni: None,
        protocol: RequestProtocol::Https,
        http2: false,
        headers: &no_headers,
    })
}

fn raw_path() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/"),
        Just("."),
        Just(".."),
        Just("a"),
        Just("b"),
        Just("public"),
        Just("admin"),
        Just("x.x"),
        Just("%2e"),
        Just("%2E"),
        Just("%2f"),
        Just("%2F"),
        Just("%41"),
        Just("%61"),
        Just("%20"),
        Just("%25"),
        Just("%C3%A9"),
        Just("é"),
        Just("%C3"),
        Just("%"),
        Just("%g1"),
        Just("~"),
        Just("?"),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| format!("/{}", pieces.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// For any path: the normalised path is the reference's, so it routes as the reference's
    /// does; it has no `.`, `..` or empty segment; and normalising its escaped form (what the
    /// upstream receives) gives it back.
    #[test]
    fn normalize_matches_the_reference(raw in raw_path()) {
        let router = &*ROUTER;
        let ours = normalize(&raw);
        let theirs = reference(&raw);
        prop_assert_eq!(ours.as_ref().ok().map(|p| p.as_str().to_owned()), theirs.clone());
        if let (Ok(ours), Some(theirs)) = (&ours, &theirs) {
            prop_assert_eq!(route_of(router, ours.as_str()), route_of(router, theirs));
            let segments: Vec<&str> = ours.as_str()[1..].split('/').collect();
            for (i, segment) in segments.iter().enumerate() {
                prop_assert!(*segment != "." && *segment != "..", "{} in {}", segment, ours.as_str());
                prop_assert!(!segment.is_empty() || i + 1 == segments.len(), "empty segment in {}", ours.as_str());
            }
            let escaped = ours.escaped();
            let again = normalize(&escaped).unwrap();
            prop_assert_eq!(again.as_str(), ours.as_str());
        }
    }
}
