//! `RemotingError`: everything that can go wrong between two RocketMQ peers, from a malformed
//! frame to a request that timed out.

use std::time::Duration;

use super::command::SerializeType;

/// An error of the remoting layer. Frame and header errors are fatal to the connection that
/// produced them (Java's `NettyDecoder` closes the channel too); the others concern one request.
#[derive(Debug, thiserror::Error)]
pub enum RemotingError {
    /// The length prefix claims a frame longer than the configured maximum. `len` counts the
    /// prefix itself, as Netty's `LengthFieldBasedFrameDecoder` does.
    #[error("frame length {len} exceeds the maximum {max}")]
    FrameTooLong { len: u64, max: usize },

    /// The length prefix is negative or too small to hold the header-length word.
    #[error("bad frame length {0}")]
    BadFrameLength(i32),

    /// The header length does not fit inside the frame.
    #[error("decode error, bad header length: {header_len} (frame holds {available} bytes after the header-length word)")]
    HeaderLengthOutOfFrame { header_len: usize, available: usize },

    /// The high byte of the header-length word names no known serialization.
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),

    /// The header bytes could not be decoded.
    #[error("bad {serialize:?} header: {reason}")]
    BadHeader {
        serialize: SerializeType,
        reason: String,
    },

    /// A command that cannot be put on the wire (a field too long for its length prefix, a
    /// frame over the maximum). Nothing was written.
    #[error("cannot encode command: {0}")]
    Encode(String),

    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),

    #[error("connect to {addr} failed: {reason}")]
    Connect { addr: String, reason: String },

    /// No response within the allowed time; the pending request was forgotten.
    #[error("wait response on {addr} timeout after {timeout:?}")]
    Timeout { addr: String, timeout: Duration },

    /// The connection closed (or was closed) before the response arrived.
    #[error("connection to {0} closed")]
    ConnectionClosed(String),
}

impl RemotingError {
    pub(crate) fn bad_header(serialize: SerializeType, reason: impl Into<String>) -> RemotingError {
        RemotingError::BadHeader {
            serialize,
            reason: reason.into(),
        }
    }

    /// Whether the error came from bytes a peer sent (as opposed to I/O or timing).
    pub fn is_protocol_error(&self) -> bool {
        matches!(
            self,
            RemotingError::FrameTooLong { .. }
                | RemotingError::BadFrameLength(_)
                | RemotingError::HeaderLengthOutOfFrame { .. }
                | RemotingError::UnknownSerializeType(_)
                | RemotingError::BadHeader { .. }
        )
    }
}
