//! Java's `org.apache.rocketmq.filter.util.BloomFilter`: the bit positions a consumer's
//! `<group>#<topic>` occupies in the per-message filter bitmap. ferrocket does not compute the
//! bitmaps (Java does that only with `enableCalcFilterBitMap=true`, off by default), but the
//! positions are stored in `consumerFilter.json` (`bloomFilterData`), and a Java broker that
//! loads the file drops every entry whose positions do not match its own filter; so they are
//! computed exactly as Java does: Guava's `murmur3_128` (seed 0) of the UTF-8 bytes, the low
//! and high 32 bits of its first long combined as `h1 + i * h2` for `i` in `1..=k`.

use crate::store::metadata::BloomFilterData;

/// The filter's shape (Java `BloomFilter.createByFn(f, n)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BloomFilter {
    /// Error rate in percent (`maxErrorRateOfBloomFilter`).
    pub f: i32,
    /// Expected number of keys (`expectConsumerNumUseFilter`).
    pub n: i32,
    /// Number of hash functions.
    pub k: i32,
    /// Number of bits, a multiple of 8.
    pub m: i32,
}

/// Why `createByFn` refuses its arguments (Java's IllegalArgumentException messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BloomFilterError {
    #[error("f must be greater or equal than 1 and less than 100")]
    ErrorRate,
    #[error("n must be greater than 0")]
    Count,
    #[error("Hash function num is less than 1, maybe you should change the value of error rate or bit num!")]
    HashCount,
}

fn log_base(base: f64, x: f64) -> f64 {
    x.ln() / base.ln()
}

impl BloomFilter {
    pub fn create_by_fn(f: i32, n: i32) -> Result<BloomFilter, BloomFilterError> {
        if !(1..100).contains(&f) {
            return Err(BloomFilterError::ErrorRate);
        }
        if n < 1 {
            return Err(BloomFilterError::Count);
        }
        let error_rate = f as f64 / 100.0;
        let k = log_base(0.5, error_rate).ceil() as i32;
        if k < 1 {
            return Err(BloomFilterError::HashCount);
        }
        let m = (n as f64 * log_base(2.0, 1.0 / error_rate) * log_base(2.0, std::f64::consts::E))
            .ceil() as i32;
        let m = (8.0 * (m as f64 / 8.0).ceil()) as i32;
        Ok(BloomFilter { f, n, k, m })
    }

    /// `calcBitPositions(str)`.
    pub fn bit_positions(&self, key: &str) -> Vec<i32> {
        let hash64 = murmur3_x64_128(key.as_bytes(), 0).0;
        let h1 = hash64 as i32;
        let h2 = (hash64 >> 32) as i32;
        (1..=self.k)
            .map(|i| {
                let mut combined = h1.wrapping_add(i.wrapping_mul(h2));
                if combined < 0 {
                    combined = !combined;
                }
                combined % self.m
            })
            .collect()
    }

    /// `generate(str)`.
    pub fn generate(&self, key: &str) -> BloomFilterData {
        BloomFilterData {
            bit_pos: self.bit_positions(key),
            bit_num: self.m,
        }
    }

    /// `isValid(filterData)`: the data was made by a filter of this shape.
    pub fn is_valid(&self, data: Option<&BloomFilterData>) -> bool {
        data.is_some_and(|d| d.bit_num == self.m && d.bit_pos.len() == self.k as usize)
    }
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// MurmurHash3 x64 128-bit: `(h1, h2)`; Guava's `HashCode.asLong()` is `h1`.
pub fn murmur3_x64_128(data: &[u8], seed: u32) -> (u64, u64) {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let mut h1 = seed as u64;
    let mut h2 = seed as u64;
    let mut blocks = data.chunks_exact(16);
    for block in &mut blocks {
        let mut word = [0u8; 8];
        word.copy_from_slice(&block[..8]);
        let mut k1 = u64::from_le_bytes(word);
        word.copy_from_slice(&block[8..]);
        let mut k2 = u64::from_le_bytes(word);
        k1 = k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        k2 = k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let word = |bytes: &[u8]| {
        bytes
            .iter()
            .enumerate()
            .fold(0u64, |acc, (i, b)| acc | (*b as u64) << (8 * i))
    };
    if tail.len() > 8 {
        let k2 = word(&tail[8..])
            .wrapping_mul(C2)
            .rotate_left(33)
            .wrapping_mul(C1);
        h2 ^= k2;
    }
    if !tail.is_empty() {
        let k1 = word(&tail[..tail.len().min(8)])
            .wrapping_mul(C1)
            .rotate_left(31)
            .wrapping_mul(C2);
        h1 ^= k1;
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_reference_values() {
        // Published MurmurHash3_x64_128 vectors (seed 0).
        assert_eq!(murmur3_x64_128(b"", 0), (0, 0));
        assert_eq!(
            murmur3_x64_128(b"hello", 0).0,
            0xcbd8_a7b3_41bd_9b02,
            "hello"
        );
        assert_eq!(
            murmur3_x64_128(b"The quick brown fox jumps over the lazy dog", 0),
            (0xe34b_bc7b_bc07_1b6c, 0x7a43_3ca9_c49a_9347)
        );
    }

    #[test]
    fn default_shape_and_java_positions() {
        // Defaults maxErrorRateOfBloomFilter=20, expectConsumerNumUseFilter=32.
        let bf = BloomFilter::create_by_fn(20, 32).unwrap();
        assert_eq!((bf.k, bf.m), (3, 112));
        // What Java 4.9.7 wrote into the golden consumerFilter.json for this consumer.
        assert_eq!(
            bf.generate("golden_sql_consumer#GoldenSql"),
            BloomFilterData {
                bit_pos: vec![28, 78, 16],
                bit_num: 112
            }
        );
        assert_eq!(
            BloomFilter::create_by_fn(100, 1),
            Err(BloomFilterError::ErrorRate)
        );
        assert_eq!(
            BloomFilter::create_by_fn(10, 0),
            Err(BloomFilterError::Count)
        );
    }
}
