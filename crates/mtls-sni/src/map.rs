//! The built map and its lookup: from a ClientHello's server name to a [`Decision`].
//!
//! Order, as in Kong: the exact entry, then a suffix entry, then a prefix entry, then the
//! catch-all `*` (which is also the answer for a ClientHello without SNI); no entry, no
//! CertificateRequest.
//!
//! Where several suffix entries end the name (`.b.example.com` and `.example.com` for
//! `a.b.example.com`), the longest wins; likewise for prefix entries. Kong takes the first one in
//! its table's iteration order, which is not defined; ours is deterministic. Which entry wins
//! matters only for the CA names sent, since every entry requests a certificate.
//!
//! Cost: one pass over the name for upper case (a copy into a stack buffer, lowered, only when
//! it has some); one hash probe for the exact entry; on a miss, one pass to find its dots; for the suffix (prefix) entries one probe per
//! position where an entry of that length could start (end): at a dot for the usual
//! `*.example.com` (`example.*`) forms, so O(labels) probes; Kong's rarer forms that do not
//! stop at a dot (`*example.com`) add one probe per distinct length among them. Those positions
//! are found without hashing and without a loop over the name: the set of the name's dots is
//! ANDed with the set of the key lengths, shifted to the name's length (256-bit sets, four
//! words), so a name with no possible suffix or prefix entry costs one hash probe in all. Never
//! a scan of the entries, never an allocation.

use std::collections::HashMap;
use std::fmt;

use uuid::Uuid;

use crate::bits::SmallSet;
use crate::hash::SeededState;
use crate::model::{CertificatePlugin, RouteId, ServiceId, WorkspaceId};
use crate::name::{LoweredName, Scratch};
use crate::sni::SniPattern;

/// What to do with a ClientHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    /// No plugin needs a certificate for this name: send no CertificateRequest (a browser shows
    /// no certificate picker).
    NoRequest,
    /// Request a client certificate, without requiring one: validation happens per request.
    /// Kong also disables session resumption for such a handshake.
    Request {
        /// The `ca_certificates` ids whose subject DNs go in the CertificateRequest, sorted and
        /// without repeats. Empty: send no CA names at all (not an empty list).
        ca_ids: &'a [Uuid],
    },
}

impl Decision<'_> {
    /// Whether a CertificateRequest is sent.
    pub fn requests_certificate(&self) -> bool {
        matches!(self, Decision::Request { .. })
    }

    /// The CA ids whose DNs to send (empty for [`Decision::NoRequest`]).
    pub fn ca_ids(&self) -> &[Uuid] {
        match self {
            Decision::NoRequest => &[],
            Decision::Request { ca_ids } => ca_ids,
        }
    }
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::NoRequest => f.write_str("no certificate request"),
            Decision::Request { ca_ids: [] } => {
                f.write_str("request a client certificate, without CA names")
            }
            Decision::Request { ca_ids } => {
                write!(
                    f,
                    "request a client certificate, sending the subject DNs of {} CA certificate{}: ",
                    ca_ids.len(),
                    if ca_ids.len() == 1 { "" } else { "s" }
                )?;
                write_ids(f, ca_ids)
            }
        }
    }
}

pub(crate) fn write_ids(f: &mut fmt::Formatter<'_>, ids: &[Uuid]) -> fmt::Result {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{id}")?;
    }
    Ok(())
}

/// The key of a map entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKey {
    /// From a route SNI ([`SniPattern`]).
    Sni(SniPattern),
    /// `*`: from a global plugin or a route without `snis`. Matches when nothing else does,
    /// and for a ClientHello without SNI.
    CatchAll,
}

