//! Errors: [`HeaderError`] is the precise internal reason a forwarded certificate header was
//! refused (for logs and `mtls check`), [`Rejection`] the client-facing answer (Kong's exact
//! status and message). [`Refusal`] carries both, and only [`Refusal::rejection`] may reach a
//! response: no reason text can leak to a client by accident.

use std::fmt;
use std::net::IpAddr;

use crate::HeaderFormat;

/// What is wrong with the DER of one certificate, found before (and more precisely than) the
/// X.509 parse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DerProblem {
    /// No bytes at all.
    Empty,
    /// The element at `offset` has tag `tag` where `expected` was required.
    UnexpectedTag {
        /// Byte offset of the tag in the certificate's DER.
        offset: usize,
        /// The tag found.
        tag: u8,
        /// What the position requires (`SEQUENCE`, `BIT STRING`).
        expected: &'static str,
    },
    /// A length is encoded in more octets than needed (BER, not DER), or uses the indefinite
    /// form. A non-minimal outer length still verifies but changes every fingerprint.
    NonMinimalLength {
        /// Byte offset of the length octets.
        offset: usize,
    },
    /// An element declares more content than the input holds.
    Truncated {
        /// Byte offset of the element.
        offset: usize,
        /// Bytes its header declares.
        declared: usize,
        /// Bytes actually available.
        available: usize,
    },
    /// Bytes follow the outer `Certificate` SEQUENCE (or follow its three elements inside it).
    TrailingBytes {
        /// Byte offset of the first extra byte.
        offset: usize,
        /// How many extra bytes.
        count: usize,
    },
}

impl fmt::Display for DerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("no bytes"),
            Self::UnexpectedTag {
                offset,
                tag,
                expected,
            } => write!(f, "tag 0x{tag:02x} at offset {offset}, expected {expected}"),
            Self::NonMinimalLength { offset } => {
                write!(f, "length at offset {offset} is not in minimal DER form")
            }
            Self::Truncated {
                offset,
                declared,
                available,
            } => write!(
                f,
                "element at offset {offset} declares {declared} bytes but {available} remain (truncated)"
            ),
            Self::TrailingBytes { offset, count } => {
                write!(f, "{count} trailing bytes at offset {offset}")
            }
        }
    }
}

/// Why a base64 text did not decode (RFC 4648 section 4, standard alphabet, padded).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Base64Problem {
    /// A byte outside the standard alphabet (`-` and `_` are base64url, refused), or a `=`
    /// before the end.
    InvalidByte {
        /// Byte offset in the base64 text.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A length that no base64 text can have.
    InvalidLength {
        /// The length in symbols.
        length: usize,
    },
    /// The last symbol carries non-zero bits that decoding would drop (truncated or forged).
    InvalidLastSymbol {
        /// Byte offset in the base64 text.
        offset: usize,
        /// The symbol.
        byte: u8,
    },
    /// Padding missing or wrong where the format requires it.
    InvalidPadding,
}

impl From<base64::DecodeError> for Base64Problem {
    fn from(e: base64::DecodeError) -> Self {
        match e {
            base64::DecodeError::InvalidByte(offset, byte) => Self::InvalidByte { offset, byte },
            base64::DecodeError::InvalidLength(length) => Self::InvalidLength { length },
            base64::DecodeError::InvalidLastSymbol { offset, symbol, .. } => {
                Self::InvalidLastSymbol {
                    offset,
                    byte: symbol,
                }
            }
            base64::DecodeError::InvalidPadding => Self::InvalidPadding,
        }
    }
}

impl fmt::Display for Base64Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidByte { offset, byte } => {
                write!(
                    f,
                    "byte 0x{byte:02x} at offset {offset} is not standard base64"
                )?;
                if matches!(byte, b'-' | b'_') {
                    f.write_str(" (base64url is not accepted)")?;
                }
                Ok(())
            }
            Self::InvalidLength { length } => write!(f, "invalid length {length}"),
            Self::InvalidLastSymbol { offset, byte } => write!(
                f,
                "last symbol 0x{byte:02x} at offset {offset} has non-zero unused bits"
            ),
            Self::InvalidPadding => f.write_str("missing or invalid `=` padding"),
        }
    }
}

