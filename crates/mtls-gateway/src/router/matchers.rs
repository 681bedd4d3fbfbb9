//! A route's fields, compiled once: what the hot path compares.

use mtls_header::Headers;
use mtls_sni::Protocol;

use super::request::split_host_port;

/// How a host or SNI pattern compares: the whole name, a suffix (`*.x` keeps `.x`) or a
/// prefix (`x.*` keeps `x.`), ASCII case-insensitively.
#[derive(Debug, Clone)]
enum NameMatch {
    Exact(String),
    Suffix(String),
    Prefix(String),
}

impl NameMatch {
    fn parse(pattern: &str) -> Self {
        if let Some(rest) = pattern.strip_prefix('*') {
            Self::Suffix(rest.to_owned())
        } else if let Some(rest) = pattern.strip_suffix('*') {
            Self::Prefix(rest.to_owned())
        } else {
            Self::Exact(pattern.to_owned())
        }
    }

    fn matches(&self, name: &str) -> bool {
        let name = name.as_bytes();
        match self {
            Self::Exact(p) => name.eq_ignore_ascii_case(p.as_bytes()),
            Self::Suffix(p) => {
                name.len() >= p.len()
                    && name[name.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
            }
            Self::Prefix(p) => {
                name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            }
        }
    }
}

/// One `hosts` entry: a name pattern and, when given, the port it also requires.
#[derive(Debug, Clone)]
pub(super) struct HostPattern {
    name: NameMatch,
    port: Option<u16>,
}

impl HostPattern {
    pub(super) fn parse(entry: &str) -> Self {
        let (host, port) = split_host_port(entry);
        Self {
            name: NameMatch::parse(host),
            port,
        }
    }

    pub(super) fn matches(&self, host: &str, port: u16) -> bool {
        self.port.is_none_or(|p| p == port) && self.name.matches(host)
    }
}

/// One `snis` entry (Kong drops a trailing dot of an exact name).
#[derive(Debug, Clone)]
pub(super) struct SniPattern(NameMatch);

impl SniPattern {
    pub(super) fn parse(entry: &str) -> Self {
        let entry = match entry.strip_suffix('.') {
            Some(rest) if !rest.is_empty() && !entry.ends_with('*') => rest,
            _ => entry,
        };
        Self(NameMatch::parse(entry))
    }

    pub(super) fn matches(&self, sni: &str) -> bool {
        self.0.matches(sni)
    }
}

/// One accepted value of a route header.
#[derive(Debug, Clone)]
enum HeaderValue {
    /// Compared ASCII case-insensitively (stored lower-case).
    Exact(Vec<u8>),
    /// `~*`: a regex run on the lower-cased value.
    Regex(regex::bytes::Regex),
}

/// One entry of a route's `headers`: every request field of that name is tried against every
/// accepted value; one match is enough (Kong's `any(lower(http.headers.x)) == v || ...`).
#[derive(Debug, Clone)]
pub(super) struct HeaderMatcher {
    /// Lower case, `_` written `-` (nginx finds `user_agent` as `user-agent`).
    name: Vec<u8>,
    values: Vec<HeaderValue>,
}

impl HeaderMatcher {
    /// `Err((value index, reason))` for an invalid `~*` regex.
    pub(super) fn compile(name: &str, values: &[String]) -> Result<Self, (usize, String)> {
        let name = name
            .bytes()
            .map(|b| {
                if b == b'_' {
                    b'-'
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect();
        let mut compiled = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            compiled.push(
                match mtls_kong_config::patterns::compile_header_regex(value) {
                    Ok(Some(regex)) => HeaderValue::Regex(regex),
                    Ok(None) => HeaderValue::Exact(value.to_ascii_lowercase().into_bytes()),
                    Err(reason) => return Err((i, reason)),
                },
            );
        }
        Ok(Self {
            name,
            values: compiled,
        })
    }

    pub(super) fn matches(&self, headers: &dyn Headers) -> bool {
        let mut found = false;
        headers.visit_fields(&mut |name, value| {
            if !found && name.eq_ignore_ascii_case(&self.name) {
                found = self.values.iter().any(|accepted| match accepted {
                    HeaderValue::Exact(v) => value.eq_ignore_ascii_case(v),
                    HeaderValue::Regex(re) => re.is_match(&value.to_ascii_lowercase()),
                });
            }
        });
        found
    }
}

/// One entry of a route's `paths`.
#[derive(Debug, Clone)]
pub(super) enum PathMatcher {
    /// A prefix, compared byte for byte.
    Prefix(String),
    /// A regex (Kong's `^` prepended); `groups` is whether it captures anything.
    Regex { regex: regex::Regex, groups: bool },
}

/// Which of Kong's protocol checks a route gets after it matched (its `protocols` set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Protocols {
    pub(super) http: bool,
    pub(super) https: bool,
    pub(super) grpc: bool,
    pub(super) grpcs: bool,
    pub(super) ws: bool,
    pub(super) wss: bool,
}

impl Protocols {
    /// Empty means Kong's default, `http` and `https`. `None`: no HTTP protocol at all (a
    /// stream route), which never matches an HTTP request.
    pub(super) fn from_route(protocols: &[Protocol]) -> Option<Self> {
        if protocols.is_empty() {
            return Some(Self {
                http: true,
                https: true,
                ..Self::default()
            });
        }
        let mut set = Self::default();
        for p in protocols {
            match p {
                Protocol::Http => set.http = true,
                Protocol::Https => set.https = true,
                Protocol::Grpc => set.grpc = true,
                Protocol::Grpcs => set.grpcs = true,
                Protocol::Ws => set.ws = true,
                Protocol::Wss => set.wss = true,
                // Stream protocols (and any protocol added later) are not HTTP.
                _ => {}
            }
        }
        (set != Self::default()).then_some(set)
    }
}

/// The fields every path group of a route shares.
#[derive(Debug, Clone)]
pub(super) struct Common {
    pub(super) hosts: Vec<HostPattern>,
    /// Upper case, compared ASCII case-insensitively.
    pub(super) methods: Vec<String>,
    pub(super) headers: Vec<HeaderMatcher>,
    pub(super) snis: Vec<SniPattern>,
    pub(super) protocols: Protocols,
    pub(super) redirect_status: u16,
}

impl Common {
    /// Every field but the path; `tls` says whether `snis` apply (Kong checks them only on
    /// `https` requests).
    pub(super) fn matches(&self, req: &super::RequestInfo<'_>, host: &str) -> bool {
        (self.methods.is_empty()
            || self
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(req.method)))
            && (self.hosts.is_empty() || self.hosts.iter().any(|h| h.matches(host, req.port)))
            && (self.snis.is_empty()
                || !req.protocol.is_tls()
                || req
                    .sni
                    .is_some_and(|sni| self.snis.iter().any(|s| s.matches(sni))))
            && self.headers.iter().all(|h| h.matches(req.headers))
    }
}
