//! Message queries (Java `QueryMessageProcessor`): by key through the index files
//! (QUERY_MESSAGE) and by CommitLog offset (VIEW_MESSAGE_BY_ID). Both answer with stored
//! records as they are in the CommitLog, which the client decodes itself.

pub mod query_message;
pub mod view_message_by_id;
