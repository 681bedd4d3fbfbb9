//! A fast hasher for the short byte strings the map is keyed by.
//!
//! std's SipHash costs about as much as the rest of a lookup for a 20-byte name, and a lookup
//! may hash a few candidate suffixes and prefixes. The keys are the configuration's names; the
//! probes are the client's names, which only ever read the table. A client cannot add keys, so
//! it cannot build collisions in the table; the seed is still drawn at random per map (from
//! std's `RandomState`) so that no configuration collides the same way twice.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Builds [`NameHasher`]s with one random seed.
#[derive(Clone, Debug)]
pub(crate) struct SeededState {
    seed: u64,
}

impl SeededState {
    /// A state with a fresh random seed.
    pub(crate) fn new() -> Self {
        Self {
            seed: RandomState::new().hash_one(0x5eed_u64),
        }
    }
}

impl BuildHasher for SeededState {
    type Hasher = NameHasher;

    fn build_hasher(&self) -> NameHasher {
        NameHasher { state: self.seed }
    }
}

/// Multiply-rotate over 8-byte words with a final avalanche (MurmurHash3's `fmix64`), so that
/// both the low bits (bucket) and the top bits (hashbrown's tag) are well mixed.
#[derive(Debug)]
pub(crate) struct NameHasher {
    state: u64,
}

impl NameHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(K).rotate_left(29);
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The remainder, zero-padded: from the last eight bytes, shifted, when there are
            // eight (no copy); byte by byte otherwise.
            let word = match bytes
                .len()
                .checked_sub(8)
                .and_then(|start| bytes.get(start..))
            {
                Some(last) => {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(last);
                    u64::from_le_bytes(word) >> (8 * (8 - rest.len()))
                }
                None => rest
                    .iter()
                    .rev()
                    .fold(0, |word, &b| (word << 8) | u64::from(b)),
            };
            // The length goes into the last word so that trailing zero bytes count.
            self.mix(word ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.state;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 33;
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn distinct_short_names_hash_apart() {
        let state = SeededState::new();
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        for i in 0..20_000 {
            names.push(format!("svc{i}.example.com"));
            names.push(format!(".{i}.example.com"));
            names.push(format!("host{i}."));
        }
        names.push(String::new());
        names.push("a".into());
        names.push("a\0".into());
        for name in &names {
            seen.insert(state.hash_one(name.as_bytes()));
        }
        assert_eq!(seen.len(), names.len());
    }

    #[test]
    fn top_bits_vary() {
        // hashbrown keeps the top 7 bits as a tag: they must not be constant.
        let state = SeededState::new();
        let tags: HashSet<u64> = (0..1000)
            .map(|i| state.hash_one(format!("n{i}.example.com").as_bytes()) >> 57)
            .collect();
        assert!(tags.len() > 100, "{} tags", tags.len());
    }
}
