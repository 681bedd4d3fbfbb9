//! A proptest of [`Router`] against a reference model of Kong's `traditional_compatible`
//! precedence written here the plain way: for every route, every path group, test every field
//! by string operations; give each match Kong's 64-bit priority, packed bit by bit as Kong's
//! `get_priority` documents it; take the greatest (priority, id), then the first declared;
//! then apply Kong's protocol checks, in the order of Kong's access phase.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mtls_gateway::{
    RequestInfo, RequestProtocol, RouteMatch, RouteOutcome as Outcome, RouteRefusal as Refusal,
    Router,
};
use mtls_sni::Protocol;
use proptest::prelude::*;
use uuid::Uuid;

/// What the model answers: the route and path position, or a refusal, or nothing.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Matched(usize, Option<usize>),
    Refused(usize, Refusal),
    NotFound,
}

fn answer(outcome: &Outcome) -> Answer {
    match outcome {
        Outcome::Matched(hit) => Answer::Matched(hit.route, hit.path),
        Outcome::Refused { route, refusal } => Answer::Refused(*route, *refusal),
        Outcome::NotFound => Answer::NotFound,
    }
}

#[derive(Debug, Clone)]
struct Request {
    host: String,
    port: u16,
    path: String,
    method: String,
    sni: Option<String>,
    protocol: RequestProtocol,
    http2: bool,
    headers: Vec<(String, String)>,
}

fn name_matches(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.to_lowercase(), name.to_lowercase());
    if let Some(suffix) = pattern.strip_prefix('*') {
        name.ends_with(suffix)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        name.starts_with(prefix)
    } else {
        pattern == name
    }
}

fn host_matches(entry: &str, req: &Request) -> bool {
    match entry.rsplit_once(':') {
        Some((host, port)) => port.parse() == Ok(req.port) && name_matches(host, &req.host),
        None => name_matches(entry, &req.host),
    }
}

fn header_matches(name: &str, values: &[String], req: &Request) -> bool {
    let name = name.replace('_', "-");
    req.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case(&name)
            && values
                .iter()
                .any(|accepted| match accepted.strip_prefix("~*") {
                    Some(re) => regex::Regex::new(&re.to_lowercase())
                        .unwrap()
                        .is_match(&v.to_lowercase()),
                    None => accepted.to_lowercase() == v.to_lowercase(),
                })
    })
}

fn path_matches(path: &str, req: &Request) -> bool {
    match path.strip_prefix('~') {
        Some(re) => regex::Regex::new(&format!("^{re}"))
            .unwrap()
            .is_match(&req.path),
        None => req.path.starts_with(path),
    }
}

/// Kong's split: the regexes, then each prefix length, in order of first appearance.
fn groups(paths: &[String]) -> Vec<Vec<usize>> {
    let mut keys: Vec<Option<usize>> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let key = if p.starts_with('~') {
            None
        } else {
            Some(p.len())
        };
        match keys.iter().position(|k| *k == key) {
            Some(g) => groups[g].push(i),
            None => {
                keys.push(key);
                groups.push(vec![i]);
            }
        }
    }
    if groups.is_empty() {
        groups.push(Vec::new());
    }
    groups
}

/// Kong's `get_priority`, packed as its comment draws it (regex_priority < 2^32 here).
fn priority(route: &RouteMatch, group: &[usize]) -> u64 {
    let fields = [
        !route.methods.is_empty(),
        !route.hosts.is_empty(),
        !route.headers.is_empty(),
        !route.snis.is_empty(),
        !group.is_empty(),
    ];
    let weight = fields.iter().filter(|f| **f).count() as u64;
    let plain = !route.hosts.is_empty() && route.hosts.iter().all(|h| !h.contains('*'));
    let first = group.first().map(|&i| route.paths[i].as_str());
    let regex = first.is_some_and(|p| p.starts_with('~'));
    let length = if regex {
        0
    } else {
        first.map_or(0, str::len) as u64
    };
    let regex_priority = if regex {
        route.regex_priority as u64
    } else {
        0
    };
    weight << 61
        | u64::from(plain) << 60
        | (route.headers.len() as u64) << 52
        | u64::from(regex) << 51
        | regex_priority << 19
        | (length & 0x7FFFF)
}