/// Why a PEM text (after percent-decoding, or with spaces for line breaks) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemProblem {
    /// The text holds no PEM block at all.
    NoBlock,
    /// Something other than a `-----BEGIN ` line where a block must start (text before,
    /// between or after the blocks).
    ExpectedBegin,
    /// A BEGIN or END line is not closed by `-----`, or is not followed by a line break.
    MalformedBoundary,
    /// The END line's label differs from the BEGIN line's.
    EndLabelMismatch,
    /// A body line is empty or longer than 64 characters.
    BadLineLength {
        /// Its length.
        length: usize,
    },
    /// A byte that may not appear in a PEM body (whitespace inside a line, control bytes,
    /// `%` left by double encoding...).
    UnexpectedByte {
        /// The byte.
        byte: u8,
    },
    /// The input ends inside a block (no END line).
    Unterminated,
}

impl fmt::Display for PemProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoBlock => f.write_str("no PEM block"),
            Self::ExpectedBegin => f.write_str("expected a -----BEGIN line"),
            Self::MalformedBoundary => f.write_str("malformed BEGIN/END line"),
            Self::EndLabelMismatch => f.write_str("END label differs from BEGIN label"),
            Self::BadLineLength { length } => {
                write!(f, "body line of {length} characters (1 to 64 allowed)")
            }
            Self::UnexpectedByte { byte } => write!(f, "unexpected byte 0x{byte:02x}"),
            Self::Unterminated => f.write_str("no END line"),
        }
    }
}

/// A syntax error in an Envoy `x-forwarded-client-cert` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum XfccSyntax {
    /// An empty element (`,,`, or a `,` at the start or end).
    EmptyElement,
    /// An empty pair (`;;`, or a `;` at the start or end of an element).
    EmptyPair,
    /// A pair without `=`.
    MissingEquals,
    /// An empty key, or a key with characters other than letters, digits and `-`/`_`.
    BadKey,
    /// A double quote that does not open or close a whole value.
    MisplacedQuote,
    /// A quoted value that never ends.
    UnterminatedQuote,
}

impl fmt::Display for XfccSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptyElement => "empty element",
            Self::EmptyPair => "empty key=value pair",
            Self::MissingEquals => "pair without `=`",
            Self::BadKey => "empty or invalid key",
            Self::MisplacedQuote => "double quote inside an unquoted value",
            Self::UnterminatedQuote => "unterminated quoted value",
        })
    }
}

