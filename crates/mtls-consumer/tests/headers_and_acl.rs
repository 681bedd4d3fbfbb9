//! Upstream header plans per outcome, and the ACL check after them.

mod common;

use common::*;
use mtls_consumer::{
    Acl, AclBlock, AclConfigError, AclDecision, AclRule, AclSubject, CertificateIdentity,
    ConsumerField, GroupBy, HeaderAction, HeaderPlan, MatchSettings, Outcome, Rejection,
    UpstreamHeader, match_consumer,
};

use UpstreamHeader::*;

fn plan_for(
    names: &[&str],
    cn: Option<&str>,
    dn: &str,
    tweak: fn(&mut MatchSettings),
) -> HeaderPlan {
    let store = store();
    let mut settings = MatchSettings::default();
    tweak(&mut settings);
    let identity = CertificateIdentity::new(names, cn, dn, Some(CA1));
    HeaderPlan::for_outcome(&match_consumer(&store, &identity, &settings))
}

/// (row, names, settings, the headers set with their values; everything else must be removed)
type HeaderRow = (
    &'static str,
    &'static [&'static str],
    fn(&mut MatchSettings),
    &'static [(UpstreamHeader, &'static str)],
);

#[test]
fn header_plan_per_outcome() {
    let rows: [HeaderRow; 7] = [
        (
            "consumer with username and custom_id",
            &["both"],
            |_| {},
            &[
                (ConsumerId, "00000000-0000-0000-0000-000000000010"),
                (ConsumerCustomId, "both-cid"),
                (ConsumerUsername, "both"),
            ],
        ),
        (
            "consumer with a username only: X-Consumer-Custom-ID removed",
            &["alice"],
            |_| {},
            &[
                (ConsumerId, "00000000-0000-0000-0000-000000000001"),
                (ConsumerUsername, "alice"),
            ],
        ),
        (
            "consumer with a custom_id only: X-Consumer-Username removed",
            &["bob-cid"],
            |_| {},
            &[
                (ConsumerId, "00000000-0000-0000-0000-000000000002"),
                (ConsumerCustomId, "bob-cid"),
            ],
        ),
        (
            "anonymous",
            &["nobody.example"],
            |s| s.anonymous = Some("anon".into()),
            &[
                (ConsumerId, "00000000-0000-0000-0000-000000000007"),
                (ConsumerUsername, "anon"),
                (AnonymousConsumer, "true"),
            ],
        ),
        (
            "default_consumer: consumer headers and the certificate headers",
            &["nobody.example", "client"],
            |s| s.default_consumer = Some("default-user".into()),
            &[
                (ConsumerId, "00000000-0000-0000-0000-000000000006"),
                (ConsumerUsername, "default-user"),
                (ClientCertDn, "CN=client,OU=ENG,O=KONG,L=SF,ST=CA,C=US"),
                (ClientCertSan, "nobody.example,client"),
            ],
        ),
        (
            "skip lookup: certificate headers only",
            &["example.test", "kongclient"],
            |s| s.skip_consumer_lookup = true,
            &[
                (ClientCertDn, "CN=client,OU=ENG,O=KONG,L=SF,ST=CA,C=US"),
                (ClientCertSan, "example.test,kongclient"),
            ],
        ),
        (
            "failure: everything removed",
            &["nobody.example"],
            |_| {},
            &[],
        ),
    ];
    for (name, names, tweak, expected) in rows {
        let plan = plan_for(
            names,
            Some("client"),
            "CN=client,OU=ENG,O=KONG,L=SF,ST=CA,C=US",
            tweak,
        );
        let set: Vec<(UpstreamHeader, &str)> = plan.to_set().collect();
        assert_eq!(set, expected, "{name}");
        // Every header the gateway owns is either set or removed: a client's copy never
        // reaches the upstream.
        assert_eq!(
            plan.to_set().count() + plan.to_remove().count(),
            UpstreamHeader::ALL.len(),
            "{name}"
        );
        assert_eq!(
            plan.action(CredentialIdentifier),
            HeaderAction::Remove,
            "{name}"
        );
        assert_eq!(
            plan.action(AuthenticatedGroups),
            HeaderAction::Remove,
            "{name}"
        );
        assert_eq!(plan.action(ConsumerGroups), HeaderAction::Remove, "{name}");
    }
}

