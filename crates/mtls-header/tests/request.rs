//! The request-level entry points: header lookup (exact names, duplicates, aliases), the
//! trusted-source gate, and Kong's client-facing answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_header::{
    HeaderCertAuth, HeaderError, HeaderFormat, Limits, Reason, Rejection, SourcePolicy, TrustedIps,
    decode_headers, encode,
};

fn decode(
    format: HeaderFormat,
    name: &str,
    headers: &[(&str, &str)],
) -> Result<Option<usize>, HeaderError> {
    decode_headers(format, name, headers, &Limits::default())
        .map(|c| c.map(|c| c.certificates().len()))
}

#[test]
fn names_are_case_insensitive_and_exact() {
    let v = encode::base64_der(&pki().client);
    let f = HeaderFormat::Base64Encoded;
    assert_eq!(
        decode(f, "X-Client-Cert", &[("x-CLIENT-cert", &v)]),
        Ok(Some(1))
    );
    assert_eq!(
        decode(f, "X-Client-Cert", &[("X-Client-Certificate", &v)]),
        Ok(None)
    );
    for alias in ["X_Client_Cert", "x.client.cert", "X-Client_Cert"] {
        assert!(
            matches!(
                decode(f, "X-Client-Cert", &[(alias, &v)]),
                Err(HeaderError::AliasHeader { .. })
            ),
            "{alias}"
        );
        // Even next to the real header.
        assert!(matches!(
            decode(f, "X-Client-Cert", &[("X-Client-Cert", &v), (alias, &v)]),
            Err(HeaderError::AliasHeader { .. })
        ));
    }
}

#[test]
fn duplicates_are_errors_except_xfcc() {
    let p = pki();
    let v = encode::base64_der(&p.client);
    for f in [HeaderFormat::Base64Encoded, HeaderFormat::Base64DerList] {
        assert_eq!(
            decode(
                f,
                "X-Client-Cert",
                &[("X-Client-Cert", &v), ("x-client-cert", &v)]
            ),
            Err(HeaderError::DuplicateHeader {
                format: f,
                header: "X-Client-Cert".into(),
                count: 2
            })
        );
    }
    let u = encode::url_encoded_pem(&[&p.client]);
    assert!(matches!(
        decode(
            HeaderFormat::UrlEncoded,
            "ssl-client-cert",
            &[("ssl-client-cert", &u), ("ssl-client-cert", "")]
        ),
        Err(HeaderError::DuplicateHeader { count: 2, .. })
    ));
    let item = encode::rfc9440_item(&p.client);
    assert!(matches!(
        decode(
            HeaderFormat::Rfc9440,
            "Client-Cert",
            &[("Client-Cert", &item), ("Client-Cert", &item)]
        ),
        Err(HeaderError::DuplicateHeader { count: 2, .. })
    ));
    let x = encode::xfcc_element(&encode::XfccElement::new(&p.client));
    assert_eq!(
        decode(
            HeaderFormat::Xfcc,
            "x-forwarded-client-cert",
            &[
                ("X-Forwarded-Client-Cert", "By=a"),
                ("x-forwarded-client-cert", &x)
            ]
        ),
        Ok(Some(1))
    );
}

#[test]
fn rfc9440_chain_header_follows_the_leaf_name() {
    let p = pki();
    let leaf = encode::rfc9440_item(&p.client);
    let chain = encode::rfc9440_item(&p.intermediate);
    let f = HeaderFormat::Rfc9440;
    assert_eq!(
        decode(
            f,
            "Client-Cert",
            &[("client-cert", &leaf), ("Client-Cert-Chain", &chain)]
        ),
        Ok(Some(2))
    );
    assert_eq!(
        decode(
            f,
            "X-Client-Cert",
            &[("X-Client-Cert", &leaf), ("X-Client-Cert-Chain", &chain)]
        ),
        Ok(Some(2))
    );
    assert_eq!(
        decode(
            f,
            "X-Client-Cert",
            &[("X-Client-Cert", &leaf), ("Client-Cert-Chain", &chain)]
        ),
        Ok(Some(1))
    );
    assert!(matches!(
        decode(
            f,
            "Client-Cert",
            &[("Client-Cert", &leaf), ("Client_Cert_Chain", &chain)]
        ),
        Err(HeaderError::AliasHeader { .. })
    ));
    assert!(matches!(
        decode(f, "Client-Cert", &[("Client-Cert-Chain", &chain)]),
        Err(HeaderError::ChainWithoutLeaf { .. })
    ));
}

#[test]
fn every_format_reports_absent() {
    for f in HeaderFormat::ALL {
        assert_eq!(
            decode(f, "X-Client-Cert", &[("host", "example.test")]),
            Ok(None),
            "{f}"
        );
        assert_eq!(
            decode(f, "X-Client-Cert", &[("X-Client-Cert", "")]),
            Ok(None),
            "{f}"
        );
    }
}

