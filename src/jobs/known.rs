//! The line keys a process found mailed in its last reconcile ([`super::Context::remember`]),
//! asked once per line of every open case in every poll: the keys' 128-bit digests in the order
//! the pass met them, with an index by key.
//!
//! A pass meets the lines in the order of the cases' references, as the one before it did, so
//! the next key asked is almost always the one after the last key found: [`KnownKeys::contains_at`]
//! looks there first, a read of the next 16 bytes. Only a key that is not there (a new line, a
//! case closed or opened since) is looked up in the index: the digests are evenly spread (they
//! are hashes), so the top `bits` of a key say roughly where it sits: `starts[b]` is the first
//! entry of the keys whose top bits are `b` in `by_key`, and a lookup reads only that bucket
//! (about four keys). Looking every key up so, in a 4 MB array at 270,000 keys, missed the cache
//! at nearly every step: an eighth of a usual poll's work (docs/performance.md). The index costs
//! a `u32` a key and one per four keys.

/// The keys known to be mailed: in the order met, deduplicated, indexed by key.
#[derive(Debug, Default)]
pub(crate) struct KnownKeys {
    /// The keys, in the order the pass that found them met them.
    keys: Vec<u128>,
    /// How many top bits of a key pick its bucket.
    bits: u32,
    /// `starts[b]..starts[b + 1]` are the entries of `by_key` of bucket `b`.
    starts: Vec<u32>,
    /// Positions in `keys`, bucket by bucket, each bucket sorted by key.
    by_key: Vec<u32>,
}

impl KnownKeys {
    /// The keys of `keys`, in their order (a key met twice is kept where it was met first),
    /// indexed.
    pub(crate) fn new(keys: Vec<u128>) -> Self {
        // About four keys a bucket; at most 2^24 buckets (64 MB of keys would be needed first).
        let bits = (keys.len() / 4).max(1).ilog2().min(24);
        let buckets = 1_usize << bits;
        // The positions, bucket by bucket (a counting sort: one pass to count, one to place).
        let mut starts = vec![0_u32; buckets + 1];
        for &k in &keys {
            starts[Self::bucket(k, bits) + 1] += 1;
        }
        for b in 0..buckets {
            starts[b + 1] += starts[b];
        }
        let mut next = starts.clone();
        let mut by_key = vec![0_u32; keys.len()];
        for (at, &k) in keys.iter().enumerate() {
            let slot = &mut next[Self::bucket(k, bits)];
            by_key[*slot as usize] = u32::try_from(at).unwrap_or(u32::MAX);
            *slot += 1;
        }
        // Each bucket sorted by key, a key met twice dropped from the index: the buckets move
        // down over the dropped entries, and `starts` with them.
        let mut kept = 0;
        for b in 0..buckets {
            let (from, to) = (starts[b] as usize, starts[b + 1] as usize);
            by_key[from..to].sort_unstable_by_key(|&at| (keys[at as usize], at));
            starts[b] = u32::try_from(kept).unwrap_or(u32::MAX);
            let mut last = None;
            for i in from..to {
                let at = by_key[i];
                if last != Some(keys[at as usize]) {
                    last = Some(keys[at as usize]);
                    by_key[kept] = at;
                    kept += 1;
                }
            }
        }
        starts[buckets] = u32::try_from(kept).unwrap_or(u32::MAX);
        by_key.truncate(kept);
        Self {
            keys,
            bits,
            starts,
            by_key,
        }
    }

    fn bucket(key: u128, bits: u32) -> usize {
        // Lossless: `bits` is at most 24 (and 0 makes one bucket: a shift by 128 is none).
        key.checked_shr(128 - bits).unwrap_or(0) as usize
    }

    /// The position of `key` in the order met, if it is known.
    fn position(&self, key: u128) -> Option<usize> {
        if self.keys.is_empty() {
            return None;
        }
        let b = Self::bucket(key, self.bits);
        let (from, to) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        self.by_key[from..to]
            .iter()
            .map(|&at| at as usize)
            .find(|&at| self.keys[at] == key)
    }

    /// Whether `key` is one of the known keys.
    pub(crate) fn contains(&self, key: u128) -> bool {
        self.position(key).is_some()
    }

    /// Whether `key` is one of the known keys, looked for first at `cursor` (where the key
    /// after the last one found sits) and then in the index; a key found moves `cursor` past
    /// it. Asking in the order the keys were met reads them one after the other.
    pub(crate) fn contains_at(&self, key: u128, cursor: &mut usize) -> bool {
        if self.keys.get(*cursor) == Some(&key) {
            *cursor += 1;
            return true;
        }
        match self.position(key) {
            Some(at) => {
                *cursor = at + 1;
                true
            }
            None => false,
        }
    }

    /// How many keys are known.
    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no key is known.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::KnownKeys;

    /// Keys spread like digests (a simple mixing of a counter), and keys bunched at the ends of
    /// the range, which fill a few buckets only.
    fn spread(n: u64) -> Vec<u128> {
        (0..n)
            .map(|i| {
                let x = u128::from(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                (x << 64) | u128::from(i)
            })
            .collect()
    }

    #[test]
    fn every_key_is_found_and_no_other() {
        for n in [0, 1, 2, 3, 5, 64, 1000, 100_003] {
            let keys = spread(n);
            let known = KnownKeys::new(keys.clone());
            assert_eq!(known.len(), keys.len());
            for &k in &keys {
                assert!(known.contains(k), "{n} keys: {k:#x} not found");
                assert!(!known.contains(k ^ 1), "{n} keys: {:#x} found", k ^ 1);
            }
            assert!(!known.contains(u128::MAX) || keys.contains(&u128::MAX));
        }
    }

    #[test]
    fn bunched_and_repeated_keys_are_found() {
        let mut keys: Vec<u128> = (0..5000).map(|i| i * 3).collect();
        keys.extend((0..5000).map(|i| u128::MAX - i * 3));
        keys.extend(keys.clone());
        let known = KnownKeys::new(keys.clone());
        assert_eq!(known.len(), 10_000);
        for &k in &keys {
            assert!(known.contains(k));
        }
        assert!(!known.contains(1));
        assert!(!known.contains(u128::MAX - 1));
        assert!(!known.contains(1 << 127));
    }

    /// Asked in the order met, with keys new since and keys gone since, every key is found from
    /// the cursor or the index, and no other.
    #[test]
    fn keys_asked_in_about_the_order_met_are_found() {
        let keys = spread(10_000);
        let known = KnownKeys::new(keys.clone());
        let mut cursor = 0;
        for (i, &k) in keys.iter().enumerate() {
            // Every 7th key is gone (never asked); a new key comes before every 5th.
            if i % 7 == 3 {
                continue;
            }
            if i % 5 == 0 {
                assert!(!known.contains_at(k ^ 1, &mut cursor), "{k:#x} ^ 1 found");
            }
            assert!(known.contains_at(k, &mut cursor), "{i}: {k:#x} not found");
            assert_eq!(cursor, i + 1, "the cursor is past the key found");
        }
        // Out of order: found through the index, and the cursor follows.
        let mut cursor = 0;
        assert!(known.contains_at(keys[9_000], &mut cursor));
        assert_eq!(cursor, 9_001);
        assert!(known.contains_at(keys[9_001], &mut cursor));
        assert!(known.contains_at(keys[5], &mut cursor));
        assert_eq!(cursor, 6);
        let empty = KnownKeys::new(Vec::new());
        let mut cursor = 0;
        assert!(!empty.contains_at(keys[0], &mut cursor));
        assert_eq!(cursor, 0);
    }
}
