//! ConsumeQueues (Java `ConsumeQueue`): one logical queue per topic and queue id, in
//! `consumequeue/<topic>/<queueId>/<20-digit offset>`, each unit 20 bytes
//! `i64 commitLogOffset, i32 size, i64 tagsCode` (big-endian) pointing at a CommitLog record.
//! A unit's logical offset (the consumer's "queue offset") is its byte position / 20.

mod queue;
mod store;

pub use queue::{ConsumeQueue, ConsumeQueueError, CqUnit, CqUnits};
pub use store::ConsumeQueueStore;

/// Bytes of one unit (Java `CQ_STORE_UNIT_SIZE`).
pub const CQ_STORE_UNIT_SIZE: usize = 20;

/// Java's default `mappedFileSizeConsumeQueue`: 300,000 units.
pub const DEFAULT_CONSUME_QUEUE_FILE_SIZE: usize = 300_000 * CQ_STORE_UNIT_SIZE;

/// A configured file size rounded up to whole units, as Java's `getMappedFileSizeConsumeQueue`.
pub fn consume_queue_file_size(configured: i64) -> usize {
    let configured = configured.max(CQ_STORE_UNIT_SIZE as i64) as usize;
    configured.div_ceil(CQ_STORE_UNIT_SIZE) * CQ_STORE_UNIT_SIZE
}
