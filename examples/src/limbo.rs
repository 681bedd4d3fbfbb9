//! `mtls limbo`: x509-limbo's harness contract, plus a check against a list of expected
//! divergences for CI.
//!
//! Each case is validated with `allow_partial_chain` (limbo's trusted certificates are trust
//! anchors whether self-signed or not) and EKU checking on: CLIENT cases as client
//! certificates (clientAuth), SERVER cases as server certificates (serverAuth), for their
//! `expected_peer_name` when it is a DNS name or IP address, else without a name. Every
//! expected peer name (`expected_peer_name` and `expected_peer_names`) must then be one the
//! leaf is valid for by its SANs alone (`Certificate::is_valid_for`: webpki's DNS rules, IP
//! addresses by value, email addresses). CRLs, when present, are checked for every
//! certificate of the path but the anchor, and an unknown status fails. The strict RFC 5280
//! profile is on. Only cases that need a feature the validator does not implement
//! (certificate policies) are SKIPPED, each with the reason.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{
    CaCertificate, CaSet, CrlSet, Purpose, RevocationScope, RevocationStatus, SanKind,
    ValidationOptions, validate_chain,
};
use serde::Deserialize;
use serde_json::json;

/// Arguments of `mtls limbo`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A file of expected divergences (`SUITE ID ACTUAL reason...` per line); with it, exit 1
    /// on any divergence it does not list, and on any listed one that no longer reproduces.
    #[arg(long, requires = "suite")]
    exceptions: Option<PathBuf>,
    /// The suite name used in the exceptions file (for example `limbo-core`).
    #[arg(long)]
    suite: Option<String>,
}

#[derive(Deserialize)]
struct Suite {
    testcases: Vec<Case>,
}

#[derive(Deserialize)]
struct PeerName {
    kind: String,
    value: String,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    #[serde(default)]
    features: Option<Vec<String>>,
    validation_kind: String,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    #[serde(default)]
    signature_algorithms: Vec<String>,
    #[serde(default)]
    extended_key_usage: Vec<String>,
    expected_result: String,
    #[serde(default)]
    expected_peer_name: Option<PeerName>,
    #[serde(default)]
    expected_peer_names: Vec<PeerName>,
    #[serde(default)]
    max_chain_depth: Option<u64>,
    #[serde(default)]
    crls: Vec<String>,
}

/// Features this validator does not implement, with the reason reported for a skipped case.
const UNSUPPORTED_FEATURES: &[(&str, &str)] = &[
    (
        "has-cert-policies",
        "certificate policies (RFC 5280 section 6.1 policy tree) are not processed",
    ),
    (
        "has-policy-constraints",
        "policy constraints (RFC 5280 section 4.2.1.11) are not processed",
    ),
    (
        "pedantic-public-suffix-wildcard",
        "wildcards are not checked against the Public Suffix List, which is not shipped",
    ),
    (
        "pedantic-webpki-eku",
        "the CA/Browser Forum EKU profile is not implemented (RFC 5280 allows what it forbids; \
         its ee-without-eku contradicts rfc5280::eku::ee-without-eku)",
    ),
];

enum Outcome {
    Success(String),
    Failure(String),
    Skipped(String),
}

fn pem_certs(pem: &str) -> Result<Vec<mtls_cert::Certificate>, String> {
    mtls_cert::parse_pem(pem.as_bytes()).map_err(|e| e.to_string())
}

/// The names the case expects the leaf to be valid for (`expected_peer_name` and
/// `expected_peer_names`), as SAN kinds; `Err` names a kind this harness cannot check.
fn peer_names(case: &Case) -> Result<Vec<(SanKind, &str)>, String> {
    case.expected_peer_name
        .iter()
        .chain(&case.expected_peer_names)
        .map(|p| {
            let kind = match p.kind.as_str() {
                "DNS" => SanKind::Dns,
                "IP" => SanKind::Ip,
                "RFC822" => SanKind::Email,
                other => return Err(format!("peer name kind {other} unsupported")),
            };
            Ok((kind, p.value.as_str()))
        })
        .collect()
}

