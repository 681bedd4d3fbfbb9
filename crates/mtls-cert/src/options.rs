//! How a chain is validated: the purpose and the options, shared by the validator and its
//! checks.

/// What the leaf certificate is validated for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Purpose {
    /// A TLS client certificate (EKU clientAuth when an EKU extension is present).
    #[default]
    Client,
    /// A TLS server certificate (EKU serverAuth when present) valid for `name`, a DNS name
    /// or an IP address.
    Server {
        /// The expected server name.
        name: String,
    },
    /// A TLS server certificate (EKU serverAuth when present) whose names the caller checks
    /// itself, for example with [`crate::Certificate::is_valid_for`] against several expected
    /// names. The path is validated exactly as for [`Purpose::Server`].
    ServerAuth,
}

impl Purpose {
    /// Whether the leaf is validated as a TLS server certificate.
    pub fn is_server(&self) -> bool {
        matches!(self, Purpose::Server { .. } | Purpose::ServerAuth)
    }
}

/// How a chain is validated. The defaults are Kong's except where decisions.md says
/// otherwise (EKU is checked).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// Client or server certificate. Default: [`Purpose::Client`].
    pub purpose: Purpose,
    /// Kong's `allow_partial_chain`: when `true` any CA of the set may anchor the path; when
    /// `false` (default) the path must end at a self-signed CA of the set, and stored CAs that
    /// are not self-signed act only as intermediates.
    pub allow_partial_chain: bool,
    /// When `true` (default), a leaf that carries an EKU extension must list the purpose's
    /// key purpose (and intermediates' EKUs must allow it, as webpki requires). Kong does not
    /// check EKU: set `false` for Kong's behaviour.
    pub check_eku: bool,
    /// nginx's `ssl_verify_depth`: the most intermediate CA certificates allowed between the
    /// leaf and the anchor. Self-issued intermediates (key rollover) do not count, as RFC 5280
    /// section 6.1 says of path length. `None` (default): only the path-building limit
    /// ([`crate::limits::MAX_PATH_INTERMEDIATES`], 6).
    pub max_depth: Option<u8>,
    /// When `true`, also enforce RFC 5280's profile rules that OpenSSL and Kong tolerate
    /// (authority/subject key identifiers present and non-critical, critical basicConstraints
    /// in CAs, positive serials, well-formed name constraints, usable keys, and for server
    /// certificates host-name syntax and, when the leaf names hosts in its SANs, every CN a
    /// copy of one of them as CA/Browser Forum BR 7.1.4.3 requires). Default `false`.
    pub strict: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            purpose: Purpose::Client,
            allow_partial_chain: false,
            check_eku: true,
            max_depth: None,
            strict: false,
        }
    }
}

impl ValidationOptions {
    /// Options for a client certificate with the defaults.
    pub fn client() -> Self {
        Self::default()
    }

    /// Options for a server certificate expected to be valid for `name`.
    pub fn server(name: impl Into<String>) -> Self {
        Self {
            purpose: Purpose::Server { name: name.into() },
            ..Self::default()
        }
    }

    /// Sets [`ValidationOptions::allow_partial_chain`].
    pub fn with_partial_chain(mut self, allow: bool) -> Self {
        self.allow_partial_chain = allow;
        self
    }

    /// Sets [`ValidationOptions::check_eku`].
    pub fn with_eku_check(mut self, check: bool) -> Self {
        self.check_eku = check;
        self
    }

    /// Sets [`ValidationOptions::strict`].
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets [`ValidationOptions::max_depth`].
    pub fn with_max_depth(mut self, max: Option<u8>) -> Self {
        self.max_depth = max;
        self
    }
}

/// Names a path member for messages: `leaf`, `intermediate N` (1 = the leaf's issuer), `CA`.
pub(crate) fn what(index: usize, len: usize) -> String {
    if index == 0 {
        "leaf".to_owned()
    } else if index + 1 == len {
        "CA".to_owned()
    } else {
        format!("intermediate {index}")
    }
}
