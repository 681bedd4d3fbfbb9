//! A ClientHello server name as the map compares it: lower case, without its trailing dot.
//!
//! What makes the lookup allocation-free: rustls hands over the name as the client sent it (no
//! case folding guaranteed), and the map's keys are lower case. A name already in lower case
//! (the usual) is used where it is, uncopied; one with an upper-case letter is copied and
//! lowered into a buffer on the stack (253 bytes is the longest DNS name). Checking, lowering
//! and finding the dots work on eight bytes at a time; the dots are found only when the exact
//! probe misses, as a 256-bit set that the lookup intersects with the lengths of the suffix and
//! prefix keys.

use crate::bits::SmallSet;
use crate::sni::MAX_NAME_LEN;

/// The buffer: the longest name, rounded up to whole 8-byte words.
const BUF_LEN: usize = 256;
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x80 * ONES;
const LOW7: u64 = 0x7f * ONES;

/// Where a name with upper-case letters is lowered; untouched (not even zeroed) otherwise.
#[derive(Default)]
pub(crate) struct Scratch(Option<[u8; BUF_LEN]>);

/// A server name as the map compares it: ASCII lower case, one trailing dot removed, at most
/// 253 bytes.
pub(crate) struct LoweredName<'a> {
    bytes: &'a [u8],
}

impl<'a> LoweredName<'a> {
    /// `None` when the name is longer than 253 bytes once its trailing dot is removed.
    #[inline]
    pub(crate) fn new(raw: &'a [u8], scratch: &'a mut Scratch) -> Option<Self> {
        let raw = raw.strip_suffix(b".").unwrap_or(raw);
        if raw.len() > MAX_NAME_LEN {
            return None;
        }
        let mut upper = 0;
        for_each_word(raw, |_, word| upper |= upper_mask(word));
        if upper == 0 {
            return Some(Self { bytes: raw });
        }
        let buf = scratch.0.insert([0u8; BUF_LEN]);
        for (src, dst) in raw.chunks(8).zip(buf.chunks_exact_mut(8)) {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = s.to_ascii_lowercase();
            }
        }
        Some(Self {
            bytes: buf.get(..raw.len()).unwrap_or_default(),
        })
    }

    /// The lowered name.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The positions of its dots.
    #[inline]
    pub(crate) fn dots(&self) -> SmallSet {
        let mut dots = SmallSet::default();
        for_each_word(self.bytes, |k, word| {
            dots.insert_byte(k, byte_mask(dot_mask(word)));
        });
        dots
    }
}

/// Calls `f(k, word)` for each 8-byte word `k` of `bytes` (little-endian), the last one padded
/// with zero bytes; without a copy of the bytes.
#[inline]
fn for_each_word(bytes: &[u8], mut f: impl FnMut(usize, u64)) {
    let mut chunks = bytes.chunks_exact(8);
    let mut k = 0;
    for chunk in &mut chunks {
        f(k, load(chunk));
        k += 1;
    }
    let rest = chunks.remainder().len();
    if rest == 0 {
        return;
    }
    let tail = match bytes
        .len()
        .checked_sub(8)
        .and_then(|start| bytes.get(start..))
    {
        // The last eight bytes, shifted so that the remainder's bytes come first.
        Some(last) => load(last) >> (8 * (8 - rest)),
        None => chunks
            .remainder()
            .iter()
            .rev()
            .fold(0, |word, &b| (word << 8) | u64::from(b)),
    };
    f(k, tail);
}

#[inline]
fn load(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    u64::from_le_bytes(word)
}

/// The high bit of each byte that is an ASCII upper-case letter.
#[inline]
fn upper_mask(word: u64) -> u64 {
    let low7 = word & LOW7;
    // No byte carries into the next: 0x7f + 0x25 and 0x7f + 0x3f stay below 0x100.
    let above_z = low7 + (0x7f - u64::from(b'Z')) * ONES;
    let from_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    !word & from_a & !above_z & HIGH
}

/// One bit per byte of a [`dot_mask`]: bit `i` for byte `i`.
#[inline]
fn byte_mask(mask: u64) -> u8 {
    // The flags sit at bits 8i + 7; the multiplication gathers bit 8i into bit 56 + i.
    (((mask >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as u8
}

/// `to_ascii_lowercase` on eight bytes at once: `A`-`Z` gain 0x20, every other byte is kept.
#[cfg(test)]
fn lower_word(word: u64) -> u64 {
    word | (upper_mask(word) >> 2)
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

    fn dots(name: &LoweredName) -> Vec<usize> {
        let mut set = name.dots();
        std::iter::from_fn(|| set.pop_lowest()).collect()
    }

    #[test]
    fn lowers_strips_and_finds_dots() {
        let mut scratch = Scratch::default();
        let name = LoweredName::new(b"A.Bc.D.", &mut scratch).unwrap();
        assert_eq!(name.as_bytes(), b"a.bc.d");
        assert_eq!(dots(&name), [1, 4]);
        assert!(LoweredName::new(&[b'a'; 254], &mut Scratch::default()).is_none());
        assert!(LoweredName::new(&[b'A'; 254], &mut Scratch::default()).is_none());
        let mut scratch = Scratch::default();
        let max = LoweredName::new(&[b'.'; 254], &mut scratch).unwrap();
        assert_eq!(max.as_bytes().len(), 253);
        assert_eq!(dots(&max), (0..253).collect::<Vec<_>>());
        let mut scratch = Scratch::default();
        let empty = LoweredName::new(b"", &mut scratch).unwrap();
        assert_eq!(empty.as_bytes(), b"");
        assert!(empty.dots().is_empty());
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
                let bits = byte_mask(dot_mask(u64::from_le_bytes(bytes)));
                for (i, b) in bytes.iter().enumerate() {
                    assert_eq!(bits & (1 << i) != 0, *b == b'.', "{bytes:?} byte {i}");
                }
            }
        }
        for pattern in 0..=255u8 {
            let bytes: [u8; 8] =
                std::array::from_fn(|i| if pattern & (1 << i) != 0 { b'.' } else { b'-' });
            assert_eq!(byte_mask(dot_mask(u64::from_le_bytes(bytes))), pattern);
        }
    }

    #[test]
    fn dots_match_a_byte_scan() {
        let names: [&[u8]; 10] = [
            b"",
            b"A",
            b"a.B",
            b".Z.z.",
            b"a.b.c.d.e.f.g.h.i.j.k",
            b"........",
            b"no-dots-at-all-in-this-one",
            b".leading.and.trailing..",
            "\u{e9}.\u{fc}.X\u{2e}".as_bytes(),
            b"x.234567.9abcdef.12345678.",
        ];
        for raw in names {
            let mut scratch = Scratch::default();
            let name = LoweredName::new(raw, &mut scratch).unwrap();
            let expected: Vec<usize> = name
                .as_bytes()
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'.')
                .map(|(i, _)| i)
                .collect();
            assert_eq!(dots(&name), expected);
            let mut lowered = raw.strip_suffix(b".").unwrap_or(raw).to_vec();
            lowered.make_ascii_lowercase();
            assert_eq!(name.as_bytes(), lowered);
        }
    }
}
