//! The message properties string: `key \u0001 value \u0002 ...` with the trailing separator
//! dropped (`MessageDecoder.messageProperties2String` / `string2messageProperties`).

use crate::java::java_string_hash;

pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Message properties in a known order. Java keeps them in a `HashMap`, so the order it writes
/// is the `HashMap` iteration order; [`Properties::to_java_string`] reproduces it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<(String, String)>,
}

impl Properties {
    pub fn new() -> Properties {
        Properties::default()
    }

    /// Parses a properties string the way Java does: entries shorter than 3 characters, without a
    /// separator, with an empty key or an empty value are skipped; a repeated key keeps the last
    /// value (at the first key's place).
    pub fn parse(s: &str) -> Properties {
        let mut props = Properties::new();
        for entry in s.split(PROPERTY_SEPARATOR) {
            if entry.chars().count() < 3 {
                continue;
            }
            if let Some((k, v)) = entry.split_once(NAME_VALUE_SEPARATOR) {
                if !k.is_empty() && !v.is_empty() {
                    props.insert(k, v);
                }
            }
        }
        props
    }

    /// Parses the bytes of a stored properties field (UTF-8; invalid bytes are replaced as Java's
    /// `new String(bytes, UTF_8)` does).
    pub fn parse_bytes(bytes: &[u8]) -> Properties {
        Properties::parse(&String::from_utf8_lossy(bytes))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` (replacing the value in place, like a `HashMap` put).
    pub fn insert(&mut self, key: &str, value: &str) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.entries.push((key.to_string(), value.to_string())),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The string in this object's own order.
    pub fn to_properties_string(&self) -> String {
        join(self.entries.iter())
    }

    /// The string Java would write for the same map: `HashMap` iteration order (bucket index of
    /// the spread `String.hashCode` at the map's capacity; insertion order inside a bucket). The
    /// capacity is the smallest power of two >= 16 holding the entries at load factor 0.75.
    pub fn to_java_string(&self) -> String {
        let mut capacity = 16usize;
        while self.entries.len() * 4 > capacity * 3 {
            capacity *= 2;
        }
        let mut order: Vec<(usize, &(String, String))> = self
            .entries
            .iter()
            .map(|e| {
                let h = java_string_hash(&e.0) as u32;
                ((((h ^ (h >> 16)) as usize) & (capacity - 1)), e)
            })
            .collect();
        order.sort_by_key(|(bucket, _)| *bucket);
        join(order.into_iter().map(|(_, e)| e))
    }
}

fn join<'a>(entries: impl Iterator<Item = &'a (String, String)>) -> String {
    let mut s = String::new();
    for (k, v) in entries {
        if !s.is_empty() {
            s.push(PROPERTY_SEPARATOR);
        }
        s.push_str(k);
        s.push(NAME_VALUE_SEPARATOR);
        s.push_str(v);
    }
    s
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Properties {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut p = Properties::new();
        for (k, v) in iter {
            p.insert(k.as_ref(), v.as_ref());
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_skips_what_java_skips() {
        let p = Properties::parse(
            "KEYS\u{1}k1 k2\u{2}TAGS\u{1}TagA\u{2}x\u{2}\u{1}v\u{2}E\u{1}\u{2}A\u{1}b",
        );
        assert_eq!(p.get("KEYS"), Some("k1 k2"));
        assert_eq!(p.get("TAGS"), Some("TagA"));
        assert_eq!(p.get("A"), Some("b"));
        assert_eq!(p.len(), 3);
        assert_eq!(
            p.to_properties_string(),
            "KEYS\u{1}k1 k2\u{2}TAGS\u{1}TagA\u{2}A\u{1}b"
        );
    }

    #[test]
    fn java_hashmap_order_matches_stored_strings() {
        // Strings as Java 4.9.7 stored them (golden main-master commitlog); we rebuild each from
        // its entries given in reverse order.
        let stored = [
            "a\u{1}7\u{2}color\u{1}red\u{2}KEYS\u{1}key-sync-1 key-sync-2\u{2}UNIQ_KEY\u{1}FD0000000000000000000000000000024C2630946E0973235F230000\u{2}CLUSTER\u{1}DefaultCluster\u{2}TAGS\u{1}TagA",
            "REAL_TOPIC\u{1}%RETRY%golden_push_consumer\u{2}ORIGIN_MESSAGE_ID\u{1}7F00000100002A9F000000000006745A\u{2}RETRY_TOPIC\u{1}GoldenPush\u{2}KEYS\u{1}push-1\u{2}UNIQ_KEY\u{1}FD0000000000000000000000000000024E3830946E09732389F30000\u{2}CLUSTER\u{1}DefaultCluster\u{2}WAIT\u{1}false\u{2}DELAY\u{1}3\u{2}TAGS\u{1}TagA\u{2}seq\u{1}1\u{2}REAL_QID\u{1}0",
            "REAL_TOPIC\u{1}GoldenTx\u{2}KEYS\u{1}tx-commit\u{2}txCase\u{1}tx-commit\u{2}TRAN_MSG\u{1}true\u{2}UNIQ_KEY\u{1}FD000000000000000000000000000002561B30946E0973247FC80000\u{2}CLUSTER\u{1}DefaultCluster\u{2}PGROUP\u{1}golden_tx_producer\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagTx\u{2}REAL_QID\u{1}3",
            "KEYS\u{1}golden_pull_consumer\u{2}DELAY\u{1}0\u{2}TAGS\u{1}golden_pull_consumer",
        ];
        for s in stored {
            let parsed = Properties::parse(s);
            assert_eq!(parsed.to_properties_string(), s);
            assert_eq!(
                parsed.to_java_string(),
                s,
                "parse + Java order is the identity on Java output"
            );
        }
        // Built in the order a producer and the broker insert them (user properties, TAGS,
        // KEYS, UNIQ_KEY, then the broker's CLUSTER): HashMap order is what Java stored.
        let built: Properties = [
            ("color", "red"),
            ("a", "7"),
            ("TAGS", "TagA"),
            ("KEYS", "key-sync-1 key-sync-2"),
            (
                "UNIQ_KEY",
                "FD0000000000000000000000000000024C2630946E0973235F230000",
            ),
            ("CLUSTER", "DefaultCluster"),
        ]
        .into_iter()
        .collect();
        assert_eq!(built.to_java_string(), stored[0]);
    }
}
