//! OCSP, sans IO: responder URIs, the request, and the verification of responses produced
//! here (signed with rcgen keys).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use der07::asn1::{BitString, GeneralizedTime, Null, OctetString};
use der07::{Decode, Encode};
use mtls_cert::pki_types::UnixTime;
use mtls_cert::{
    CaCertificate, CaSet, Certificate, OcspError, OcspQuery, OcspStatus, RevocationReason,
    ValidationOptions, build_ocsp_request, crl_distribution_uri, ocsp_responder_uri,
    validate_chain, verify_ocsp_response,
};
use mtls_test_pki::rcgen::{ExtendedKeyUsagePurpose, KeyPair, SigningKey};
use mtls_test_pki::{AccessMethod, CertSpec, Node};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    ResponderId, ResponseData, RevokedInfo, SingleResponse, Version,
};

/// ecdsa-with-SHA256, as an AlgorithmIdentifier.
const ECDSA_SHA256: &[u8] = &[
    0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02,
];
const SHA1_ALG: &[u8] = &[
    0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00,
];
const SHA256_ALG: &[u8] = &[
    0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
];
const OCSP_URI: &str = "http://ocsp.example.test/";
const CRL_URI: &str = "https://crl.example.test/ca.crl";

struct Ca {
    node: Node,
    cert: Certificate,
}

impl Ca {
    fn key(&self) -> &KeyPair {
        self.node.key_pair()
    }
}

fn ca(cn: &str) -> Ca {
    let node = CertSpec::ca(cn).self_signed();
    let cert = Certificate::from_der(&node.der()).unwrap();
    Ca { node, cert }
}

fn issued(
    by: &Ca,
    cn: &str,
    eku: Vec<ExtendedKeyUsagePurpose>,
    with_urls: bool,
) -> (Certificate, KeyPair) {
    let mut spec = CertSpec::names(&[&format!("{cn}.test")])
        .cn(cn)
        .with(|p| p.extended_key_usages = eku);
    if with_urls {
        // authorityInfoAccess: a caIssuers entry, an LDAP OCSP entry, then the http one.
        spec = spec
            .authority_info_access(&[
                (AccessMethod::CaIssuers, "http://ca.example.test/ca.crt"),
                (AccessMethod::Ocsp, "ldap://ocsp.example.test/"),
                (AccessMethod::Ocsp, OCSP_URI),
            ])
            .crl_distribution_point(&["ldap://crl.example.test/", CRL_URI])
            .crl_distribution_point(&["http://second.example.test/"]);
    }
    let node = spec.signed_by(&by.node);
    (
        Certificate::from_der(&node.der()).unwrap(),
        node.into_key_pair(),
    )
}

fn secs(t: UnixTime) -> Duration {
    Duration::from_secs(t.as_secs())
}

fn gtime(d: Duration) -> OcspGeneralizedTime {
    OcspGeneralizedTime(
        GeneralizedTime::from_unix_duration(Duration::from_secs(d.as_secs())).unwrap(),
    )
}

fn cert_id(issuer: &Ca, serial: &[u8], sha256: bool) -> CertId {
    let name = issuer.cert.subject_der();
    let key = issuer.key().public_key_raw();
    let (alg, name_hash, key_hash) = if sha256 {
        (
            SHA256_ALG,
            Sha256::digest(&name).to_vec(),
            Sha256::digest(key).to_vec(),
        )
    } else {
        (
            SHA1_ALG,
            Sha1::digest(&name).to_vec(),
            Sha1::digest(key).to_vec(),
        )
    };
    let mut serial_der = vec![0x02, serial.len() as u8];
    serial_der.extend_from_slice(serial);
    CertId {
        hash_algorithm: Decode::from_der(alg).unwrap(),
        issuer_name_hash: OctetString::new(name_hash).unwrap(),
        issuer_key_hash: OctetString::new(key_hash).unwrap(),
        serial_number: Decode::from_der(&serial_der).unwrap(),
    }
}

fn nonce_ext(nonce: &[u8]) -> Vec<u8> {
    let value = OctetString::new(nonce).unwrap().to_der().unwrap();
    let mut body = vec![
        0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02,
    ];
    body.extend_from_slice(&OctetString::new(value).unwrap().to_der().unwrap());
    let mut ext = vec![0x30, body.len() as u8];
    ext.extend_from_slice(&body);
    ext
}

/// What a test response says and who signs it.
struct Resp<'a> {
    signer: &'a KeyPair,
    /// The responderID's name (the signer's subject DER).
    responder: Vec<u8>,
    certs: Vec<Certificate>,
    cert_id: CertId,
    status: CertStatus,
    this_update: Duration,
    next_update: Option<Duration>,
    nonce: Option<Vec<u8>>,
}

