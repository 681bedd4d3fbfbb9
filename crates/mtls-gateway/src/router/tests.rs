use mtls_sni::Protocol;

use super::*;

const NO_HEADERS: [(&str, &str); 0] = [];

fn req<'a>(host: &'a str, path: &'a str) -> RequestInfo<'a> {
    RequestInfo {
        host,
        port: 443,
        path,
        method: "GET",
        sni: Some(host),
        protocol: RequestProtocol::Https,
        http2: true,
        headers: &NO_HEADERS,
    }
}

fn route(f: impl FnOnce(&mut RouteMatch)) -> RouteMatch {
    let mut r = RouteMatch::default();
    f(&mut r);
    r
}

fn hit(router: &Router, req: &RequestInfo<'_>) -> Option<usize> {
    router.route(req).hit().map(|h| h.route)
}

#[test]
fn precedence() {
    let router = Router::new(vec![
        route(|r| r.hosts = vec!["*.example.test".into()]),
        route(|r| r.hosts = vec!["api.example.test".into()]),
        route(|r| {
            r.hosts = vec!["*.example.test".into()];
            r.paths = vec!["/v1".into()];
        }),
        route(|r| r.paths = vec!["/".into()]),
        route(|r| r.paths = vec!["/deep/er".into()]),
    ])
    .unwrap();
    assert_eq!(hit(&router, &req("api.example.test", "/x")), Some(1));
    // One field each, no plain host: the longer prefix wins (Kong's traditional_compatible
    // priority; the traditional router ranked the host category first).
    assert_eq!(hit(&router, &req("www.example.test", "/x")), Some(3));
    assert_eq!(hit(&router, &req("www.example.test", "x")), Some(0));
    assert_eq!(hit(&router, &req("api.example.test", "/v1/a")), Some(2));
    assert_eq!(hit(&router, &req("other.test", "/deep/er/x")), Some(4));
    assert_eq!(hit(&router, &req("other.test", "/deep")), Some(3));
    assert_eq!(hit(&router, &req("example.test", "x")), None);
}

#[test]
fn methods_snis_protocols() {
    let router = Router::new(vec![
        route(|r| r.methods = vec!["POST".into()]),
        route(|r| r.snis = vec!["mtls.test".into(), "*.mtls.test".into()]),
        route(|r| r.protocols = vec![Protocol::Grpcs]),
    ])
    .unwrap();
    let mut q = req("mtls.test", "/");
    assert_eq!(hit(&router, &q), Some(1));
    assert_eq!(hit(&router, &req("a.mtls.test", "/")), Some(1));
    q.method = "post";
    q.sni = None;
    assert_eq!(hit(&router, &q), Some(0));
    q.method = "GET";
    // The grpcs route (no fields) is the only match: it refuses a request that is not gRPC.
    assert_eq!(
        router.route(&q),
        Outcome::Refused {
            route: 2,
            refusal: Refusal::NotGrpc
        }
    );
    q.protocol = RequestProtocol::Grpcs;
    assert_eq!(hit(&router, &q), Some(2));
    assert!(NO_ROUTE_BODY.contains("no Route matched"));
}

#[test]
fn wildcard_hosts_both_sides() {
    let m = |pattern: &str, host: &str| HostPattern::parse(pattern).matches(host, 80);
    assert!(m("*.a.test", "x.a.test"));
    assert!(!m("*.a.test", "a.test"));
    assert!(m("api.*", "api.a.test"));
    assert!(m("API.a.test", "api.a.test"));
    assert!(m("a.test:80", "a.test"));
    assert!(!m("a.test:8080", "a.test"));
}

#[test]
fn trailing_dot_of_the_request_host_is_ignored() {
    let router = Router::new(vec![route(|r| r.hosts = vec!["api.a.test".into()])]).unwrap();
    assert_eq!(hit(&router, &req("api.a.test.", "/")), Some(0));
}

#[test]
fn stream_routes_never_match() {
    let router = Router::new(vec![route(|r| r.protocols = vec![Protocol::Tcp])]).unwrap();
    assert_eq!(router.route(&req("a.test", "/")), Outcome::NotFound);
    assert_eq!(router.routes().len(), 1);
}

#[test]
fn invalid_regexes_are_refused_with_their_place() {
    let id = Uuid::from_u128(7);
    let err = Router::new(vec![
        RouteMatch::default(),
        route(|r| {
            r.id = Some(id);
            r.paths = vec!["/ok".into(), "~/(".into()];
        }),
    ])
    .unwrap_err();
    assert!(
        matches!(err, RouterError::InvalidRegexPath { route: 1, id: Some(i), path: 1, .. } if i == id),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("route 1 (00000000-0000-0000-0000-000000000007), paths[1]: invalid regex"),
        "{err}"
    );

    let err = Router::new(vec![route(|r| {
        r.headers
            .insert("x-v".into(), vec!["a".into(), "~*(".into()]);
    })])
    .unwrap_err();
    assert!(
        matches!(err, RouterError::InvalidHeaderRegex { route: 0, value: 1, ref name, .. } if name == "x-v"),
        "{err:?}"
    );

    let err = Router::new(vec![route(|r| r.https_redirect_status_code = 303)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "route 0, https_redirect_status_code: 303 is not one of 426, 301, 302, 307, 308"
    );
    // A stream route's paths are checked too (the configuration still carries them).
    assert!(
        Router::new(vec![route(|r| {
            r.protocols = vec![Protocol::Tls];
            r.paths = vec!["~(".into()];
        })])
        .is_err()
    );
}
