//! What matching decided: [`Outcome`], and for failures the client-facing [`Rejection`] kept
//! apart from the internal [`FailureReason`].

use std::borrow::Cow;
use std::sync::Arc;

use uuid::Uuid;

use crate::consumer::Consumer;
use crate::error::StoreError;
use crate::identity::SubjectNames;

/// What Kong answers a client, exactly: status code and message. Nothing else from a failure
/// ever reaches a response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// 401 "No required TLS certificate was sent" (mtls-auth, no certificate).
    NoCertificate,
    /// 401 "No required TLS certificate header was sent" (header-cert-auth, no header).
    NoCertificateHeader,
    /// 403 "Forbidden" (header-cert-auth, `secure_source` and an untrusted peer).
    Forbidden,
    /// 401 "CA Certificate (cert_digest: <hex>) does not exist" (no `ca_certificates` entity
    /// for the chain's anchor).
    CaCertificateNotFound {
        /// Lowercase hex SHA-256 of the anchor's DER.
        cert_digest: Arc<str>,
    },
    /// 401 "TLS certificate failed verification": untrusted, expired, revoked, or no consumer.
    CertificateFailedVerification,
    /// 401 "Certificate missing Common Name" (`skip_consumer_lookup`, CN groups, no CN).
    MissingCommonName,
    /// 401 "Certificate missing Subject DN" (header-cert-auth, `skip_consumer_lookup`, DN
    /// groups, empty DN).
    MissingSubjectDn,
    /// 401 "Unauthorized" (`default_consumer` configured but absent).
    Unauthorized,
    /// 500 "anonymous consumer <value> is configured but doesn't exist".
    AnonymousNotFound {
        /// The configured `anonymous` value, as written.
        anonymous: Arc<str>,
    },
    /// 500 "An unexpected error occurred" (a store could not answer).
    UnexpectedError,
    /// 403 "You cannot consume this service" (ACL).
    CannotConsumeService,
}

impl Rejection {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::NoCertificate
            | Self::NoCertificateHeader
            | Self::CaCertificateNotFound { .. }
            | Self::CertificateFailedVerification
            | Self::MissingCommonName
            | Self::MissingSubjectDn
            | Self::Unauthorized => 401,
            Self::Forbidden | Self::CannotConsumeService => 403,
            Self::AnonymousNotFound { .. } | Self::UnexpectedError => 500,
        }
    }

    /// The message, as Kong writes it.
    pub fn message(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::NoCertificate => "No required TLS certificate was sent",
            Self::NoCertificateHeader => "No required TLS certificate header was sent",
            Self::Forbidden => "Forbidden",
            Self::CaCertificateNotFound { cert_digest } => {
                return Cow::Owned(format!(
                    "CA Certificate (cert_digest: {cert_digest}) does not exist"
                ));
            }
            Self::CertificateFailedVerification => "TLS certificate failed verification",
            Self::MissingCommonName => "Certificate missing Common Name",
            Self::MissingSubjectDn => "Certificate missing Subject DN",
            Self::Unauthorized => "Unauthorized",
            Self::AnonymousNotFound { anonymous } => {
                return Cow::Owned(format!(
                    "anonymous consumer {anonymous} is configured but doesn't exist"
                ));
            }
            Self::UnexpectedError => "An unexpected error occurred",
            Self::CannotConsumeService => "You cannot consume this service",
        })
    }

    /// The JSON body Kong sends: `{"message":"..."}`, escaped.
    pub fn body(&self) -> String {
        let message = self.message();
        let mut body = String::with_capacity(message.len() + 14);
        body.push_str(r#"{"message":""#);
        for c in message.chars() {
            match c {
                '"' => body.push_str("\\\""),
                '\\' => body.push_str("\\\\"),
                '\n' => body.push_str("\\n"),
                '\r' => body.push_str("\\r"),
                '\t' => body.push_str("\\t"),
                c if u32::from(c) < 0x20 => {
                    body.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
                c => body.push(c),
            }
        }
        body.push_str("\"}");
        body
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status(), self.message())
    }
}

