//! 421 for a request that matched no route on this connection but would, on a connection of
//! its own, match a route needing a client certificate (decision 17).
//!
//! Routes with `snis` match only requests whose connection has one of those SNIs. A client
//! that coalesces `mtls.example` onto a connection it made for `www.example` (HTTP/2, one
//! certificate covering both) therefore finds no route here, and a 404 would be final. The
//! request is routed again as if its connection's SNI were its Host: when that finds a route
//! needing a certificate that this connection's handshake did not ask for as a handshake for
//! the Host would have, the answer is 421 and the client retries on a new connection.

use crate::router::{Outcome, RequestInfo};
use crate::snapshot::Snapshot;
use crate::{Connection, Respond};

impl Snapshot {
    /// The 421 for a request routed nowhere on `conn` that would route, with its Host as
    /// the SNI, to a route needing a certificate this handshake did not ask for.
    pub(super) fn misdirected_elsewhere(
        &self,
        conn: &Connection<'_>,
        info: &RequestInfo<'_>,
    ) -> Option<Respond> {
        let tls = conn.tls?;
        if info.host.is_empty()
            || info
                .sni
                .is_some_and(|sni| sni.eq_ignore_ascii_case(info.host))
        {
            return None;
        }
        let as_own = RequestInfo {
            sni: Some(info.host),
            ..*info
        };
        let route = match self.router.route(&as_own) {
            Outcome::Matched(hit) => self.routes.get(hit.route)?,
            Outcome::NotFound | Outcome::Refused { .. } => return None,
        };
        if !route.plugins.requests_certificate
            || self
                .handshake
                .asked_as_for(&tls.client_auth, Some(info.host))
        {
            return None;
        }
        let mut respond = Respond::message(
            421,
            "Misdirected Request",
            format!(
                "route {} (SNI {}) needs a client certificate that this connection's handshake (SNI {:?}) did not ask for",
                route.info.label, info.host, tls.sni
            ),
        );
        respond.route = Some(std::sync::Arc::clone(&route.info));
        Some(respond)
    }
}
