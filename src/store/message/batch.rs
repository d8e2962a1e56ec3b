//! The SEND_BATCH_MESSAGE body: per-message records `i32 totalSize, i32 magic, i32 bodyCRC,
//! i32 flag, i32 bodyLen, body, i16 propLen, props` (`MessageDecoder.encodeMessage`; the client
//! sends magic and CRC as 0 and the store computes the real CRC).

use std::ops::Range;

/// One message inside a batch body: its flag and where its body and properties are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerBatchMessage {
    pub flag: i32,
    pub body: Range<usize>,
    pub properties: Range<usize>,
}

/// Why a batch body is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("batch body truncated at byte {0}")]
    Truncated(usize),
    #[error("negative length {1} in batch body at byte {0}")]
    NegativeLength(usize, i32),
    #[error("empty batch")]
    Empty,
}

/// Parsed batch body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMessages {
    pub messages: Vec<InnerBatchMessage>,
}

fn read<const N: usize>(b: &[u8], pos: usize) -> Result<[u8; N], BatchError> {
    b.get(pos..pos + N)
        .and_then(|s| s.try_into().ok())
        .ok_or(BatchError::Truncated(pos))
}

impl BatchMessages {
    /// Walks the body as Java does (by the body and properties lengths; the declared totalSize is
    /// not trusted), checking every length against the bytes.
    pub fn parse(body: &[u8]) -> Result<BatchMessages, BatchError> {
        let mut messages = Vec::new();
        let mut pos = 0usize;
        while pos < body.len() {
            // totalSize, magic, bodyCRC: ignored.
            let flag = i32::from_be_bytes(read::<4>(body, pos + 12)?);
            let body_len = i32::from_be_bytes(read::<4>(body, pos + 16)?);
            if body_len < 0 {
                return Err(BatchError::NegativeLength(pos + 16, body_len));
            }
            let body_start = pos + 20;
            let body_end = body_start + body_len as usize;
            if body_end > body.len() {
                return Err(BatchError::Truncated(body_start));
            }
            let props_len = i16::from_be_bytes(read::<2>(body, body_end)?);
            if props_len < 0 {
                return Err(BatchError::NegativeLength(body_end, props_len as i32));
            }
            let props_start = body_end + 2;
            let props_end = props_start + props_len as usize;
            if props_end > body.len() {
                return Err(BatchError::Truncated(props_start));
            }
            messages.push(InnerBatchMessage {
                flag,
                body: body_start..body_end,
                properties: props_start..props_end,
            });
            pos = props_end;
        }
        if messages.is_empty() {
            return Err(BatchError::Empty);
        }
        Ok(BatchMessages { messages })
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Builds a batch body as the Java client does (`MessageDecoder.encodeMessages`): magic and CRC 0.
pub fn encode_batch_body<'a>(
    messages: impl IntoIterator<Item = (i32, &'a [u8], &'a str)>,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (flag, body, props) in messages {
        let total = 4 + 4 + 4 + 4 + 4 + body.len() + 2 + props.len();
        out.extend_from_slice(&(total as i32).to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&flag.to_be_bytes());
        out.extend_from_slice(&(body.len() as i32).to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&(props.len() as i16).to_be_bytes());
        out.extend_from_slice(props.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trip_and_reject_bad_lengths() {
        let body = encode_batch_body([(0, &b"one"[..], "KEYS\u{1}a"), (7, &b""[..], "")]);
        let batch = BatchMessages::parse(&body).unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(&body[batch.messages[0].body.clone()], b"one");
        assert_eq!(&body[batch.messages[0].properties.clone()], b"KEYS\x01a");
        assert_eq!(batch.messages[1].flag, 7);
        assert!(batch.messages[1].body.is_empty());

        assert_eq!(BatchMessages::parse(&[]), Err(BatchError::Empty));
        assert!(matches!(
            BatchMessages::parse(&body[..body.len() - 1]),
            Err(BatchError::Truncated(_))
        ));
        let mut bad = body.clone();
        bad[16..20].copy_from_slice(&(-5i32).to_be_bytes());
        assert!(matches!(
            BatchMessages::parse(&bad),
            Err(BatchError::NegativeLength(16, -5))
        ));
        let mut huge = body.clone();
        huge[16..20].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(
            BatchMessages::parse(&huge),
            Err(BatchError::Truncated(_))
        ));
    }
}