/// Why authentication failed in a way that lets `anonymous` take over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFailure {
    /// No credential and no consumer matched any subject name, and there is no
    /// `default_consumer`.
    #[error(
        "no credential{} and no consumer{} matched any of the {subject_names} subject names",
        match .ca_id { Some(ca) => format!(" (anchor CA {ca} or none)"), None => " (without CA; anchor CA unknown)".to_owned() },
        if *.consumer_by_disabled { " (consumer_by is empty)" } else { "" }
    )]
    NoMatch {
        /// How many subject names were tried.
        subject_names: usize,
        /// The anchor CA the credentials were tried with.
        ca_id: Option<Uuid>,
        /// Whether `consumer_by` was empty (no username / custom_id matching).
        consumer_by_disabled: bool,
    },
    /// `skip_consumer_lookup` with CN groups, and the certificate has no CN.
    #[error("authenticated_group_by is CN and the certificate has no common name")]
    MissingCommonName,
    /// header-cert-auth, `skip_consumer_lookup` with DN groups, and the subject DN is empty.
    #[error("authenticated_group_by is DN and the certificate's subject DN is empty")]
    MissingSubjectDn,
    /// mtls-auth: no client certificate (plain HTTP, none sent, or a resumed session
    /// without one).
    #[error("no client certificate was presented")]
    NoCertificate,
    /// header-cert-auth: the configured header is absent.
    #[error("the certificate header is absent")]
    NoCertificateHeader,
    /// The certificate was read but refused before matching (chain validation, revocation,
    /// an undecodable header); the gateway logs the precise reason itself.
    #[error("the client certificate was refused before consumer matching")]
    CertificateRejected,
    /// No `ca_certificates` entity has the digest of the chain's anchor.
    #[error("no ca_certificates entity has the anchor's digest")]
    CaCertificateNotFound {
        /// SHA-256 of the anchor certificate's DER.
        cert_digest: [u8; 32],
    },
}

impl AuthFailure {
    /// What the client is told when no anonymous consumer takes over.
    pub fn rejection(&self) -> Rejection {
        match self {
            Self::NoMatch { .. } => Rejection::CertificateFailedVerification,
            Self::MissingCommonName => Rejection::MissingCommonName,
            Self::MissingSubjectDn => Rejection::MissingSubjectDn,
            Self::NoCertificate => Rejection::NoCertificate,
            Self::NoCertificateHeader => Rejection::NoCertificateHeader,
            Self::CertificateRejected => Rejection::CertificateFailedVerification,
            Self::CaCertificateNotFound { cert_digest } => {
                let mut hex = String::with_capacity(64);
                for b in cert_digest {
                    hex.push_str(&format!("{b:02x}"));
                }
                Rejection::CaCertificateNotFound {
                    cert_digest: Arc::from(hex),
                }
            }
        }
    }
}

/// The precise, internal reason a request failed: for the log and diagnostics, never for the
/// client.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FailureReason {
    /// Authentication failed and no `anonymous` consumer is configured.
    #[error(transparent)]
    Authentication(AuthFailure),
    /// `default_consumer` is configured, no consumer has that id or username.
    #[error("default_consumer {default_consumer:?} does not exist (no anonymous fallback)")]
    DefaultConsumerNotFound {
        /// The configured value.
        default_consumer: Arc<str>,
    },
    /// Authentication failed and the `anonymous` consumer does not exist.
    #[error("{cause}; and anonymous consumer {anonymous:?} does not exist")]
    AnonymousNotFound {
        /// The configured value.
        anonymous: Arc<str>,
        /// Why authentication failed.
        cause: AuthFailure,
    },
    /// The store could not answer.
    #[error("consumer store error: {0}")]
    Store(#[from] StoreError),
}

/// A failed request: what the client is told, and the internal reason, kept apart.
#[derive(Clone, Debug)]
pub struct Failure {
    rejection: Rejection,
    reason: FailureReason,
}

impl Failure {
    pub(crate) fn new(rejection: Rejection, reason: FailureReason) -> Self {
        Self { rejection, reason }
    }

    /// The status and message for the client.
    pub fn rejection(&self) -> &Rejection {
        &self.rejection
    }

    /// The internal reason, for the log only.
    pub fn reason(&self) -> &FailureReason {
        &self.reason
    }
}

impl std::fmt::Display for Failure {
    /// The log line: the response, then the reason.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.rejection, self.reason)
    }
}

/// How a consumer was found (each variant is one rule of Kong's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FoundBy {
    /// A manual mapping tied to the anchor CA.
    CredentialWithCa {
        /// The credential's id.
        credential_id: Uuid,
        /// The position of the matching name in the subject names.
        name_index: usize,
    },
    /// A manual mapping without CA.
    CredentialWithoutCa {
        /// The credential's id.
        credential_id: Uuid,
        /// The position of the matching name in the subject names.
        name_index: usize,
    },
    /// A consumer whose username equals a subject name.
    Username {
        /// The position of the matching name in the subject names.
        name_index: usize,
    },
    /// A consumer whose custom_id equals a subject name.
    CustomId {
        /// The position of the matching name in the subject names.
        name_index: usize,
    },
    /// `default_consumer`.
    DefaultConsumer,
}

impl FoundBy {
    /// The matching credential's id, for mappings.
    pub fn credential_id(&self) -> Option<Uuid> {
        match self {
            Self::CredentialWithCa { credential_id, .. }
            | Self::CredentialWithoutCa { credential_id, .. } => Some(*credential_id),
            Self::Username { .. } | Self::CustomId { .. } | Self::DefaultConsumer => None,
        }
    }

    /// The position of the matching subject name, except for `default_consumer`.
    pub fn name_index(&self) -> Option<usize> {
        match self {
            Self::CredentialWithCa { name_index, .. }
            | Self::CredentialWithoutCa { name_index, .. }
            | Self::Username { name_index }
            | Self::CustomId { name_index } => Some(*name_index),
            Self::DefaultConsumer => None,
        }
    }
}

