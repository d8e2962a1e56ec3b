//! The ROCKETMQ binary header (serialize type 1), all integers big-endian:
//!
//! `i16 code · u8 language · i16 version · i32 opaque · i32 flag · i32 remarkLen, remark ·
//! i32 extLen, (i16 keyLen, key, i32 valueLen, value)*`
//!
//! Java's `RocketMQSerializable` rules kept here: code and version are truncated to 16 bits on
//! the way out and sign-extended on the way in; an absent or empty remark is written with
//! length 0 and a length 0 reads as no remark; an absent or empty ext map is written with
//! length 0 and reads as no map; a non-positive ext length reads as no map. Stricter than
//! Java: an entry running past the ext section or the header is an error (Java would read on
//! into the body), and negative string lengths are errors (Java throws too, less cleanly).

use bytes::{BufMut, BytesMut};

use crate::remoting::command::{ExtFields, LanguageCode, RemotingCommand, SerializeType};
use crate::remoting::error::RemotingError;

/// The fixed part: code, language, version, opaque, flag, remark length, ext length.
const FIXED_LEN: usize = 2 + 1 + 2 + 4 + 4 + 4 + 4;

/// Appends the binary header of `cmd` to `out`. On error `out` may hold a partial header; the
/// frame encoder truncates it.
pub fn encode(cmd: &RemotingCommand, out: &mut BytesMut) -> Result<(), RemotingError> {
    out.reserve(FIXED_LEN + cmd.remark.as_ref().map_or(0, String::len) + ext_len(cmd));
    out.put_i16(cmd.code as i16);
    out.put_u8(cmd.language.code());
    out.put_i16(cmd.version as i16);
    out.put_i32(cmd.opaque);
    out.put_i32(cmd.flag);
    match cmd.remark.as_deref() {
        Some(remark) if !remark.is_empty() => {
            out.put_i32(len_i32(remark.len(), "remark")?);
            out.put_slice(remark.as_bytes());
        }
        _ => out.put_i32(0),
    }
    let ext_len = ext_len(cmd);
    out.put_i32(len_i32(ext_len, "extFields")?);
    if let Some(ext) = &cmd.ext_fields {
        for (key, value) in ext.iter() {
            let key_len = i16::try_from(key.len()).map_err(|_| {
                RemotingError::Encode(format!("extFields key of {} bytes", key.len()))
            })?;
            out.put_i16(key_len);
            out.put_slice(key.as_bytes());
            out.put_i32(len_i32(value.len(), "extFields value")?);
            out.put_slice(value.as_bytes());
        }
    }
    Ok(())
}

fn ext_len(cmd: &RemotingCommand) -> usize {
    cmd.ext_fields.as_ref().map_or(0, |ext| {
        ext.iter().map(|(k, v)| 2 + k.len() + 4 + v.len()).sum()
    })
}

fn len_i32(len: usize, what: &str) -> Result<i32, RemotingError> {
    i32::try_from(len).map_err(|_| RemotingError::Encode(format!("{what} of {len} bytes")))
}

/// Decodes a binary header. The returned command has no body and `serialize_type` RocketMq.
pub fn decode(header: &[u8]) -> Result<RemotingCommand, RemotingError> {
    let mut r = Reader { buf: header };
    let code = r.i16()? as i32;
    let language = LanguageCode::from_code(r.u8()?);
    let version = r.i16()? as i32;
    let opaque = r.i32()?;
    let flag = r.i32()?;
    let remark_len = r.i32()?;
    let remark = match remark_len {
        0 => None,
        n if n < 0 => return Err(bad(format!("negative remark length {n}"))),
        n => Some(r.string(n as usize, "remark")?),
    };
    let ext_len = r.i32()?;
    let ext_fields = if ext_len > 0 {
        let section = r.take(ext_len as usize, "extFields")?;
        Some(decode_ext(section)?)
    } else {
        None
    };
    Ok(RemotingCommand {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
        serialize_type: SerializeType::RocketMq,
        body: None,
    })
}

