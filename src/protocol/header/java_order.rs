//! The order in which Java puts a header's `extFields` on the wire, for byte-identical output.
//!
//! Java keeps `extFields` in a `java.util.HashMap` and both header encodings (fastjson and the
//! binary one, except for the fast-codec headers) write it in iteration order. That order is a
//! function of the keys' `String.hashCode`, the table capacity, and - for keys sharing a bucket -
//! insertion order. Insertion order in turn comes from `makeCustomHeaderToNet`, which walks the
//! header's fields out of a `HashSet<Field>` (`Field.hashCode` = declaring class name hash XOR field
//! name hash), after the keys added with `addExtField` before encoding, and before the ACL hook's
//! `Signature` (which signs the header fields, so it is added last).
//!
//! Within a bucket `HashMap.resize` keeps relative order, so iteration order is: by bucket index at
//! the final capacity, ties in insertion order. Treeified buckets (8+ collisions) never happen at
//! header sizes.

pub use crate::java::java_string_hash;

/// `HashMap.hash`: the high half folded into the low half.
fn spread(hash: i32) -> u32 {
    let h = hash as u32;
    h ^ (h >> 16)
}

/// The table size of a default `HashMap` (16 buckets, load factor 0.75) holding `n` entries.
fn capacity_for(n: usize) -> usize {
    let mut cap = 16;
    while n > cap / 4 * 3 {
        cap *= 2;
    }
    cap
}

/// Iteration order of a default `java.util.HashMap` (or `HashSet`) into which distinct keys with
/// these hash codes were inserted, in this order. Returns indices into `hashes`.
pub fn java_hash_map_order(hashes: &[i32]) -> Vec<usize> {
    let mask = capacity_for(hashes.len()) - 1;
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    // Stable: entries of one bucket keep their insertion order.
    order.sort_by_key(|&i| spread(hashes[i]) as usize & mask);
    order
}

/// The order `makeCustomHeaderToNet` visits a header's fields in: `HashSet<Field>` iteration order
/// of the class's fields (declared ones first, then the superclass's), each given as
/// (declaring class's binary name, field name). Returns indices into `fields`.
pub fn java_field_set_order(fields: &[(&str, &str)]) -> Vec<usize> {
    let hashes: Vec<i32> = fields
        .iter()
        .map(|(class, name)| java_string_hash(class) ^ java_string_hash(name))
        .collect();
    java_hash_map_order(&hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_by_bucket_then_insertion() {
        // "Aa" and "BB" collide (2112); with 16 buckets both land in bucket 0 after "a"(97 -> 1)?
        // Bucket of 2112 = 2112 & 15 = 0; bucket of 97 = 1. Insertion order kept inside bucket 0.
        let order = java_hash_map_order(&[
            java_string_hash("a"),
            java_string_hash("BB"),
            java_string_hash("Aa"),
        ]);
        assert_eq!(order, vec![1, 2, 0]);
        let order = java_hash_map_order(&[java_string_hash("Aa"), java_string_hash("BB")]);
        assert_eq!(order, vec![0, 1]);
    }

    #[test]
    fn capacity_grows_past_twelve_entries() {
        assert_eq!(capacity_for(0), 16);
        assert_eq!(capacity_for(12), 16);
        assert_eq!(capacity_for(13), 32);
        assert_eq!(capacity_for(24), 32);
        assert_eq!(capacity_for(25), 64);
    }
}
