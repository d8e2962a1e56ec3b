//! The iteration order of Java's `HashMap`/`HashSet` of strings, so that answers the Java
//! NameServer builds from them (topic lists) come out in the same order, byte for byte.
//!
//! A `HashMap` iterates bucket by bucket, bucket = `(h ^ (h >>> 16)) & (tableSize - 1)` with
//! `h = key.hashCode()`, and within a bucket in insertion order. The table size starts at
//! `tableSizeFor(initialCapacity)` (16 by default) and doubles whenever the size exceeds 3/4 of
//! it; it never shrinks.

use crate::java::hash::java_string_hash;

/// `HashMap.hash(key)` of a string.
fn spread(s: &str) -> u32 {
    let h = java_string_hash(s) as u32;
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

/// The bucket of `key` in a table of `table_size` (a power of two).
pub fn bucket(key: &str, table_size: usize) -> usize {
    (spread(key) as usize) & (table_size - 1)
}

/// The order a `new HashSet<String>()` iterates after `addAll(items)` (items in the order they
/// were added).
pub fn hash_set_order(mut items: Vec<String>) -> Vec<String> {
    let n = hash_map_table_size(16, items.len());
    // A stable sort keeps insertion order within a bucket.
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
        assert_eq!(hash_map_table_size(16, 25), 64);
        assert_eq!(hash_map_table_size(1024, 768), 1024);
        assert_eq!(hash_map_table_size(1024, 769), 2048);
        assert_eq!(hash_map_table_size(100, 0), 128);
    }

    #[test]
    fn small_sets_iterate_by_bucket() {
        // "a" = 97 -> bucket 1, "b" = 98 -> bucket 2, "q" = 113 -> bucket 1 (113 & 15).
        assert_eq!(
            hash_set_order(vec!["b".into(), "q".into(), "a".into()]),
            vec!["q".to_string(), "a".to_string(), "b".to_string()]
        );
    }
}
