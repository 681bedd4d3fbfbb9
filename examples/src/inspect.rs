//! `mtls inspect FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use mtls_cert::{Certificate, rfc3339};
use serde_json::{Value, json};

/// Arguments of `mtls inspect`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A PEM (one or many CERTIFICATE blocks) or DER file.
    file: PathBuf,
}

/// The JSON object describing one certificate (a stable public interface).
pub(crate) fn describe(cert: &Certificate) -> Value {
    json!({
        "subject_dn": cert.subject_dn(),
        "issuer_dn": cert.issuer_dn(),
        "subject_dn_slash": cert.subject_dn_slash(),
        "common_name": cert.common_name(),
        "serial": cert.serial(),
        "sha256": cert.sha256_hex(),
        "sha1": cert.sha1_hex(),
        "not_before": rfc3339(cert.not_before()),
        "not_after": rfc3339(cert.not_after()),
        "is_ca": cert.is_ca(),
        "sans": cert.sans().iter().map(|s| json!({"type": s.kind.as_str(), "value": s.value}))
            .collect::<Vec<_>>(),
        "subject_names": cert.subject_names(),
    })
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let bytes = match crate::read_file(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("mtls inspect: {e}");
            return ExitCode::from(2);
        }
    };
    let certs = match mtls_cert::parse_any(&bytes) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mtls inspect: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let out = match certs.as_slice() {
        [one] => describe(one),
        many => Value::Array(many.iter().map(describe).collect()),
    };
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    ExitCode::SUCCESS
}
