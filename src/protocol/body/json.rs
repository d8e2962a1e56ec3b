//! Encoding and decoding helpers shared by the bodies: Java's `RemotingSerializable.encode()`
//! (fastjson compact), the 4.9.7 NameServer's "standard JSON" route encoding, and liberal
//! decoding of body bytes.

use crate::fastjson::{self, FromJson, ToJson};

use super::BodyError;

/// Which JSON dialect a body is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStyle {
    /// `JSON.toJSONString(obj)`: `{"brokerAddrs":{0:"..."}}`.
    Fastjson,
    /// `BrowserCompatible, QuoteFieldNames, MapSortField`: `{"brokerAddrs":{"0":"..."}}`, map
    /// members sorted, non-ASCII escaped. The 4.9.7 NameServer's route answer for clients
    /// >= V4_9_4.
    Standard,
}

/// The body bytes Java's `encode()` writes (fastjson compact).
pub fn encode_body<T: ToJson + ?Sized>(body: &T) -> Vec<u8> {
    fastjson::encode_compact(body).into_bytes()
}

/// The body bytes in the given dialect.
pub fn encode_body_as<T: ToJson + ?Sized>(body: &T, style: JsonStyle) -> Vec<u8> {
    match style {
        JsonStyle::Fastjson => fastjson::encode_compact(body).into_bytes(),
        JsonStyle::Standard => fastjson::to_browser_compatible(&body.to_json()).into_bytes(),
    }
}

/// Reads a body liberally (fastjson's dialect; missing members take Java defaults, unknown
/// members are ignored).
pub fn decode_body<T: FromJson>(bytes: &[u8]) -> Result<T, BodyError> {
    fastjson::decode_bytes(bytes).map_err(|e| BodyError::new(e.to_string()))
}
