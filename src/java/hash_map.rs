//! Iteration order of `java.util.HashMap` / `HashSet`: bucket by bucket, a key's bucket being
//! `(h ^ (h >>> 16)) & (tableSize - 1)` with `h = key.hashCode()`, keys of one bucket in insertion
//! order (`resize` keeps their relative order; buckets never treeify at RocketMQ's sizes). The
//! table starts at `tableSizeFor(initialCapacity)` and doubles whenever the size exceeds 3/4 of
//! it; it never shrinks. Java answers built from such maps (topic lists, extFields) come out in
//! this order, and reproducing it makes ours byte-identical.

use super::hash::java_string_hash;

/// `HashMap.hash`: the high half folded into the low half. (`ConcurrentHashMap.spread` also
/// clears the sign bit, which never reaches a bucket index.)
pub fn spread(hash: i32) -> u32 {
    let h = hash as u32;
    h ^ (h >> 16)
}

/// Table size of `new HashMap<>(initial_capacity)` that has held at most `max_len` entries
/// (`initial_capacity` 16 for the no-argument constructor).
pub fn hash_map_table_size(initial_capacity: usize, max_len: usize) -> usize {
    let mut n = initial_capacity.max(1).next_power_of_two().min(1 << 30);
    while max_len > n - (n >> 2) && n < (1 << 30) {
        n <<= 1;
    }
    n
}

/// The bucket of string `key` in a table of `table_size` (a power of two).
pub fn bucket(key: &str, table_size: usize) -> usize {
    (spread(java_string_hash(key)) as usize) & (table_size - 1)
}

/// Iteration order of a default `HashMap` (or `HashSet`) into which distinct keys with these hash
/// codes were inserted, in this order. Returns indices into `hashes`.
pub fn hash_map_order(hashes: &[i32]) -> Vec<usize> {
    let mask = hash_map_table_size(16, hashes.len()) - 1;
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    // Stable: entries of one bucket keep their insertion order.
    order.sort_by_key(|&i| spread(hashes[i]) as usize & mask);
    order
}

/// The order a `new HashSet<String>()` iterates after `addAll(items)` (items in the order they
/// were added).
pub fn hash_set_order(mut items: Vec<String>) -> Vec<String> {
    let n = hash_map_table_size(16, items.len());
    items.sort_by_cached_key(|s| bucket(s, n));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sizes_follow_javas_resize_rule() {
        assert_eq!(hash_map_table_size(16, 0), 16);
        assert_eq!(hash_map_table_size(16, 12), 16);
        assert_eq!(hash_map_table_size(16, 13), 32);
        assert_eq!(hash_map_table_size(16, 24), 32);
        assert_eq!(hash_map_table_size(16, 25), 64);
        assert_eq!(hash_map_table_size(1024, 768), 1024);
        assert_eq!(hash_map_table_size(1024, 769), 2048);
        assert_eq!(hash_map_table_size(100, 0), 128);
    }

    #[test]
    fn order_is_by_bucket_then_insertion() {
        // "a" = 97 -> bucket 1; "Aa" and "BB" collide (2112 -> bucket 0): insertion order kept.
        let order = hash_map_order(&[
            java_string_hash("a"),
            java_string_hash("BB"),
            java_string_hash("Aa"),
        ]);
        assert_eq!(order, vec![1, 2, 0]);
        // "b" = 98 -> bucket 2, "q" = 113 -> bucket 1.
        assert_eq!(
            hash_set_order(vec!["b".into(), "q".into(), "a".into()]),
            vec!["q".to_string(), "a".to_string(), "b".to_string()]
        );
    }
}