impl<'a> Resp<'a> {
    fn new(ca: &'a Ca, leaf: &Certificate, now: UnixTime) -> Self {
        Resp {
            signer: ca.key(),
            responder: ca.cert.subject_der(),
            certs: Vec::new(),
            cert_id: cert_id(ca, leaf.serial_bytes(), false),
            status: CertStatus::good(),
            this_update: secs(now) - Duration::from_secs(3600),
            next_update: Some(secs(now) + Duration::from_secs(3600)),
            nonce: None,
        }
    }

    fn build(&self) -> Vec<u8> {
        let data = ResponseData {
            version: Version::V1,
            responder_id: ResponderId::ByName(Decode::from_der(&self.responder).unwrap()),
            produced_at: gtime(self.this_update),
            responses: vec![SingleResponse {
                cert_id: self.cert_id.clone(),
                cert_status: self.status,
                this_update: gtime(self.this_update),
                next_update: self.next_update.map(gtime),
                single_extensions: None,
            }],
            response_extensions: self
                .nonce
                .as_ref()
                .map(|n| vec![Decode::from_der(&nonce_ext(n)).unwrap()]),
        };
        let signature = self.signer.sign(&data.to_der().unwrap()).unwrap();
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: Decode::from_der(ECDSA_SHA256).unwrap(),
            signature: BitString::from_bytes(&signature).unwrap(),
            certs: (!self.certs.is_empty()).then(|| {
                self.certs
                    .iter()
                    .map(|c| Decode::from_der(c.der()).unwrap())
                    .collect()
            }),
        };
        OcspResponse::successful(basic).unwrap().to_der().unwrap()
    }
}

struct Setup {
    ca: Ca,
    leaf: Certificate,
    now: UnixTime,
}

fn setup() -> Setup {
    let ca = ca("OCSP Test CA");
    let (leaf, _) = issued(&ca, "client", vec![], true);
    Setup {
        ca,
        leaf,
        now: UnixTime::now(),
    }
}

impl Setup {
    fn resp(&self) -> Resp<'_> {
        Resp::new(&self.ca, &self.leaf, self.now)
    }

    fn verify(&self, der: &[u8], nonce: Option<&[u8]>) -> Result<mtls_cert::OcspAnswer, OcspError> {
        verify_ocsp_response(der, &self.leaf, &self.ca.cert, self.now, nonce)
    }
}

#[test]
fn responder_and_crl_uris() {
    let s = setup();
    assert_eq!(ocsp_responder_uri(&s.leaf).as_deref(), Some(OCSP_URI));
    assert_eq!(crl_distribution_uri(&s.leaf).as_deref(), Some(CRL_URI));
    assert_eq!(ocsp_responder_uri(&s.ca.cert), None);
    assert_eq!(crl_distribution_uri(&s.ca.cert), None);
}

#[test]
fn good_by_issuer() {
    let s = setup();
    let r = s.resp();
    let answer = s.verify(&r.build(), None).unwrap();
    assert_eq!(answer.status, OcspStatus::Good);
    assert_eq!(
        answer.next_update.map(|t| t.as_secs()),
        r.next_update.map(|d| d.as_secs())
    );
    assert_eq!(answer.this_update.as_secs(), r.this_update.as_secs());
}

#[test]
fn good_with_sha256_cert_id_and_no_next_update() {
    let s = setup();
    let mut r = s.resp();
    r.cert_id = cert_id(&s.ca, s.leaf.serial_bytes(), true);
    r.next_update = None;
    let answer = s.verify(&r.build(), None).unwrap();
    assert_eq!(answer.status, OcspStatus::Good);
    assert_eq!(answer.next_update, None);
}