fn decode_ext(section: &[u8]) -> Result<ExtFields, RemotingError> {
    let mut r = Reader { buf: section };
    // Each entry takes at least 6 bytes: a cheap, input-bounded capacity hint.
    let mut ext = ExtFields::with_capacity((section.len() / 16).min(64));
    while !r.buf.is_empty() {
        let key_len = r.i16()?;
        if key_len < 0 {
            return Err(bad(format!("negative extFields key length {key_len}")));
        }
        let key = r.string(key_len as usize, "extFields key")?;
        let value_len = r.i32()?;
        if value_len < 0 {
            return Err(bad(format!("negative extFields value length {value_len}")));
        }
        let value = r.string(value_len as usize, "extFields value")?;
        ext.insert(key, value);
    }
    Ok(ext)
}

fn bad(reason: String) -> RemotingError {
    RemotingError::bad_header(SerializeType::RocketMq, reason)
}

/// A bounds-checked big-endian reader over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], RemotingError> {
        if n > self.buf.len() {
            return Err(bad(format!(
                "{what} needs {n} bytes, {} left in the header",
                self.buf.len()
            )));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RemotingError> {
        let bytes = self.take(N, "fixed field")?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, RemotingError> {
        Ok(self.array::<1>()?[0])
    }

    fn i16(&mut self) -> Result<i16, RemotingError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, RemotingError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// UTF-8 text; malformed sequences become U+FFFD, as Java's decoder does.
    fn string(&mut self, n: usize, what: &str) -> Result<String, RemotingError> {
        let bytes = self.take(n, what)?;
        // The strict check is much faster than the lossy one; fall back only when needed.
        Ok(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RemotingCommand {
        let mut ext = ExtFields::new();
        ext.insert("b", "topic");
        ext.insert("a", "group");
        RemotingCommand {
            code: 310,
            language: LanguageCode::Java,
            version: 407,
            opaque: 42,
            flag: 0,
            remark: Some("héllo".into()),
            ext_fields: Some(ext),
            serialize_type: SerializeType::RocketMq,
            body: None,
        }
    }

    #[test]
    fn round_trips_with_exact_layout() {
        let cmd = sample();
        let mut out = BytesMut::new();
        encode(&cmd, &mut out).unwrap();
        let mut expect = vec![
            0x01, 0x36, 0, 0x01, 0x97, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 6,
        ];
        expect.extend_from_slice("héllo".as_bytes());
        expect.extend_from_slice(&[0, 0, 0, 24, 0, 1, b'b', 0, 0, 0, 5]);
        expect.extend_from_slice(b"topic");
        expect.extend_from_slice(&[0, 1, b'a', 0, 0, 0, 5]);
        expect.extend_from_slice(b"group");
        assert_eq!(&out[..], &expect[..]);
        assert_eq!(decode(&out).unwrap(), cmd);
    }

    #[test]
    fn empty_remark_and_empty_map_are_written_as_absent() {
        let mut cmd = sample();
        cmd.remark = Some(String::new());
        cmd.ext_fields = Some(ExtFields::new());
        let mut out = BytesMut::new();
        encode(&cmd, &mut out).unwrap();
        assert_eq!(out.len(), FIXED_LEN);
        let back = decode(&out).unwrap();
        assert_eq!(back.remark, None);
        assert_eq!(back.ext_fields, None);
    }

    #[test]
    fn code_and_version_are_sign_extended_16_bit() {
        let mut cmd = sample();
        cmd.code = -2;
        cmd.version = 0x1_8000;
        let mut out = BytesMut::new();
        encode(&cmd, &mut out).unwrap();
        let back = decode(&out).unwrap();
        assert_eq!(back.code, -2);
        assert_eq!(back.version, -32768);
    }

    #[test]
    fn truncated_and_negative_lengths_are_errors() {
        let mut out = BytesMut::new();
        encode(&sample(), &mut out).unwrap();
        for cut in 0..out.len() {
            assert!(decode(&out[..cut]).is_err(), "cut at {cut}");
        }
        let mut neg = out.clone();
        neg[13..17].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode(&neg).is_err());
        // A non-positive ext length reads as no map (Java skips it).
        let mut no_ext = BytesMut::new();
        let mut cmd = sample();
        cmd.remark = None;
        cmd.ext_fields = None;
        encode(&cmd, &mut no_ext).unwrap();
        no_ext[17..21].copy_from_slice(&(-5i32).to_be_bytes());
        assert_eq!(decode(&no_ext).unwrap().ext_fields, None);
    }
}
