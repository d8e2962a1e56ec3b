//! `RemotingCommand`: the unit every RocketMQ frame carries, independent of how its header is encoded.

use bytes::Bytes;

/// Bit 0 of `flag`: set on responses.
pub const FLAG_RESPONSE: i32 = 0b01;
/// Bit 1 of `flag`: set on oneway requests (no response is sent).
pub const FLAG_ONEWAY: i32 = 0b10;

/// The version ferrocket puts in the commands it originates: `MQVersion.Version.V4_9_7.ordinal()`.
pub const CURRENT_VERSION: i32 = 407;

use super::code::response_code::{
    REQUEST_CODE_NOT_SUPPORTED as REMOTING_REQUEST_CODE_NOT_SUPPORTED,
    SYSTEM_BUSY as REMOTING_SYSTEM_BUSY, SYSTEM_ERROR as REMOTING_SYSTEM_ERROR,
};

/// How a frame's header is encoded: the high byte of the frame's second int32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SerializeType {
    /// fastjson text (type byte 0).
    #[default]
    Json,
    /// RocketMQ's own binary layout (type byte 1).
    RocketMq,
}

impl SerializeType {
    pub fn code(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    pub fn from_code(code: u8) -> Option<SerializeType> {
        match code {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The name Java writes in `serializeTypeCurrentRPC`.
    pub fn name(self) -> &'static str {
        match self {
            SerializeType::Json => "JSON",
            SerializeType::RocketMq => "ROCKETMQ",
        }
    }
}

/// `LanguageCode` of the peer. Java's enum names, in ordinal order (the binary header carries the
/// ordinal, the JSON header the name). Names and ordinals ferrocket does not know are kept as
/// `Other*` so a command from a newer client round-trips instead of failing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LanguageCode {
    #[default]
    Java,
    Cpp,
    Dotnet,
    Python,
    Delphi,
    Erlang,
    Ruby,
    Other,
    Http,
    Go,
    Php,
    Oms,
    Rust,
    NodeJs,
    /// A name not in the table above (JSON header).
    UnknownName(String),
    /// An ordinal not in the table above (binary header).
    UnknownCode(u8),
}

const LANGUAGE_NAMES: [&str; 14] = [
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP",
    "OMS", "RUST", "NODE_JS",
];

impl LanguageCode {
    fn known(ordinal: u8) -> Option<LanguageCode> {
        use LanguageCode::*;
        Some(match ordinal {
            0 => Java,
            1 => Cpp,
            2 => Dotnet,
            3 => Python,
            4 => Delphi,
            5 => Erlang,
            6 => Ruby,
            7 => Other,
            8 => Http,
            9 => Go,
            10 => Php,
            11 => Oms,
            12 => Rust,
            13 => NodeJs,
            _ => return None,
        })
    }

    pub fn from_code(code: u8) -> LanguageCode {
        Self::known(code).unwrap_or(LanguageCode::UnknownCode(code))
    }

    pub fn from_name(name: &str) -> LanguageCode {
        match LANGUAGE_NAMES.iter().position(|n| *n == name) {
            Some(i) => Self::known(i as u8).expect("table and match agree"),
            None => LanguageCode::UnknownName(name.to_string()),
        }
    }

    /// The ordinal for the binary header. Unknown names go out as OTHER.
    pub fn code(&self) -> u8 {
        match self {
            LanguageCode::UnknownName(_) => 7,
            LanguageCode::UnknownCode(c) => *c,
            known => LANGUAGE_NAMES
                .iter()
                .position(|n| *n == known.name())
                .expect("every known variant has a name") as u8,
        }
    }

    /// The name for the JSON header. Unknown ordinals go out as OTHER.
    pub fn name(&self) -> &str {
        use LanguageCode::*;
        match self {
            Java => "JAVA",
            Cpp => "CPP",
            Dotnet => "DOTNET",
            Python => "PYTHON",
            Delphi => "DELPHI",
            Erlang => "ERLANG",
            Ruby => "RUBY",
            Other => "OTHER",
            Http => "HTTP",
            Go => "GO",
            Php => "PHP",
            Oms => "OMS",
            Rust => "RUST",
            NodeJs => "NODE_JS",
            UnknownName(n) => n,
            UnknownCode(_) => "OTHER",
        }
    }
}

/// The `extFields` string map. Insertion order is kept so a decoded command re-encodes with its
/// keys in the order they arrived (Java's HashMap order for JSON, declaration order for binary).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtFields(Vec<(String, String)>);

impl ExtFields {
    pub fn new() -> ExtFields {
        ExtFields(Vec::new())
    }

