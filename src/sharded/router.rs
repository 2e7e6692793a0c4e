//! Key → shard routing with a hash fixed forever: the same key reaches the same shard
//! on every platform, toolchain and release.
//!
//! `shard = fmix64(fnv1a64(key)) % shard_count`, where `fnv1a64` is 64-bit FNV-1a
//! (offset basis 0xcbf29ce484222325, prime 0x100000001b3) and `fmix64` is MurmurHash3's
//! 64-bit finalizer (so every bit of the hash reaches the low bits the modulo uses).

/// The shard `key` is routed to among `shard_count` shards (`shard_count > 0`): the
/// same on every platform and in every release.
///
/// ```
/// # #[cfg(feature = "sharded")]
/// # fn main() {
/// use ironwal::sharded::shard_for_key;
///
/// assert_eq!(shard_for_key(b"user_123", 16), 13);
/// assert_eq!(shard_for_key(b"anything", 1), 0);
/// # }
/// # #[cfg(not(feature = "sharded"))]
/// # fn main() {}
/// ```
pub fn shard_for_key(key: &[u8], shard_count: u16) -> u16 {
    (fmix64(fnv1a64(key)) % shard_count as u64) as u16
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The stream that holds shard `shard`.
pub(crate) fn shard_stream(shard: u16) -> String {
    format!("shard_{shard:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// These values are part of the on-disk contract: changing them moves keys to
    /// other shards in existing WALs. They must never change.
    #[test]
    fn routing_vectors_never_change() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let vectors: [(&[u8], u16, u16); 8] = [
            (b"", 16, 6),
            (b"user_123", 16, 13),
            (b"user_124", 16, 11),
            (b"raft", 3, 2),
            (b"key_0", 256, 92),
            (b"key_1", 256, 222),
            (&[0xff; 32], 7, 1),
            (b"anything", 1, 0),
        ];
        for (key, count, shard) in vectors {
            assert_eq!(
                shard_for_key(key, count),
                shard,
                "key {key:?} over {count} shards"
            );
        }
    }

    #[test]
    fn spreads_keys_evenly() {
        let mut counts = [0u32; 16];
        for i in 0..16_000 {
            counts[shard_for_key(format!("user_{i}").as_bytes(), 16) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }
}
