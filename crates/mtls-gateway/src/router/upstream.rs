//! The upstream request path: the service's path joined with the request path, as Kong joins
//! them (`path_handling`, `strip_path`).

use mtls_kong_config::PathHandling;
use mtls_kong_config::path;

use super::outcome::Hit;

/// Kong's `sanitize_uri_postfix`: what is left after the stripped prefix loses one leading
/// `.`/`..` segment (a prefix `/route` stripped from `/route./req` leaves `req`).
fn sanitize_postfix(postfix: &str) -> &str {
    match postfix {
        "." | ".." => "",
        _ => postfix
            .strip_prefix("./")
            .or_else(|| postfix.strip_prefix("../"))
            .unwrap_or(postfix),
    }
}

/// The path the upstream receives for a request that `hit` matched (Kong's
/// `get_upstream_uri_v0`, or its `traditional` router's `v1` join), escaped as Kong escapes it
/// ([`mtls_kong_config::path::escape`]). `service_path` is the service's `path` (none: `/`);
/// `request_path` is the normalised path the router matched (an empty service path is `/`); `strip_path` removes the part
/// the route's path matched (a regex's whole match included). The query is not part of it.
///
/// ```
/// use mtls_gateway::{RequestInfo, RequestProtocol, RouteMatch, Router, upstream_path};
/// use mtls_kong_config::PathHandling;
/// let router = Router::new(vec![RouteMatch { paths: vec![r"~/users/\d+".into()], ..RouteMatch::default() }])?;
/// let no_headers: [(&str, &str); 0] = [];
/// let req = RequestInfo { host: "a.test", port: 443, path: "/users/7/profile", method: "GET",
///     sni: None, protocol: RequestProtocol::Https, http2: false, headers: &no_headers };
/// let hit = router.route(&req).hit().cloned().expect("a route");
/// assert_eq!(upstream_path(Some("/svc"), &hit, req.path, true, PathHandling::V0), "/svc/profile");
/// assert_eq!(upstream_path(Some("/svc"), &hit, req.path, false, PathHandling::V0), "/svc/users/7/profile");
/// # Ok::<(), mtls_gateway::RouterError>(())
/// ```
pub fn upstream_path(
    service_path: Option<&str>,
    hit: &Hit,
    request_path: &str,
    strip_path: bool,
    path_handling: PathHandling,
) -> String {
    let base = service_path.filter(|p| !p.is_empty()).unwrap_or("/");
    // Kong's `match_t.prefix or "/"`: the matched part when stripping, else `/`.
    let prefix_len = if strip_path && hit.path.is_some() {
        hit.matched_len()
    } else {
        1
    };
    let postfix = sanitize_postfix(nth_byte_on(request_path, prefix_len));
    let joined = match path_handling {
        PathHandling::V0 => join_v0(base, postfix, request_path, strip_path),
        PathHandling::V1 => join_v1(base, postfix, request_path, strip_path),
    };
    match path::escape(&joined) {
        std::borrow::Cow::Borrowed(_) => joined,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

/// `text` from byte `at` on (Kong cuts by length); at a byte inside a character, from the
/// next character.
fn nth_byte_on(text: &str, at: usize) -> &str {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    text.get(at..).unwrap_or_default()
}

/// The parts joined into one string of exactly their length (one allocation).
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

fn join_v0(base: &str, postfix: &str, request: &str, strip_path: bool) -> String {
    let base_slash = base.ends_with('/');
    let request_slash = request.len() > 1 && request.ends_with('/');
    match (base_slash, strip_path) {
        (true, true) if postfix.is_empty() => {
            if base == "/" || request.ends_with('/') {
                base.to_owned()
            } else {
                base[..base.len() - 1].to_owned()
            }
        }
        (true, true) if postfix.starts_with('/') => concat(&[&base[..base.len() - 1], postfix]),
        (true, true) => concat(&[base, postfix]),
        (true, false) => concat(&[base, request.get(1..).unwrap_or_default()]),
        (false, true) if postfix.is_empty() => {
            if request_slash {
                concat(&[base, "/"])
            } else {
                base.to_owned()
            }
        }
        (false, true) if postfix.starts_with('/') => concat(&[base, postfix]),
        (false, true) => concat(&[base, "/", postfix]),
        (false, false) if request == "/" => base.to_owned(),
        (false, false) => concat(&[base, request]),
    }
}

fn join_v1(base: &str, postfix: &str, request: &str, strip_path: bool) -> String {
    if !strip_path {
        return concat(&[base, request.get(1..).unwrap_or_default()]);
    }
    if base.ends_with('/') && postfix.starts_with('/') {
        concat(&[&base[..base.len() - 1], postfix])
    } else {
        concat(&[base, postfix])
    }
}