    pub fn with_capacity(n: usize) -> ExtFields {
        ExtFields(Vec::with_capacity(n))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key`, replacing an existing value in place (its position is kept).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut ext = ExtFields::new();
        for (k, v) in iter {
            ext.insert(k, v);
        }
        ext
    }
}

/// One remoting command: a request or a response, with its header fields and optional body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemotingCommand {
    /// A request code for requests, a response code for responses.
    pub code: i32,
    pub language: LanguageCode,
    pub version: i32,
    pub opaque: i32,
    pub flag: i32,
    pub remark: Option<String>,
    /// `None` when the command has no custom header (Java omits the member), `Some(empty)` when it
    /// has one whose fields are all null (Java writes `{}`).
    pub ext_fields: Option<ExtFields>,
    /// How the header was (or will be) encoded. A response takes its request's.
    pub serialize_type: SerializeType,
    pub body: Option<Bytes>,
}

impl RemotingCommand {
    /// A new request with ferrocket's language and version; the opaque is set by the sender.
    pub fn request(code: i32, ext_fields: Option<ExtFields>) -> RemotingCommand {
        RemotingCommand {
            code,
            language: LanguageCode::Rust,
            version: CURRENT_VERSION,
            ext_fields,
            ..Default::default()
        }
    }

    /// A response to `request`: same opaque and serialize type, the response flag set.
    pub fn response_to(
        request: &RemotingCommand,
        code: i32,
        remark: Option<String>,
    ) -> RemotingCommand {
        RemotingCommand {
            code,
            language: LanguageCode::Java,
            version: CURRENT_VERSION,
            opaque: request.opaque,
            flag: FLAG_RESPONSE,
            remark,
            ext_fields: None,
            serialize_type: request.serialize_type,
            body: None,
        }
    }

    /// REQUEST_CODE_NOT_SUPPORTED with Java's remark (`NettyRemotingAbstract`), leading space
    /// included: `" request type 999 not supported"`.
    pub fn request_code_not_supported(request: &RemotingCommand) -> RemotingCommand {
        let remark = format!(" request type {} not supported", request.code);
        RemotingCommand::response_to(request, REMOTING_REQUEST_CODE_NOT_SUPPORTED, Some(remark))
    }

    /// SYSTEM_ERROR with the given remark (Java puts a short exception description there).
    pub fn system_error(request: &RemotingCommand, remark: impl Into<String>) -> RemotingCommand {
        RemotingCommand::response_to(request, REMOTING_SYSTEM_ERROR, Some(remark.into()))
    }

    /// SYSTEM_BUSY with Java's remark for a processor refusing work (`rejectRequest()`, e.g. the
    /// broker's page cache is busy).
    pub fn system_busy_rejected(request: &RemotingCommand) -> RemotingCommand {
        RemotingCommand::response_to(
            request,
            REMOTING_SYSTEM_BUSY,
            Some("[REJECTREQUEST]system busy, start flow control for a while".to_string()),
        )
    }

    /// SYSTEM_BUSY with Java's remark for an overloaded server (its executor queue is full).
    pub fn system_busy(request: &RemotingCommand) -> RemotingCommand {
        RemotingCommand::response_to(
            request,
            REMOTING_SYSTEM_BUSY,
            Some("[OVERLOAD]system busy, start flow control for a while".to_string()),
        )
    }

    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    pub fn mark_oneway(&mut self) {
        self.flag |= FLAG_ONEWAY;
    }

    pub fn with_body(mut self, body: impl Into<Bytes>) -> RemotingCommand {
        self.body = Some(body.into());
        self
    }

    pub fn with_ext_fields(mut self, ext: ExtFields) -> RemotingCommand {
        self.ext_fields = Some(ext);
        self
    }

    /// The value of one `extFields` entry.
    pub fn ext(&self, key: &str) -> Option<&str> {
        self.ext_fields.as_ref().and_then(|e| e.get(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_names_and_codes_round_trip() {
        for (i, name) in LANGUAGE_NAMES.iter().enumerate() {
            let by_name = LanguageCode::from_name(name);
            assert_eq!(by_name.code(), i as u8);
            assert_eq!(LanguageCode::from_code(i as u8).name(), *name);
        }
        let odd = LanguageCode::from_name("COBOL");
        assert_eq!(odd.name(), "COBOL");
        assert_eq!(odd.code(), 7);
        assert_eq!(LanguageCode::from_code(200).code(), 200);
    }

    #[test]
    fn ext_fields_keep_order_and_replace_in_place() {
        let mut e = ExtFields::new();
        e.insert("b", "1");
        e.insert("a", "2");
        e.insert("b", "3");
        let v: Vec<_> = e.iter().collect();
        assert_eq!(v, vec![("b", "3"), ("a", "2")]);
        assert_eq!(e.remove("b").as_deref(), Some("3"));
        assert_eq!(e.len(), 1);
    }
}