fn is_http(route: &RouteMatch) -> bool {
    route.protocols.is_empty()
        || route.protocols.iter().any(|p| {
            matches!(
                p,
                Protocol::Http
                    | Protocol::Https
                    | Protocol::Grpc
                    | Protocol::Grpcs
                    | Protocol::Ws
                    | Protocol::Wss
            )
        })
}

fn has(route: &RouteMatch, p: Protocol) -> bool {
    if route.protocols.is_empty() {
        return matches!(p, Protocol::Http | Protocol::Https);
    }
    route.protocols.contains(&p)
}

/// Kong's access-phase checks, then ours for ws/wss-only routes.
fn protocol_check(route: &RouteMatch, req: &Request) -> Option<Refusal> {
    let tls = matches!(
        req.protocol,
        RequestProtocol::Https | RequestProtocol::Grpcs | RequestProtocol::Wss
    );
    let grpc = matches!(req.protocol, RequestProtocol::Grpc | RequestProtocol::Grpcs);
    let websocket = matches!(req.protocol, RequestProtocol::Ws | RequestProtocol::Wss);
    let ws_only = (has(route, Protocol::Ws) || has(route, Protocol::Wss))
        && !has(route, Protocol::Http)
        && !has(route, Protocol::Https)
        && !has(route, Protocol::Grpc)
        && !has(route, Protocol::Grpcs);
    let status = route.https_redirect_status_code;
    if has(route, Protocol::Https) && !has(route, Protocol::Http) && !tls {
        return Some(Refusal::HttpsRequired { status });
    }
    if ws_only && has(route, Protocol::Wss) && !has(route, Protocol::Ws) && !tls {
        return Some(Refusal::HttpsRequired { status });
    }
    if has(route, Protocol::Grpc) || has(route, Protocol::Grpcs) {
        if !grpc {
            return Some(Refusal::NotGrpc);
        }
        if !req.http2 {
            return Some(Refusal::Http2Required);
        }
        if !has(route, Protocol::Grpc) && !tls {
            return Some(Refusal::GrpcsRequired);
        }
    }
    if ws_only && !websocket {
        return Some(Refusal::WebSocketRequired);
    }
    None
}

fn model(routes: &[RouteMatch], req: &Request) -> Answer {
    let tls = matches!(
        req.protocol,
        RequestProtocol::Https | RequestProtocol::Grpcs | RequestProtocol::Wss
    );
    /// The best match so far: (priority, id), (route, group), the matched path.
    type Best = ((u64, Option<Uuid>), (usize, usize), Option<usize>);
    let mut best: Option<Best> = None;
    for (r, route) in routes.iter().enumerate() {
        if !is_http(route) {
            continue;
        }
        let fields_match = (route.methods.is_empty()
            || route
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&req.method)))
            && (route.hosts.is_empty() || route.hosts.iter().any(|h| host_matches(h, req)))
            && (route.snis.is_empty()
                || !tls
                || req
                    .sni
                    .as_deref()
                    .is_some_and(|s| route.snis.iter().any(|p| name_matches(p, s))))
            && route.headers.iter().all(|(n, v)| header_matches(n, v, req));
        if !fields_match {
            continue;
        }
        let all = groups(&route.paths);
        for (g, group) in all.iter().enumerate() {
            let matched = if group.is_empty() {
                Some(None)
            } else {
                group
                    .iter()
                    .find(|&&i| path_matches(&route.paths[i], req))
                    .map(|&i| Some(i))
            };
            let Some(matched) = matched else { continue };
            let id = match (route.id, all.len()) {
                (Some(id), 1) => Some(id),
                (Some(id), _) => Some(Uuid::new_v5(
                    &Uuid::parse_str("7f145bf9-0dce-4f91-98eb-debbce4b9f6b").unwrap(),
                    format!("{id}#{}", g + 1).as_bytes(),
                )),
                (None, _) => None,
            };
            let key = (priority(route, group), id);
            let better = match &best {
                None => true,
                Some((k, order, _)) => key > *k || (key == *k && (r, g) < *order),
            };
            if better {
                best = Some((key, (r, g), matched));
            }
        }
    }
    match best {
        None => Answer::NotFound,
        Some((_, (r, _), path)) => match protocol_check(&routes[r], req) {
            Some(refusal) => Answer::Refused(r, refusal),
            None => Answer::Matched(r, path),
        },
    }
}

// ---- strategies ---------------------------------------------------------------------------

