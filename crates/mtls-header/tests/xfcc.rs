//! `xfcc`: Envoy `x-forwarded-client-cert` as Envoy emits it (SANITIZE_SET, APPEND_FORWARD),
//! Istio and Azure Container Apps; and the malformed classes, including forged `Cert=` in a
//! quoted Subject.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_header::encode::{XfccElement, envoy_escaped_pem, xfcc_element};
use mtls_header::formats::xfcc::{HEADER, decode};
use mtls_header::{HeaderError, Limits, XfccSyntax};

fn run(lines: &[&str]) -> Result<Option<Vec<Vec<u8>>>, HeaderError> {
    let lines: Vec<&[u8]> = lines.iter().map(|s| s.as_bytes()).collect();
    decode(HEADER, &lines, &Limits::default()).map(|c| c.map(|c| ders(&c)))
}

fn sha256_hex(der: &[u8]) -> String {
    mtls_cert::Certificate::from_der(der).unwrap().sha256_hex()
}

#[test]
fn envoy_hash_and_cert() {
    let p = pki();
    let v = xfcc_element(&XfccElement::new(&p.client));
    assert!(v.starts_with(&format!(
        "Hash={};Cert=\"-----BEGIN%20CERTIFICATE-----%0A",
        sha256_hex(&p.client)
    )));
    assert_eq!(run(&[&v]).unwrap(), Some(vec![p.client.clone()]));
}

#[test]
fn envoy_full_set_with_chain_subject_uri_dns() {
    let p = pki();
    let e = xfcc_element(
        &XfccElement::new(&p.client)
            .with_by(
                "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
            )
            .with_chain(vec![&p.intermediate])
            .with_subject("CN=test-client,OU=Clients,O=Header Vectors Test,C=US"),
    );
    let v = format!("{e};URI=;DNS=a.example;DNS=b.example");
    assert_eq!(
        run(&[&v]).unwrap(),
        Some(vec![p.client.clone(), p.intermediate.clone()])
    );
    // Chain without Cert.
    let chain_only = xfcc_element(
        &XfccElement::new(&p.client)
            .without_cert()
            .with_chain(vec![&p.intermediate]),
    );
    assert_eq!(run(&[&chain_only]).unwrap().unwrap().len(), 2);
}

#[test]
fn tricky_dn_with_forged_cert_stays_in_subject() {
    let p = pki();
    let subject = mtls_cert::Certificate::from_der(&p.tricky)
        .unwrap()
        .subject_dn()
        .to_owned();
    assert!(subject.contains("Cert="), "{subject}");
    let forged = envoy_escaped_pem(&[&p.evil]);
    // A Subject that tries to close its quotes and add its own Cert.
    let hostile = format!("{subject}\";Cert=\"{forged}");
    let v = xfcc_element(&XfccElement::new(&p.tricky).with_subject(&hostile));
    assert_eq!(run(&[&v]).unwrap(), Some(vec![p.tricky.clone()]));
    // The naive-split attack written by hand (envoy/03): an unescaped quote closes Subject,
    // so a second Cert appears in the element and is refused.
    let attack = format!(
        "Hash={};Cert=\"{}\";Subject=\"CN=x\";Cert=\"{forged}\"",
        sha256_hex(&p.client),
        envoy_escaped_pem(&[&p.client])
    );
    assert!(matches!(
        run(&[&attack]).unwrap_err(),
        HeaderError::XfccDuplicateKey { element: 0, .. }
    ));
}

#[test]
fn last_element_wins_across_lines_and_hops() {
    let p = pki();
    let client_supplied = xfcc_element(&XfccElement::new(&p.evil));
    let ours = xfcc_element(&XfccElement::new(&p.client).with_by("spiffe://edge"));
    assert_eq!(
        run(&[&format!("{client_supplied},{ours}")]).unwrap(),
        Some(vec![p.client.clone()])
    );
    assert_eq!(
        run(&[&client_supplied, &ours]).unwrap(),
        Some(vec![p.client.clone()])
    );
    // And the other way round: the evil one is then the one vouched for.
    assert_eq!(
        run(&[&ours, &client_supplied]).unwrap(),
        Some(vec![p.evil.clone()])
    );
    // Envoy docs' two-hop example with no Cert in the last element.
    let docs = "By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;URI=http://testclient.lyft.com,By=http://backend.lyft.com;Hash=9ba61d6425303443c0748a02dd8de688468ed33be74eee6556d90c0149c1309e;URI=http://frontend.lyft.com";
    assert_eq!(
        run(&[docs]).unwrap_err(),
        HeaderError::XfccNoCertificate { element: 1 }
    );
}