#[test]
fn headers_from_owned_pairs_and_bytes() {
    let v = encode::base64_der(&pki().client);
    let owned: Vec<(String, Vec<u8>)> = vec![("X-Client-Cert".into(), v.clone().into_bytes())];
    let got = decode_headers(
        HeaderFormat::Base64Encoded,
        "x-client-cert",
        &owned,
        &Limits::default(),
    );
    assert_eq!(got.unwrap().unwrap().certificates().len(), 1);
    let slice: &[(&[u8], &[u8])] = &[(b"X-Client-Cert", v.as_bytes())];
    assert!(
        decode_headers(
            HeaderFormat::Base64Encoded,
            "x-client-cert",
            slice,
            &Limits::default()
        )
        .unwrap()
        .is_some()
    );
}

fn plugin(format: HeaderFormat, name: &str, trusted: &[&str]) -> HeaderCertAuth {
    HeaderCertAuth::new(
        format,
        name,
        SourcePolicy::secure(TrustedIps::parse(trusted).unwrap()),
    )
    .unwrap()
}

#[test]
fn untrusted_peer_gets_403_before_decoding() {
    let p = plugin(
        HeaderFormat::Base64Encoded,
        "X-Client-Cert",
        &["10.0.0.0/8", "fd00::/8"],
    );
    // Even a malformed header is not looked at.
    let headers = [("X-Client-Cert", "%%%"), ("X_Client_Cert", "x")];
    for peer in ["192.0.2.1", "::ffff:192.0.2.1", "2001:db8::1"] {
        let r = p.extract(peer.parse().unwrap(), &headers).unwrap_err();
        assert_eq!(r.rejection(), Rejection::Forbidden);
        assert_eq!(r.rejection().body(), r#"{"message":"Forbidden"}"#);
        assert!(matches!(r.reason(), Reason::UntrustedPeer { .. }));
    }
    let r = p
        .extract("::ffff:10.0.0.1".parse().unwrap(), &headers)
        .unwrap_err();
    assert_eq!(r.rejection(), Rejection::CertificateFailedVerification);
    // A trusted peer (seen as IPv4-mapped) gets its header read: refused for the alias.
    assert_eq!(
        r.reason(),
        &Reason::Header(HeaderError::AliasHeader {
            format: HeaderFormat::Base64Encoded,
            header: "X-Client-Cert".into(),
            alias: "X_Client_Cert".into(),
        })
    );
}

#[test]
fn default_policy_trusts_nobody_and_insecure_trusts_everybody() {
    let v = encode::base64_der(&pki().client);
    let headers = [("X-Client-Cert", v.as_str())];
    let secure = HeaderCertAuth::new(
        HeaderFormat::Base64Encoded,
        "X-Client-Cert",
        SourcePolicy::default(),
    )
    .unwrap();
    assert_eq!(
        secure
            .extract("127.0.0.1".parse().unwrap(), &headers)
            .unwrap_err()
            .rejection(),
        Rejection::Forbidden
    );
    let open = HeaderCertAuth::new(
        HeaderFormat::Base64Encoded,
        "X-Client-Cert",
        SourcePolicy::insecure_any_source(),
    )
    .unwrap();
    assert!(
        open.extract("203.0.113.1".parse().unwrap(), &headers)
            .is_ok()
    );
}

#[test]
fn kong_messages() {
    let p = plugin(HeaderFormat::UrlEncoded, "X-Client-Cert", &["127.0.0.1"]);
    let peer = "127.0.0.1".parse().unwrap();
    let r = p.extract(peer, &[("Host", "x")]).unwrap_err();
    assert_eq!(
        r.rejection().message(),
        "No required TLS certificate header was sent"
    );
    assert_eq!(r.rejection().status(), 401);
    assert_eq!(r.reason(), &Reason::Absent);
    // url_encoded with no PEM block.
    let r = p
        .extract(peer, &[("X-Client-Cert", "not-a-certificate")])
        .unwrap_err();
    assert_eq!(
        r.rejection().message(),
        "TLS certificate failed verification"
    );
    assert!(matches!(
        r.reason(),
        Reason::Header(HeaderError::Pem { .. })
    ));
    // Past a limit: the same 401, the limit in the reason.
    let v = encode::url_encoded_pem(&[&pki().client]);
    let small = p
        .clone()
        .with_limits(Limits::default().with_max_value_len(64));
    let r = small
        .extract(peer, &[("X-Client-Cert", v.as_str())])
        .unwrap_err();
    assert_eq!(r.rejection(), Rejection::CertificateFailedVerification);
    assert!(r.to_string().contains("over the limit of 64"), "{r}");
    let chain = p.extract(peer, &[("X-Client-Cert", v.as_str())]).unwrap();
    assert_eq!(chain.format(), HeaderFormat::UrlEncoded);
    assert_eq!(chain.ders().len(), 1);
}