#[test]
fn header_names_are_kongs() {
    let names: Vec<&str> = UpstreamHeader::ALL.iter().map(|h| h.name()).collect();
    assert_eq!(
        names,
        [
            "X-Consumer-ID",
            "X-Consumer-Custom-ID",
            "X-Consumer-Username",
            "X-Credential-Identifier",
            "X-Anonymous-Consumer",
            "X-Client-Cert-DN",
            "X-Client-Cert-SAN",
            "X-Consumer-Groups",
            "X-Authenticated-Groups",
        ]
    );
}

fn allow(groups: &[&str]) -> Acl {
    Acl::new(
        AclRule::Allow(groups.iter().map(|g| g.to_string()).collect()),
        false,
    )
}

fn deny(groups: &[&str]) -> Acl {
    Acl::new(
        AclRule::Deny(groups.iter().map(|g| g.to_string()).collect()),
        false,
    )
}

#[test]
fn acl_table() {
    let consumer_groups = ["admins", "ops"];
    let cn_group = ["kongclient"];
    let no_groups: [&str; 0] = [];
    let blocked = |reason: AclBlock| AclDecision::Blocked(reason);
    let allowed = |header: UpstreamHeader, value: &str| AclDecision::Allowed {
        groups_header: Some((header, value.to_owned())),
    };
    let rows: Vec<(&str, Acl, AclSubject<'_, &str>, AclDecision)> = vec![
        (
            "allow: a consumer in the list",
            allow(&["ops"]),
            AclSubject::Consumer {
                groups: &consumer_groups,
            },
            allowed(ConsumerGroups, "admins, ops"),
        ),
        (
            "allow: a consumer not in the list",
            allow(&["finance"]),
            AclSubject::Consumer {
                groups: &consumer_groups,
            },
            blocked(AclBlock::NotAllowed { groups: 2 }),
        ),
        (
            "allow: a consumer without groups",
            allow(&["finance"]),
            AclSubject::Consumer { groups: &no_groups },
            blocked(AclBlock::NotAllowed { groups: 0 }),
        ),
        (
            "deny: a consumer in the list",
            deny(&["finance", "admins"]),
            AclSubject::Consumer {
                groups: &consumer_groups,
            },
            blocked(AclBlock::Denied {
                group: "admins".into(),
            }),
        ),
        (
            "deny: a consumer without groups passes, with an empty header",
            deny(&["admins"]),
            AclSubject::Consumer { groups: &no_groups },
            allowed(ConsumerGroups, ""),
        ),
        (
            "allow: skip-lookup's CN group",
            allow(&["kongclient"]),
            AclSubject::AuthenticatedGroups { groups: &cn_group },
            allowed(AuthenticatedGroups, "kongclient"),
        ),
        (
            "deny: skip-lookup's CN group",
            deny(&["kongclient"]),
            AclSubject::AuthenticatedGroups { groups: &cn_group },
            blocked(AclBlock::Denied {
                group: "kongclient".into(),
            }),
        ),
        (
            "groups are case-sensitive",
            allow(&["KongClient"]),
            AclSubject::AuthenticatedGroups { groups: &cn_group },
            blocked(AclBlock::NotAllowed { groups: 1 }),
        ),
        (
            "anonymous: authenticated groups override its own",
            allow(&["kongclient"]),
            AclSubject::Anonymous {
                groups: &consumer_groups,
                authenticated_groups: Some(&cn_group),
            },
            allowed(AuthenticatedGroups, "kongclient"),
        ),
        (
            "anonymous without authenticated groups: its own groups",
            allow(&["ops"]),
            AclSubject::Anonymous {
                groups: &consumer_groups,
                authenticated_groups: None,
            },
            allowed(ConsumerGroups, "admins, ops"),
        ),
        (
            "nobody: blocked even by a deny list",
            deny(&["x"]),
            AclSubject::Nobody,
            blocked(AclBlock::Unidentified),
        ),
        (
            "hide_groups_header",
            Acl::new(AclRule::Allow(vec!["ops".into()]), true),
            AclSubject::Consumer {
                groups: &consumer_groups,
            },
            AclDecision::Allowed {
                groups_header: None,
            },
        ),
    ];
    for (name, acl, subject, expected) in rows {
        let decision = acl.check(subject);
        assert_eq!(decision, expected, "{name}");
        if let AclDecision::Blocked(reason) = &decision {
            assert_eq!(reason.rejection(), Rejection::CannotConsumeService);
            assert_eq!(
                reason.rejection().body(),
                r#"{"message":"You cannot consume this service"}"#
            );
            assert_eq!(reason.rejection().status(), 403);
        }
    }
}

