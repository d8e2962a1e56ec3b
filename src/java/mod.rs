//! Java runtime behaviours that RocketMQ's wire and disk formats depend on: `String.hashCode`
//! (tags codes, index keys, map order) and `ConcurrentHashMap` iteration order (the member
//! order fastjson writes maps in).

pub mod chm_replay;
pub mod hash;
pub mod hash_map;
pub mod map;

pub use hash::java_string_hash;
pub use hash_map::{bucket, hash_map_order, hash_map_table_size, hash_set_order};
pub use map::{chm_table_size, JavaHashKey, JavaMap};

/// `System.currentTimeMillis()`: the timestamps RocketMQ stores and sends.
pub fn current_time_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
