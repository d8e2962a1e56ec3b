//! A map that writes its members in the order a Java `ConcurrentHashMap` iterates them.
//!
//! fastjson writes a `ConcurrentHashMap` in iteration order, which is bucket order: members
//! sorted by `spread(key.hashCode()) & (tableSize - 1)`, members of one bucket in insertion order.
//! The table size is fixed by the map's initial capacity (`new ConcurrentHashMap<>(1024)` has
//! 2048 buckets) and doubles when the map reaches 3/4 of it. Writing in that order makes our
//! `config/*.json` byte-identical to Java's for the same content. (After a resize Java may
//! reorder members that share a bucket; that is the only case where the order can differ, and
//! the order never matters to a reader.)

use std::collections::HashMap;
use std::hash::Hash;

use super::hash::java_string_hash;
use super::hash_map::spread;
use crate::fastjson::{FromJson, JsonError, JsonKey, ToJson, Value};

/// A key with a Java `hashCode`.
pub trait JavaHashKey: Eq + Hash + Clone + JsonKey {
    fn java_hash_code(&self) -> i32;
}

impl JavaHashKey for String {
    fn java_hash_code(&self) -> i32 {
        java_string_hash(self)
    }
}

impl JavaHashKey for i32 {
    fn java_hash_code(&self) -> i32 {
        *self
    }
}

impl JavaHashKey for i64 {
    fn java_hash_code(&self) -> i32 {
        (*self ^ ((*self as u64) >> 32) as i64) as i32
    }
}

/// Table size of `new ConcurrentHashMap<>(initial_capacity)` once it holds `len` members;
/// `initial_capacity` 0 stands for the no-argument constructor (16 buckets).
pub fn chm_table_size(initial_capacity: usize, len: usize) -> usize {
    let mut n = if initial_capacity == 0 {
        16
    } else {
        (initial_capacity + (initial_capacity >> 1) + 1)
            .next_power_of_two()
            .min(1 << 30)
    };
    // Resize happens when the count reaches sizeCtl = 0.75 n.
    while len >= n - (n >> 2) && n < (1 << 30) {
        n <<= 1;
    }
    n
}

/// A map with Java `ConcurrentHashMap<K, V>(CAP)` write order. Members read from a file keep
/// the file's order as their insertion order.
#[derive(Debug, Clone)]
pub struct JavaMap<K, V, const CAP: usize> {
    entries: HashMap<K, (u64, V)>,
    next_seq: u64,
}

impl<K, V, const CAP: usize> Default for JavaMap<K, V, CAP> {
    fn default() -> Self {
        JavaMap {
            entries: HashMap::new(),
            next_seq: 0,
        }
    }
}

impl<K: JavaHashKey, V: PartialEq, const CAP: usize> PartialEq for JavaMap<K, V, CAP> {
    /// Same members and values; insertion order is not compared.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .entries
                .iter()
                .all(|(k, (_, v))| other.get(k) == Some(v))
    }
}

impl<K: JavaHashKey, V: Eq, const CAP: usize> Eq for JavaMap<K, V, CAP> {}

impl<K: JavaHashKey, V, const CAP: usize> JavaMap<K, V, CAP> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get(key).map(|(_, v)| v)
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get_mut(key).map(|(_, v)| v)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.contains_key(key)
    }

    /// Inserts or replaces; a replaced member keeps its place (as in a Java map).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some((_, old)) = self.entries.get_mut(&key) {
            return Some(std::mem::replace(old, value));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.insert(key, (seq, value));
        None
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.remove(key).map(|(_, v)| v)
    }

    /// The value for `key`, inserted with `make` when absent.
    pub fn entry_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let next_seq = &mut self.next_seq;
        let slot = self.entries.entry(key).or_insert_with(|| {
            let seq = *next_seq;
            *next_seq += 1;
            (seq, make())
        });
        &mut slot.1
    }

    /// Members in arbitrary order (fast).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, (_, v))| (k, v))
    }

    /// Values in arbitrary order (fast).
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.values().map(|(_, v)| v)
    }

    /// Members in arbitrary order, values mutable (members keep their places).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, (_, v))| (k, v))
    }

    /// Values in arbitrary order, mutable.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.values_mut().map(|(_, v)| v)
    }

    /// Keeps the members `keep` says yes to (it may change their values); the others are
    /// removed as by [`JavaMap::remove`].
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain(|k, (_, v)| keep(k, v));
    }

    /// Members in the order Java writes them.
    pub fn iter_java_order(&self) -> Vec<(&K, &V)> {
        let n = chm_table_size(CAP, self.entries.len());
        let mask = (n - 1) as u32;
        let mut members: Vec<(u32, u64, &K, &V)> = self
            .entries
            .iter()
            .map(|(k, (seq, v))| (spread(k.java_hash_code()) & mask, *seq, k, v))
            .collect();
        members.sort_unstable_by_key(|m| (m.0, m.1));
        members.into_iter().map(|(_, _, k, v)| (k, v)).collect()
    }
}

impl<K: JavaHashKey, V, const CAP: usize> FromIterator<(K, V)> for JavaMap<K, V, CAP> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = JavaMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<K: JavaHashKey, V: ToJson, const CAP: usize> ToJson for JavaMap<K, V, CAP> {
    fn to_json(&self) -> Value {
        Value::Object(
            self.iter_java_order()
                .into_iter()
                .map(|(k, v)| (k.to_key(), v.to_json()))
                .collect(),
        )
    }
}

impl<K: JavaHashKey, V: FromJson, const CAP: usize> FromJson for JavaMap<K, V, CAP> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let Value::Object(members) = v else {
            return Err(JsonError(format!(
                "expected an object, found {}",
                crate::fastjson::to_compact(v)
            )));
        };
        let mut map = JavaMap::new();
        for (k, val) in members {
            if val.is_null() {
                continue;
            }
            let key = K::from_key(k)?;
            let value = V::from_json(val).map_err(|e| e.at(&k.key_text().unwrap_or_default()))?;
            map.insert(key, value);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sizes_follow_java() {
        assert_eq!(chm_table_size(1024, 0), 2048);
        assert_eq!(chm_table_size(1024, 1535), 2048);
        assert_eq!(chm_table_size(1024, 1536), 4096);
        assert_eq!(chm_table_size(512, 10), 1024);
        assert_eq!(chm_table_size(32, 3), 64);
        assert_eq!(chm_table_size(0, 11), 16);
        assert_eq!(chm_table_size(0, 12), 32);
    }

    #[test]
    fn java_order_is_bucket_order_then_insertion() {
        let mut m: JavaMap<i32, i32, 32> = JavaMap::new();
        for k in [5, 64, 0, 3] {
            m.insert(k, k);
        }
        // 64 buckets: 0 and 64 share bucket 0, 0 inserted after 64.
        let order: Vec<i32> = m.iter_java_order().into_iter().map(|(k, _)| *k).collect();
        assert_eq!(order, vec![64, 0, 3, 5]);
    }

    #[test]
    fn replaced_value_keeps_its_place() {
        let mut m: JavaMap<String, i32, 16> = JavaMap::new();
        m.insert("a".into(), 1);
        assert_eq!(m.insert("a".into(), 2), Some(1));
        assert_eq!(m.get(&"a".to_string()), Some(&2));
        assert_eq!(m.len(), 1);
    }
}
