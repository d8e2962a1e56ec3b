//! Java runtime behaviours that RocketMQ's wire and disk formats depend on: `String.hashCode`
//! (tags codes, index keys, map order) and `ConcurrentHashMap` iteration order (the member
//! order fastjson writes maps in).

pub mod hash;
pub mod map;

pub use hash::java_string_hash;
pub use map::{chm_table_size, JavaHashKey, JavaMap};
