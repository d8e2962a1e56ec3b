//! The RocketMQ remoting layer: frames, header encodings, codes, server and client.
//! Nothing here knows about brokers or NameServers.

pub mod command;

pub use command::{ExtFields, LanguageCode, RemotingCommand, SerializeType};