/// The certificate facts sent upstream as `X-Client-Cert-DN` and `X-Client-Cert-SAN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientCert<'a> {
    /// The subject DN, as the plugin renders it.
    pub subject_dn: &'a str,
    /// The subject names (SANs, then the first CN).
    pub subject_names: SubjectNames<'a>,
}

impl ClientCert<'_> {
    /// The `X-Client-Cert-DN` value.
    pub fn dn_header_value(&self) -> &str {
        self.subject_dn
    }

    /// The `X-Client-Cert-SAN` value: the names joined by ",".
    pub fn san_header_value(&self) -> String {
        self.subject_names.join(",")
    }
}

/// What consumer matching decided for one request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// A consumer was identified.
    Consumer {
        /// The consumer.
        consumer: Arc<Consumer>,
        /// Which rule found it.
        found_by: FoundBy,
        /// The certificate headers to send: set for `default_consumer` only, as Kong does.
        client_cert: Option<ClientCert<'a>>,
    },
    /// Authentication failed and the `anonymous` consumer took over.
    Anonymous {
        /// The anonymous consumer.
        consumer: Arc<Consumer>,
        /// Why authentication failed (for the log).
        reason: AuthFailure,
    },
    /// `skip_consumer_lookup`: the certificate is accepted without a consumer.
    SkipLookup {
        /// The authenticated group (the CN or the DN), or none with
        /// `authenticated_group_by = null`.
        authenticated_group: Option<&'a str>,
        /// The certificate headers to send.
        client_cert: ClientCert<'a>,
    },
    /// The request is refused.
    Failed(Failure),
}

impl Outcome<'_> {
    /// The identified or anonymous consumer, if any.
    pub fn consumer(&self) -> Option<&Arc<Consumer>> {
        match self {
            Self::Consumer { consumer, .. } | Self::Anonymous { consumer, .. } => Some(consumer),
            Self::SkipLookup { .. } | Self::Failed(_) => None,
        }
    }

    /// The failure, if the request is refused.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Self::Failed(failure) => Some(failure),
            Self::Consumer { .. } | Self::Anonymous { .. } | Self::SkipLookup { .. } => None,
        }
    }

    /// Whether the request goes on (a consumer, the anonymous consumer, or skip-lookup).
    pub fn is_accepted(&self) -> bool {
        self.failure().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_statuses() {
        let cases: [(Rejection, u16, &str); 11] = [
            (
                Rejection::NoCertificate,
                401,
                "No required TLS certificate was sent",
            ),
            (
                Rejection::NoCertificateHeader,
                401,
                "No required TLS certificate header was sent",
            ),
            (Rejection::Forbidden, 403, "Forbidden"),
            (
                Rejection::CaCertificateNotFound {
                    cert_digest: "ab01".into(),
                },
                401,
                "CA Certificate (cert_digest: ab01) does not exist",
            ),
            (
                Rejection::CertificateFailedVerification,
                401,
                "TLS certificate failed verification",
            ),
            (
                Rejection::MissingCommonName,
                401,
                "Certificate missing Common Name",
            ),
            (
                Rejection::MissingSubjectDn,
                401,
                "Certificate missing Subject DN",
            ),
            (Rejection::Unauthorized, 401, "Unauthorized"),
            (
                Rejection::AnonymousNotFound {
                    anonymous: "ghost".into(),
                },
                500,
                "anonymous consumer ghost is configured but doesn't exist",
            ),
            (
                Rejection::UnexpectedError,
                500,
                "An unexpected error occurred",
            ),
            (
                Rejection::CannotConsumeService,
                403,
                "You cannot consume this service",
            ),
        ];
        for (rejection, status, message) in cases {
            assert_eq!(rejection.status(), status, "{rejection:?}");
            assert_eq!(rejection.message(), message, "{rejection:?}");
        }
    }

    #[test]
    fn body_is_escaped_json() {
        let r = Rejection::AnonymousNotFound {
            anonymous: "a\"b\\c\n\u{1}".into(),
        };
        assert_eq!(
            r.body(),
            r#"{"message":"anonymous consumer a\"b\\c\n\u0001 is configured but doesn't exist"}"#
        );
        assert_eq!(
            Rejection::Unauthorized.body(),
            r#"{"message":"Unauthorized"}"#
        );
    }

    #[test]
    fn reason_never_in_message() {
        let failure = Failure::new(
            Rejection::CertificateFailedVerification,
            FailureReason::Authentication(AuthFailure::NoMatch {
                subject_names: 3,
                ca_id: None,
                consumer_by_disabled: true,
            }),
        );
        assert_eq!(
            failure.rejection().body(),
            r#"{"message":"TLS certificate failed verification"}"#
        );
        let log = failure.to_string();
        assert!(log.contains("3 subject names"), "{log}");
        assert!(log.contains("consumer_by is empty"), "{log}");
    }
}
