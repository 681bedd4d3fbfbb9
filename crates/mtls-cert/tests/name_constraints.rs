//! Name constraints on client certificates: rfc822Name (SANs, and the subject's emailAddress
//! when there are no SANs), directoryName, and the exemption of self-issued intermediates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_cert::{ValidationError, ValidationOptions, validate_chain};
use rcgen::{DnType, GeneralSubtree, NameConstraints, SanType};

fn constrained_root(permitted: Vec<GeneralSubtree>, excluded: Vec<GeneralSubtree>) -> Node {
    ca_with("Constrained Root", None, |p| {
        p.name_constraints = Some(NameConstraints {
            permitted_subtrees: permitted,
            excluded_subtrees: excluded,
        })
    })
}

fn email_leaf(issuer: &Node, email: &str) -> Node {
    leaf_with(issuer, |p| {
        p.subject_alt_names = vec![SanType::Rfc822Name(email.try_into().unwrap())];
    })
}

fn verdict(leaf: &Node, root: &Node) -> Result<(), ValidationError> {
    validate_chain(
        &chain(&[leaf]),
        &set(&[root]),
        &ValidationOptions::client(),
        now(),
    )
    .map(|_| ())
}

#[test]
fn email_subtrees_mailbox_host_and_domain() {
    let host = constrained_root(
        vec![GeneralSubtree::Rfc822Name("example.test".into())],
        vec![],
    );
    assert_eq!(
        verdict(&email_leaf(&host, "alice@example.test"), &host),
        Ok(())
    );
    assert_eq!(
        verdict(&email_leaf(&host, "alice@EXAMPLE.test"), &host),
        Ok(())
    );
    assert_eq!(
        verdict(&email_leaf(&host, "alice@mail.example.test"), &host),
        Err(ValidationError::NameConstraint)
    );
    let domain = constrained_root(
        vec![GeneralSubtree::Rfc822Name(".example.test".into())],
        vec![],
    );
    assert_eq!(
        verdict(&email_leaf(&domain, "alice@mail.example.test"), &domain),
        Ok(())
    );
    assert_eq!(
        verdict(&email_leaf(&domain, "alice@example.test"), &domain),
        Err(ValidationError::NameConstraint)
    );
    let mailbox = constrained_root(
        vec![GeneralSubtree::Rfc822Name("alice@example.test".into())],
        vec![],
    );
    assert_eq!(
        verdict(&email_leaf(&mailbox, "alice@example.test"), &mailbox),
        Ok(())
    );
    assert_eq!(
        verdict(&email_leaf(&mailbox, "bob@example.test"), &mailbox),
        Err(ValidationError::NameConstraint)
    );
    let excluded = constrained_root(
        vec![],
        vec![GeneralSubtree::Rfc822Name("mallory@example.test".into())],
    );
    assert_eq!(
        verdict(&email_leaf(&excluded, "alice@example.test"), &excluded),
        Ok(())
    );
    assert_eq!(
        verdict(&email_leaf(&excluded, "mallory@example.test"), &excluded),
        Err(ValidationError::NameConstraint)
    );
    // A DNS constraint says nothing about email addresses.
    let dns = constrained_root(vec![GeneralSubtree::DnsName("example.test".into())], vec![]);
    assert_eq!(
        verdict(&email_leaf(&dns, "alice@elsewhere.test"), &dns),
        Ok(())
    );
}

#[test]
fn subject_email_address_is_constrained_without_sans() {
    let root = constrained_root(
        vec![GeneralSubtree::Rfc822Name("example.test".into())],
        vec![],
    );
    let with_email = |email: &str| {
        let email = email.to_owned();
        leaf_with(&root, move |p| {
            p.distinguished_name.push(
                DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
                rcgen::DnValue::Ia5String(email.as_str().try_into().unwrap()),
            );
        })
    };
    assert_eq!(verdict(&with_email("alice@example.test"), &root), Ok(()));
    assert_eq!(
        verdict(&with_email("alice@elsewhere.test"), &root),
        Err(ValidationError::NameConstraint)
    );
    // With a SAN, the subject's emailAddress is not an rfc822Name for constraints.
    let both = leaf_with(&root, |p| {
        p.subject_alt_names = vec![SanType::Rfc822Name(
            "alice@example.test".try_into().unwrap(),
        )];
        p.distinguished_name.push(
            DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            rcgen::DnValue::Ia5String("x@elsewhere.test".try_into().unwrap()),
        );
    });
    assert_eq!(verdict(&both, &root), Ok(()));
}

#[test]
fn directory_name_subtrees() {
    let mut base = rcgen::DistinguishedName::new();
    base.push(DnType::OrganizationName, "Example");
    let root = constrained_root(vec![GeneralSubtree::DirectoryName(base)], vec![]);
    let leaf_in = |org: &str| {
        let org = org.to_owned();
        leaf_with(&root, move |p| {
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.distinguished_name
                .push(DnType::OrganizationName, org.as_str());
            p.distinguished_name.push(DnType::CommonName, "kongclient");
        })
    };
    assert_eq!(verdict(&leaf_in("Example"), &root), Ok(()));
    assert_eq!(verdict(&leaf_in("EXAMPLE"), &root), Ok(()));
    assert_eq!(
        verdict(&leaf_in("Other"), &root),
        Err(ValidationError::NameConstraint)
    );
}

#[test]
fn self_issued_intermediates_are_exempt() {
    // The root permits example.test; a rollover certificate of the root's own name (another
    // key, a DNS SAN outside the subtree) is self-issued, so the constraint skips it.
    let root = constrained_root(vec![GeneralSubtree::DnsName("example.test".into())], vec![]);
    let rolled_params = root.params().clone();
    let rolled = CertSpec::new()
        .with(|p| {
            *p = rolled_params;
            p.name_constraints = None;
            p.subject_alt_names = vec![SanType::DnsName("other.test".try_into().unwrap())];
        })
        .signed_by(&root);
    let leaf = leaf_with(&rolled, |p| {
        p.subject_alt_names = vec![SanType::DnsName("api.example.test".try_into().unwrap())];
    });
    let options = ValidationOptions::client();
    validate_chain(&chain(&[&leaf, &rolled]), &set(&[&root]), &options, now()).unwrap();
    // The same intermediate under another name is constrained, and refused.
    let other = ca_with("Other CA", Some(&root), |p| {
        p.subject_alt_names = vec![SanType::DnsName("other.test".try_into().unwrap())];
    });
    let leaf = leaf_with(&other, |p| {
        p.subject_alt_names = vec![SanType::DnsName("api.example.test".try_into().unwrap())];
    });
    assert_eq!(
        validate_chain(&chain(&[&leaf, &other]), &set(&[&root]), &options, now()).unwrap_err(),
        ValidationError::NameConstraint
    );
}
