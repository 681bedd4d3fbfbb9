//! Errors: why an SNI pattern or a whole configuration is refused.
//!
//! Two levels, as in Kong's schema errors: [`SniError`] says what is wrong with one SNI string,
//! [`BuildError`] says where (which route, which plugin) and wraps the [`SniError`] when there is
//! one. A configuration with any error is refused whole: the caller keeps its previous map.

use crate::model::{PluginId, Protocol, RouteId};

/// What is wrong with one SNI pattern (a route's `snis` element).
///
/// The messages follow Kong's schema messages where Kong has one ("wildcard must be leftmost or
/// rightmost character", "only one wildcard must be specified", "must not be an IP", "must not
/// have a port").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SniError {
    /// The pattern is empty (or only a dot).
    #[error("must not be empty")]
    Empty,
    /// More than one `*`.
    #[error("only one wildcard must be specified")]
    MultipleWildcards,
    /// A `*` somewhere other than the first or last character.
    #[error("wildcard must be leftmost or rightmost character")]
    WildcardPosition {
        /// Byte offset of the misplaced `*`.
        index: usize,
    },
    /// The pattern is an IPv4 or IPv6 address: TLS clients never send an IP address as SNI
    /// (RFC 6066, section 3).
    #[error("must not be an IP")]
    IpAddress,
    /// The pattern carries a port (`example.com:443`).
    #[error("must not have a port")]
    Port,
    /// A character that cannot appear in a DNS name (only `a-z`, `0-9`, `-`, `_` and `.` can,
    /// upper case being lowered first).
    #[error("invalid character {ch:?} at byte {index}")]
    InvalidCharacter {
        /// The offending character.
        ch: char,
        /// Its byte offset in the pattern as written.
        index: usize,
    },
    /// Two dots in a row, or a dot where a label must start or end.
    #[error("empty label")]
    EmptyLabel,
    /// A label longer than 63 bytes (RFC 1035).
    #[error("label of {len} bytes, longer than 63")]
    LabelTooLong {
        /// The label's length in bytes.
        len: usize,
    },
    /// The name is longer than 253 bytes (RFC 1035), so no ClientHello can carry it.
    #[error("{len} bytes long, longer than 253")]
    TooLong {
        /// The pattern's length in bytes, without the wildcard and the trailing dot.
        len: usize,
    },
}

/// Why a configuration could not be turned into an [`SniMap`](crate::SniMap).
///
/// Every variant names the entity at fault (route or plugin id) so that the loader can print an
/// error a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// One of a route's `snis` is not a valid SNI pattern.
    #[error("route {route}: invalid SNI {sni:?}: {reason}")]
    InvalidSni {
        /// The route that carries the SNI.
        route: RouteId,
        /// The SNI exactly as configured.
        sni: String,
        /// What is wrong with it.
        #[source]
        reason: SniError,
    },
    /// A route has `snis` but none of its protocols is a TLS one (Kong: "'snis' can only be set
    /// when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'").
    #[error(
        "route {route}: 'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or \
         'tls_passthrough' (protocols: {protocols:?})"
    )]
    SnisWithoutTls {
        /// The route.
        route: RouteId,
        /// Its protocols, none of which is a TLS one.
        protocols: Vec<Protocol>,
    },
    /// Two routes share one id.
    #[error("route {route}: the id is used by two routes")]
    DuplicateRoute {
        /// The repeated id.
        route: RouteId,
    },
    /// Two plugin instances share one id.
    #[error("plugin {plugin}: the id is used by two plugin instances")]
    DuplicatePlugin {
        /// The repeated id.
        plugin: PluginId,
    },
    /// A plugin is scoped to a route that is not in the configuration.
    #[error("plugin {plugin}: scoped to route {route}, which does not exist")]
    UnknownRoute {
        /// The plugin.
        plugin: PluginId,
        /// The route it names.
        route: RouteId,
    },
    /// More entries than the map can index (over 4 billion): only reachable with absurd input.
    #[error("too many SNI entries ({count})")]
    TooManyEntries {
        /// How many entries the configuration would produce.
        count: usize,
    },
}
