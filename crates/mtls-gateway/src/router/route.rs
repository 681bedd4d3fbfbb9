//! What a route matches on, and the checks a configuration loader runs per route.

use std::collections::BTreeMap;

use mtls_sni::Protocol;
use uuid::Uuid;

/// The status codes Kong accepts for `https_redirect_status_code`.
pub const REDIRECT_STATUS_CODES: [u16; 5] = [426, 301, 302, 307, 308];

/// What a route matches on, with Kong's field names. Unset (empty) fields match anything.
///
/// ```
/// use mtls_gateway::RouteMatch;
/// let route = RouteMatch {
///     hosts: vec!["api.example.test:8443".into()],
///     paths: vec![r"~/orders/(?<id>\d+)$".into()],
///     ..RouteMatch::default()
/// };
/// assert_eq!(route.https_redirect_status_code, 426);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The route's id. Kong's router tries routes of equal priority in descending id order;
    /// without an id a route comes after those that have one, then in declaration order.
    pub id: Option<Uuid>,
    /// `hosts`: a name, with one `*` as its leftmost (`*.example.com`) or rightmost
    /// (`example.*`) label, and an optional `:port` (`example.com:8000` matches only requests
    /// to that port; a host without a port matches any port).
    pub hosts: Vec<String>,
    /// `paths`: prefixes, or regexes after a `~` (anchored at the start, as Kong anchors them).
    pub paths: Vec<String>,
    /// `methods`.
    pub methods: Vec<String>,
    /// `headers`: a header name and the values it may have (one of them; each compared
    /// case-insensitively, or a case-insensitive regex after `~*`). Every name must match.
    pub headers: BTreeMap<String, Vec<String>>,
    /// `snis`: server names, with a leading or trailing `*` as for hosts. Checked only on
    /// requests over TLS, as Kong checks them.
    pub snis: Vec<String>,
    /// `protocols`. Empty: `http` and `https`. Routes with no HTTP protocol (`tcp`, `tls`,
    /// `udp`, `tls_passthrough`) never match an HTTP request.
    pub protocols: Vec<Protocol>,
    /// `regex_priority`: orders routes whose paths are regexes (ignored for prefix paths).
    pub regex_priority: i64,
    /// `https_redirect_status_code` (426, 301, 302, 307 or 308; Kong's default 426): the
    /// answer to a plain-HTTP request when this https-only route is the best match.
    pub https_redirect_status_code: u16,
}

impl Default for RouteMatch {
    fn default() -> Self {
        Self {
            id: None,
            hosts: Vec::new(),
            paths: Vec::new(),
            methods: Vec::new(),
            headers: BTreeMap::new(),
            snis: Vec::new(),
            protocols: Vec::new(),
            regex_priority: 0,
            https_redirect_status_code: 426,
        }
    }
}

/// Why a router could not be built: the route by position (and id), and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouterError {
    /// A `~` path is not a valid regex.
    #[error("route {route}{}, paths[{path}]: {reason}", id_suffix(.id))]
    InvalidRegexPath {
        /// The route's position in the list the router was built from.
        route: usize,
        /// The route's id, if it has one.
        id: Option<Uuid>,
        /// The position of the path in the route's `paths`.
        path: usize,
        /// What is wrong.
        reason: String,
    },
    /// A `~*` header value is not a valid regex.
    #[error("route {route}{}, headers.{name}[{value}]: {reason}", id_suffix(.id))]
    InvalidHeaderRegex {
        /// The route's position.
        route: usize,
        /// The route's id, if it has one.
        id: Option<Uuid>,
        /// The header name as configured.
        name: String,
        /// The position of the value among the header's values.
        value: usize,
        /// What is wrong.
        reason: String,
    },
    /// `https_redirect_status_code` is not one Kong accepts.
    #[error(
        "route {route}{}, https_redirect_status_code: {status} is not one of 426, 301, 302, 307, 308",
        id_suffix(.id)
    )]
    InvalidRedirectStatus {
        /// The route's position.
        route: usize,
        /// The route's id, if it has one.
        id: Option<Uuid>,
        /// The configured status.
        status: u16,
    },
}

fn id_suffix(id: &Option<Uuid>) -> String {
    id.map(|id| format!(" ({id})")).unwrap_or_default()
}
