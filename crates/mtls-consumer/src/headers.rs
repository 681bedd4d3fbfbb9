//! The upstream header plan for an outcome: for every header the gateway owns, either the
//! value to set or "remove".
//!
//! Every header in [`UpstreamHeader::ALL`] is in the plan, whatever the outcome, so a value
//! the client sent under one of these names never reaches the upstream (decisions.md, item 2).
//! Setting replaces the client's value; everything not set is removed.

use crate::consumer::Consumer;
use crate::outcome::{ClientCert, FoundBy, Outcome};

/// A header the gateway owns on the upstream request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UpstreamHeader {
    /// `X-Consumer-ID`: the consumer's id.
    ConsumerId,
    /// `X-Consumer-Custom-ID`: the consumer's custom_id, when it has one.
    ConsumerCustomId,
    /// `X-Consumer-Username`: the consumer's username, when it has one.
    ConsumerUsername,
    /// `X-Credential-Identifier`: never set by the certificate plugins, always removed.
    CredentialIdentifier,
    /// `X-Anonymous-Consumer`: `true` when the anonymous consumer took over.
    AnonymousConsumer,
    /// `X-Client-Cert-DN`: the subject DN (skip-lookup and `default_consumer` only).
    ClientCertDn,
    /// `X-Client-Cert-SAN`: the subject names joined by "," (skip-lookup and
    /// `default_consumer` only).
    ClientCertSan,
    /// `X-Consumer-Groups`: the consumer's ACL groups, set by the ACL check.
    ConsumerGroups,
    /// `X-Authenticated-Groups`: the authenticated groups, set by the ACL check.
    AuthenticatedGroups,
}

impl UpstreamHeader {
    /// Every header the plan covers, in a fixed order.
    pub const ALL: [Self; 9] = [
        Self::ConsumerId,
        Self::ConsumerCustomId,
        Self::ConsumerUsername,
        Self::CredentialIdentifier,
        Self::AnonymousConsumer,
        Self::ClientCertDn,
        Self::ClientCertSan,
        Self::ConsumerGroups,
        Self::AuthenticatedGroups,
    ];

    /// The header's name, as Kong writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::ConsumerId => "X-Consumer-ID",
            Self::ConsumerCustomId => "X-Consumer-Custom-ID",
            Self::ConsumerUsername => "X-Consumer-Username",
            Self::CredentialIdentifier => "X-Credential-Identifier",
            Self::AnonymousConsumer => "X-Anonymous-Consumer",
            Self::ClientCertDn => "X-Client-Cert-DN",
            Self::ClientCertSan => "X-Client-Cert-SAN",
            Self::ConsumerGroups => "X-Consumer-Groups",
            Self::AuthenticatedGroups => "X-Authenticated-Groups",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::ConsumerId => 0,
            Self::ConsumerCustomId => 1,
            Self::ConsumerUsername => 2,
            Self::CredentialIdentifier => 3,
            Self::AnonymousConsumer => 4,
            Self::ClientCertDn => 5,
            Self::ClientCertSan => 6,
            Self::ConsumerGroups => 7,
            Self::AuthenticatedGroups => 8,
        }
    }
}

impl std::fmt::Display for UpstreamHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What to do with one header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderAction<'p> {
    /// Set it to this value (replacing whatever the client sent).
    Set(&'p str),
    /// Remove it.
    Remove,
}

/// For every [`UpstreamHeader`], the value to set or "remove".
///
/// Values are the entities' and certificate's strings as they are: the gateway's HTTP layer
/// must still refuse a value that is not a valid header value (a control character in a SAN,
/// say) rather than send it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderPlan {
    values: [Option<String>; UpstreamHeader::ALL.len()],
}

impl HeaderPlan {
    /// A plan that removes every header (the plan of a refused request).
    pub fn remove_all() -> Self {
        Self::default()
    }

