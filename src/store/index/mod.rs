//! The message-key index: IndexFiles (`index/<yyyyMMddHHmmssSSS>`) mapping `topic#key` to
//! CommitLog offsets, byte-compatible with Java 4.9.7, and the service that owns them.

mod file;
mod service;

pub use file::{
    index_file_size, index_key_hash, IndexEntry, IndexFile, IndexFileError, IndexHeader,
    HASH_SLOT_SIZE, INDEX_ENTRY_SIZE, INDEX_HEADER_SIZE,
};
pub use service::{
    time_millis_to_human_string, IndexConfig, IndexFlushedHook, IndexService, QueryOffsetResult,
};