#[test]
fn acl_after_matching() {
    let store = store();
    let names = ["example.test", "kongclient"];
    let identity = CertificateIdentity::new(&names, Some("kongclient"), "CN=kongclient", None);

    // Skip lookup with CN groups, then allow by CN.
    let mut settings = MatchSettings::default();
    settings.skip_consumer_lookup = true;
    let outcome = match_consumer(&store, &identity, &settings);
    let mut plan = HeaderPlan::for_outcome(&outcome);
    let decision = allow(&["kongclient"]).check(AclSubject::from_outcome(&outcome, &[]));
    decision.apply_to(&mut plan);
    assert_eq!(plan.value(AuthenticatedGroups), Some("kongclient"));
    assert_eq!(plan.value(ClientCertSan), Some("example.test,kongclient"));

    // Skip lookup with DN groups.
    settings.authenticated_group_by = Some(GroupBy::SubjectDn);
    let outcome = match_consumer(&store, &identity, &settings);
    let decision = allow(&["CN=kongclient"]).check(AclSubject::from_outcome(&outcome, &[]));
    assert!(decision.is_allowed());

    // authenticated_group_by = null: no groups, the ACL refuses.
    settings.authenticated_group_by = None;
    let outcome = match_consumer(&store, &identity, &settings);
    let decision = deny(&["x"]).check(AclSubject::from_outcome(&outcome, &[]));
    assert_eq!(decision, AclDecision::Blocked(AclBlock::Unidentified));

    // A consumer: its own groups, as X-Consumer-Groups.
    let mut settings = MatchSettings::default();
    settings.consumer_by = vec![ConsumerField::Username];
    let names = ["alice"];
    let identity = CertificateIdentity::new(&names, None, "", None);
    let outcome = match_consumer(&store, &identity, &settings);
    assert!(matches!(outcome, Outcome::Consumer { .. }));
    let mut plan = HeaderPlan::for_outcome(&outcome);
    allow(&["dev"])
        .check(AclSubject::from_outcome(&outcome, &["dev", "qa"]))
        .apply_to(&mut plan);
    assert_eq!(plan.value(ConsumerGroups), Some("dev, qa"));
    assert_eq!(plan.value(AuthenticatedGroups), None);

    // A refused request has no ACL subject.
    let names = ["nobody"];
    let identity = CertificateIdentity::new(&names, None, "", None);
    let outcome = match_consumer(&store, &identity, &settings);
    assert_eq!(
        AclSubject::from_outcome(&outcome, &["dev"]),
        AclSubject::Nobody
    );
}

#[test]
fn acl_settings_take_exactly_one_list() {
    assert_eq!(
        Acl::from_kong(Some(vec![]), Some(vec![]), false),
        Err(AclConfigError::BothAllowAndDeny)
    );
    assert_eq!(
        Acl::from_kong(None, None, false),
        Err(AclConfigError::NeitherAllowNorDeny)
    );
    let acl = Acl::from_kong(None, Some(vec!["x".into()]), true).unwrap();
    assert_eq!(acl.rule(), &AclRule::Deny(vec!["x".into()]));
    assert!(acl.hide_groups_header());
}
