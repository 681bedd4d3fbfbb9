//! `rfc9440`: `Client-Cert` / `Client-Cert-Chain` as Cloudflare, Google Cloud and CloudFront
//! send them; and the malformed classes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_header::formats::rfc9440::{CLIENT_CERT, CLIENT_CERT_CHAIN, decode};
use mtls_header::{HeaderError, HeaderFormat, Limits, encode};

fn run(leaf: Option<&str>, chain: &[&str]) -> Result<Option<Vec<Vec<u8>>>, HeaderError> {
    let chain: Vec<&[u8]> = chain.iter().map(|s| s.as_bytes()).collect();
    decode(
        CLIENT_CERT,
        leaf.map(str::as_bytes),
        CLIENT_CERT_CHAIN,
        &chain,
        &Limits::default(),
    )
    .map(|c| c.map(|c| ders(&c)))
}

#[test]
fn leaf_and_intermediates() {
    let p = pki();
    let leaf = encode::rfc9440_item(&p.client);
    assert_eq!(run(Some(&leaf), &[]).unwrap(), Some(vec![p.client.clone()]));
    // Cloudflare / GCP: intermediates only. A root after them is accepted too.
    let chain = encode::rfc9440_list(&[&p.intermediate, &p.root]);
    assert_eq!(
        run(Some(&leaf), &[&chain]).unwrap(),
        Some(vec![
            p.client.clone(),
            p.intermediate.clone(),
            p.root.clone()
        ])
    );
    // Split over two field lines.
    let lines = [
        encode::rfc9440_item(&p.intermediate),
        encode::rfc9440_item(&p.root),
    ];
    assert_eq!(
        run(Some(&leaf), &[&lines[0], &lines[1]])
            .unwrap()
            .unwrap()
            .len(),
        3
    );
    // The chain repeating the leaf first: that copy is dropped.
    let with_leaf = encode::rfc9440_list(&[&p.client, &p.intermediate]);
    assert_eq!(
        run(Some(&leaf), &[&with_leaf]).unwrap(),
        Some(vec![p.client.clone(), p.intermediate.clone()])
    );
}

#[test]
fn params_ows_and_unpadded_are_accepted() {
    let p = pki();
    let der = cert_with_b64_specials();
    let leaf = encode::rfc9440_item(&der);
    assert_eq!(
        run(Some(&format!("{leaf};a=1;b")), &[]).unwrap(),
        Some(vec![der.clone()])
    );
    assert_eq!(
        run(Some(&format!("  {leaf} ")), &[]).unwrap(),
        Some(vec![der.clone()])
    );
    let unpadded = format!(":{}:", b64(&der).trim_end_matches('='));
    assert_eq!(run(Some(&unpadded), &[]).unwrap(), Some(vec![der]));
    let chain = format!(
        "{}  ,   {}",
        encode::rfc9440_item(&p.intermediate),
        encode::rfc9440_item(&p.root)
    );
    let leaf = encode::rfc9440_item(&p.client);
    assert_eq!(run(Some(&leaf), &[&chain]).unwrap().unwrap().len(), 3);
}

#[test]
fn absent() {
    assert_eq!(run(None, &[]), Ok(None));
    assert_eq!(run(Some(""), &[""]), Ok(None));
    assert!(matches!(
        run(None, &[&encode::rfc9440_item(&pki().intermediate)]).unwrap_err(),
        HeaderError::ChainWithoutLeaf { .. }
    ));
}

#[test]
fn malformed_leaf() {
    let p = pki();
    let kind = |v: &str| run(Some(v), &[]).unwrap_err().kind();
    // Missing colons: unpadded base64 parses as an sfv Token (not a Byte Sequence), padded
    // base64 does not parse at all; which one depends on the generated certificate's length.
    assert!(matches!(
        kind(&b64(&p.client)),
        "structured_field" | "not_byte_sequence"
    ));
    // PEM inside colons.
    assert_eq!(
        kind(&format!(":{}:", pem(&[&p.client]).replace('\n', ""))),
        "structured_field"
    );
    // base64url.
    assert_eq!(
        kind(&format!(":{}:", b64url(&cert_with_b64_specials()))),
        "structured_field"
    );
    // Truncated (the DER, or the field's closing colon).
    let item = encode::rfc9440_item(&p.client);
    assert_eq!(kind(&format!(":{}:", b64(&p.client[..200]))), "der");
    assert_eq!(kind(&item[..item.len() - 1]), "structured_field");
    // Double-encoded.
    assert_eq!(kind(&format!(":{}:", b64(item.as_bytes()))), "der");
    // A list where an item is required.
    assert_eq!(
        kind(&encode::rfc9440_list(&[&p.client, &p.intermediate])),
        "structured_field"
    );
    // Not a Byte Sequence.
    assert_eq!(
        kind(&format!("\"{}\"", b64(&p.client))),
        "not_byte_sequence"
    );
    assert_eq!(kind(":AAAA:"), "der");
    // CRLF injection.
    assert_eq!(kind(&format!("{}\r\nX: y", &item)), "forbidden_byte");
    // DER trailing bytes.
    let mut trailing = p.client.clone();
    trailing.push(0);
    assert_eq!(kind(&encode::rfc9440_item(&trailing)), "der");
}

#[test]
fn malformed_chain() {
    let p = pki();
    let leaf = encode::rfc9440_item(&p.client);
    let kind = |c: &str| run(Some(&leaf), &[c]).unwrap_err().kind();
    let int = encode::rfc9440_item(&p.intermediate);
    assert_eq!(kind(&format!("{int},")), "structured_field");
    assert_eq!(kind(&format!("{int}, , {int}")), "structured_field");
    assert_eq!(kind(&format!("({int})")), "not_byte_sequence");
    // A CA as the leaf.
    let root = encode::rfc9440_item(&p.root);
    assert_eq!(run(Some(&root), &[&int]).unwrap_err().kind(), "leaf_is_ca");
}

#[test]
fn self_signed_look_alike_decodes_but_is_a_different_certificate() {
    // Decoding is not authentication: the look-alike (same subject) decodes; validation
    // against the CA set is what refuses it.
    let p = pki();
    let got = run(Some(&encode::rfc9440_item(&p.evil)), &[])
        .unwrap()
        .unwrap();
    assert_eq!(got, vec![p.evil.clone()]);
    assert_ne!(p.evil, p.client);
}

#[test]
fn limits() {
    let p = pki();
    let leaf = encode::rfc9440_item(&p.client);
    let chain = encode::rfc9440_list(&[&p.intermediate, &p.root]);
    let l = Limits::default().with_max_certificates(2);
    assert_eq!(
        decode(
            CLIENT_CERT,
            Some(leaf.as_bytes()),
            CLIENT_CERT_CHAIN,
            &[chain.as_bytes()],
            &l
        )
        .unwrap_err(),
        HeaderError::TooManyCertificates {
            format: HeaderFormat::Rfc9440,
            limit: 2
        }
    );
    let l = Limits::default().with_max_value_len(leaf.len() - 1);
    assert!(matches!(
        decode(
            CLIENT_CERT,
            Some(leaf.as_bytes()),
            CLIENT_CERT_CHAIN,
            &[],
            &l
        )
        .unwrap_err(),
        HeaderError::ValueTooLarge { .. }
    ));
}
