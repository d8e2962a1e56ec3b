//! The pull path: PULL_MESSAGE, with long polling and the OFFSET_MOVED_EVENT it may write.

pub mod offset_moved_event;
pub mod pull_message;
