//! The line keys a process found mailed in its last reconcile ([`super::Context::remember`]),
//! asked once per line of every open case in every poll: a sorted array of the keys' 128-bit
//! digests with a small index by their top bits.
//!
//! The digests are evenly spread (they are hashes), so the top `bits` of a key say roughly where
//! it sits: `starts[b]` is the first position of a key whose top bits are `b`, and a lookup
//! searches only that bucket (about four keys). A plain binary search over the whole array
//! (4 MB at 270,000 keys) missed the cache at nearly every step: it was a tenth of a usual
//! poll. The index costs one `u32` per four keys.

/// The keys known to be mailed: sorted, deduplicated, with the index of [`Self::contains`].
#[derive(Debug, Default)]
pub(crate) struct KnownKeys {
    keys: Vec<u128>,
    /// How many top bits of a key pick its bucket.
    bits: u32,
    /// `starts[b]..starts[b + 1]` are the positions of the keys of bucket `b`.
    starts: Vec<u32>,
}

impl KnownKeys {
    /// The keys of `keys`, sorted and deduplicated, indexed.
    pub(crate) fn new(mut keys: Vec<u128>) -> Self {
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        // About four keys a bucket; at most 2^24 buckets (64 MB of keys would be needed first).
        let bits = (keys.len() / 4).max(1).ilog2().min(24);
        let buckets = 1_usize << bits;
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut at = 0;
        for b in 0..buckets {
            while at < keys.len() && Self::bucket(keys[at], bits) < b {
                at += 1;
            }
            starts.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        starts.push(u32::try_from(keys.len()).unwrap_or(u32::MAX));
        Self { keys, bits, starts }
    }

    fn bucket(key: u128, bits: u32) -> usize {
        // Lossless: `bits` is at most 24 (and 0 makes one bucket: a shift by 128 is none).
        key.checked_shr(128 - bits).unwrap_or(0) as usize
    }

    /// Whether `key` is one of the known keys.
    pub(crate) fn contains(&self, key: u128) -> bool {
        if self.keys.is_empty() {
            return false;
        }
        let b = Self::bucket(key, self.bits);
        let (from, to) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        self.keys[from..to].binary_search(&key).is_ok()
    }

    /// How many keys are known.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
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
}
