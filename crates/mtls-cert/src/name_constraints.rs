//! Name constraints (RFC 5280 section 4.2.1.10) for every name form a client or server
//! certificate carries: dNSName and iPAddress with rustls-webpki's rules, rfc822Name (a
//! mailbox, a host, or a domain with a leading period), URI (its host: a host, or a domain
//! with a leading period), and directoryName (an RDN prefix, compared as RFC 5280 section 7.1
//! says). The other forms (otherName, ediPartyName, registeredID) are not interpreted: a name
//! of such a form under a constraint of the same form fails, as RFC 5280 requires of a
//! constraint that is not processed.
//!
//! Each issuer's constraints apply to every certificate below it on the path, except to
//! self-issued intermediates (RFC 5280 section 6.1.3 (b)): the SANs, the subject (when not
//! empty) as a directoryName, and, when the certificate has no subjectAltName extension,
//! every emailAddress attribute of the subject as an rfc822Name.

use const_oid::db::rfc5280 as oids;
use der::Decode;
use x509_cert::ext::pkix::NameConstraints;
use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
use x509_cert::ext::pkix::name::GeneralName;

use crate::certificate::Certificate;
use crate::limits::MAX_NAME_CONSTRAINT_COMPARISONS;
use crate::name_match::{NormalizedName, email_addresses};

/// Why a path's names do not satisfy its constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A name is outside the permitted subtrees, inside an excluded one, or could not be
    /// judged (malformed name or constraint, a form that is not processed).
    Violation,
    /// More comparisons than [`MAX_NAME_CONSTRAINT_COMPARISONS`] (a denial-of-service guard).
    Budget,
}

/// The comparisons one validation may still make.
pub(crate) struct Budget(usize);

impl Default for Budget {
    fn default() -> Self {
        Self(MAX_NAME_CONSTRAINT_COMPARISONS)
    }
}

impl Budget {
    fn spend(&mut self) -> Result<(), Refusal> {
        self.0 = self.0.checked_sub(1).ok_or(Refusal::Budget)?;
        Ok(())
    }
}

/// One name of a certificate, as constraints see it.
enum Subject<'a> {
    San(&'a GeneralName),
    Dn(NormalizedName),
    Email(String),
}

/// The names of `cert` that constraints apply to.
fn names(cert: &Certificate) -> Vec<Subject<'_>> {
    let tbs = cert.x509().tbs_certificate();
    let mut out = Vec::new();
    let has_san = tbs
        .extensions()
        .is_some_and(|e| e.iter().any(|e| e.extn_id == oids::ID_CE_SUBJECT_ALT_NAME));
    out.extend(cert.general_names().iter().map(Subject::San));
    if !tbs.subject().is_empty() {
        out.push(Subject::Dn(NormalizedName::new(tbs.subject())));
    }
    if !has_san {
        out.extend(
            email_addresses(tbs.subject())
                .into_iter()
                .map(Subject::Email),
        );
    }
    out
}

/// The nameConstraints of `cert`, if it has one; a malformed one is a violation.
fn constraints_of(cert: &Certificate) -> Result<Option<NameConstraints>, Refusal> {
    let Some(ext) = cert
        .x509()
        .tbs_certificate()
        .extensions()
        .and_then(|e| e.iter().find(|e| e.extn_id == oids::ID_CE_NAME_CONSTRAINTS))
    else {
        return Ok(None);
    };
    NameConstraints::from_der(ext.extn_value.as_bytes())
        .map(Some)
        .map_err(|_| Refusal::Violation)
}

/// Applies every issuer's constraints on `path` (leaf first, anchor last; `self_issued[i]`
/// says whether member `i` is self-issued).
pub(crate) fn check_path(
    path: &[&Certificate],
    self_issued: &[bool],
    budget: &mut Budget,
) -> Result<(), Refusal> {
    for (k, issuer) in path.iter().enumerate().skip(1) {
        let Some(nc) = constraints_of(issuer)? else {
            continue;
        };
        for (i, cert) in path.iter().enumerate().take(k) {
            if i > 0 && self_issued.get(i).copied().unwrap_or(false) {
                continue;
            }
            for name in names(cert) {
                check_name(&name, &nc, budget)?;
            }
        }
    }
    Ok(())
}

