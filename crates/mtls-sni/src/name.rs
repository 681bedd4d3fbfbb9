//! A ClientHello server name, lowered into a stack buffer.
//!
//! What makes the lookup allocation-free: rustls hands over the name as the client sent it (no
//! case folding guaranteed), and the map's keys are lower case, so the name is copied and
//! lowered into a buffer on the stack; 253 bytes is the longest DNS name. Lowering and finding
//! the dots work on eight bytes at a time.

use crate::sni::MAX_NAME_LEN;

/// The buffer: the longest name, rounded up to whole 8-byte words (the padding stays zero).
const BUF_LEN: usize = 256;
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x80 * ONES;
const LOW7: u64 = 0x7f * ONES;

/// A server name as the map compares it: ASCII lower case, one trailing dot removed, at most
/// 253 bytes.
pub(crate) struct LoweredName {
    buf: [u8; BUF_LEN],
    len: usize,
}

impl LoweredName {
    /// `None` when the name is longer than 253 bytes once its trailing dot is removed.
    #[inline]
    pub(crate) fn new(raw: &[u8]) -> Option<Self> {
        let raw = raw.strip_suffix(b".").unwrap_or(raw);
        if raw.len() > MAX_NAME_LEN {
            return None;
        }
        let mut name = Self {
            buf: [0u8; BUF_LEN],
            len: raw.len(),
        };
        name.buf.get_mut(..raw.len())?.copy_from_slice(raw);
        let words = raw.len().div_ceil(8);
        for chunk in name.buf.chunks_exact_mut(8).take(words) {
            let lowered = lower_word(load(chunk));
            chunk.copy_from_slice(&lowered.to_le_bytes());
        }
        Some(name)
    }

    /// The lowered name.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// How many 8-byte words hold the name.
    #[inline]
    pub(crate) fn word_count(&self) -> usize {
        self.len.div_ceil(8)
    }

    /// The dots of word `k` (bytes `8k..8k+8`), as a mask for [`first_byte`] and [`last_byte`].
    #[inline]
    pub(crate) fn dots_in_word(&self, k: usize) -> u64 {
        self.buf
            .get(k * 8..k * 8 + 8)
            .map_or(0, |chunk| dot_mask(load(chunk)))
    }

    /// The positions of its dots, leftmost first.
    #[cfg(test)]
    fn dots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.word_count()).flat_map(|k| {
            let mut mask = self.dots_in_word(k);
            std::iter::from_fn(move || (mask != 0).then(|| k * 8 + first_byte(&mut mask)))
        })
    }

    /// The positions of its dots, rightmost first.
    #[cfg(test)]
    fn dots_rev(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.word_count()).rev().flat_map(|k| {
            let mut mask = self.dots_in_word(k);
            std::iter::from_fn(move || (mask != 0).then(|| k * 8 + last_byte(&mut mask)))
        })
    }
}

/// Takes the lowest byte flagged in a non-zero mask; returns its index in the word.
#[inline]
pub(crate) fn first_byte(mask: &mut u64) -> usize {
    let byte = mask.trailing_zeros() as usize / 8;
    *mask &= mask.wrapping_sub(1);
    byte
}

/// Takes the highest byte flagged in a non-zero mask; returns its index in the word.
#[inline]
pub(crate) fn last_byte(mask: &mut u64) -> usize {
    let bit = 63usize.saturating_sub(mask.leading_zeros() as usize);
    *mask &= !(1u64 << bit);
    bit / 8
}

#[inline]
fn load(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    u64::from_le_bytes(word)
}

/// `to_ascii_lowercase` on eight bytes at once: `A`-`Z` gain 0x20, every other byte is kept.
#[inline]
fn lower_word(word: u64) -> u64 {
    let low7 = word & LOW7;
    // No byte carries into the next: 0x7f + 0x25 and 0x7f + 0x3f stay below 0x100.
    let above_z = low7 + (0x7f - u64::from(b'Z')) * ONES;
    let from_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let upper = !word & from_a & !above_z & HIGH;
    word | (upper >> 2)
}

/// The high bit of each byte that is a `.`, exactly (no false positives from borrows).
#[inline]
fn dot_mask(word: u64) -> u64 {
    let x = word ^ (u64::from(b'.') * ONES);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowers_strips_and_finds_dots() {
        let name = LoweredName::new(b"A.Bc.D.").unwrap();
        assert_eq!(name.as_bytes(), b"a.bc.d");
        assert_eq!(name.dots().collect::<Vec<_>>(), [1, 4]);
        assert_eq!(name.dots_rev().collect::<Vec<_>>(), [4, 1]);
        assert!(LoweredName::new(&[b'a'; 254]).is_none());
        let max = LoweredName::new(&[b'.'; 254]).unwrap();
        assert_eq!(max.as_bytes().len(), 253);
        assert_eq!(max.dots().count(), 253);
        assert_eq!(max.dots_rev().count(), 253);
        assert_eq!(max.dots().last(), Some(252));
        let empty = LoweredName::new(b"").unwrap();
        assert_eq!(empty.as_bytes(), b"");
        assert_eq!(empty.dots().count(), 0);
    }

    #[test]
    fn word_lowering_is_to_ascii_lowercase() {
        for byte in 0..=255u8 {
            for position in 0..8 {
                let mut bytes = [b'.'; 8];
                bytes[position] = byte;
                let mut expected = bytes;
                expected.make_ascii_lowercase();
                let got = lower_word(u64::from_le_bytes(bytes)).to_le_bytes();
                assert_eq!(got, expected, "byte {byte:#x} at {position}");
            }
        }
    }

    #[test]
    fn dot_mask_is_exact() {
        for byte in 0..=255u8 {
            for position in 0..8 {
                let mut bytes = [0u8; 8];
                bytes[position] = byte;
                bytes[(position + 3) % 8] = b'.';
                let mask = dot_mask(u64::from_le_bytes(bytes));
                let expected: Vec<usize> = (0..8).filter(|&i| bytes[i] == b'.').collect();
                let mut up = mask;
                let ascending: Vec<usize> =
                    std::iter::from_fn(|| (up != 0).then(|| first_byte(&mut up))).collect();
                assert_eq!(ascending, expected);
                let mut down = mask;
                let descending: Vec<usize> =
                    std::iter::from_fn(|| (down != 0).then(|| last_byte(&mut down))).collect();
                let mut reversed = expected.clone();
                reversed.reverse();
                assert_eq!(descending, reversed);
            }
        }
    }

    #[test]
    fn dots_match_a_byte_scan() {
        let names: [&[u8]; 5] = [
            b"a.b.c.d.e.f.g.h.i.j.k",
            b"........",
            b"no-dots-at-all-in-this-one",
            b".leading.and.trailing..",
            "\u{e9}.\u{fc}.X\u{2e}".as_bytes(),
        ];
        for raw in names {
            let name = LoweredName::new(raw).unwrap();
            let expected: Vec<usize> = name
                .as_bytes()
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'.')
                .map(|(i, _)| i)
                .collect();
            assert_eq!(name.dots().collect::<Vec<_>>(), expected);
            let mut reversed = expected;
            reversed.reverse();
            assert_eq!(name.dots_rev().collect::<Vec<_>>(), reversed);
            let mut lowered = raw.strip_suffix(b".").unwrap_or(raw).to_vec();
            lowered.make_ascii_lowercase();
            assert_eq!(name.as_bytes(), lowered);
        }
    }
}
