//! The exact iteration order of a `ConcurrentHashMap` (Java 8–17) filled by a known sequence of
//! puts, resizes included.
//!
//! [`super::JavaMap`] sorts by bucket and then by insertion, which is Java's order unless a
//! resize moved two keys of one bucket: `transfer` keeps the bin's longest tail of keys bound
//! for the same half as it is and re-links the keys before it in reverse. Replaying the puts
//! and resizes reproduces that. `java.util.Properties` is such a map on Java 9+, and
//! RocketMQ's `Configuration` writes the broker's properties in its order.

use super::hash::java_string_hash;
use super::hash_map::spread;

/// A `new ConcurrentHashMap<>(initial_capacity)` that only ever gains keys.
#[derive(Debug)]
pub struct ChmReplay {
    /// Bins of (spread hash, key), each in list order.
    table: Vec<Vec<(u32, String)>>,
    count: usize,
    /// Resize when `count` reaches this (`sizeCtl`: 3/4 of the table).
    size_ctl: usize,
}

impl ChmReplay {
    pub fn new(initial_capacity: usize) -> ChmReplay {
        // Java 17: tableSizeFor(1 + cap / 0.75); Java 8: tableSizeFor(cap + cap/2 + 1). Both
        // agree for the capacities RocketMQ uses (8 -> 16, 16 -> 32).
        let n = (initial_capacity + (initial_capacity >> 1) + 1)
            .next_power_of_two()
            .clamp(1, 1 << 30);
        ChmReplay {
            table: vec![Vec::new(); n],
            count: 0,
            size_ctl: n - (n >> 2),
        }
    }

    /// `put(key, ...)`: a new key goes to the tail of its bin; an existing one stays put.
    pub fn put(&mut self, key: &str) {
        let hash = spread(java_string_hash(key)) & 0x7fff_ffff;
        let n = self.table.len();
        let bin = &mut self.table[hash as usize & (n - 1)];
        if bin.iter().any(|(_, k)| k == key) {
            return;
        }
        bin.push((hash, key.to_string()));
        self.count += 1;
        while self.count >= self.size_ctl && self.table.len() < (1 << 30) {
            self.resize();
        }
    }

    /// `transfer` into a table twice the size.
    fn resize(&mut self) {
        let n = self.table.len();
        let mut next: Vec<Vec<(u32, String)>> = vec![Vec::new(); n * 2];
        for (i, bin) in std::mem::take(&mut self.table).into_iter().enumerate() {
            let high = |h: u32| h as usize & n != 0;
            // The longest tail whose keys all go to the same half moves as it is.
            let mut last_run = 0;
            for j in 1..bin.len() {
                if high(bin[j].0) != high(bin[j - 1].0) {
                    last_run = j;
                }
            }
            let (mut low, mut up) = (Vec::new(), Vec::new());
            if let Some(first) = bin.get(last_run) {
                let tail = bin[last_run..].to_vec();
                if high(first.0) {
                    up = tail;
                } else {
                    low = tail;
                }
            }
            // The keys before it are pushed on the front, one by one: reversed.
            for node in bin[..last_run].iter() {
                if high(node.0) {
                    up.insert(0, node.clone());
                } else {
                    low.insert(0, node.clone());
                }
            }
            next[i] = low;
            next[i + n] = up;
        }
        self.table = next;
        self.size_ctl = (n * 2) - (n >> 1);
    }

    /// The keys in iteration order: bins in index order, each bin's list in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.table
            .iter()
            .flat_map(|bin| bin.iter().map(|(_, k)| k.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_maps_follow_bucket_then_insertion_order() {
        let mut m = ChmReplay::new(8);
        for k in ["b", "a", "c"] {
            m.put(k);
        }
        m.put("a");
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn a_resize_reverses_the_keys_before_the_last_run() {
        let hash = |k: &str| spread(java_string_hash(k)) & 0x7fff_ffff;
        // Keys of bin 0 (of 16) that stay low or move up (bin 16) when the table doubles.
        let in_bin0 = |up: bool| {
            (0..)
                .map(|n: u32| format!("k{n}"))
                .filter(move |k| hash(k) & 15 == 0 && (hash(k) & 16 != 0) == up)
        };
        let lows: Vec<String> = in_bin0(false).take(2).collect();
        let highs: Vec<String> = in_bin0(true).take(2).collect();
        // Bin 0 holds low, high, low, high: the last run is the final key alone.
        let order = [&lows[0], &highs[0], &lows[1], &highs[1]];
        let mut m = ChmReplay::new(8);
        for k in order {
            m.put(k);
        }
        assert_eq!(m.table.len(), 16);
        let fillers = (0..)
            .map(|n: u32| format!("f{n}"))
            .filter(|k| hash(k) & 15 != 0);
        for k in fillers.take(8) {
            m.put(&k);
        }
        assert_eq!(m.table.len(), 32, "12 keys resize a 16-bin table");
        let bin = |i: usize| -> Vec<&str> { m.table[i].iter().map(|(_, k)| k.as_str()).collect() };
        assert_eq!(bin(0), [lows[1].as_str(), lows[0].as_str()], "reversed");
        assert_eq!(bin(16), [highs[0].as_str(), highs[1].as_str()]);
        let keys: Vec<&str> = m.keys().collect();
        assert_eq!(&keys[..2], [lows[1].as_str(), lows[0].as_str()]);
    }
}
