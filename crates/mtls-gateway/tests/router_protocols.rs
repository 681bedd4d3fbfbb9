//! The router's protocol answers (Kong's access-phase checks), hosts with ports, headers,
//! captures and the loader-side checks, each against what Kong answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mtls_gateway::{
    RequestInfo, RequestProtocol, RouteMatch, RouteOutcome as Outcome, RouteRefusal as Refusal,
    Router, https_location, split_host_port,
};
use mtls_sni::Protocol;

const NO_HEADERS: [(&str, &str); 0] = [];

fn req(protocol: RequestProtocol) -> RequestInfo<'static> {
    RequestInfo {
        host: "api.example.test",
        port: 443,
        path: "/x",
        method: "GET",
        sni: Some("api.example.test"),
        protocol,
        http2: true,
        headers: &NO_HEADERS,
    }
}

fn on(protocols: &[Protocol]) -> RouteMatch {
    RouteMatch {
        protocols: protocols.to_vec(),
        paths: vec!["/x".into()],
        ..RouteMatch::default()
    }
}

fn router(routes: Vec<RouteMatch>) -> Router {
    Router::new(routes).unwrap()
}

fn refused(refusal: Refusal) -> Outcome {
    Outcome::Refused { route: 0, refusal }
}

#[test]
fn https_only_route_over_plain_http() {
    use RequestProtocol::*;
    let r = router(vec![on(&[Protocol::Https])]);
    let answer = r.route(&req(Http));
    assert_eq!(answer, refused(Refusal::HttpsRequired { status: 426 }));
    let Outcome::Refused { refusal, .. } = answer else {
        unreachable!()
    };
    assert_eq!(refusal.status(), 426);
    assert_eq!(refusal.message(), Some("Please use HTTPS protocol"));
    assert_eq!(
        refusal.headers(),
        &[("Connection", "Upgrade"), ("Upgrade", "TLS/1.2, HTTP/1.1")]
    );
    assert!(!refusal.is_redirect());
    // Kong checks https before gRPC: plain gRPC on an https route is told to use HTTPS.
    assert_eq!(
        r.route(&req(Grpc)),
        refused(Refusal::HttpsRequired { status: 426 })
    );
    assert_eq!(r.route(&req(Https)).route(), Some(0));
    assert_eq!(r.route(&req(Wss)).route(), Some(0));
    assert!(
        r.route(&req(Grpcs)).hit().is_some(),
        "https routes serve gRPC too"
    );
}

#[test]
fn redirect_status_codes() {
    for status in [301, 302, 307, 308] {
        let r = router(vec![RouteMatch {
            https_redirect_status_code: status,
            ..on(&[Protocol::Https])
        }]);
        let Outcome::Refused { refusal, .. } = r.route(&req(RequestProtocol::Http)) else {
            panic!("not refused")
        };
        assert_eq!(refusal, Refusal::HttpsRequired { status });
        assert!(refusal.is_redirect());
        assert_eq!(refusal.message(), None, "Kong's redirect has no body");
        assert_eq!(refusal.headers(), &[]);
    }
    assert_eq!(
        https_location("api.example.test", "/x?y=1"),
        "https://api.example.test/x?y=1"
    );
}

#[test]
fn the_best_route_refuses_without_falling_back() {
    // Kong picks the best route first and checks its protocols after: the lower http route
    // is not tried.
    let r = router(vec![
        RouteMatch {
            paths: vec!["/".into()],
            ..RouteMatch::default()
        },
        on(&[Protocol::Https]),
    ]);
    assert_eq!(
        r.route(&req(RequestProtocol::Http)),
        Outcome::Refused {
            route: 1,
            refusal: Refusal::HttpsRequired { status: 426 }
        }
    );
}

