//! A small Kong-compatible router for embedders without their own: hosts (with a leading or
//! trailing `*` wildcard), path prefixes, methods, SNIs and protocols.
//!
//! A route matches when every field it sets matches (an unset field matches anything). Among
//! matching routes, Kong's precedence: the route that sets more of hosts / methods / paths /
//! snis wins; at equal counts the categories rank host, then path, then method, then SNI; then
//! a plain host over a wildcard one; then the longer matching path prefix; then the route
//! declared first. No match: 404 `{"message":"no Route matched with those values"}`.

/// Kong's answer when no route matches.
pub const NO_ROUTE_BODY: &str = r#"{"message":"no Route matched with those values"}"#;

/// What a route matches on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteMatch {
    /// The route's id (what [`Router::route`] returns).
    pub id: String,
    /// Host names; `*.example.com` and `example.*` are wildcards. Empty: any host.
    pub hosts: Vec<String>,
    /// Path prefixes. Empty: any path.
    pub paths: Vec<String>,
    /// Methods (upper case). Empty: any method.
    pub methods: Vec<String>,
    /// SNIs (a leading or trailing `*` as for hosts). Empty: any.
    pub snis: Vec<String>,
    /// Protocols (`http`, `https`, ...). Empty: `http` and `https`.
    pub protocols: Vec<String>,
}

/// A request as the router sees it.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    /// The Host header without port.
    pub host: &'a str,
    /// The path.
    pub path: &'a str,
    /// The method.
    pub method: &'a str,
    /// The TLS server name, if any.
    pub sni: Option<&'a str>,
    /// `http` or `https`.
    pub protocol: &'a str,
}

/// Routes in declaration order.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RouteMatch>,
}

fn host_matches(pattern: &str, host: &str) -> Option<bool> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if let Some(suffix) = pattern.strip_prefix('*') {
        let ok = host.len() > suffix.len()
            && host
                .get(host.len() - suffix.len()..)
                .is_some_and(|t| t.eq_ignore_ascii_case(suffix));
        return ok.then_some(false);
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        let ok = host.len() > prefix.len()
            && host
                .get(..prefix.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(prefix));
        return ok.then_some(false);
    }
    pattern.eq_ignore_ascii_case(host).then_some(true)
}

/// How well a route matched: compared to pick the winner (greater wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    fields: u8,
    /// Which fields are set, Kong's category order: host > path > method > sni.
    mask: u8,
    plain_host: bool,
    path_len: usize,
}

impl RouteMatch {
    fn score(&self, req: &RequestInfo<'_>) -> Option<Score> {
        let protocol_ok = if self.protocols.is_empty() {
            matches!(req.protocol, "http" | "https")
        } else {
            self.protocols
                .iter()
                .any(|p| p.eq_ignore_ascii_case(req.protocol))
        };
        if !protocol_ok {
            return None;
        }
        let mut plain_host = false;
        if !self.hosts.is_empty() {
            plain_host = self
                .hosts
                .iter()
                .filter_map(|h| host_matches(h, req.host))
                .max()?;
        }
        let mut path_len = 0;
        if !self.paths.is_empty() {
            path_len = self
                .paths
                .iter()
                .filter(|p| req.path.starts_with(p.as_str()))
                .map(String::len)
                .max()?;
        }
        if !self.methods.is_empty()
            && !self
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(req.method))
        {
            return None;
        }
        if !self.snis.is_empty() {
            let sni = req.sni?;
            if !self.snis.iter().any(|s| host_matches(s, sni).is_some()) {
                return None;
            }
        }
        let fields = [&self.hosts, &self.methods, &self.paths, &self.snis]
            .iter()
            .filter(|f| !f.is_empty())
            .count();
        let mask = u8::from(!self.hosts.is_empty()) << 3
            | u8::from(!self.paths.is_empty()) << 2
            | u8::from(!self.methods.is_empty()) << 1
            | u8::from(!self.snis.is_empty());
        Some(Score {
            fields: u8::try_from(fields).unwrap_or(u8::MAX),
            mask,
            plain_host,
            path_len,
        })
    }
}