fn run_case(case: &Case) -> Outcome {
    if let Some(features) = &case.features {
        for (feature, why) in UNSUPPORTED_FEATURES {
            if features.iter().any(|f| f == feature) {
                return Outcome::Skipped(format!("{feature}: {why}"));
            }
        }
    }
    if !case.signature_algorithms.is_empty() {
        return Outcome::Skipped("signature algorithm restrictions are not expressible".into());
    }
    let names = match peer_names(case) {
        Ok(n) => n,
        Err(e) => return Outcome::Skipped(e),
    };
    // A SERVER case is validated for serverAuth; a single DNS or IP peer name goes through
    // the validator's own name check (as the gateway's upstream TLS does), any other
    // expected names are checked against the leaf's SANs afterwards.
    let purpose = match (
        case.validation_kind.as_str(),
        case.expected_peer_name.as_ref(),
    ) {
        ("CLIENT", _) => Purpose::Client,
        ("SERVER", Some(p)) if p.kind == "DNS" || p.kind == "IP" => Purpose::Server {
            name: p.value.clone(),
        },
        ("SERVER", _) => Purpose::ServerAuth,
        (other, _) => return Outcome::Skipped(format!("validation kind {other}")),
    };
    let wanted_eku = if purpose.is_server() {
        "serverAuth"
    } else {
        "clientAuth"
    };
    if case.extended_key_usage.iter().any(|e| e != wanted_eku) {
        return Outcome::Skipped(format!(
            "EKU {:?} differs from the purpose's",
            case.extended_key_usage
        ));
    }
    let at = match case.validation_time.as_deref() {
        None => UnixTime::now(),
        Some(t) => match crate::verify::parse_time(t) {
            Ok(t) => t,
            Err(e) => return Outcome::Skipped(e),
        },
    };
    // A depth beyond u8 is deeper than any path the validator builds: no extra limit.
    let max_depth = case
        .max_chain_depth
        .map(u8::try_from)
        .transpose()
        .unwrap_or_default();

    let mut anchors = Vec::new();
    for pem in &case.trusted_certs {
        match pem_certs(pem) {
            Ok(certs) => anchors.extend(
                certs
                    .into_iter()
                    .map(|c| CaCertificate::trusted(uuid::Uuid::new_v4(), c)),
            ),
            Err(e) => return Outcome::Failure(format!("trusted certificate unreadable: {e}")),
        }
    }
    let set = match CaSet::new(anchors) {
        Ok(s) => s,
        Err(e) => return Outcome::Failure(format!("trust store refused: {e}")),
    };
    let leaf = match pem_certs(&case.peer_certificate) {
        Ok(mut c) if !c.is_empty() => c.remove(0),
        Ok(_) => return Outcome::Failure("no peer certificate".into()),
        Err(e) => return Outcome::Failure(format!("peer certificate unreadable: {e}")),
    };
    let mut presented: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
    let mut dropped = 0;
    for pem in &case.untrusted_intermediates {
        match pem_certs(pem) {
            Ok(certs) => presented.extend(certs.iter().map(|c| c.der().clone())),
            Err(_) => dropped += 1,
        }
    }
    let crls = if case.crls.is_empty() {
        None
    } else {
        let refs: Vec<&[u8]> = case.crls.iter().map(|c| c.as_bytes()).collect();
        match CrlSet::load_strict(&refs, &set) {
            Ok(c) => Some(c),
            Err(e) => return Outcome::Failure(format!("CRL refused: {e}")),
        }
    };
    let mut options = ValidationOptions::default()
        .with_partial_chain(true)
        .with_strict(true)
        .with_max_depth(max_depth);
    options.purpose = purpose;
    let note = if dropped > 0 {
        format!(" ({dropped} unreadable intermediates ignored)")
    } else {
        String::new()
    };
    let chain = match validate_chain(&presented, &set, &options, at) {
        Ok(chain) => chain,
        Err(e) => return Outcome::Failure(format!("{}: {e}{note}", e.kind())),
    };
    if let Some((kind, name)) = names
        .iter()
        .find(|(kind, name)| !chain.leaf().is_valid_for(*kind, name))
    {
        return Outcome::Failure(format!(
            "name_mismatch: the leaf is not valid for {} {name}",
            kind.as_str()
        ));
    }
    match crls.map(|c| c.check(&chain, RevocationScope::Chain, at)) {
        None | Some(RevocationStatus::Good) => Outcome::Success(format!(
            "anchored by {}{note}",
            chain.anchor().cert_digest()
        )),
        Some(status) => Outcome::Failure(format!("revocation: {status:?}")),
    }
}

/// Reads the exceptions file: `(suite, id) -> expected actual result`.
fn read_exceptions(path: &Path, suite: &str) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(s), Some(id), Some(actual), Some(_reason)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(format!(
                "{}:{}: want `SUITE ID ACTUAL reason`",
                path.display(),
                n + 1
            ));
        };
        if s == suite {
            out.insert(id.to_owned(), actual.to_owned());
        }
    }
    Ok(out)
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("mtls limbo: cannot read stdin: {e}");
        return ExitCode::from(2);
    }
    let suite: Suite = match serde_json::from_str(&input) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mtls limbo: not a limbo test file: {e}");
            return ExitCode::from(2);
        }
    };
    let exceptions = match (&args.exceptions, &args.suite) {
        (Some(path), Some(name)) => match read_exceptions(path, name) {
            Ok(e) => Some(e),
            Err(e) => {
                eprintln!("mtls limbo: {e}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut results = Vec::new();
    let mut divergences = BTreeMap::new();
    for case in &suite.testcases {
        let (actual, context) = match run_case(case) {
            Outcome::Success(c) => ("SUCCESS", c),
            Outcome::Failure(c) => ("FAILURE", c),
            Outcome::Skipped(c) => ("SKIPPED", c),
        };
        if actual == "SKIPPED" {
            skipped += 1;
        } else if actual == case.expected_result {
            passed += 1;
        } else {
            failed += 1;
            divergences.insert(case.id.clone(), (actual, context.clone()));
        }
        results.push(json!({"id": case.id, "actual_result": actual, "context": context}));
    }
    let out = json!({"version": 1, "harness": "mtls", "results": results});
    println!("{out}");
    eprintln!("{passed} passed, {failed} failed, {skipped} skipped");

    let Some(exceptions) = exceptions else {
        return ExitCode::SUCCESS;
    };
    let mut bad = 0;
    for (id, (actual, context)) in &divergences {
        if exceptions.get(id).map(String::as_str) != Some(*actual) {
            eprintln!("unexpected divergence: {id}: {actual}: {context}");
            bad += 1;
        }
    }
    for (id, listed) in &exceptions {
        if divergences.get(id).map(|(a, _)| *a) != Some(listed.as_str()) {
            eprintln!("listed exception no longer reproduces (remove it): {id} {listed}");
            bad += 1;
        }
    }
    if bad > 0 {
        eprintln!("conformance: {bad} result(s) neither expected nor listed");
        ExitCode::from(1)
    } else {
        eprintln!(
            "conformance: every divergence is listed ({} listed)",
            exceptions.len()
        );
        ExitCode::SUCCESS
    }
}
