//! Path building over a pool: any order, extras, self-issued intermediates (key rollover),
//! names chained by RFC 5280 section 7.1, the 64-certificate limit and the signature budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_cert::limits::{MAX_CERTIFICATES, MAX_SIGNATURE_CHECKS};
use mtls_cert::{ValidationError, ValidationOptions, validate_chain};
use rcgen::{BasicConstraints, DistinguishedName, DnType, IsCa, Issuer, KeyPair};

fn client() -> ValidationOptions {
    ValidationOptions::client()
}

fn subjects(v: &mtls_cert::VerifiedChain) -> Vec<String> {
    v.path().iter().map(|c| c.subject_dn().to_owned()).collect()
}

/// A CA with `cn` and `key`, issued by `issuer` (params and key).
fn ca_signed(
    cn: &str,
    key: KeyPair,
    issuer: &Node,
    f: impl FnOnce(&mut rcgen::CertificateParams),
) -> Node {
    ca_profile(cn)
        .with(f)
        .try_signed_by_with(issuer, key)
        .unwrap()
}

#[test]
fn order_and_extras_do_not_matter() {
    let root = root("Root CA");
    let i1 = intermediate("I1", &root);
    let i2 = intermediate("I2", &i1);
    let leaf = cn_only_leaf(&i2);
    let stranger = intermediate("Stranger", &root);
    let set = set(&[&root]);
    let want = ["CN=kongclient", "CN=I2", "CN=I1", "CN=Root CA"];
    for presented in [
        vec![&leaf, &i2, &i1],
        vec![&leaf, &i1, &i2],
        vec![&leaf, &root, &i1, &stranger, &i2],
        vec![&leaf, &i1, &i1, &leaf, &i2, &i2],
    ] {
        let v = validate_chain(&chain(&presented), &set, &client(), now()).unwrap();
        assert_eq!(subjects(&v), want);
    }
}

#[test]
fn self_issued_rollover_does_not_count_toward_path_len() {
    // root -> I (pathLen 0) -> I' (same name, new key, pathLen 0) -> leaf.
    let root = root("Root CA");
    let i = ca_with("Issuing CA", Some(&root), |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0))
    });
    let rolled = ca_signed("Issuing CA", KeyPair::generate().unwrap(), &i, |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0))
    });
    let leaf = cn_only_leaf(&rolled);
    let set = set(&[&root]);
    let v = validate_chain(&chain(&[&leaf, &rolled, &i]), &set, &client(), now()).unwrap();
    assert_eq!(v.path().len(), 4);
    // One logical intermediate: a maximum depth of 1 is enough.
    let depth1 = client().with_max_depth(Some(1));
    validate_chain(&chain(&[&leaf, &rolled, &i]), &set, &depth1, now()).unwrap();

    // The same shape with a differently named intermediate breaks both limits.
    let other = ca_signed("Other CA", KeyPair::generate().unwrap(), &i, |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0))
    });
    let leaf = cn_only_leaf(&other);
    let err = validate_chain(&chain(&[&leaf, &other, &i]), &set, &client(), now()).unwrap_err();
    assert_eq!(err, ValidationError::PathLenConstraint);
    let err = validate_chain(&chain(&[&leaf, &other, &i]), &set, &depth1, now()).unwrap_err();
    assert_eq!(
        err,
        ValidationError::DepthExceeded {
            intermediates: 2,
            max: 1
        }
    );
}

#[test]
fn names_chain_by_rfc5280_comparison() {
    // The leaf names its issuer in another case and spacing than the issuer's subject.
    let root = root("Root CA");
    let i = intermediate("Issuing CA", &root);
    let mut spelled = i.params().clone();
    spelled.distinguished_name = DistinguishedName::new();
    spelled
        .distinguished_name
        .push(DnType::CommonName, "  issuing   ca ");
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_profile(Some("kongclient"))
        .into_params()
        .signed_by(&leaf_key, &Issuer::new(spelled, i.key_pair()))
        .unwrap();
    let presented = vec![leaf.der().clone(), i.der()];
    let v = validate_chain(&presented, &set(&[&root]), &client(), now()).unwrap();
    assert_eq!(v.path()[1].subject_dn(), "CN=Issuing CA");
}

#[test]
fn sixty_four_presented_certificates() {
    // 61 look-alikes of the issuer (same name, other keys) before the real one: each costs a
    // signature check, within the budget.
    let root = root("Root CA");
    let i = intermediate("Issuing CA", &root);
    let leaf = leaf_with(&i, |p| p.use_authority_key_identifier_extension = false);
    let decoys: Vec<Node> = (0..MAX_CERTIFICATES - 3)
        .map(|_| intermediate("Issuing CA", &root))
        .collect();
    let mut presented = vec![leaf.der()];
    presented.extend(decoys.iter().map(Node::der));
    presented.push(i.der());
    presented.push(root.der());
    assert_eq!(presented.len(), MAX_CERTIFICATES);
    let set = set(&[&root]);
    let v = validate_chain(&presented, &set, &client(), now()).unwrap();
    assert_eq!(v.path()[1].der(), &i.der());
    presented.push(i.der());
    assert_eq!(
        validate_chain(&presented, &set, &client(), now()).unwrap_err(),
        ValidationError::ChainTooLong {
            presented: MAX_CERTIFICATES + 1,
            limit: MAX_CERTIFICATES
        }
    );
}

#[test]
fn signature_budget_bounds_a_dense_pool() {
    // 31 copies of X (one key) and 31 of Y (one key), X issued by Y, Y by a root nobody
    // trusts: every X verifies the leaf and every Y every X, and no path ends at an anchor.
    let trusted_root = root("Trusted Root");
    let hidden_root = root("Hidden Root");
    let y_key = KeyPair::generate().unwrap();
    let ys: Vec<Node> = (0..31)
        .map(|_| {
            ca_signed(
                "Y",
                KeyPair::from_pem(&y_key.serialize_pem()).unwrap(),
                &hidden_root,
                |_| {},
            )
        })
        .collect();
    let x_key = KeyPair::generate().unwrap();
    let xs: Vec<Node> = (0..31)
        .map(|_| {
            ca_signed(
                "X",
                KeyPair::from_pem(&x_key.serialize_pem()).unwrap(),
                &ys[0],
                |_| {},
            )
        })
        .collect();
    let leaf = leaf_with(&xs[0], |p| p.use_authority_key_identifier_extension = false);
    let mut presented = vec![leaf.der()];
    presented.extend(xs.iter().chain(&ys).map(Node::der));
    let err = validate_chain(&presented, &set(&[&trusted_root]), &client(), now()).unwrap_err();
    assert_eq!(
        err,
        ValidationError::BudgetExceeded {
            what: "signature checks",
            limit: MAX_SIGNATURE_CHECKS
        }
    );
    // With the Ys' issuer trusted, the first candidates already make a path.
    let v = validate_chain(&presented, &set(&[&hidden_root]), &client(), now()).unwrap();
    assert_eq!(
        subjects(&v),
        ["CN=kongclient", "CN=X", "CN=Y", "CN=Hidden Root"]
    );
}