    /// The plan for `outcome`, as Kong's mtls-auth and header-cert-auth set headers:
    /// - a consumer: `X-Consumer-ID`, and `X-Consumer-Custom-ID` / `X-Consumer-Username`
    ///   when it has them; with `default_consumer`, also `X-Client-Cert-DN` and
    ///   `X-Client-Cert-SAN`;
    /// - the anonymous consumer: the same consumer headers, plus `X-Anonymous-Consumer: true`;
    /// - skip-lookup: `X-Client-Cert-DN` and `X-Client-Cert-SAN`;
    /// - a failure: nothing set.
    ///
    /// Everything else is removed. The group headers are left to [`Acl`](crate::Acl).
    pub fn for_outcome(outcome: &Outcome<'_>) -> Self {
        let mut plan = Self::default();
        match outcome {
            Outcome::Consumer {
                consumer,
                found_by,
                client_cert,
            } => {
                plan.set_consumer(consumer);
                match found_by {
                    FoundBy::DefaultConsumer => {
                        if let Some(client_cert) = client_cert {
                            plan.set_client_cert(client_cert);
                        }
                    }
                    FoundBy::CredentialWithCa { .. }
                    | FoundBy::CredentialWithoutCa { .. }
                    | FoundBy::Username { .. }
                    | FoundBy::CustomId { .. } => {}
                }
            }
            Outcome::Anonymous { consumer, .. } => {
                plan.set_consumer(consumer);
                plan.set(UpstreamHeader::AnonymousConsumer, "true");
            }
            Outcome::SkipLookup { client_cert, .. } => plan.set_client_cert(client_cert),
            Outcome::Failed(_) => {}
        }
        plan
    }

    fn set_consumer(&mut self, consumer: &Consumer) {
        self.set(
            UpstreamHeader::ConsumerId,
            consumer.id.hyphenated().to_string(),
        );
        if let Some(custom_id) = consumer.custom_id() {
            self.set(UpstreamHeader::ConsumerCustomId, custom_id);
        }
        if let Some(username) = consumer.username() {
            self.set(UpstreamHeader::ConsumerUsername, username);
        }
    }

    fn set_client_cert(&mut self, client_cert: &ClientCert<'_>) {
        self.set(UpstreamHeader::ClientCertDn, client_cert.dn_header_value());
        self.set(
            UpstreamHeader::ClientCertSan,
            client_cert.san_header_value(),
        );
    }

    /// Plans to set `header` to `value`.
    pub fn set(&mut self, header: UpstreamHeader, value: impl Into<String>) {
        if let Some(slot) = self.values.get_mut(header.index()) {
            *slot = Some(value.into());
        }
    }

    /// Plans to remove `header`.
    pub fn remove(&mut self, header: UpstreamHeader) {
        if let Some(slot) = self.values.get_mut(header.index()) {
            *slot = None;
        }
    }

    /// What the plan does with `header`.
    pub fn action(&self, header: UpstreamHeader) -> HeaderAction<'_> {
        match self.values.get(header.index()) {
            Some(Some(value)) => HeaderAction::Set(value),
            Some(None) | None => HeaderAction::Remove,
        }
    }

    /// The value planned for `header`, if it is set.
    pub fn value(&self, header: UpstreamHeader) -> Option<&str> {
        match self.action(header) {
            HeaderAction::Set(value) => Some(value),
            HeaderAction::Remove => None,
        }
    }

    /// Every header with its action, in [`UpstreamHeader::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (UpstreamHeader, HeaderAction<'_>)> {
        UpstreamHeader::ALL.into_iter().map(|h| (h, self.action(h)))
    }

    /// The headers to set, with their values.
    pub fn to_set(&self) -> impl Iterator<Item = (UpstreamHeader, &str)> {
        self.iter().filter_map(|(h, action)| match action {
            HeaderAction::Set(value) => Some((h, value)),
            HeaderAction::Remove => None,
        })
    }

    /// The headers to set, with their values, by value (no copy of the values).
    pub fn into_set(self) -> impl Iterator<Item = (UpstreamHeader, String)> {
        UpstreamHeader::ALL
            .into_iter()
            .zip(self.values)
            .filter_map(|(h, value)| value.map(|v| (h, v)))
    }

    /// The headers to remove.
    pub fn to_remove(&self) -> impl Iterator<Item = UpstreamHeader> {
        self.iter()
            .filter(|(_, action)| *action == HeaderAction::Remove)
            .map(|(h, _)| h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_indexes_are_consistent() {
        for (i, h) in UpstreamHeader::ALL.into_iter().enumerate() {
            assert_eq!(h.index(), i);
            assert!(h.name().starts_with("X-"));
        }
        let plan = HeaderPlan::remove_all();
        assert_eq!(plan.to_remove().count(), UpstreamHeader::ALL.len());
        assert_eq!(plan.to_set().count(), 0);
    }

    #[test]
    fn set_then_remove() {
        let mut plan = HeaderPlan::remove_all();
        plan.set(UpstreamHeader::AuthenticatedGroups, "a, b");
        assert_eq!(
            plan.action(UpstreamHeader::AuthenticatedGroups),
            HeaderAction::Set("a, b")
        );
        plan.remove(UpstreamHeader::AuthenticatedGroups);
        assert_eq!(plan, HeaderPlan::remove_all());
    }
}
