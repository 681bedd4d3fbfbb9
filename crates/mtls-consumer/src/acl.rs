//! Kong's acl plugin (priority 950), run after authentication: allow or deny by group.

use crate::error::AclConfigError;
use crate::headers::{HeaderPlan, UpstreamHeader};
use crate::outcome::{Outcome, Rejection};

/// Which list the ACL checks against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AclRule {
    /// `allow`: blocked unless one of the subject's groups is in the list.
    Allow(Vec<String>),
    /// `deny`: blocked if one of the subject's groups is in the list.
    Deny(Vec<String>),
}

/// The acl plugin's settings: exactly one of allow / deny, and `hide_groups_header`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acl {
    rule: AclRule,
    hide_groups_header: bool,
}

/// Whose groups the ACL tests, as Kong decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AclSubject<'a, G> {
    /// A consumer authenticated with a credential: its own ACL groups (the `acls` entities;
    /// possibly none) decide, and are sent as `X-Consumer-Groups`.
    Consumer {
        /// The consumer's groups.
        groups: &'a [G],
    },
    /// A consumer without credential (the anonymous consumer): authenticated groups, when an
    /// auth plugin set some, override its own groups.
    Anonymous {
        /// The consumer's groups.
        groups: &'a [G],
        /// The authenticated groups, if any.
        authenticated_groups: Option<&'a [G]>,
    },
    /// No consumer, but authenticated groups (skip-lookup): they decide, and are sent as
    /// `X-Authenticated-Groups`.
    AuthenticatedGroups {
        /// The groups.
        groups: &'a [G],
    },
    /// Neither a consumer nor authenticated groups: always blocked.
    Nobody,
}

impl<'a> AclSubject<'a, &'a str> {
    /// The subject for a matching outcome. `consumer_groups` are the ACL groups of the
    /// outcome's consumer (ignored for skip-lookup and failures).
    ///
    /// A consumer found by a credential, by username / custom_id or as `default_consumer`
    /// counts as authenticated; the anonymous consumer does not. Skip-lookup with
    /// `authenticated_group_by = null` has no groups, so it is [`AclSubject::Nobody`].
    pub fn from_outcome(outcome: &'a Outcome<'a>, consumer_groups: &'a [&'a str]) -> Self {
        match outcome {
            Outcome::Consumer { .. } => Self::Consumer {
                groups: consumer_groups,
            },
            Outcome::Anonymous { .. } => Self::Anonymous {
                groups: consumer_groups,
                authenticated_groups: None,
            },
            Outcome::SkipLookup {
                authenticated_group: Some(group),
                ..
            } => Self::AuthenticatedGroups {
                groups: std::slice::from_ref(group),
            },
            Outcome::SkipLookup {
                authenticated_group: None,
                ..
            }
            | Outcome::Failed(_) => Self::Nobody,
        }
    }
}

/// Why the ACL blocked a request (internal; the client gets 403
/// "You cannot consume this service").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AclBlock {
    /// No consumer and no authenticated groups.
    #[error("cannot identify the consumer: add an authentication plugin to use the ACL plugin")]
    Unidentified,
    /// None of the subject's groups is in the allow list.
    #[error("none of the {groups} groups is in the allow list")]
    NotAllowed {
        /// How many groups the subject has.
        groups: usize,
    },
    /// One of the subject's groups is in the deny list.
    #[error("group {group:?} is in the deny list")]
    Denied {
        /// The first denied group.
        group: String,
    },
}

impl AclBlock {
    /// What the client is told: 403 "You cannot consume this service".
    pub fn rejection(&self) -> Rejection {
        Rejection::CannotConsumeService
    }
}

/// The ACL's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AclDecision {
    /// The request goes on, with this groups header unless hidden.
    Allowed {
        /// `X-Consumer-Groups` or `X-Authenticated-Groups` and the groups joined by ", ";
        /// `None` with `hide_groups_header`.
        groups_header: Option<(UpstreamHeader, String)>,
    },
    /// The request is refused with 403.
    Blocked(AclBlock),
}

impl AclDecision {
    /// Adds the groups header, if any, to `plan`.
    pub fn apply_to(&self, plan: &mut HeaderPlan) {
        if let Self::Allowed {
            groups_header: Some((header, value)),
        } = self
        {
            plan.set(*header, value.as_str());
        }
    }

    /// Whether the request goes on.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

impl Acl {
    /// An ACL with `rule`; `hide_groups_header` (Kong default `false`) keeps the groups header
    /// from the upstream.
    pub fn new(rule: AclRule, hide_groups_header: bool) -> Self {
        Self {
            rule,
            hide_groups_header,
        }
    }

    /// An ACL from Kong's fields, refusing both or neither of `allow` and `deny`.
    pub fn from_kong(
        allow: Option<Vec<String>>,
        deny: Option<Vec<String>>,
        hide_groups_header: bool,
    ) -> Result<Self, AclConfigError> {
        let rule = match (allow, deny) {
            (Some(_), Some(_)) => return Err(AclConfigError::BothAllowAndDeny),
            (None, None) => return Err(AclConfigError::NeitherAllowNorDeny),
            (Some(allow), None) => AclRule::Allow(allow),
            (None, Some(deny)) => AclRule::Deny(deny),
        };
        Ok(Self::new(rule, hide_groups_header))
    }

    /// The rule.
    pub fn rule(&self) -> &AclRule {
        &self.rule
    }

    /// Whether the groups header is hidden.
    pub fn hide_groups_header(&self) -> bool {
        self.hide_groups_header
    }

    /// Decides for `subject`, as Kong's acl plugin does.
    pub fn check<G: AsRef<str>>(&self, subject: AclSubject<'_, G>) -> AclDecision {
        let (groups, header) = match subject {
            AclSubject::Nobody => return AclDecision::Blocked(AclBlock::Unidentified),
            AclSubject::AuthenticatedGroups { groups }
            | AclSubject::Anonymous {
                authenticated_groups: Some(groups),
                ..
            } => (groups, UpstreamHeader::AuthenticatedGroups),
            AclSubject::Consumer { groups }
            | AclSubject::Anonymous {
                groups,
                authenticated_groups: None,
            } => (groups, UpstreamHeader::ConsumerGroups),
        };

        match &self.rule {
            AclRule::Allow(list) => {
                if first_listed(list, groups).is_none() {
                    return AclDecision::Blocked(AclBlock::NotAllowed {
                        groups: groups.len(),
                    });
                }
            }
            AclRule::Deny(list) => {
                if let Some(group) = first_listed(list, groups) {
                    return AclDecision::Blocked(AclBlock::Denied {
                        group: group.clone(),
                    });
                }
            }
        }

        let groups_header = (!self.hide_groups_header).then(|| {
            let joined = groups
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<&str>>()
                .join(", ");
            (header, joined)
        });
        AclDecision::Allowed { groups_header }
    }
}

/// The first entry of `list` that is one of `groups` (Kong tests the configured list in order).
fn first_listed<'l, G: AsRef<str>>(list: &'l [String], groups: &[G]) -> Option<&'l String> {
    list.iter()
        .find(|wanted| groups.iter().any(|g| g.as_ref() == wanted.as_str()))
}
