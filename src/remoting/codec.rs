//! The frame codec: `RemotingCommand` <-> bytes on a TCP stream.
//!
//! Frame layout, big-endian: `i32 total · i32 (serializeType << 24 | headerLen) · header · body`
//! where `total` counts everything after itself. Java's `NettyDecoder` is a Netty
//! `LengthFieldBasedFrameDecoder(maxFrameLength, 0, 4, 0, 4)`: it rejects a frame when
//! `total + 4` (the prefix included) exceeds `com.rocketmq.remoting.frameMaxLength`
//! (16 MiB by default) and closes the channel on any decoding error. Here every such case is a
//! `RemotingError` the connection turns into a clean close.
//!
//! The decoder never allocates what a peer merely claims: it waits for bytes with the buffer
//! growing as they arrive, and only a frame that is complete in the buffer is split off. The
//! body is that frame's tail as `Bytes`, shared with the read buffer, not copied.

use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::command::{RemotingCommand, SerializeType};
use super::error::RemotingError;
use super::header::{binary, json};

/// Java's default `com.rocketmq.remoting.frameMaxLength`: 16 MiB, length prefix included.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// The header length has 24 bits in the frame's second word.
const MAX_HEADER_LEN: usize = 0x00FF_FFFF;

/// How much of a still-incomplete frame to reserve room for at once: large enough that a big
/// body arrives in few reads, small enough that a lying length prefix costs little.
const READ_AHEAD: usize = 64 * 1024;

/// Encodes and decodes whole frames. One per connection (it keeps a scratch buffer).
#[derive(Debug)]
pub struct RemotingCodec {
    max_frame_len: usize,
    json_scratch: String,
}