impl fmt::Display for EntryKey {
    /// A short description: `exact "a.example.com"`, `suffix ".example.com" (*.example.com)`,
    /// `prefix "example." (example.*)`, `catch-all "*"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryKey::Sni(p @ SniPattern::Exact(s)) => write!(f, "exact {s:?} ({p})"),
            EntryKey::Sni(p @ SniPattern::Suffix(s)) => write!(f, "suffix {s:?} ({p})"),
            EntryKey::Sni(p @ SniPattern::Prefix(s)) => write!(f, "prefix {s:?} ({p})"),
            EntryKey::CatchAll => f.write_str("catch-all \"*\""),
        }
    }
}

/// One entry of the map: a key and what a match on it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub(crate) key: EntryKey,
    pub(crate) ca_ids: Box<[Uuid]>,
    pub(crate) sources: Box<[Source]>,
}

impl Entry {
    /// The entry's key.
    pub fn key(&self) -> &EntryKey {
        &self.key
    }

    /// The CA ids unioned from the `mtls-auth` instances with `send_ca_dn` that put the entry
    /// here; sorted, without repeats; empty when none did.
    pub fn ca_ids(&self) -> &[Uuid] {
        &self.ca_ids
    }

    /// The decision a match on this entry gives.
    pub fn decision(&self) -> Decision<'_> {
        Decision::Request {
            ca_ids: &self.ca_ids,
        }
    }
}

/// Who put an entry in the map: a plugin, and the route it reached (none for a global plugin).
/// Indices into [`SniMap`]'s `plugins` and `routes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Source {
    pub(crate) plugin: u32,
    pub(crate) route: Option<u32>,
}

/// What the map keeps of a route, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteInfo {
    pub(crate) id: RouteId,
    pub(crate) service: Option<ServiceId>,
    pub(crate) workspace: WorkspaceId,
}

/// The lengths of the suffix (or prefix) keys, split by whether the key has a dot on the
/// wildcard's side (`.example.com`, `example.`) or not (`example.com` from `*example.com`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Lengths {
    pub(crate) at_dot: SmallSet,
    pub(crate) anywhere: SmallSet,
}

impl Lengths {
    /// Every length `l` as `255 - l`: what [`SniMap::find_suffix`] shifts by the name's length.
    pub(crate) fn reversed(&self) -> Lengths {
        Lengths {
            at_dot: self.at_dot.reversed(),
            anywhere: self.anywhere.reversed(),
        }
    }

    /// Every length `l` as `l - 1` (0 dropped): where a prefix key's last byte is.
    pub(crate) fn less_one(&self) -> Lengths {
        Lengths {
            at_dot: self.at_dot.shifted_down(1),
            anywhere: self.anywhere.shifted_down(1),
        }
    }
}

pub(crate) type KeyMap = HashMap<Box<[u8]>, u32, SeededState>;

/// The SNI map: built once from a configuration, then only read.
///
/// Immutable: building from scratch is its only mutation. Share it as `Arc<SniMap>` between
/// the accept loops, and on reload build a new one and swap the `Arc` whole (a connection keeps
/// the map it started with). A configuration that fails to build leaves the old map in place.
#[derive(Debug, Clone)]
pub struct SniMap {
    pub(crate) exact: KeyMap,
    pub(crate) suffix: KeyMap,
    pub(crate) prefix: KeyMap,
    /// The suffix keys' lengths, [reversed](Lengths::reversed).
    pub(crate) suffix_lens_rev: Lengths,
    /// The prefix keys' lengths less one: where their last byte is.
    pub(crate) prefix_ends: Lengths,
    pub(crate) catch_all: Option<u32>,
    pub(crate) entries: Vec<Entry>,
    /// The enabled plugin instances, in input order.
    pub(crate) plugins: Vec<CertificatePlugin>,
    pub(crate) routes: Vec<RouteInfo>,
}

