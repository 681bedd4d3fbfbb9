//! What the matcher is told about an accepted certificate: its names, its subject DN and the CA
//! that anchored it. Filled by the gateway from `mtls-cert`; borrowed, never copied.

use uuid::Uuid;

/// The certificate's ordered subject names: every SAN entry in certificate order (DNS, email,
/// URI as their strings, IP as text), then the first CN, as Kong builds the list.
///
/// Borrows either a `&[String]` or a `&[&str]`, whichever the caller has.
#[derive(Clone, Copy)]
pub struct SubjectNames<'a>(Names<'a>);

#[derive(Clone, Copy)]
enum Names<'a> {
    Strings(&'a [String]),
    Strs(&'a [&'a str]),
}

impl<'a> SubjectNames<'a> {
    /// No names at all.
    pub const EMPTY: SubjectNames<'static> = SubjectNames(Names::Strs(&[]));

    /// How many names there are.
    pub fn len(&self) -> usize {
        match self.0 {
            Names::Strings(names) => names.len(),
            Names::Strs(names) => names.len(),
        }
    }

    /// Whether there is no name.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name at `index`, if any.
    pub fn get(&self, index: usize) -> Option<&'a str> {
        match self.0 {
            Names::Strings(names) => names.get(index).map(String::as_str),
            Names::Strs(names) => names.get(index).copied(),
        }
    }

    /// The names in order.
    pub fn iter(&self) -> SubjectNamesIter<'a> {
        SubjectNamesIter {
            names: *self,
            next: 0,
        }
    }

    /// The names joined by `separator` (`","` for `X-Client-Cert-SAN`).
    pub fn join(&self, separator: &str) -> String {
        let mut joined = String::new();
        for (i, name) in self.iter().enumerate() {
            if i > 0 {
                joined.push_str(separator);
            }
            joined.push_str(name);
        }
        joined
    }
}

impl std::fmt::Debug for SubjectNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for SubjectNames<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for SubjectNames<'_> {}

impl<'a> From<&'a [String]> for SubjectNames<'a> {
    fn from(names: &'a [String]) -> Self {
        Self(Names::Strings(names))
    }
}

impl<'a> From<&'a Vec<String>> for SubjectNames<'a> {
    fn from(names: &'a Vec<String>) -> Self {
        Self(Names::Strings(names))
    }
}

impl<'a> From<&'a [&'a str]> for SubjectNames<'a> {
    fn from(names: &'a [&'a str]) -> Self {
        Self(Names::Strs(names))
    }
}

impl<'a> From<&'a Vec<&'a str>> for SubjectNames<'a> {
    fn from(names: &'a Vec<&'a str>) -> Self {
        Self(Names::Strs(names))
    }
}

impl<'a, const N: usize> From<&'a [&'a str; N]> for SubjectNames<'a> {
    fn from(names: &'a [&'a str; N]) -> Self {
        Self(Names::Strs(names))
    }
}

impl<'a> IntoIterator for SubjectNames<'a> {
    type Item = &'a str;
    type IntoIter = SubjectNamesIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over [`SubjectNames`], in certificate order.
#[derive(Clone, Debug)]
pub struct SubjectNamesIter<'a> {
    names: SubjectNames<'a>,
    next: usize,
}

impl<'a> Iterator for SubjectNamesIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let name = self.names.get(self.next)?;
        self.next += 1;
        Some(name)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.names.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for SubjectNamesIter<'_> {}

/// The facts about an accepted client certificate that consumer matching uses.
///
/// The gateway fills it once the chain is valid (and, for mtls-auth, once the anchor's
/// `ca_certificates` id is known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertificateIdentity<'a> {
    /// SANs in certificate order, then the first CN (see [`SubjectNames`]).
    pub subject_names: SubjectNames<'a>,
    /// The first CN of the subject, if any: the group in `authenticated_group_by = CN` mode.
    pub common_name: Option<&'a str>,
    /// The subject DN as the plugin renders it: RFC 2253 for mtls-auth
    /// (`CN=kongclient,OU=ENG,O=KONG,L=SF,ST=CA,C=US`), the sorted "/"-joined form for
    /// header-cert-auth (`C=US/CN=kongclient/L=SF/O=KONG/OU=ENG/ST=CA`). Sent as
    /// `X-Client-Cert-DN` and used as the group in `DN` mode.
    pub subject_dn: &'a str,
    /// The id of the `ca_certificates` entity that anchored the chain, if known. Credentials
    /// tied to this CA are tried first; with `None`, only credentials without a CA can match.
    pub ca_id: Option<Uuid>,
}

impl<'a> CertificateIdentity<'a> {
    /// An identity from its parts.
    pub fn new(
        subject_names: impl Into<SubjectNames<'a>>,
        common_name: Option<&'a str>,
        subject_dn: &'a str,
        ca_id: Option<Uuid>,
    ) -> Self {
        Self {
            subject_names: subject_names.into(),
            common_name,
            subject_dn,
            ca_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_slice_kinds_read_the_same() {
        let owned = vec!["a.test".to_owned(), "b@test".to_owned(), "cn".to_owned()];
        let borrowed = ["a.test", "b@test", "cn"];
        let a = SubjectNames::from(&owned);
        let b = SubjectNames::from(&borrowed);
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
        assert_eq!(b.get(1), Some("b@test"));
        assert_eq!(a.get(3), None);
        assert_eq!(a.join(","), "a.test,b@test,cn");
        assert_eq!(SubjectNames::EMPTY.join(","), "");
        assert_eq!(b.iter().len(), 3);
        assert_eq!(format!("{a:?}"), r#"["a.test", "b@test", "cn"]"#);
    }
}
