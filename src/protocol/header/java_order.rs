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

pub use crate::java::{hash_map_order as java_hash_map_order, java_string_hash};

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