#[test]
fn snis_apply_over_tls_only() {
    // Kong: (net.protocol != "https" || tls.sni == ...): a plain request ignores snis, so an
    // https-only route with snis still answers 426, as Kong does.
    let r = router(vec![RouteMatch {
        snis: vec!["other.test".into()],
        ..on(&[Protocol::Https])
    }]);
    let mut plain = req(RequestProtocol::Http);
    plain.sni = None;
    assert_eq!(
        r.route(&plain),
        refused(Refusal::HttpsRequired { status: 426 })
    );
    assert_eq!(r.route(&req(RequestProtocol::Https)), Outcome::NotFound);
    let mut no_sni = req(RequestProtocol::Https);
    no_sni.sni = None;
    assert_eq!(r.route(&no_sni), Outcome::NotFound);
}

#[test]
fn grpc_routes() {
    use RequestProtocol::*;
    let both = router(vec![on(&[Protocol::Grpc, Protocol::Grpcs])]);
    assert_eq!(both.route(&req(Https)), refused(Refusal::NotGrpc));
    assert_eq!(both.route(&req(Wss)), refused(Refusal::NotGrpc));
    assert_eq!(Refusal::NotGrpc.status(), 415);
    assert_eq!(
        Refusal::NotGrpc.message(),
        Some("Non-gRPC request matched gRPC route")
    );
    let mut http1 = req(Grpcs);
    http1.http2 = false;
    assert_eq!(both.route(&http1), refused(Refusal::Http2Required));
    assert_eq!(Refusal::Http2Required.status(), 426);
    assert_eq!(
        Refusal::Http2Required.message(),
        Some("Please use HTTP2 protocol")
    );
    assert_eq!(both.route(&req(Grpcs)).route(), Some(0));
    assert_eq!(both.route(&req(Grpc)).route(), Some(0));

    let tls_only = router(vec![on(&[Protocol::Grpcs])]);
    assert_eq!(tls_only.route(&req(Grpc)), refused(Refusal::GrpcsRequired));
    assert_eq!(Refusal::GrpcsRequired.status(), 200);
    assert!(
        Refusal::GrpcsRequired
            .headers()
            .contains(&("grpc-status", "1"))
    );
    assert_eq!(tls_only.route(&req(Grpcs)).route(), Some(0));
    // A plain-only gRPC route serves gRPC over TLS (Kong has no check for that case).
    assert_eq!(
        router(vec![on(&[Protocol::Grpc])])
            .route(&req(Grpcs))
            .route(),
        Some(0)
    );
}

#[test]
fn websocket_routes() {
    use RequestProtocol::*;
    let http = router(vec![on(&[])]);
    assert!(
        http.route(&req(Ws)).hit().is_some(),
        "Kong's http/https routes serve upgrades"
    );
    let ws = router(vec![on(&[Protocol::Ws, Protocol::Wss])]);
    assert_eq!(ws.route(&req(Https)), refused(Refusal::WebSocketRequired));
    assert_eq!(Refusal::WebSocketRequired.status(), 426);
    assert_eq!(ws.route(&req(Ws)).route(), Some(0));
    assert_eq!(ws.route(&req(Wss)).route(), Some(0));
    let wss = router(vec![on(&[Protocol::Wss])]);
    assert_eq!(
        wss.route(&req(Ws)),
        refused(Refusal::HttpsRequired { status: 426 })
    );
    assert_eq!(wss.route(&req(Wss)).route(), Some(0));
}

#[test]
fn classify_requests() {
    use RequestProtocol::*;
    let grpc: &[u8] = b"application/grpc";
    let json: &[u8] = b"application/json";
    /// TLS, Content-Type, Upgrade, and the protocol they give.
    type Case = (
        bool,
        Option<&'static [u8]>,
        Option<&'static [u8]>,
        RequestProtocol,
    );
    let cases: [Case; 7] = [
        (false, None, None, Http),
        (true, Some(json), None, Https),
        (true, Some(grpc), None, Grpcs),
        (false, Some(b"application/grpc-web+proto"), None, Grpc),
        (true, None, Some(b"websocket"), Wss),
        (false, None, Some(b"WebSocket"), Ws),
        (false, None, Some(b"h2c"), Http),
    ];
    for (tls, content_type, upgrade, expected) in cases {
        assert_eq!(
            RequestProtocol::classify(tls, content_type, upgrade),
            expected
        );
    }
    assert_eq!(Grpcs.as_str(), "grpcs");
    assert!(Wss.is_tls() && Wss.is_websocket() && !Wss.is_grpc());
}