/// What comparing one name with one subtree base gave.
enum Outcome {
    /// The base is of another form: it says nothing about this name.
    OtherForm,
    Match,
    NoMatch,
}

fn check_name(
    name: &Subject<'_>,
    nc: &NameConstraints,
    budget: &mut Budget,
) -> Result<(), Refusal> {
    if let Some(permitted) = &nc.permitted_subtrees {
        let mut constrained = false;
        let mut matched = false;
        for subtree in permitted {
            budget.spend()?;
            match compare(name, subtree, false)? {
                Outcome::OtherForm => {}
                Outcome::Match => {
                    constrained = true;
                    matched = true;
                }
                Outcome::NoMatch => constrained = true,
            }
        }
        if constrained && !matched {
            return Err(Refusal::Violation);
        }
    }
    if let Some(excluded) = &nc.excluded_subtrees {
        for subtree in excluded {
            budget.spend()?;
            if let Outcome::Match = compare(name, subtree, true)? {
                return Err(Refusal::Violation);
            }
        }
    }
    Ok(())
}

fn outcome(matched: bool) -> Outcome {
    if matched {
        Outcome::Match
    } else {
        Outcome::NoMatch
    }
}

fn compare(
    name: &Subject<'_>,
    subtree: &GeneralSubtree,
    excluded: bool,
) -> Result<Outcome, Refusal> {
    // RFC 5280: minimum MUST be zero and maximum MUST be absent.
    if subtree.minimum != 0 || subtree.maximum.is_some() {
        return Err(Refusal::Violation);
    }
    use GeneralName as G;
    let base = &subtree.base;
    let result = match (name, base) {
        (Subject::San(G::DnsName(n)), G::DnsName(b)) => {
            dns_matches(n.as_str(), b.as_str(), excluded)
        }
        (Subject::San(G::IpAddress(n)), G::IpAddress(b)) => ip_matches(n.as_bytes(), b.as_bytes()),
        (Subject::San(G::Rfc822Name(n)), G::Rfc822Name(b)) => email_matches(n.as_str(), b.as_str()),
        (Subject::Email(n), G::Rfc822Name(b)) => email_matches(n, b.as_str()),
        (Subject::San(G::UniformResourceIdentifier(n)), G::UniformResourceIdentifier(b)) => {
            uri_matches(n.as_str(), b.as_str())
        }
        (Subject::San(G::DirectoryName(n)), G::DirectoryName(b)) => {
            Ok(NormalizedName::new(n).within(&NormalizedName::new(b)))
        }
        (Subject::Dn(n), G::DirectoryName(b)) => Ok(n.within(&NormalizedName::new(b))),
        // Forms this validator does not interpret: fail closed when constrained.
        (Subject::San(G::OtherName(_)), G::OtherName(_))
        | (Subject::San(G::EdiPartyName(_)), G::EdiPartyName(_))
        | (Subject::San(G::RegisteredId(_)), G::RegisteredId(_)) => Err(Refusal::Violation),
        _ => return Ok(Outcome::OtherForm),
    };
    result.map(outcome)
}

/// Whether `name` is a DNS identifier in preferred name syntax (underscores allowed, as
/// webpki allows them): `wildcard` lets a presented name start with a `*` label;
/// `constraint` allows the empty name and one leading period.
pub(crate) fn valid_dns(name: &str, wildcard: bool, constraint: bool) -> bool {
    if name.len() > 253 {
        return false;
    }
    if constraint && name.is_empty() {
        return true;
    }
    let mut rest = name;
    let mut labels = 0usize;
    let is_wildcard = wildcard && rest.starts_with('*');
    if is_wildcard {
        let Some(tail) = rest.strip_prefix("*.") else {
            return false;
        };
        rest = tail;
        labels += 1;
    } else if constraint && let Some(tail) = rest.strip_prefix('.') {
        rest = tail;
    }
    let parts: Vec<&str> = rest.split('.').collect();
    for label in &parts {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return false;
        }
    }
    labels += parts.len();
    // The last label must not be all digits; a wildcard needs two labels after it.
    let last_numeric = parts
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    !last_numeric && (!is_wildcard || labels >= 3)
}