#[test]
fn revoked_with_reason() {
    let s = setup();
    let mut r = s.resp();
    let when = secs(s.now) - Duration::from_secs(86_400);
    r.status = CertStatus::Revoked(RevokedInfo {
        revocation_time: gtime(when),
        revocation_reason: Some(Decode::from_der(&[0x0A, 0x01, 0x01]).unwrap()),
    });
    let answer = s.verify(&r.build(), None).unwrap();
    match answer.status {
        OcspStatus::Revoked { revoked_at, reason } => {
            assert_eq!(revoked_at.as_secs(), when.as_secs());
            assert_eq!(reason, Some(RevocationReason::KeyCompromise));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown() {
    let s = setup();
    let mut r = s.resp();
    r.status = CertStatus::Unknown(Null);
    assert_eq!(
        s.verify(&r.build(), None).unwrap().status,
        OcspStatus::Unknown
    );
}

#[test]
fn wrong_signer_is_a_bad_signature() {
    let s = setup();
    let other = KeyPair::generate().unwrap();
    let mut r = s.resp();
    r.signer = &other;
    let err = s.verify(&r.build(), None).unwrap_err();
    assert!(
        matches!(err, OcspError::BadSignature { ref signer, .. } if signer == "CN=OCSP Test CA"),
        "{err}"
    );
}

#[test]
fn responder_that_is_neither_issuer_nor_included_is_unauthorized() {
    let s = setup();
    let other = ca("Somebody Else");
    let mut r = s.resp();
    r.signer = other.key();
    r.responder = other.cert.subject_der();
    let err = s.verify(&r.build(), None).unwrap_err();
    assert!(
        matches!(err, OcspError::UnauthorizedResponder { .. }),
        "{err}"
    );
}

#[test]
fn delegated_responder_with_ocsp_signing() {
    let s = setup();
    let (responder, key) = issued(
        &s.ca,
        "responder",
        vec![ExtendedKeyUsagePurpose::OcspSigning],
        false,
    );
    let mut r = s.resp();
    r.signer = &key;
    r.responder = responder.subject_der();
    r.certs = vec![responder];
    assert_eq!(s.verify(&r.build(), None).unwrap().status, OcspStatus::Good);
}

#[test]
fn delegated_responder_without_ocsp_signing_is_unauthorized() {
    let s = setup();
    let (responder, key) = issued(
        &s.ca,
        "responder",
        vec![ExtendedKeyUsagePurpose::ClientAuth],
        false,
    );
    let mut r = s.resp();
    r.signer = &key;
    r.responder = responder.subject_der();
    r.certs = vec![responder];
    let err = s.verify(&r.build(), None).unwrap_err();
    assert!(
        matches!(err, OcspError::UnauthorizedResponder { ref reason, .. } if reason.contains("OCSPSigning")),
        "{err}"
    );
    // No EKU at all is not enough either.
    let (responder, key) = issued(&s.ca, "responder2", vec![], false);
    let mut r = s.resp();
    r.signer = &key;
    r.responder = responder.subject_der();
    r.certs = vec![responder];
    assert!(matches!(
        s.verify(&r.build(), None),
        Err(OcspError::UnauthorizedResponder { .. })
    ));
}

#[test]
fn delegated_responder_from_another_ca_is_unauthorized() {
    let s = setup();
    let other = ca("Other CA");
    let (responder, key) = issued(
        &other,
        "responder",
        vec![ExtendedKeyUsagePurpose::OcspSigning],
        false,
    );
    let mut r = s.resp();
    r.signer = &key;
    r.responder = responder.subject_der();
    r.certs = vec![responder];
    let err = s.verify(&r.build(), None).unwrap_err();
    assert!(
        matches!(err, OcspError::UnauthorizedResponder { ref reason, .. } if reason.contains("not issued by")),
        "{err}"
    );
}

#[test]
fn expired_and_future_responses() {
    let s = setup();
    let mut r = s.resp();
    r.this_update = secs(s.now) - Duration::from_secs(7200);
    r.next_update = Some(secs(s.now) - Duration::from_secs(3600));
    assert!(matches!(
        s.verify(&r.build(), None),
        Err(OcspError::Stale { .. })
    ));

    // Within the skew is accepted.
    r.next_update = Some(secs(s.now) - Duration::from_secs(60));
    assert!(s.verify(&r.build(), None).is_ok());

    let mut r = s.resp();
    r.this_update = secs(s.now) + Duration::from_secs(3600);
    r.next_update = Some(secs(s.now) + Duration::from_secs(7200));
    assert!(matches!(
        s.verify(&r.build(), None),
        Err(OcspError::NotYetValid { .. })
    ));
    r.this_update = secs(s.now) + Duration::from_secs(60);
    assert!(s.verify(&r.build(), None).is_ok());
}

#[test]
fn wrong_cert_id() {
    let s = setup();
    // Another serial.
    let mut r = s.resp();
    r.cert_id = cert_id(&s.ca, &[0x01, 0x02, 0x03], false);
    let err = s.verify(&r.build(), None).unwrap_err();
    assert!(
        matches!(err, OcspError::NoMatchingCertId { responses: 1, .. }),
        "{err}"
    );
    // Another issuer's hashes with the right serial.
    let other = ca("Other CA");
    let mut r = s.resp();
    r.cert_id = cert_id(&other, s.leaf.serial_bytes(), true);
    assert!(matches!(
        s.verify(&r.build(), None),
        Err(OcspError::NoMatchingCertId { .. })
    ));
}

#[test]
fn nonces() {
    let s = setup();
    let sent = b"0123456789abcdef";
    let mut r = s.resp();
    r.nonce = Some(sent.to_vec());
    assert!(s.verify(&r.build(), Some(sent)).is_ok());
    r.nonce = Some(b"fedcba9876543210".to_vec());
    assert_eq!(
        s.verify(&r.build(), Some(sent)),
        Err(OcspError::NonceMismatch)
    );
    // A response without a nonce is accepted (most responders omit it).
    r.nonce = None;
    assert!(s.verify(&r.build(), Some(sent)).is_ok());
    // A nonce we did not ask for is ignored.
    r.nonce = Some(b"unsolicited".to_vec());
    assert!(s.verify(&r.build(), None).is_ok());
}

#[test]
fn malformed_and_unsuccessful() {
    let s = setup();
    for bad in [
        &b""[..],
        b"garbage",
        b"\x30\x00",
        b"\x30\x03\x0a\x01\x00",
        b"\x30\x03\x0a\x01\x04",
    ] {
        assert!(
            matches!(s.verify(bad, None), Err(OcspError::Malformed { .. })),
            "{bad:?}"
        );
    }
    assert_eq!(
        s.verify(b"\x30\x03\x0a\x01\x06", None),
        Err(OcspError::Unsuccessful {
            status: "unauthorized"
        })
    );
    let big = vec![0x30; mtls_cert::MAX_OCSP_RESPONSE_SIZE + 1];
    assert!(matches!(
        s.verify(&big, None),
        Err(OcspError::TooLarge { .. })
    ));
    // Every truncation and every single-byte flip of a good response is refused, never a panic.
    let good = s.resp().build();
    for len in 0..good.len() {
        assert!(s.verify(&good[..len], None).is_err());
    }
    for i in 0..good.len() {
        let mut flipped = good.clone();
        flipped[i] ^= 0x01;
        let _ = s.verify(&flipped, None);
    }
}

#[test]
fn request_cert_id_is_what_the_verifier_expects() {
    let s = setup();
    let nonce = b"0123456789abcdef";
    let der = build_ocsp_request(&s.leaf, &s.ca.cert, Some(nonce)).unwrap();
    let request = OcspRequest::from_der(&der).unwrap();
    assert_eq!(request.tbs_request.request_list.len(), 1);
    let id = &request.tbs_request.request_list[0].req_cert;
    assert_eq!(*id, cert_id(&s.ca, s.leaf.serial_bytes(), false));
    assert_eq!(request.nonce().unwrap().0.as_bytes(), nonce);
    assert!(request.optional_signature.is_none());

    // A responder echoing that CertID is accepted.
    let mut r = s.resp();
    r.cert_id = id.clone();
    r.nonce = Some(nonce.to_vec());
    let query = OcspQuery::for_certificates(&s.leaf, &s.ca.cert, Some(nonce)).unwrap();
    assert_eq!(query.request_der(), der);
    assert_eq!(
        query.verify(&r.build(), s.now).unwrap().status,
        OcspStatus::Good
    );

    // Without a nonce there are no request extensions.
    let der = build_ocsp_request(&s.leaf, &s.ca.cert, None).unwrap();
    assert!(
        OcspRequest::from_der(&der)
            .unwrap()
            .tbs_request
            .request_extensions
            .is_none()
    );
    // Nonce lengths are bounded.
    assert!(matches!(
        build_ocsp_request(&s.leaf, &s.ca.cert, Some(&[])),
        Err(OcspError::InvalidRequest { .. })
    ));
    assert!(matches!(
        build_ocsp_request(&s.leaf, &s.ca.cert, Some(&[0; 33])),
        Err(OcspError::InvalidRequest { .. })
    ));
}

#[test]
fn query_from_a_verified_chain() {
    let s = setup();
    let anchor =
        CaCertificate::new(uuid::Uuid::new_v4(), s.ca.cert.to_pem().as_bytes(), s.now).unwrap();
    let set = CaSet::new(vec![anchor]).unwrap();
    let chain = validate_chain(
        &[s.leaf.der().clone()],
        &set,
        &ValidationOptions::client(),
        s.now,
    )
    .unwrap();
    let query = OcspQuery::new(&chain, None).unwrap();
    assert_eq!(query.responder_uri().as_deref(), Some(OCSP_URI));
    assert_eq!(query.issuer(), &s.ca.cert);
    assert_eq!(
        query.verify(&s.resp().build(), s.now).unwrap().status,
        OcspStatus::Good
    );
}

/// Every OCSP vector of the shared conformance corpus gives a result or an error, never a
/// panic (runs when `../shared` exists).
#[test]
fn conformance_vectors_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/revocation-parse-vectors/ocsp");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("{} not present: skipped", dir.display());
        return;
    };
    let s = setup();
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = s.verify(&bytes, Some(b"nonce"));
        eprintln!("{}: {result:?}", path.display());
        // The request vectors go through x509-ocsp's request decoder too.
        let _ = OcspRequest::from_der(&bytes);
        count += 1;
    }
    assert!(count > 0);
}