#[test]
fn variants_accepted() {
    let p = pki();
    let hash = sha256_hex(&p.client);
    let enc = envoy_escaped_pem(&[&p.client]);
    // Lowercase keys, uppercase hash, unquoted Cert, raw +/= in a quoted Cert.
    assert_eq!(
        run(&[&format!("hash={};cert=\"{enc}\"", hash.to_uppercase())])
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        run(&[&format!("Hash={hash};Cert={enc}")])
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    let raw = pem(&[&p.client]).replace(' ', "%20").replace('\n', "%0A");
    assert_eq!(
        run(&[&format!("Hash={hash};Cert=\"{raw}\"")])
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    // Unknown key.
    assert_eq!(
        run(&[&format!("Hash={hash};Cert=\"{enc}\";Foo=bar")])
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(run(&[""]), Ok(None));
}

#[test]
fn malformed() {
    let p = pki();
    let hash = sha256_hex(&p.client);
    let enc = envoy_escaped_pem(&[&p.client]);
    let syntax = |v: &str| match run(&[v]).unwrap_err() {
        HeaderError::XfccSyntax { syntax, .. } => syntax,
        e => panic!("{v}: {e}"),
    };
    assert_eq!(
        syntax(&format!("Hash={hash};Cert=\"{enc}")),
        XfccSyntax::UnterminatedQuote
    );
    assert_eq!(
        syntax(&format!("Hash={hash};Cert=\"{enc}\";")),
        XfccSyntax::EmptyPair
    );
    assert_eq!(
        syntax(&format!("Hash={hash};Cert=\"{enc}\",,By=x")),
        XfccSyntax::EmptyElement
    );
    assert_eq!(
        syntax(&format!(",Hash={hash};Cert=\"{enc}\"")),
        XfccSyntax::EmptyElement
    );
    // Duplicate Cert.
    assert!(matches!(
        run(&[&format!("Hash={hash};Cert=\"{enc}\";Cert=\"{enc}\"")]).unwrap_err(),
        HeaderError::XfccDuplicateKey { .. }
    ));
    // Hash mismatch and malformed hash.
    let other = sha256_hex(&p.evil);
    assert!(matches!(
        run(&[&format!("Hash={other};Cert=\"{enc}\"")]).unwrap_err(),
        HeaderError::XfccHashMismatch { .. }
    ));
    assert!(matches!(
        run(&[&format!("Hash=abc;Cert=\"{enc}\"")]).unwrap_err(),
        HeaderError::XfccBadHash { .. }
    ));
    // Raw PEM (line breaks) is refused by hygiene.
    assert!(matches!(
        run(&[&format!("Cert=\"{}\"", pem(&[&p.client]))]).unwrap_err(),
        HeaderError::ForbiddenByte { byte: b'\n', .. }
    ));
    // Reversed chain.
    let reversed = format!(
        "Chain=\"{}\"",
        envoy_escaped_pem(&[&p.intermediate, &p.client])
    );
    assert!(matches!(
        run(&[&reversed]).unwrap_err(),
        HeaderError::LeafIsCa { .. }
    ));
    // Chain not starting with Cert.
    let mismatch = format!(
        "Cert=\"{enc}\";Chain=\"{}\"",
        envoy_escaped_pem(&[&p.tricky, &p.intermediate])
    );
    assert_eq!(
        run(&[&mismatch]).unwrap_err(),
        HeaderError::XfccChainLeafMismatch
    );
    // Cert with two blocks.
    let two = format!(
        "Cert=\"{}\"",
        envoy_escaped_pem(&[&p.client, &p.intermediate])
    );
    assert_eq!(
        run(&[&two]).unwrap_err(),
        HeaderError::XfccCertNotSingle { count: 2 }
    );
    // Truncated and double-encoded.
    assert!(matches!(
        run(&[&format!("Cert=\"{}\"", &enc[..enc.len() / 2])]).unwrap_err(),
        HeaderError::Pem { .. } | HeaderError::PercentEscape { .. }
    ));
    assert!(matches!(
        run(&[&format!("Cert=\"{}\"", enc.replace('%', "%25"))]).unwrap_err(),
        HeaderError::Pem { .. }
    ));
    // Cloud Foundry gorouter's bare base64 under the same header name.
    assert!(run(&[&b64(&cert_with_b64_specials())]).is_err());
    // Oversized across lines.
    let l = Limits::default().with_max_value_len(enc.len());
    let line = format!("Cert=\"{enc}\"");
    assert!(matches!(
        decode(HEADER, &[line.as_bytes(), b"By=x"], &l).unwrap_err(),
        HeaderError::ValueTooLarge { .. }
    ));
}
