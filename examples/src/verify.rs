//! `mtls verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{
    CaCertificate, CaSet, CrlSet, Purpose, RevocationScope, RevocationStatus, ValidationOptions,
    validate_chain,
};
use serde_json::json;

/// Client or server certificate.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum PurposeArg {
    /// A TLS client certificate (EKU clientAuth).
    Client,
    /// A TLS server certificate (EKU serverAuth and --name).
    Server,
}

/// Arguments of `mtls verify`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Trusted CA certificates (PEM or DER; a file may hold several).
    #[arg(long, required = true, num_args = 1..)]
    ca: Vec<PathBuf>,
    /// Extra intermediates, appended after those of --cert.
    #[arg(long, num_args = 1..)]
    intermediate: Vec<PathBuf>,
    /// The chain: the leaf first, then untrusted intermediates in any order (extras allowed;
    /// at most 64 certificates with --intermediate).
    #[arg(long)]
    cert: PathBuf,
    /// Validation time (RFC 3339); default now.
    #[arg(long)]
    at: Option<String>,
    /// Let any CA (also an intermediate) anchor the path (Kong's allow_partial_chain).
    #[arg(long)]
    allow_partial_chain: bool,
    /// Most intermediate CA certificates between leaf and anchor (nginx ssl_verify_depth).
    #[arg(long)]
    max_depth: Option<u8>,
    /// Do not check extended key usage (Kong's behaviour).
    #[arg(long)]
    no_eku_check: bool,
    /// What the leaf is validated for.
    #[arg(long, value_enum, default_value = "client")]
    purpose: PurposeArg,
    /// The server name (DNS or IP) for --purpose server.
    #[arg(long)]
    name: Option<String>,
    /// CRLs (PEM or DER) to check the leaf against; a revoked or unknown status is invalid.
    #[arg(long, num_args = 1..)]
    crl: Vec<PathBuf>,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("mtls verify: {message}");
    ExitCode::from(2)
}

fn read_certs(path: &Path) -> Result<Vec<mtls_cert::Certificate>, String> {
    let bytes = crate::read_file(path)?;
    mtls_cert::parse_any(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn parse_time(text: &str) -> Result<UnixTime, String> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("--at {text}: not an RFC 3339 time: {e}"))?;
    let secs =
        u64::try_from(t.unix_timestamp()).map_err(|_| format!("--at {text}: before 1970"))?;
    Ok(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        secs,
    )))
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let at = match args.at.as_deref().map(parse_time).transpose() {
        Ok(t) => t.unwrap_or_else(UnixTime::now),
        Err(e) => return usage(e),
    };
    let mut cas = Vec::new();
    for path in &args.ca {
        match read_certs(path) {
            Ok(certs) => cas.extend(
                certs
                    .into_iter()
                    .map(|c| CaCertificate::trusted(uuid::Uuid::new_v4(), c)),
            ),
            Err(e) => return usage(e),
        }
    }
    let set = match CaSet::new(cas) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let mut presented: Vec<CertificateDer<'static>> = Vec::new();
    for path in std::iter::once(&args.cert).chain(&args.intermediate) {
        match read_certs(path) {
            Ok(certs) => presented.extend(certs.iter().map(|c| c.der().clone())),
            Err(e) => return usage(e),
        }
    }
    let purpose = match (args.purpose, &args.name) {
        (PurposeArg::Client, None) => Purpose::Client,
        (PurposeArg::Client, Some(_)) => return usage("--name needs --purpose server"),
        (PurposeArg::Server, Some(name)) => Purpose::Server { name: name.clone() },
        (PurposeArg::Server, None) => return usage("--purpose server needs --name"),
    };
    let mut options = ValidationOptions::default()
        .with_partial_chain(args.allow_partial_chain)
        .with_eku_check(!args.no_eku_check)
        .with_max_depth(args.max_depth);
    options.purpose = purpose;
    let crls = if args.crl.is_empty() {
        None
    } else {
        let mut inputs = Vec::new();
        for path in &args.crl {
            match crate::read_file(path) {
                Ok(b) => inputs.push(b),
                Err(e) => return usage(e),
            }
        }
        let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
        match CrlSet::load(&refs, &set) {
            Ok(c) => Some(c),
            Err(e) => return usage(e),
        }
    };

    let verdict = validate_chain(&presented, &set, &options, at).and_then(|chain| {
        match crls
            .as_ref()
            .map(|c| c.check(&chain, RevocationScope::Leaf, at))
        {
            None | Some(RevocationStatus::Good) => Ok(chain),
            Some(RevocationStatus::Revoked {
                what,
                subject,
                serial,
                ..
            }) => Err(mtls_cert::ValidationError::Revoked {
                what,
                subject,
                serial,
            }),
            Some(RevocationStatus::Unknown {
                what,
                subject,
                reason,
            }) => Err(mtls_cert::ValidationError::RevocationUnknown {
                what,
                subject,
                reason,
            }),
            Some(other) => Err(mtls_cert::ValidationError::Other {
                detail: format!("{other:?}"),
            }),
        }
    });
    let (out, code) = match verdict {
        Ok(chain) => (
            json!({
                "valid": true,
                "error": null,
                "detail": "ok",
                "anchor_sha256": chain.anchor().cert_digest(),
                "path": chain.path().iter().map(|c| c.subject_dn()).collect::<Vec<_>>(),
            }),
            ExitCode::SUCCESS,
        ),
        Err(e) => (
            json!({
                "valid": false,
                "error": e.kind(),
                "detail": e.to_string(),
                "anchor_sha256": null,
                "path": [],
            }),
            ExitCode::from(1),
        ),
    };
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    code
}
