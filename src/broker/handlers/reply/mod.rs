//! Request-reply messaging (Java `ReplyMessageProcessor`): a consumer's reply is pushed to the
//! requesting producer's connection and, with `storeReplyMessageEnable`, also stored.

pub mod send_reply_message;