/// dNSName against a dNSName constraint, with webpki's rules: the constraint `example.com`
/// covers `example.com` and every name below it, `.example.com` only the names below it, the
/// empty constraint everything. A presented wildcard is compared literally against a
/// permitted subtree but expanded against an excluded one (CVE-2025-61727).
fn dns_matches(name: &str, base: &str, excluded: bool) -> Result<bool, Refusal> {
    if !valid_dns(name, true, false) || !valid_dns(base, false, true) {
        return Err(Refusal::Violation);
    }
    let (n, b) = (name.as_bytes(), base.as_bytes());
    if b.is_empty() {
        return Ok(true);
    }
    if n.len() > b.len() {
        let cut = n.len() - b.len();
        if b.first() != Some(&b'.') && n.get(cut - 1) != Some(&b'.') {
            return Ok(false);
        }
        return Ok(n[cut..].eq_ignore_ascii_case(b));
    }
    if excluded && let Some(rest) = n.strip_prefix(b"*") {
        // `*.example.com` reaches into the excluded `foo.example.com`.
        let Some(dot) = b.iter().skip(1).position(|&c| c == b'.') else {
            return Ok(false);
        };
        return Ok(b[dot + 1..].eq_ignore_ascii_case(rest));
    }
    Ok(n.eq_ignore_ascii_case(b))
}

/// iPAddress against an address-and-mask constraint (a v4 name never matches a v6
/// constraint). A constraint of the wrong length or with a mask that is not a prefix fails.
fn ip_matches(name: &[u8], base: &[u8]) -> Result<bool, Refusal> {
    match (name.len(), base.len()) {
        (4, 8) | (16, 32) => {}
        (4, 32) | (16, 8) => return Ok(false),
        _ => return Err(Refusal::Violation),
    }
    let (address, mask) = base.split_at(base.len() / 2);
    let mut seen_zero = false;
    for &m in mask {
        if m.leading_ones() + m.trailing_zeros() != 8 || (seen_zero && m != 0) {
            return Err(Refusal::Violation);
        }
        seen_zero |= m != 0xff;
    }
    Ok(name
        .iter()
        .zip(address)
        .zip(mask)
        .all(|((n, a), m)| (n ^ a) & m == 0))
}

/// A mailbox split at its one `@`; `None` for anything else.
fn mailbox(text: &str) -> Option<(&str, &str)> {
    let (local, host) = text.split_once('@')?;
    (!local.is_empty() && !host.contains('@') && valid_dns(host, false, false))
        .then_some((local, host))
}

/// rfc822Name against an rfc822Name constraint: a mailbox (`user@host`, the local part
/// compared exactly), a host (`host`: every mailbox on it), or a domain (`.example.com`:
/// every mailbox on a host below it). Characters, `*` included, are literal.
fn email_matches(name: &str, base: &str) -> Result<bool, Refusal> {
    let (local, host) = mailbox(name).ok_or(Refusal::Violation)?;
    if base.is_empty() {
        return Ok(true);
    }
    if base.contains('@') {
        let (b_local, b_host) = mailbox(base).ok_or(Refusal::Violation)?;
        return Ok(local == b_local && host.eq_ignore_ascii_case(b_host));
    }
    host_matches(host, base)
}

/// A host against a host (`host.example.com`) or domain (`.example.com`) constraint.
fn host_matches(host: &str, base: &str) -> Result<bool, Refusal> {
    if let Some(domain) = base.strip_prefix('.') {
        if !valid_dns(domain, false, false) {
            return Err(Refusal::Violation);
        }
        return Ok(host.len() > base.len()
            && host.as_bytes()[host.len() - base.len()..].eq_ignore_ascii_case(base.as_bytes()));
    }
    if !valid_dns(base, false, false) {
        return Err(Refusal::Violation);
    }
    Ok(host.eq_ignore_ascii_case(base))
}

/// The host of a URI with an authority (`scheme://[userinfo@]host[:port]/...`); `None` when
/// there is none or it is an IP literal.
fn uri_host(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once(':')?;
    let first = scheme.bytes().next()?;
    if !first.is_ascii_alphabetic()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    {
        return None;
    }
    let rest = rest.strip_prefix("//")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return None;
    }
    let host = host_port.split_once(':').map_or(host_port, |(h, _)| h);
    valid_dns(host, false, false).then_some(host)
}

