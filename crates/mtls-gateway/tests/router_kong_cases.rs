//! Kong's own router test cases (spec/01-unit/08-router_spec.lua, the cases that run for the
//! `traditional_compatible` flavour, and spec/fixtures/router_path_handling_tests.lua),
//! transcribed as data in `tests/data/`, run against [`Router`]. The data files say how each
//! field reads; every case that fails is listed before the test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mtls_gateway::{
    RequestInfo, RequestProtocol, RouteHit as Hit, RouteMatch, RouteOutcome as Outcome, Router,
    split_host_port, upstream_path,
};
use mtls_gateway::{escape_path as escape, normalize_path as normalize};
use mtls_kong_config::PathHandling;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// The port of a request whose Host has none (Kong's proxy port).
const LISTENER_PORT: u16 = 8000;

#[derive(Deserialize)]
struct Cases {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    describe: String,
    routes: Vec<RouteSpec>,
    cases: Vec<serde_json::Map<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RouteSpec {
    id: Option<Uuid>,
    hosts: Vec<String>,
    paths: Vec<String>,
    methods: Vec<String>,
    headers: BTreeMap<String, Vec<String>>,
    snis: Vec<String>,
    regex_priority: i64,
    strip_path: bool,
    path_handling: Option<String>,
    service_path: Option<String>,
}

impl RouteSpec {
    fn route_match(&self) -> RouteMatch {
        RouteMatch {
            id: self.id,
            hosts: self.hosts.clone(),
            paths: self.paths.clone(),
            methods: self.methods.clone(),
            headers: self.headers.clone(),
            snis: self.snis.clone(),
            regex_priority: self.regex_priority,
            ..RouteMatch::default()
        }
    }

    fn handling(&self) -> PathHandling {
        self.path_handling
            .as_deref()
            .map_or(PathHandling::V0, |h| h.parse().unwrap())
    }
}

fn text<'a>(case: &'a serde_json::Map<String, Value>, key: &str, default: &'a str) -> &'a str {
    case.get(key).and_then(Value::as_str).unwrap_or(default)
}

/// The request of a case, routed; `Err` says why the case fails.
fn run_case(
    router: &Router,
    routes: &[RouteSpec],
    case: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    let raw_path = text(case, "path", "/");
    let exec = case.get("exec").and_then(Value::as_bool).unwrap_or(false);
    let normalised = if exec {
        normalize(raw_path)
            .map_err(|e| e.to_string())?
            .as_str()
            .to_owned()
    } else {
        raw_path.to_owned()
    };
    let (host, port) = split_host_port(text(case, "host", ""));
    let headers: Vec<(String, String)> = case
        .get("headers")
        .map(|h| serde_json::from_value(h.clone()).unwrap())
        .unwrap_or_default();
    let tls = text(case, "scheme", "http") == "https";
    let info = RequestInfo {
        host,
        port: port.unwrap_or(LISTENER_PORT),
        path: &normalised,
        method: text(case, "method", "GET"),
        sni: case.get("sni").and_then(Value::as_str),
        protocol: if tls {
            RequestProtocol::Https
        } else {
            RequestProtocol::Http
        },
        http2: false,
        headers: &headers,
    };
    let outcome = router.route(&info);
    let expect = case
        .get("expect")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let hit = match (&outcome, expect) {
        (Outcome::NotFound, None) => return Ok(()),
        (Outcome::Matched(hit), Some(e)) if hit.route == e => hit,
        _ => return Err(format!("expected route {expect:?}, got {outcome:?}")),
    };
    let route = &routes[hit.route];
    check_path_results(hit, route, &normalised, case)?;
    check_captures(hit, &normalised, case)
}

fn check_path_results(
    hit: &Hit,
    route: &RouteSpec,
    path: &str,
    case: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    if let Some(prefix) = case.get("prefix") {
        let got = route.strip_path.then(|| hit.matched_path(path)).flatten();
        if got != prefix.as_str() {
            return Err(format!("prefix: expected {prefix}, got {got:?}"));
        }
    }
    if let Some(matched) = case.get("matched") {
        let got = hit.matched_path(path);
        if got != matched.as_str() {
            return Err(format!("matched: expected {matched}, got {got:?}"));
        }
    }
    if let Some(expected) = case.get("upstream").and_then(Value::as_str) {
        let got = upstream_path(
            route.service_path.as_deref(),
            hit,
            path,
            route.strip_path,
            route.handling(),
        );
        if got != escape(expected) {
            return Err(format!(
                "upstream: expected {expected:?} (escaped), got {got:?}"
            ));
        }
    }
    Ok(())
}

fn check_captures(
    hit: &Hit,
    path: &str,
    case: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    let Some(expected) = case.get("captures") else {
        return Ok(());
    };
    let Some(expected) = expected.as_object() else {
        return match hit.captures() {
            None => Ok(()),
            Some(c) => Err(format!("expected no captures, got {c:?}")),
        };
    };
    let captures = hit.captures().ok_or("expected captures, got none")?;
    for (key, value) in expected {
        let range = match key.parse::<usize>() {
            Ok(index) => captures.get(index),
            Err(_) => captures.name(key),
        };
        let got = range.map(|r| &path[r]);
        if got != value.as_str() {
            return Err(format!("capture {key}: expected {value}, got {got:?}"));
        }
    }
    if let Some(groups) = case.get("groups").and_then(Value::as_u64)
        && captures.len() as u64 != groups
    {
        return Err(format!("expected {groups} groups, got {}", captures.len()));
    }
    Ok(())
}

#[test]
fn kong_router_spec_cases() {
    let data = include_str!("data/router_kong_cases.json");
    let cases: Cases = serde_json::from_str(data).unwrap();
    let (mut ran, mut derived, mut failures) = (0, 0, Vec::new());
    for group in &cases.groups {
        let router = Router::new(group.routes.iter().map(RouteSpec::route_match).collect())
            .unwrap_or_else(|e| panic!("{}: {e}", group.describe));
        for case in &group.cases {
            ran += 1;
            derived += usize::from(case.contains_key("derived"));
            if let Err(why) = run_case(&router, &group.routes, case) {
                failures.push(format!(
                    "{} / {}: {why}",
                    group.describe,
                    text(case, "it", "?")
                ));
            }
        }
    }
    eprintln!(
        "Kong router cases: {ran} run ({derived} derived from asserted expressions), {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        ran, 178,
        "the data file changed: update the count in the report"
    );
}

#[derive(Deserialize)]
struct PathHandlingRows {
    rows: Vec<(String, Option<String>, Value, Value, String, String)>,
}

fn expand<T: serde::de::DeserializeOwned>(v: &Value) -> Vec<T> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| serde_json::from_value(i.clone()).unwrap())
            .collect(),
        one => vec![serde_json::from_value(one.clone()).unwrap()],
    }
}