const PROTOCOL_SETS: &[&[Protocol]] = &[
    &[],
    &[Protocol::Https],
    &[Protocol::Http],
    &[Protocol::Grpc, Protocol::Grpcs],
    &[Protocol::Grpcs],
    &[Protocol::Ws, Protocol::Wss],
    &[Protocol::Wss],
    &[Protocol::Tcp],
];

const REQUEST_HEADERS: &[&[(&str, &str)]] = &[
    &[],
    &[("x-v", "1")],
    &[("X-V", "V7")],
    &[("x-v", "3"), ("x-v", "2")],
    &[("x-v", "1"), ("x-w", "ON")],
];

fn subset(pool: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(pool, 0..=max).prop_map(|v| v.into_iter().map(String::from).collect())
}

fn route() -> impl Strategy<Value = RouteMatch> {
    let hosts = subset(
        &[
            "a.test",
            "*.a.test",
            "a.*",
            "a.test:8443",
            "*.a.test:80",
            "b.test",
        ],
        2,
    );
    let paths = prop::sample::subsequence(
        &[
            "/",
            "/a",
            "/a/b",
            "/ab",
            "/b/",
            r"~/a/\d+",
            "~/a",
            "~/(a|b)/c",
            r"~/a/(?<n>\d)",
        ][..],
        0..=3,
    )
    .prop_shuffle()
    .prop_map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
    let methods = subset(&["GET", "POST"], 1);
    let headers = prop_oneof![
        3 => Just(BTreeMap::new()),
        1 => subset(&["1", "2", "~*^v\\d"], 2).prop_map(|v| BTreeMap::from([("x_v".to_owned(), v)])),
        1 => Just(BTreeMap::from([("x-v".to_owned(), vec!["1".to_owned()]), ("x-w".to_owned(), vec!["on".to_owned()])])),
    ];
    let snis = subset(&["a.test", "*.a.test"], 1);
    let protocols = prop::sample::select(PROTOCOL_SETS).prop_map(<[Protocol]>::to_vec);
    let id = prop::option::of(0u128..4).prop_map(|id| id.map(Uuid::from_u128));
    (
        hosts,
        paths,
        methods,
        headers,
        snis,
        protocols,
        0i64..3,
        id,
        prop::bool::ANY,
    )
        .prop_map(
            |(hosts, paths, methods, headers, snis, protocols, regex_priority, id, redirect)| {
                RouteMatch {
                    id,
                    hosts,
                    paths,
                    methods,
                    headers,
                    snis,
                    protocols,
                    regex_priority,
                    https_redirect_status_code: if redirect { 301 } else { 426 },
                }
            },
        )
}

fn request() -> impl Strategy<Value = Request> {
    let host = prop::sample::select(&["a.test", "x.a.test", "A.TEST", "a.org", "b.test", ""][..]);
    let path = prop::sample::select(
        &[
            "/", "/a", "/a/", "/a/b", "/a/12", "/a/7", "/ab", "/b/c", "/x",
        ][..],
    );
    let sni = prop::option::of(prop::sample::select(&["a.test", "y.a.test", "c.test"][..]));
    let protocol = prop::sample::select(
        &[
            RequestProtocol::Http,
            RequestProtocol::Https,
            RequestProtocol::Grpc,
            RequestProtocol::Grpcs,
            RequestProtocol::Ws,
            RequestProtocol::Wss,
        ][..],
    );
    let headers = prop::sample::select(REQUEST_HEADERS);
    (
        host,
        prop::sample::select(&[80u16, 8443][..]),
        path,
        prop::sample::select(&["GET", "POST", "get"][..]),
        sni,
        protocol,
        prop::bool::ANY,
        headers,
    )
        .prop_map(
            |(host, port, path, method, sni, protocol, http2, headers)| Request {
                host: host.to_owned(),
                port,
                path: path.to_owned(),
                method: method.to_owned(),
                sni: sni.map(str::to_owned),
                protocol,
                http2,
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn router_agrees_with_the_model(
        routes in prop::collection::vec(route(), 1..7),
        requests in prop::collection::vec(request(), 1..6),
    ) {
        let router = Router::new(routes.clone()).unwrap();
        for req in &requests {
            let info = RequestInfo {
                host: &req.host,
                port: req.port,
                path: &req.path,
                method: &req.method,
                sni: req.sni.as_deref(),
                protocol: req.protocol,
                http2: req.http2,
                headers: &req.headers,
            };
            prop_assert_eq!(answer(&router.route(&info)), model(&routes, req), "{:?}", info);
        }
    }
}
