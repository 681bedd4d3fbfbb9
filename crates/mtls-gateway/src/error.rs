//! The gateway's errors.

/// A TLS configuration that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A server certificate or its key could not be used.
    #[error("server certificate: {0}")]
    ServerCertificate(String),
    /// A client certificate (upstream mTLS) or its key could not be used.
    #[error("client certificate: {0}")]
    ClientCertificate(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
    /// An SNI map entry names a CA id that is not in the CA store.
    #[error("SNI entry {entry} names CA {ca_id}, which is not in the CA store")]
    UnknownCa {
        /// The SNI map entry (`*`, an exact name, `.suffix` or `prefix.`).
        entry: String,
        /// The missing CA id.
        ca_id: uuid::Uuid,
    },
}