/// One path-handling case: a route on `host` with `path` (or none), the request normalised
/// as exec() normalises it; `Err` says what differs.
#[allow(clippy::too_many_arguments)]
fn path_handling_case(
    id: Uuid,
    host: &str,
    route_path: Option<String>,
    service_path: &str,
    strip: bool,
    handling: PathHandling,
    request: &str,
    expected: &str,
) -> Result<(), String> {
    let router = Router::new(vec![RouteMatch {
        id: Some(id),
        hosts: vec![host.to_owned()],
        paths: route_path.into_iter().collect(),
        ..RouteMatch::default()
    }])
    .map_err(|e| e.to_string())?;
    let path = normalize(request).map_err(|e| e.to_string())?;
    let no_headers: [(&str, &str); 0] = [];
    let info = RequestInfo {
        host,
        port: LISTENER_PORT,
        path: path.as_str(),
        method: "GET",
        sni: None,
        protocol: RequestProtocol::Http,
        http2: false,
        headers: &no_headers,
    };
    let outcome = router.route(&info);
    let hit = outcome.hit().ok_or(format!("no match: {outcome:?}"))?;
    let got = upstream_path(Some(service_path), hit, path.as_str(), strip, handling);
    if got == escape(expected) {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {got:?}"))
    }
}

#[test]
fn kong_path_handling_fixture() {
    let data = include_str!("data/router_path_handling.json");
    let fixture: PathHandlingRows = serde_json::from_str(data).unwrap();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, (service, route, strips, handlings, request, expected)) in
        fixture.rows.iter().enumerate()
    {
        let line = i + 1;
        let mut j = 0;
        for strip in expand::<bool>(strips) {
            for handling in expand::<String>(handlings) {
                j += 1;
                let handling: PathHandling = handling.parse().unwrap();
                let id = Uuid::parse_str(&format!("e8fb37f1-102d-461e-9c51-6608a6{line:03}{j:03}"))
                    .unwrap();
                let describe = format!(
                    "({line}-{j}) {service} with {route:?}, strip = {strip}, {handling:?}, req {request}"
                );
                // As written, then (paths only) as Kong's regex variant `~/[0]?<path>`.
                let variants = [
                    ("plain", format!("localbin-{line}-{j}.com"), route.clone()),
                    (
                        "regex",
                        format!("localbin-{line}.com"),
                        route.as_ref().map(|p| format!("~/[0]?{}", &p[1..])),
                    ),
                ];
                for (kind, host, path) in variants {
                    if kind == "regex" && route.is_none() {
                        continue;
                    }
                    let key = match (kind, handling) {
                        ("plain", PathHandling::V0) => "plain v0",
                        ("plain", _) => "plain v1",
                        (_, PathHandling::V0) => "regex v0",
                        _ => "regex v1",
                    };
                    *counts.entry(key).or_default() += 1;
                    if let Err(why) = path_handling_case(
                        id, &host, path, service, strip, handling, request, expected,
                    ) {
                        failures.push(format!("{kind} {describe}: {why}"));
                    }
                }
            }
        }
    }
    eprintln!(
        "Kong path-handling cases: {counts:?}, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The spec's "#benchmarks" route sets (10^5 routes each), for their matches only: the spec
/// times them, these tests do not.
#[test]
fn kong_benchmark_route_sets() {
    const N: usize = 100_000;
    let id = |prefix: &str, i: usize| Uuid::parse_str(&format!("{prefix}{i:06}")).ok();
    let no_headers: [(&str, &str); 0] = [];
    let request = |method, path, host, headers| RequestInfo {
        host,
        port: LISTENER_PORT,
        path,
        method,
        sni: None,
        protocol: RequestProtocol::Http,
        http2: false,
        headers,
    };
    let last = |routes: Vec<RouteMatch>, req: RequestInfo<'_>| {
        let router = Router::new(routes).unwrap();
        router.route(&req).route()
    };

    // plain [host]
    let routes = (1..=N)
        .map(|i| RouteMatch {
            id: id("e8fb37f1-102d-461e-9c51-6608a1", i),
            hosts: vec![format!("domain-{i}.org")],
            ..RouteMatch::default()
        })
        .collect();
    let host = format!("domain-{N}.org");
    assert_eq!(
        last(routes, request("GET", "/", &host, &no_headers)),
        Some(N - 1)
    );

    // [method + uri + host]
    let target = format!("/my-route-{N}");
    let routes = (1..=N)
        .map(|i| RouteMatch {
            id: id("e8fb37f1-102d-461e-9c51-6608a1", i),
            hosts: vec![host.clone()],
            paths: vec![target.clone()],
            methods: if i == N {
                vec!["POST".into()]
            } else {
                Vec::new()
            },
            ..RouteMatch::default()
        })
        .collect();
    assert_eq!(
        last(routes, request("POST", &target, &host, &no_headers)),
        Some(N - 1)
    );

    // [headers], single key
    let routes = (1..=N)
        .map(|i| RouteMatch {
            id: id("e8fb37f1-102d-461e-9c51-6608a1", i),
            headers: BTreeMap::from([("location".into(), vec![format!("somewhere-{i}")])]),
            ..RouteMatch::default()
        })
        .collect();
    let location = [("location", format!("somewhere-{N}"))];
    assert_eq!(
        last(routes, request("GET", "/", "", &location)),
        Some(N - 1)
    );

    // multiple routes of same category with identical values
    let routes = (1..=N)
        .map(|i| RouteMatch {
            id: if i == N {
                Uuid::parse_str("e8fb37f1-102d-461e-9c51-6608a6ffffff").ok()
            } else {
                id("e8fb37f1-102d-461e-9c51-6608a6", i)
            },
            hosts: vec!["domain.org".into()],
            paths: vec![if i == N {
                "/my-real-route".into()
            } else {
                target.clone()
            }],
            ..RouteMatch::default()
        })
        .collect();
    assert_eq!(
        last(
            routes,
            request("GET", "/my-real-route", "domain.org", &no_headers)
        ),
        Some(N - 1)
    );

    // [method + uri + host + headers]
    let routes = (1..=N)
        .map(|i| RouteMatch {
            id: if i == N {
                Uuid::parse_str("e8fb37f1-102d-461e-9c51-6608a6ffffff").ok()
            } else {
                id("e8fb37f1-102d-461e-9c51-6608a6", i)
            },
            hosts: vec![host.clone()],
            paths: vec![target.clone()],
            headers: BTreeMap::from([("location".into(), vec![format!("somewhere-{N}")])]),
            methods: if i == N {
                vec!["POST".into()]
            } else {
                Vec::new()
            },
            ..RouteMatch::default()
        })
        .collect();
    assert_eq!(
        last(routes, request("POST", &target, &host, &location)),
        Some(N - 1)
    );
}
