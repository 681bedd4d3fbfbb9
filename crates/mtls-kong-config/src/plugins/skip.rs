//! Plugins an operator knowingly runs without (`--skip-plugins`), and the near-miss check that
//! keeps a misspelled `mtls-auth` from ever being skipped (decision 16).

use std::collections::BTreeSet;

use super::PLUGIN_NAMES;

/// Plugin names a configuration may hold that this project leaves out, each logged at start.
///
/// A name this project implements, or one edit away from one (`mtls_auth`, `MTLS-AUTH`,
/// `mtls-authx`, `acls`), is refused: it is far more likely a typo that would leave a route
/// unauthenticated than a plugin of its own.
///
/// ```
/// use mtls_kong_config::plugins::SkipList;
/// let skip = SkipList::new(["rate-limiting", "cors"])?;
/// assert!(skip.contains("cors"));
/// assert!(SkipList::new(["mtls_auth"]).is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkipList(BTreeSet<String>);

impl SkipList {
    /// A skip list; `Err` names the first entry that is implemented here or one edit away.
    pub fn new<I, S>(names: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = BTreeSet::new();
        for name in names {
            let name = name.as_ref().trim();
            if name.is_empty() {
                continue;
            }
            if PLUGIN_NAMES.contains(&name) {
                return Err(format!(
                    "--skip-plugins: '{name}' is implemented by this gateway and cannot be skipped"
                ));
            }
            if let Some(known) = near_miss(name) {
                return Err(format!(
                    "--skip-plugins: '{name}' is one edit away from '{known}', which this gateway \
                     implements; skipping it could leave a route unauthenticated"
                ));
            }
            out.insert(name.to_owned());
        }
        Ok(Self(out))
    }

    /// Whether `name` is skipped.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether nothing is skipped.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The implemented plugin `name` is a near miss of: equal ignoring case and `-`/`_`, or at
/// most one edit (insertion, deletion, substitution, or swap of neighbours) away.
pub(crate) fn near_miss(name: &str) -> Option<&'static str> {
    let fold = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c == '_' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let folded = fold(name);
    PLUGIN_NAMES
        .into_iter()
        .find(|known| name != *known && (folded == *known || within_one_edit(&folded, known)))
}

fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ra, rb) = (a.len() - prefix - suffix, b.len() - prefix - suffix);
    match (ra, rb) {
        (0, 0) | (0, 1) | (1, 0) | (1, 1) => true,
        // A swap of two neighbours.
        (2, 2) => a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_refused() {
        for bad in [
            "mtls_auth",
            "MTLS-AUTH",
            "mtls-authx",
            "mtls-aut",
            "mtsl-auth",
            "acls",
            "header_cert_auth",
            "tls-metadata-header",
            "mtls-auth",
        ] {
            assert!(SkipList::new([bad]).is_err(), "{bad}");
        }
        for fine in ["rate-limiting", "cors", "key-auth", "mtls", "oauth2"] {
            assert!(SkipList::new([fine]).is_ok(), "{fine}");
        }
        assert_eq!(near_miss("ACL"), Some("acl"));
        assert_eq!(near_miss("acl"), None);
        assert!(within_one_edit("abc", "acb") && !within_one_edit("abcd", "badc"));
    }
}
