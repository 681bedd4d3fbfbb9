//! Kong's `traditional_compatible` precedence: how routes are split by path and ordered.

use std::cmp::Ordering;

use uuid::Uuid;

use super::route::RouteMatch;

/// The namespace Kong generates the ids of split routes in (`kong/router/transform.lua`).
const SPLIT_NAMESPACE: Uuid = Uuid::from_u128(0x7f14_5bf9_0dce_4f91_98eb_debb_ce4b_9f6b);

/// Kong's priority of one (split) route, field by field in the order of its 64-bit layout
/// (`get_priority` in `kong/router/transform.lua`): compared lexicographically, greater first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Priority {
    /// How many of `methods`, `hosts`, `headers`, `snis`, `paths` are set.
    pub(super) match_weight: u8,
    /// `hosts` set, none with a wildcard.
    pub(super) plain_hosts_only: bool,
    /// How many header names (at most 255).
    pub(super) header_count: u8,
    /// The paths are regexes.
    pub(super) regex: bool,
    /// `regex_priority` (0 for prefix paths).
    pub(super) regex_priority: i64,
    /// The prefix length (0 for regexes), in Kong's 19 bits.
    pub(super) prefix_length: u32,
}

impl Priority {
    /// The priority of `route` restricted to the paths at `paths` (one group).
    pub(super) fn of(route: &RouteMatch, paths: &[usize]) -> Self {
        let set = |empty: bool| u8::from(!empty);
        let match_weight = set(route.methods.is_empty())
            + set(route.hosts.is_empty())
            + set(route.headers.is_empty())
            + set(route.snis.is_empty())
            + set(paths.is_empty());
        let first = paths.first().and_then(|&i| route.paths.get(i));
        let regex = first.is_some_and(|p| p.starts_with('~'));
        let prefix_length = match first {
            Some(p) if !regex => u32::try_from(p.len()).unwrap_or(u32::MAX) & 0x7FFFF,
            _ => 0,
        };
        Self {
            match_weight,
            plain_hosts_only: !route.hosts.is_empty()
                && route.hosts.iter().all(|h| !h.contains('*')),
            header_count: u8::try_from(route.headers.len()).unwrap_or(u8::MAX),
            regex,
            regex_priority: if regex { route.regex_priority } else { 0 },
            prefix_length,
        }
    }
}

/// Kong splits a route whose paths differ in kind or length into one route per group: all the
/// regexes, then each prefix length, in order of first appearance. Each group is a list of
/// path positions. A route without paths is one group with none.
pub(super) fn path_groups(paths: &[String]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let key = (!path.starts_with('~')).then_some(path.len());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    if groups.is_empty() {
        return vec![Vec::new()];
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// The id Kong gives group `group` (from 0) of a route split into `groups` groups: the route's
/// own id when it is not split, else a v5 id of `"<id>#<group + 1>"`.
pub(super) fn split_id(id: Option<Uuid>, group: usize, groups: usize) -> Option<Uuid> {
    let id = id?;
    if groups <= 1 {
        return Some(id);
    }
    let name = format!("{}#{}", id.hyphenated(), group + 1);
    Some(Uuid::new_v5(&SPLIT_NAMESPACE, name.as_bytes()))
}

/// The order routes are tried in: greater priority first, then greater id (Kong's ATC router
/// keeps routes in a map keyed by priority and id, and tries them from the greatest), then
/// declaration order.
pub(super) fn try_order(
    a: (&Priority, Option<Uuid>, usize, usize),
    b: (&Priority, Option<Uuid>, usize, usize),
) -> Ordering {
    b.0.cmp(a.0)
        .then_with(|| b.1.cmp(&a.1))
        .then_with(|| (a.2, a.3).cmp(&(b.2, b.3)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_kind_and_length() {
        let paths: Vec<String> = ["~/regex.*$", "/long-path", "/one", "/two", "/three", "~/.*"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            path_groups(&paths),
            vec![vec![0, 5], vec![1], vec![2, 3], vec![4]]
        );
        assert_eq!(path_groups(&[]), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn split_ids_are_kongs() {
        let id = Uuid::parse_str("e8fb37f1-102d-461e-9c51-6608a6bb8101").ok();
        assert_eq!(split_id(id, 0, 1), id);
        let first = split_id(id, 0, 2);
        assert_ne!(first, id);
        assert_eq!(first.map(|u| u.get_version_num()), Some(5));
        assert_ne!(first, split_id(id, 1, 2));
        assert_eq!(split_id(None, 1, 2), None);
    }
}