impl SniMap {
    /// Decides, from the ClientHello's server name (`None`: no SNI extension), whether to
    /// request a client certificate and which CA names to send.
    ///
    /// The name is compared case-insensitively, with one trailing dot ignored. A name longer
    /// than 253 bytes (which no valid ClientHello carries) matches only the catch-all entry.
    /// Does not allocate; the result borrows from the map.
    #[inline]
    pub fn lookup(&self, server_name: Option<&str>) -> Decision<'_> {
        match self.find(server_name) {
            Some(entry) => entry.decision(),
            None => Decision::NoRequest,
        }
    }

    /// The entry that decides for this server name, if any (see [`SniMap::lookup`]).
    #[inline]
    pub fn find(&self, server_name: Option<&str>) -> Option<&Entry> {
        let index = match server_name {
            Some(name) => self.find_name(name.as_bytes()).or(self.catch_all),
            None => self.catch_all,
        }?;
        self.entries.get(index as usize)
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &Entry> {
        self.entries.iter()
    }

    /// How many entries the map has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entry: then no ClientHello gets a CertificateRequest.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn find_name(&self, raw: &[u8]) -> Option<u32> {
        let mut scratch = Scratch::default();
        let name = LoweredName::new(raw, &mut scratch)?;
        let bytes = name.as_bytes();
        if let Some(&index) = self.exact.get(bytes) {
            return Some(index);
        }
        if self.suffix.is_empty() && self.prefix.is_empty() {
            return None;
        }
        let dots = name.dots();
        self.find_suffix(bytes, &dots, 0)
            .map(|(index, _)| index)
            .or_else(|| {
                self.find_prefix(bytes, &dots, bytes.len())
                    .map(|(index, _)| index)
            })
    }

    /// The positions where a suffix key could start, at or after `from`: where a key of
    /// length `l` would start (`n - l`), at a dot for the keys that start with one. A superset
    /// of the positions where one does start; the hash probe decides.
    #[inline]
    pub(crate) fn suffix_starts(&self, name: &[u8], dots: &SmallSet, from: usize) -> SmallSet {
        let n = name.len();
        let lens = &self.suffix_lens_rev;
        // Length `l` is bit `255 - l`; shifted down by `255 - n`, it is bit `n - l` (gone when
        // `l > n`).
        let by = 255usize.saturating_sub(n);
        let starts = dots.and(&lens.at_dot.shifted_down(by));
        let starts = if lens.anywhere.is_empty() {
            starts
        } else {
            starts.or(&lens.anywhere.shifted_down(by))
        };
        // Every start is at most `n` already.
        if from == 0 {
            starts
        } else {
            starts.within(from, n + 1)
        }
    }

    /// The longest suffix entry that ends the name and starts at or after `from`; with the
    /// position where it starts.
    pub(crate) fn find_suffix(
        &self,
        name: &[u8],
        dots: &SmallSet,
        from: usize,
    ) -> Option<(u32, usize)> {
        if self.suffix.is_empty() {
            return None;
        }
        // Leftmost start first: longest suffix first.
        let mut starts = self.suffix_starts(name, dots, from);
        while let Some(start) = starts.pop_lowest() {
            if let Some(&index) = name.get(start..).and_then(|s| self.suffix.get(s)) {
                return Some((index, start));
            }
        }
        None
    }

    /// The positions of the last byte of a prefix key that could start the name and is no
    /// longer than `upto`: `l - 1` for a key of length `l`, at a dot for the keys that end with
    /// one. A superset of those of the keys that do; the hash probe decides.
    #[inline]
    pub(crate) fn prefix_ends(&self, name: &[u8], dots: &SmallSet, upto: usize) -> SmallSet {
        let lens = &self.prefix_ends;
        let ends = dots.and(&lens.at_dot);
        if lens.anywhere.is_empty() && upto >= name.len() {
            // Every dot is before the end of the name already.
            return ends;
        }
        ends.or(&lens.anywhere).within(0, upto.min(name.len()))
    }

    /// The longest prefix entry that starts the name and is no longer than `upto`; with its
    /// length.
    pub(crate) fn find_prefix(
        &self,
        name: &[u8],
        dots: &SmallSet,
        upto: usize,
    ) -> Option<(u32, usize)> {
        if self.prefix.is_empty() {
            return None;
        }
        // Rightmost end first: longest prefix first.
        let mut ends = self.prefix_ends(name, dots, upto);
        while let Some(end) = ends.pop_highest() {
            let len = end + 1;
            if let Some(&index) = name.get(..len).and_then(|p| self.prefix.get(p)) {
                return Some((index, len));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::{CertificatePlugin, Route, Scope};
    use proptest::prelude::*;

    fn label() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "ab", "example", "com", "x-y", "1"])
            .prop_map(String::from)
    }

    fn labels(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(label(), 1..=max).prop_map(|l| l.join("."))
    }

    fn pattern() -> impl Strategy<Value = String> {
        prop_oneof![
            labels(3).prop_map(|l| format!("*.{l}")),
            labels(3).prop_map(|l| format!("{l}.*")),
            labels(2).prop_map(|l| format!("*{l}")),
            labels(2).prop_map(|l| format!("{l}*")),
            labels(3),
        ]
    }

    proptest! {
        /// The pre-filters never drop a position where a key matches: every suffix key that
        /// ends the name starts at a position of `suffix_starts`, every prefix key that starts
        /// it ends at a position of `prefix_ends`.
        #[test]
        fn filters_keep_every_match(
            snis in prop::collection::vec(pattern(), 1..12),
            name in prop_oneof![labels(6), "[a-z.]{0,30}"],
            from in 0usize..40,
            upto in 0usize..40,
        ) {
            let routes = [Route::new("r").with_service("s").with_snis(snis)];
            let plugins = [CertificatePlugin::tls_handshake_modifier("p", Scope::Service("s".into()))];
            let map = SniMap::build(&routes, &plugins).unwrap();
            let mut scratch = Scratch::default();
            let lowered = LoweredName::new(name.as_bytes(), &mut scratch).unwrap();
            let bytes = lowered.as_bytes();
            let dots = lowered.dots();
            let starts = map.suffix_starts(bytes, &dots, from);
            let ends = map.prefix_ends(bytes, &dots, upto);
            for entry in map.entries() {
                match entry.key() {
                    EntryKey::Sni(SniPattern::Suffix(s)) if bytes.ends_with(s.as_bytes()) => {
                        let start = bytes.len() - s.len();
                        prop_assert_eq!(starts.contains(start), start >= from, "{:?} in {:?}", s, name);
                    }
                    EntryKey::Sni(SniPattern::Prefix(p)) if bytes.starts_with(p.as_bytes()) && !p.is_empty() => {
                        prop_assert_eq!(ends.contains(p.len() - 1), p.len() <= upto, "{:?} in {:?}", p, name);
                    }
                    _ => {}
                }
            }
            // And nothing beyond the name.
            let mut all_starts = starts;
            while let Some(start) = all_starts.pop_lowest() {
                prop_assert!(start >= from && start <= bytes.len());
            }
            let mut all_ends = ends;
            while let Some(end) = all_ends.pop_lowest() {
                prop_assert!(end < upto.min(bytes.len()));
            }
        }
    }

    #[test]
    fn decision_display() {
        let id = Uuid::from_u128(1);
        let ids = [id];
        assert_eq!(Decision::NoRequest.to_string(), "no certificate request");
        assert_eq!(
            Decision::Request { ca_ids: &[] }.to_string(),
            "request a client certificate, without CA names"
        );
        assert_eq!(
            Decision::Request { ca_ids: &ids }.to_string(),
            format!(
                "request a client certificate, sending the subject DNs of 1 CA certificate: {id}"
            )
        );
        assert!(!Decision::NoRequest.requests_certificate());
        assert!(Decision::NoRequest.ca_ids().is_empty());
        assert_eq!(Decision::Request { ca_ids: &ids }.ca_ids(), &ids);
    }
}
