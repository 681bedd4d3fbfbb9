//! PEM files on disk: [`write_file`] (keys readable by their owner only), [`Pair`] (a
//! certificate chain and key written as `NAME.crt` / `NAME.key`), and [`TempDir`].

use std::path::{Path, PathBuf};

use pki_types::CertificateDer;

use crate::Node;

/// Writes `text` to `path`; with `secret`, readable by its owner only (mode 0600).
pub fn write_file(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if secret {
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A certificate chain and its key, with where they were written.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The chain a client or server sends, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The chain as PEM (leaf first).
    pub chain_pem: String,
    /// The key as PEM.
    pub key_pem: String,
    /// `NAME.crt`.
    pub cert_path: PathBuf,
    /// `NAME.key`.
    pub key_path: PathBuf,
}

impl Node {
    /// Writes [`Node::chain_pem`] to `dir/NAME.crt` and the key to `dir/NAME.key` (0600).
    pub fn save(&self, dir: &Path, name: &str) -> Result<Pair, String> {
        let pair = Pair {
            chain: self.chain(),
            key_der: self.key_pair().serialize_der(),
            chain_pem: self.chain_pem(),
            key_pem: self.key_pem(),
            cert_path: dir.join(format!("{name}.crt")),
            key_path: dir.join(format!("{name}.key")),
        };
        write_file(&pair.cert_path, &pair.chain_pem, false)?;
        write_file(&pair.key_path, &pair.key_pem, true)?;
        Ok(pair)
    }
}

/// A temporary directory under the system's, unique to this process and moment, removed on
/// drop.
///
/// ```
/// let dir = mtls_test_pki::TempDir::new("doc");
/// let path = dir.write("a.txt", "hello");
/// assert_eq!(std::fs::read_to_string(path).unwrap(), "hello");
/// ```
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `$TMPDIR/mtls-NAME-PID-NANOS`, created.
    ///
    /// # Panics
    /// If it cannot be created.
    #[allow(clippy::expect_used)]
    pub fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("mtls-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creates the temporary directory");
        Self(dir)
    }

    /// Writes `dir/NAME`; returns its path.
    ///
    /// # Panics
    /// If it cannot be written.
    #[allow(clippy::expect_used)]
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("writes the file");
        path
    }

    /// [`Self::write`], the path as a command-line argument.
    pub fn write_arg(&self, name: &str, text: &str) -> String {
        self.write(name, text).to_string_lossy().into_owned()
    }

    /// Writes `node`'s chain to `dir/NAME.crt` and its key to `dir/NAME.key`; returns their
    /// paths.
    ///
    /// # Panics
    /// If they cannot be written.
    #[allow(clippy::expect_used)]
    pub fn save(&self, node: &Node, name: &str) -> (PathBuf, PathBuf) {
        let pair = node.save(&self.0, name).expect("writes the chain and key");
        (pair.cert_path, pair.key_path)
    }

    /// `dir/NAME` (not created).
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