/// Why a forwarded certificate header was refused. Every variant names the format and where
/// the problem is (which header, which certificate, which offset, which limit). For logs and
/// diagnostics only: the client sees [`Rejection`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The configured header occurs on more than one field line (first- or last-wins would let
    /// a client-added line compete with the proxy's).
    #[error("{format}: header {header} occurs {count} times, only one field line is allowed")]
    DuplicateHeader {
        /// The format.
        format: HeaderFormat,
        /// The header name, as configured.
        header: String,
        /// How many field lines carry it.
        count: usize,
    },
    /// The request also carries a spelling of the configured name with `_` or `.` for `-`,
    /// which CGI-style frameworks merge with the real one (Traefik CVE-2026-39858).
    #[error("{format}: header {alias} is an alias spelling of the configured {header}")]
    AliasHeader {
        /// The format.
        format: HeaderFormat,
        /// The configured name.
        header: String,
        /// The alias as the request spelled it (lossy UTF-8).
        alias: String,
    },
    /// A field value is longer than [`Limits::max_value_len`](crate::Limits::max_value_len).
    #[error("{format}: header {header} is {size} bytes, over the limit of {limit}")]
    ValueTooLarge {
        /// The format.
        format: HeaderFormat,
        /// The header name.
        header: String,
        /// The value's size in bytes (all field lines together where several are allowed).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A control byte (CR, LF, NUL, ...; HTAB is allowed) or a byte >= 0x80 in a field value.
    #[error("{format}: header {header} has forbidden byte 0x{byte:02x} at offset {offset}")]
    ForbiddenByte {
        /// The format.
        format: HeaderFormat,
        /// The header name.
        header: String,
        /// Offset in the field line.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// More certificates than [`Limits::max_certificates`](crate::Limits::max_certificates).
    #[error("{format}: more than {limit} certificates")]
    TooManyCertificates {
        /// The format.
        format: HeaderFormat,
        /// The limit.
        limit: usize,
    },
    /// More XFCC elements than [`Limits::max_xfcc_elements`](crate::Limits::max_xfcc_elements).
    #[error("xfcc: more than {limit} elements")]
    TooManyElements {
        /// The limit.
        limit: usize,
    },
    /// A `%` not followed by two hex digits.
    #[error("{format}: bad percent escape at offset {offset}")]
    PercentEscape {
        /// The format.
        format: HeaderFormat,
        /// Offset of the `%` in the encoded text.
        offset: usize,
    },
    /// Base64 that is not strict RFC 4648 section 4.
    #[error("{format}: certificate {index}: base64: {problem}")]
    Base64 {
        /// The format.
        format: HeaderFormat,
        /// Position of the certificate (0 = leaf).
        index: usize,
        /// What is wrong.
        problem: Base64Problem,
    },
    /// A PEM text that is not a strict sequence of CERTIFICATE blocks.
    #[error("{format}: PEM block {index} at offset {offset}: {problem}")]
    Pem {
        /// The format.
        format: HeaderFormat,
        /// Position of the block (0 = first).
        index: usize,
        /// Offset in the decoded PEM text.
        offset: usize,
        /// What is wrong.
        problem: PemProblem,
    },
    /// A PEM block with a label other than `CERTIFICATE` (`X509 CERTIFICATE`, `PRIVATE KEY`).
    #[error("{format}: PEM block {index} is labelled {label:?}, not CERTIFICATE")]
    WrongPemLabel {
        /// The format.
        format: HeaderFormat,
        /// Position of the block.
        index: usize,
        /// The label found (lossy UTF-8).
        label: String,
    },
    /// A certificate's DER is not one minimal, complete `Certificate` SEQUENCE.
    #[error("{format}: certificate {index}: DER: {problem}")]
    Der {
        /// The format.
        format: HeaderFormat,
        /// Position of the certificate (0 = leaf).
        index: usize,
        /// What is wrong.
        problem: DerProblem,
    },
    /// A certificate's DER is well framed but not a valid X.509 certificate.
    #[error("{format}: {source}")]
    Certificate {
        /// The format.
        format: HeaderFormat,
        /// What the X.509 parser said (it names the certificate's position).
        source: mtls_cert::Error,
    },
    /// The leaf is a CA certificate.
    #[error("{format}: the leaf ({subject}) is a CA certificate")]
    LeafIsCa {
        /// The format.
        format: HeaderFormat,
        /// Its subject (RFC 2253).
        subject: String,
    },
    /// An RFC 9651 structured field that does not parse.
    #[error("rfc9440: header {header} is not a valid structured field: {detail}")]
    StructuredField {
        /// The header name.
        header: String,
        /// What the parser said (with its position).
        detail: String,
    },
    /// An RFC 9440 item (or chain member `index`) that is not a Byte Sequence.
    #[error("rfc9440: header {header} member {index} is {found}, not a Byte Sequence")]
    NotByteSequence {
        /// The header name.
        header: String,
        /// Position in the list (0 for `Client-Cert` itself).
        index: usize,
        /// What it is (`a string`, `a token`, `an inner list`, ...).
        found: &'static str,
    },
    /// `Client-Cert-Chain` without `Client-Cert`.
    #[error("rfc9440: {chain_header} present without {header}")]
    ChainWithoutLeaf {
        /// The leaf header name.
        header: String,
        /// The chain header name.
        chain_header: String,
    },
    /// An XFCC value that does not follow Envoy's grammar.
    #[error("xfcc: {syntax} at offset {offset} of field line {line}")]
    XfccSyntax {
        /// The field line (0 = first).
        line: usize,
        /// Offset in that line.
        offset: usize,
        /// What is wrong.
        syntax: XfccSyntax,
    },
    /// A key that may occur once per element occurs again (`Cert`, `Chain`, `Hash`,
    /// `Subject`): the signature of a forged pair smuggled in.
    #[error("xfcc: element {element} has key {key} more than once")]
    XfccDuplicateKey {
        /// The element (0 = first of the whole header).
        element: usize,
        /// The key, as it was written.
        key: String,
    },
    /// The element the direct proxy added has neither `Cert` nor `Chain`.
    #[error("xfcc: element {element} has neither Cert nor Chain")]
    XfccNoCertificate {
        /// The element.
        element: usize,
    },
    /// `Cert` holds more than one PEM block.
    #[error("xfcc: Cert holds {count} certificates, exactly one is allowed")]
    XfccCertNotSingle {
        /// How many blocks it holds.
        count: usize,
    },
    /// `Chain`'s first certificate is not `Cert`.
    #[error("xfcc: the first certificate of Chain is not Cert")]
    XfccChainLeafMismatch,
    /// `Hash` is not 64 hex digits.
    #[error("xfcc: Hash {value:?} is not a hex SHA-256")]
    XfccBadHash {
        /// The value.
        value: String,
    },
    /// `Hash` differs from the leaf's SHA-256.
    #[error("xfcc: Hash {claimed} differs from the certificate's SHA-256 {actual}")]
    XfccHashMismatch {
        /// The value of `Hash`.
        claimed: String,
        /// The leaf's SHA-256, lowercase hex.
        actual: String,
    },
}

impl HeaderError {
    /// A stable snake_case label for metrics and machine-readable output.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::DuplicateHeader { .. } => "duplicate_header",
            Self::AliasHeader { .. } => "alias_header",
            Self::ValueTooLarge { .. } => "value_too_large",
            Self::ForbiddenByte { .. } => "forbidden_byte",
            Self::TooManyCertificates { .. } => "too_many_certificates",
            Self::TooManyElements { .. } => "too_many_elements",
            Self::PercentEscape { .. } => "percent_escape",
            Self::Base64 { .. } => "base64",
            Self::Pem { .. } => "pem",
            Self::WrongPemLabel { .. } => "wrong_pem_label",
            Self::Der { .. } => "der",
            Self::Certificate { .. } => "certificate",
            Self::LeafIsCa { .. } => "leaf_is_ca",
            Self::StructuredField { .. } => "structured_field",
            Self::NotByteSequence { .. } => "not_byte_sequence",
            Self::ChainWithoutLeaf { .. } => "chain_without_leaf",
            Self::XfccSyntax { .. } => "xfcc_syntax",
            Self::XfccDuplicateKey { .. } => "xfcc_duplicate_key",
            Self::XfccNoCertificate { .. } => "xfcc_no_certificate",
            Self::XfccCertNotSingle { .. } => "xfcc_cert_not_single",
            Self::XfccChainLeafMismatch => "xfcc_chain_leaf_mismatch",
            Self::XfccBadHash { .. } => "xfcc_bad_hash",
            Self::XfccHashMismatch { .. } => "xfcc_hash_mismatch",
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A header name that is not an RFC 9110 token.
    #[error("invalid header name {name:?}")]
    InvalidHeaderName {
        /// The name given.
        name: String,
    },
    /// A `trusted_ips` entry that is neither an IP address nor a CIDR.
    #[error("trusted_ips entry {index} ({entry:?}) is not an IP address or CIDR")]
    InvalidTrustedIp {
        /// Its position in the list.
        index: usize,
        /// The entry.
        entry: String,
    },
    /// An unknown `certificate_header_format` value.
    #[error("unknown certificate_header_format {value:?}")]
    UnknownFormat {
        /// The value given.
        value: String,
    },
}

/// What the client is told: Kong's status and message, nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// 403 "Forbidden": `secure_source` is on and the peer is not in `trusted_ips`.
    Forbidden,
    /// 401 "No required TLS certificate header was sent": the header is absent (and no
    /// `anonymous` consumer takes over).
    NoCertificateHeader,
    /// 401 "TLS certificate failed verification": the header is present but unusable (and,
    /// later in the gateway, a certificate that does not validate).
    CertificateFailedVerification,
}

