//! `pem_space_joined`: Apache mod_headers `%{SSL_CLIENT_CERT}s`, unfolded nginx
//! `$ssl_client_cert`; and the malformed classes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_header::formats::pem_space_joined::decode;
use mtls_header::{HeaderError, Limits, PemProblem, encode};

const H: &str = "X-SSL-Client-Cert";

fn run(value: &str) -> Result<Option<Vec<Vec<u8>>>, HeaderError> {
    decode(H, value.as_bytes(), &Limits::default()).map(|c| c.map(|c| ders(&c)))
}

#[test]
fn apache_value() {
    let p = pki();
    // Apache: every CR/LF -> SP, the trailing SP trimmed by HTTP.
    let apache = pem(&[&p.client]).replace('\n', " ");
    assert_eq!(run(&apache).unwrap(), Some(vec![p.client.clone()]));
    assert_eq!(
        run(&encode::pem_space_joined(&[&p.client])).unwrap(),
        Some(vec![p.client.clone()])
    );
    // CRLF PEM became two spaces.
    let crlf = pem(&[&p.client])
        .replace('\n', "\r\n")
        .replace(['\r', '\n'], " ");
    assert_eq!(run(&crlf).unwrap(), Some(vec![p.client.clone()]));
    // nginx $ssl_client_cert after obs-fold replacement (LF TAB -> SP TAB).
    let unfolded = pem(&[&p.client]).trim_end().replace('\n', " \t");
    assert_eq!(run(&unfolded).unwrap(), Some(vec![p.client.clone()]));
    let chain = encode::pem_space_joined(&[&p.client, &p.intermediate]);
    assert_eq!(run(&chain).unwrap().unwrap().len(), 2);
}

#[test]
fn absent_sentinels() {
    assert_eq!(run("(null)"), Ok(None));
    assert_eq!(run(""), Ok(None));
    assert!(run("(NULL)").is_err());
}

#[test]
fn malformed() {
    let p = pki();
    let v = encode::pem_space_joined(&[&p.client]);
    // Folded (raw LF + TAB) never reaches the decoder.
    assert!(matches!(
        run(&pem(&[&p.client]).replace('\n', "\n\t")).unwrap_err(),
        HeaderError::ForbiddenByte { .. }
    ));
    assert!(matches!(
        run(&v[..v.len() - 30]).unwrap_err(),
        HeaderError::Pem { .. }
    ));
    assert!(matches!(
        run(&v.replace("CERTIFICATE", "TRUSTED CERTIFICATE")).unwrap_err(),
        HeaderError::WrongPemLabel { .. }
    ));
    assert!(matches!(
        run(&format!("subject=CN=x {v}")).unwrap_err(),
        HeaderError::Pem {
            problem: PemProblem::ExpectedBegin,
            offset: 0,
            ..
        }
    ));
    // Percent-encoded (Apache expr) is a different format.
    assert!(matches!(
        run(&apache_expr(&[&p.client])).unwrap_err(),
        HeaderError::Pem { .. }
    ));
    let reversed = encode::pem_space_joined(&[&p.intermediate, &p.client]);
    assert!(matches!(
        run(&reversed).unwrap_err(),
        HeaderError::LeafIsCa { .. }
    ));
}
