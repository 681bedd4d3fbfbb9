//! Arbitrary request paths never make the path normaliser or the router panic, and the
//! normaliser's answers hold: the input is a path, then optionally a NUL and a service path.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mtls_gateway::{RequestInfo, RequestProtocol, RouteMatch, Router, upstream_path};
use mtls_kong_config::PathHandling;
use mtls_kong_config::path::{escape, normalize};

static ROUTER: LazyLock<Router> = LazyLock::new(|| {
    let route = |path: &str, strip| RouteMatch {
        paths: vec![path.to_owned()],
        regex_priority: i64::from(strip),
        ..RouteMatch::default()
    };
    Router::new(vec![
        route("/", false),
        route("/public", true),
        route("/a%2Fb", true),
        route(r"~/(a|b)/(?<rest>.*)$", true),
        route("~/é+", true),
    ])
    .expect("valid routes")
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (raw, service) = text.split_once('\0').unwrap_or((&text, "/"));
    let Ok(path) = normalize(raw) else {
        return;
    };
    let normal = path.as_str();
    // An absolute path with no `.`, `..` or empty segment (but a trailing slash).
    assert!(normal.starts_with('/'), "{normal:?}");
    let segments: Vec<&str> = normal[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        assert!(*segment != "." && *segment != "..", "{normal:?}");
        assert!(!segment.is_empty() || i + 1 == segments.len(), "{normal:?}");
    }
    // Stable: normalising the normal form, or what the upstream receives, changes nothing.
    assert_eq!(normalize(normal).map(|p| p.as_str().to_owned()).as_deref(), Ok(normal));
    let escaped = path.escaped();
    assert_eq!(normalize(&escaped).map(|p| p.as_str().to_owned()).as_deref(), Ok(normal));
    assert!(escaped.bytes().all(|b| b.is_ascii_graphic()), "{escaped:?}");

    let no_headers: [(&str, &str); 0] = [];
    let req = RequestInfo {
        host: "a.test",
        port: 443,
        path: normal,
        method: "GET",
        sni: None,
        protocol: RequestProtocol::Https,
        http2: false,
        headers: &no_headers,
    };
    let outcome = ROUTER.route(&req);
    let hit = outcome.hit().expect("the / route matches every path");
    for handling in [PathHandling::V0, PathHandling::V1] {
        for strip in [false, true] {
            let upstream = upstream_path(Some(service), hit, normal, strip, handling);
            assert_eq!(escape(&upstream), upstream.as_str(), "{upstream:?}");
        }
    }
});
