//! The RocketMQ remoting layer: frames, header encodings, codes, server and client.
//! Nothing here knows about brokers or NameServers.

pub mod client;
pub mod code;
pub mod codec;
pub mod command;
pub mod connection;
pub mod error;
pub mod header;
pub mod server;

pub use client::{ClientConfig, RemotingClient};
pub use code::{request_code, request_code_name, response_code, response_code_name};
pub use codec::{RemotingCodec, DEFAULT_MAX_FRAME_LEN};
pub use command::{ExtFields, LanguageCode, RemotingCommand, SerializeType};
pub use connection::{Connection, ConnectionConfig};
pub use error::RemotingError;
pub use server::{NotSupported, RemotingServer, RequestProcessor, ServerConfig};