impl Router {
    /// A router over `routes`, in declaration order.
    pub fn new(routes: Vec<RouteMatch>) -> Self {
        Self { routes }
    }

    /// The id of the route that serves `req`, or `None` (answer 404 with [`NO_ROUTE_BODY`]).
    ///
    /// ```
    /// use mtls_gateway::router::{RequestInfo, RouteMatch, Router};
    /// let router = Router::new(vec![
    ///     RouteMatch { id: "any".into(), ..Default::default() },
    ///     RouteMatch { id: "mtls".into(), paths: vec!["/mtls".into()], ..Default::default() },
    /// ]);
    /// let req = |path| RequestInfo { host: "a.test", path, method: "GET", sni: None, protocol: "https" };
    /// assert_eq!(router.route(&req("/mtls/x")), Some("mtls"));
    /// assert_eq!(router.route(&req("/other")), Some("any"));
    /// ```
    pub fn route(&self, req: &RequestInfo<'_>) -> Option<&str> {
        let mut best: Option<(Score, &RouteMatch)> = None;
        for route in &self.routes {
            if let Some(score) = route.score(req)
                && best.as_ref().is_none_or(|(b, _)| score > *b)
            {
                best = Some((score, route));
            }
        }
        best.map(|(_, r)| r.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(host: &'a str, path: &'a str) -> RequestInfo<'a> {
        RequestInfo {
            host,
            path,
            method: "GET",
            sni: Some(host),
            protocol: "https",
        }
    }

    fn route(id: &str, f: impl FnOnce(&mut RouteMatch)) -> RouteMatch {
        let mut r = RouteMatch {
            id: id.to_owned(),
            ..RouteMatch::default()
        };
        f(&mut r);
        r
    }

    #[test]
    fn precedence() {
        let router = Router::new(vec![
            route("wild", |r| r.hosts = vec!["*.example.test".into()]),
            route("plain", |r| r.hosts = vec!["api.example.test".into()]),
            route("host+path", |r| {
                r.hosts = vec!["*.example.test".into()];
                r.paths = vec!["/v1".into()];
            }),
            route("short", |r| r.paths = vec!["/".into()]),
            route("long", |r| r.paths = vec!["/deep/er".into()]),
        ]);
        assert_eq!(router.route(&req("api.example.test", "/x")), Some("plain"));
        assert_eq!(router.route(&req("www.example.test", "/x")), Some("wild"));
        assert_eq!(
            router.route(&req("api.example.test", "/v1/a")),
            Some("host+path")
        );
        assert_eq!(router.route(&req("other.test", "/deep/er/x")), Some("long"));
        assert_eq!(router.route(&req("other.test", "/deep")), Some("short"));
        assert_eq!(router.route(&req("example.test", "x")), None);
    }

    #[test]
    fn methods_snis_protocols() {
        let router = Router::new(vec![
            route("post", |r| r.methods = vec!["POST".into()]),
            route("sni", |r| {
                r.snis = vec!["mtls.test".into(), "*.mtls.test".into()]
            }),
            route("grpc", |r| r.protocols = vec!["grpcs".into()]),
        ]);
        let mut q = req("mtls.test", "/");
        assert_eq!(router.route(&q), Some("sni"));
        assert_eq!(router.route(&req("a.mtls.test", "/")), Some("sni"));
        q.method = "post";
        q.sni = None;
        assert_eq!(router.route(&q), Some("post"));
        q.method = "GET";
        assert_eq!(router.route(&q), None);
        q.protocol = "grpcs";
        assert_eq!(router.route(&q), Some("grpc"));
        assert!(NO_ROUTE_BODY.contains("no Route matched"));
    }

    #[test]
    fn wildcard_hosts_both_sides() {
        assert_eq!(host_matches("*.a.test", "x.a.test"), Some(false));
        assert_eq!(host_matches("*.a.test", "a.test"), None);
        assert_eq!(host_matches("api.*", "api.a.test"), Some(false));
        assert_eq!(host_matches("API.a.test", "api.a.test."), Some(true));
    }
}