impl Default for RemotingCodec {
    fn default() -> Self {
        RemotingCodec::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl RemotingCodec {
    /// A codec rejecting frames longer than `max_frame_len` bytes (length prefix included).
    pub fn new(max_frame_len: usize) -> RemotingCodec {
        RemotingCodec {
            max_frame_len,
            json_scratch: String::new(),
        }
    }

    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Appends everything of `cmd`'s frame but the body: length prefix (counting the body),
    /// header-length word and header. The caller sends `cmd.body` right after; this is how a
    /// large body reaches the socket without being copied into the write buffer. On error `dst`
    /// is left as it was.
    pub fn encode_head(
        &mut self,
        cmd: &RemotingCommand,
        dst: &mut BytesMut,
    ) -> Result<(), RemotingError> {
        let start = dst.len();
        let result = self.encode_into(cmd, dst, false);
        if result.is_err() {
            dst.truncate(start);
        }
        result
    }

    fn encode_into(
        &mut self,
        cmd: &RemotingCommand,
        dst: &mut BytesMut,
        with_body: bool,
    ) -> Result<(), RemotingError> {
        let start = dst.len();
        dst.put_u64(0); // total and header-length words, patched below
        let header_start = dst.len();
        match cmd.serialize_type {
            SerializeType::Json => {
                self.json_scratch.clear();
                json::encode(cmd, &mut self.json_scratch);
                dst.extend_from_slice(self.json_scratch.as_bytes());
            }
            SerializeType::RocketMq => binary::encode(cmd, dst)?,
        }
        let header_len = dst.len() - header_start;
        if header_len > MAX_HEADER_LEN {
            return Err(RemotingError::Encode(format!(
                "header of {header_len} bytes exceeds the 24-bit header length"
            )));
        }
        let body_len = cmd.body.as_ref().map_or(0, |b| b.len());
        let frame_len = 8 + header_len + body_len;
        if frame_len > self.max_frame_len {
            return Err(RemotingError::Encode(format!(
                "frame of {frame_len} bytes exceeds the maximum {}",
                self.max_frame_len
            )));
        }
        if let Some(body) = cmd.body.as_ref().filter(|_| with_body) {
            dst.extend_from_slice(body);
        }
        let total = (frame_len - 4) as u32;
        let word = (u32::from(cmd.serialize_type.code()) << 24) | header_len as u32;
        dst[start..start + 4].copy_from_slice(&total.to_be_bytes());
        dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
        Ok(())
    }
}

impl Decoder for RemotingCodec {
    type Item = RemotingCommand;
    type Error = RemotingError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, RemotingError> {
        let Some(prefix) = src.get(..4).and_then(|p| <[u8; 4]>::try_from(p).ok()) else {
            return Ok(None);
        };
        let total = i32::from_be_bytes(prefix);
        if total < 0 {
            return Err(RemotingError::BadFrameLength(total));
        }
        let frame_len = total as usize + 4;
        if frame_len > self.max_frame_len {
            return Err(RemotingError::FrameTooLong {
                len: frame_len as u64,
                max: self.max_frame_len,
            });
        }
        if total < 4 {
            // Not even room for the header-length word (Java fails reading it).
            return Err(RemotingError::BadFrameLength(total));
        }
        if src.len() < frame_len {
            let missing = frame_len - src.len();
            src.reserve(missing.min(READ_AHEAD));
            return Ok(None);
        }
        let mut frame = src.split_to(frame_len);
        frame.advance(4);
        let word = frame.get_u32();
        let serialize_code = (word >> 24) as u8;
        let header_len = (word as usize) & MAX_HEADER_LEN;
        if header_len > frame.len() {
            return Err(RemotingError::HeaderLengthOutOfFrame {
                header_len,
                available: frame.len(),
            });
        }
        let serialize_type = SerializeType::from_code(serialize_code)
            .ok_or(RemotingError::UnknownSerializeType(serialize_code))?;
        let header = frame.split_to(header_len);
        let mut cmd = match serialize_type {
            SerializeType::Json => json::decode(&header)?,
            SerializeType::RocketMq => binary::decode(&header)?,
        };
        // Java leaves the body null when it is empty.
        if !frame.is_empty() {
            cmd.body = Some(frame.freeze());
        }
        Ok(Some(cmd))
    }
}

impl Encoder<RemotingCommand> for RemotingCodec {
    type Error = RemotingError;

    fn encode(&mut self, cmd: RemotingCommand, dst: &mut BytesMut) -> Result<(), RemotingError> {
        Encoder::<&RemotingCommand>::encode(self, &cmd, dst)
    }
}

impl Encoder<&RemotingCommand> for RemotingCodec {
    type Error = RemotingError;

    /// Appends one frame to `dst`. On error `dst` is left as it was.
    fn encode(&mut self, cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), RemotingError> {
        let start = dst.len();
        let result = self.encode_into(cmd, dst, true);
        if result.is_err() {
            dst.truncate(start);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remoting::command::ExtFields;

    fn frame_of(cmd: &RemotingCommand) -> BytesMut {
        let mut buf = BytesMut::new();
        RemotingCodec::default().encode(cmd, &mut buf).unwrap();
        buf
    }

    fn sample(serialize_type: SerializeType) -> RemotingCommand {
        let mut ext = ExtFields::new();
        ext.insert("topic", "T");
        RemotingCommand {
            code: 11,
            opaque: 5,
            ext_fields: Some(ext),
            serialize_type,
            body: Some(bytes::Bytes::from_static(b"body")),
            ..Default::default()
        }
    }

    #[test]
    fn frames_round_trip_and_decode_incrementally() {
        for st in [SerializeType::Json, SerializeType::RocketMq] {
            let cmd = sample(st);
            let bytes = frame_of(&cmd);
            let total = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
            assert_eq!(total + 4, bytes.len());
            assert_eq!(bytes[4], st.code());
            let mut codec = RemotingCodec::default();
            let mut src = BytesMut::new();
            for (i, b) in bytes.iter().enumerate() {
                src.put_u8(*b);
                let got = codec.decode(&mut src).unwrap();
                assert_eq!(got.is_some(), i + 1 == bytes.len());
                if let Some(got) = got {
                    assert_eq!(got, cmd);
                }
            }
            assert!(src.is_empty());
        }
    }

    #[test]
    fn limits_are_javas() {
        let mut codec = RemotingCodec::new(100);
        // total + 4 == max is accepted (incomplete here), one more is rejected.
        let mut ok = BytesMut::from(&96i32.to_be_bytes()[..]);
        assert!(codec.decode(&mut ok).unwrap().is_none());
        let mut too_long = BytesMut::from(&97i32.to_be_bytes()[..]);
        assert!(matches!(
            codec.decode(&mut too_long),
            Err(RemotingError::FrameTooLong { len: 101, .. })
        ));
        let mut negative = BytesMut::from(&(-1i32).to_be_bytes()[..]);
        assert!(matches!(
            codec.decode(&mut negative),
            Err(RemotingError::BadFrameLength(-1))
        ));
        let mut tiny = BytesMut::from(&[0u8, 0, 0, 3, 0, 0, 0][..]);
        assert!(matches!(
            codec.decode(&mut tiny),
            Err(RemotingError::BadFrameLength(3))
        ));
        let mut header_past = BytesMut::from(&[0u8, 0, 0, 5, 0, 0, 0, 2, b'{'][..]);
        assert!(matches!(
            codec.decode(&mut header_past),
            Err(RemotingError::HeaderLengthOutOfFrame {
                header_len: 2,
                available: 1
            })
        ));
        let mut unknown = BytesMut::from(&[0u8, 0, 0, 4, 7, 0, 0, 0][..]);
        assert!(matches!(
            codec.decode(&mut unknown),
            Err(RemotingError::UnknownSerializeType(7))
        ));
    }

    #[test]
    fn a_huge_claim_reserves_little() {
        let mut codec = RemotingCodec::new(usize::MAX);
        let mut src = BytesMut::from(&i32::MAX.to_be_bytes()[..]);
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(
            src.capacity() < 4 * READ_AHEAD,
            "capacity {}",
            src.capacity()
        );
    }

    #[test]
    fn head_plus_body_is_the_whole_frame() {
        let cmd = sample(SerializeType::RocketMq);
        let mut head = BytesMut::new();
        RemotingCodec::default()
            .encode_head(&cmd, &mut head)
            .unwrap();
        head.extend_from_slice(cmd.body.as_deref().unwrap());
        assert_eq!(head, frame_of(&cmd));
    }

    #[test]
    fn oversized_commands_are_not_encoded() {
        let mut codec = RemotingCodec::new(64);
        let mut dst = BytesMut::from(&b"keep"[..]);
        let cmd = sample(SerializeType::Json).with_body(vec![0u8; 100]);
        assert!(matches!(
            codec.encode(&cmd, &mut dst),
            Err(RemotingError::Encode(_))
        ));
        assert_eq!(&dst[..], b"keep");
    }
}
