//! The message store: mapped files, CommitLog, ConsumeQueue, IndexFile, checkpoint, recovery,
//! flush and retention, byte-compatible with Java 4.9.7. No network code lives here.

pub mod checkpoint;
pub mod commit_log;
pub mod config;
pub mod consume_queue;
pub mod dispatch;
pub mod flush;
pub mod index;
pub use crate::java::hash as java_hash;
pub mod mapped_file;
pub mod mapped_file_queue;
pub mod message;
pub mod message_store;
pub mod metadata;
pub mod pull_limits;
pub mod recovery;
pub mod retention;
