//! Consumer offsets (Java `ConsumerManageProcessor`: QUERY/UPDATE_CONSUMER_OFFSET) and the queue
//! offset lookups of `AdminBrokerProcessor` (GET_MAX/MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP,
//! GET_EARLIEST_MSG_STORETIME). QUERY_BROKER_OFFSET (13) has no handler in Java 4.9.7 either:
//! it is answered REQUEST_CODE_NOT_SUPPORTED.

pub mod get_earliest_msg_storetime;
pub mod get_max_offset;
pub mod get_min_offset;
pub mod query_consumer_offset;
pub mod search_offset_by_timestamp;
pub mod update_consumer_offset;
