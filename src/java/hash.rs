//! Java's `String.hashCode`, which the store uses for tags codes and IndexFile key hashes.

/// `s.hashCode()` as Java computes it: over UTF-16 code units, wrapping 32-bit arithmetic.
pub fn java_string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(unit as i32);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::java_string_hash;

    #[test]
    fn matches_java_values() {
        // Values printed by Java's "...".hashCode().
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("TagA"), 2598919);
        assert_eq!(java_string_hash("hello"), 99162322);
        // Overflows wrap like Java ints.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        // Non-BMP characters count as two UTF-16 units.
        assert_eq!(java_string_hash("😀"), 1772899);
    }
}