#[test]
fn hosts_with_ports() {
    let r = router(vec![
        RouteMatch {
            hosts: vec!["api.example.test".into()],
            ..RouteMatch::default()
        },
        RouteMatch {
            hosts: vec!["api.example.test:8443".into()],
            paths: vec!["/x".into()],
            ..RouteMatch::default()
        },
    ]);
    let mut q = req(RequestProtocol::Https);
    q.port = 8443;
    assert_eq!(r.route(&q).route(), Some(1));
    q.port = 443;
    assert_eq!(
        r.route(&q).route(),
        Some(0),
        "a host without port: any port"
    );
    assert_eq!(
        split_host_port("[2001:db8::1]:8443"),
        ("2001:db8::1", Some(8443))
    );
    assert_eq!(split_host_port("example.com:"), ("example.com", None));
    assert_eq!(
        split_host_port("example.com:http"),
        ("example.com:http", None)
    );
}

#[test]
fn headers_match_kongs_way() {
    let r = router(vec![RouteMatch {
        headers: BTreeMap::from([
            (
                "X_Version".to_owned(),
                vec!["V1".to_owned(), "~*^beta-\\d+$".to_owned()],
            ),
            ("x-region".to_owned(), vec!["eu".to_owned()]),
        ]),
        ..RouteMatch::default()
    }]);
    let route = |headers: &[(&str, &str)]| {
        // A slice is unsized: the router takes the headers as a Vec (or an array).
        let headers = headers.to_vec();
        let mut q = req(RequestProtocol::Https);
        q.headers = &headers;
        r.route(&q).route()
    };
    assert_eq!(route(&[("x-version", "v1"), ("X-Region", "EU")]), Some(0));
    assert_eq!(
        route(&[("x-version", "BETA-12"), ("x-region", "eu")]),
        Some(0)
    );
    assert_eq!(
        route(&[("x-version", "beta-12x"), ("x-region", "eu")]),
        None
    );
    // One field of several is enough; a value is not split on commas.
    assert_eq!(
        route(&[("x-version", "v2"), ("x-version", "v1"), ("x-region", "eu")]),
        Some(0)
    );
    assert_eq!(route(&[("x-version", "v2, v1"), ("x-region", "eu")]), None);
    // Every configured name must match.
    assert_eq!(route(&[("x-version", "v1")]), None);
    // A field spelled with `_` is not the `-` header (nginx drops such fields).
    assert_eq!(route(&[("x_version", "v1"), ("x-region", "eu")]), None);
}

#[test]
fn regex_captures() {
    let r = router(vec![RouteMatch {
        paths: vec![r"~/users/(?<id>\d+)(/(?<tab>[a-z]+))?".into()],
        ..RouteMatch::default()
    }]);
    let mut q = req(RequestProtocol::Https);
    q.path = "/users/42/posts/7";
    let Outcome::Matched(hit) = r.route(&q) else {
        panic!("no match")
    };
    assert_eq!(hit.path, Some(0));
    assert_eq!(hit.matched_path(q.path), Some("/users/42/posts"));
    let captures = hit.captures().unwrap();
    assert_eq!(captures.len(), 4);
    assert_eq!(captures.name("id").map(|r| &q.path[r]), Some("42"));
    assert_eq!(captures.get(3).map(|r| &q.path[r]), Some("posts"));
    let named: Vec<&str> = captures.named().map(|(n, _)| n).collect();
    assert_eq!(named, ["id", "tab"]);
    q.path = "/users/42";
    let hit = r.route(&q).hit().cloned().unwrap();
    assert_eq!(
        hit.captures().unwrap().get(2),
        None,
        "a group that took no part"
    );
}
