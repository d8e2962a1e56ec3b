//! ferrocket: a Rust NameServer and Broker, wire- and disk-compatible with Apache RocketMQ 4.9.7.
//!
//! Layers, arrows pointing down only:
//! `namesrv`, `broker` -> `store` -> `protocol` -> `remoting`; `fastjson` and `config` are leaves
//! used by all of them.

pub mod bench;
pub mod broker;
pub mod config;
pub mod fastjson;
pub mod filter;
pub mod ha;
pub mod java;
pub mod namesrv;
pub mod protocol;
pub mod remoting;
pub mod store;
#[doc(hidden)]
pub mod testkit;