/// URI against a URI constraint, which names a host or (with a leading period) a domain. A
/// URI without a host name fails when constrained.
fn uri_matches(name: &str, base: &str) -> Result<bool, Refusal> {
    let host = uri_host(name).ok_or(Refusal::Violation)?;
    host_matches(host, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_rules() {
        assert_eq!(dns_matches("example.com", "example.com", false), Ok(true));
        assert_eq!(
            dns_matches("foo.example.com", "example.com", false),
            Ok(true)
        );
        assert_eq!(
            dns_matches("badexample.com", "example.com", false),
            Ok(false)
        );
        assert_eq!(
            dns_matches("foo.example.com", ".example.com", false),
            Ok(true)
        );
        assert_eq!(dns_matches("example.com", ".example.com", false), Ok(false));
        assert_eq!(dns_matches("anything.test", "", false), Ok(true));
        assert_eq!(dns_matches("EXAMPLE.com", "example.COM", false), Ok(true));
        // Wildcards: literal against permitted, expanded against excluded.
        assert_eq!(
            dns_matches("*.example.com", "foo.example.com", false),
            Ok(false)
        );
        assert_eq!(
            dns_matches("*.example.com", "foo.example.com", true),
            Ok(true)
        );
        assert_eq!(dns_matches("*.example.com", "example.com", false), Ok(true));
        assert_eq!(
            dns_matches("foo_bar.example.com", "example.com", false),
            Ok(true)
        );
        assert!(dns_matches("foo.example.com", "*.example.com", false).is_err());
        assert!(dns_matches("foo..example.com", "example.com", false).is_err());
        assert!(dns_matches("example.com.", "example.com", false).is_err());
    }

    #[test]
    fn ip_rules() {
        let c = [192, 0, 2, 0, 255, 255, 255, 0];
        assert_eq!(ip_matches(&[192, 0, 2, 7], &c), Ok(true));
        assert_eq!(ip_matches(&[192, 0, 3, 7], &c), Ok(false));
        assert_eq!(ip_matches(&[0; 16], &c), Ok(false));
        assert!(ip_matches(&[192, 0, 2, 7], &[192, 0, 2, 0, 255, 0, 255, 0]).is_err());
        assert!(ip_matches(&[192, 0, 2, 7], &[192, 0, 2, 0, 255, 255, 255]).is_err());
        assert!(ip_matches(&[192, 0, 2], &c).is_err());
    }

    #[test]
    fn email_rules() {
        assert_eq!(
            email_matches("foo@example.com", "foo@example.com"),
            Ok(true)
        );
        assert_eq!(
            email_matches("foo@EXAMPLE.com", "foo@example.com"),
            Ok(true)
        );
        assert_eq!(
            email_matches("Foo@example.com", "foo@example.com"),
            Ok(false)
        );
        assert_eq!(email_matches("foo@example.com", "example.com"), Ok(true));
        assert_eq!(
            email_matches("foo@mail.example.com", "example.com"),
            Ok(false)
        );
        assert_eq!(
            email_matches("foo@mail.example.com", ".example.com"),
            Ok(true)
        );
        assert_eq!(email_matches("foo@example.com", ".example.com"), Ok(false));
        assert_eq!(email_matches("*@example.com", "*@example.com"), Ok(true));
        assert_eq!(
            email_matches("user@example.com", "*@example.com"),
            Ok(false)
        );
        assert_eq!(email_matches("*@example.com", "**@example.com"), Ok(false));
        assert!(email_matches("invalid@address@example.com", "example.com").is_err());
        assert!(email_matches("example@example.com", "invalid@invalid@example.com").is_err());
        assert!(email_matches("no-at-sign", "example.com").is_err());
    }

    #[test]
    fn uri_rules() {
        assert_eq!(
            uri_host("https://user@Host.example.com:8443/p?q"),
            Some("Host.example.com")
        );
        assert_eq!(uri_host("urn:uuid:1234"), None);
        assert_eq!(uri_host("https://[::1]/"), None);
        let m = |n, b| uri_matches(n, b);
        assert_eq!(m("http://host.example.com/x", "host.example.com"), Ok(true));
        assert_eq!(m("http://host.example.com/x", "example.com"), Ok(false));
        assert_eq!(m("http://host.example.com/x", ".example.com"), Ok(true));
        assert_eq!(m("http://example.com/x", ".example.com"), Ok(false));
        assert!(m("urn:x:y", ".example.com").is_err());
    }
}
