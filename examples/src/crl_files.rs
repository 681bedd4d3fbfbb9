//! `--crl FILE`: CRLs from files (DER or PEM), for offline deployments. They are consulted
//! before OCSP and CRL fetching; each is verified against the configuration's CA
//! certificates when its issuer is one of them (on first use otherwise).

use std::path::PathBuf;

use mtls_cert::{CaSet, CrlSet};
use mtls_kong_config::Config;

/// Reads and loads `paths` against `config`'s CA certificates. The error names the file.
pub(crate) fn load(paths: &[PathBuf], config: &Config) -> Result<CrlSet, String> {
    if paths.is_empty() {
        return Ok(CrlSet::default());
    }
    let cas =
        CaSet::new(config.trust_store().to_vec()).map_err(|e| format!("CA certificates: {e}"))?;
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        inputs.push(bytes);
    }
    let all: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    CrlSet::load(&all, &cas).map_err(|e| {
        // Name the file: the first one that fails on its own.
        paths
            .iter()
            .zip(&all)
            .find_map(|(path, bytes)| {
                CrlSet::load(&[bytes], &cas)
                    .err()
                    .map(|e| format!("{}: {e}", path.display()))
            })
            .unwrap_or_else(|| e.to_string())
    })
}