impl Rejection {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::Forbidden => 403,
            Self::NoCertificateHeader | Self::CertificateFailedVerification => 401,
        }
    }

    /// The message, as Kong writes it.
    pub fn message(&self) -> &'static str {
        match self {
            Self::Forbidden => "Forbidden",
            Self::NoCertificateHeader => "No required TLS certificate header was sent",
            Self::CertificateFailedVerification => "TLS certificate failed verification",
        }
    }

    /// The JSON body Kong sends: `{"message":"..."}`.
    pub fn body(&self) -> String {
        format!(r#"{{"message":"{}"}}"#, self.message())
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.message())
    }
}

/// The internal reason behind a [`Refusal`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// `secure_source` is on and the peer is not trusted; nothing was decoded.
    UntrustedPeer {
        /// The peer address, IPv4-mapped IPv6 normalised to IPv4.
        peer: IpAddr,
    },
    /// The configured header is absent (or holds the format's "no certificate" sentinel).
    Absent,
    /// The header is present but refused.
    Header(HeaderError),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UntrustedPeer { peer } => write!(f, "peer {peer} is not in trusted_ips"),
            Self::Absent => f.write_str("certificate header absent"),
            Self::Header(e) => e.fmt(f),
        }
    }
}

/// A request refused: the client-facing [`Rejection`] and the internal [`Reason`], kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    rejection: Rejection,
    reason: Reason,
}

impl Refusal {
    pub(crate) fn new(rejection: Rejection, reason: Reason) -> Self {
        Self { rejection, reason }
    }

    /// What to send to the client.
    pub fn rejection(&self) -> Rejection {
        self.rejection
    }

    /// Why, for the log. Never send this to the client.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }
}

/// For logs: the rejection and the reason. A response is built from
/// [`Refusal::rejection`] only.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.rejection, self.reason)
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            Reason::Header(e) => Some(e),
            Reason::UntrustedPeer { .. } | Reason::Absent => None,
        }
    }
}
