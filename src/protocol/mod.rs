//! Typed request/response headers and JSON bodies for every request code. The conversion between
//! a header struct and the `extFields` string map happens here and nowhere else.

pub mod header;
pub mod heartbeat;
pub mod topic;

use std::borrow::Cow;

use crate::remoting::{ExtFields, RemotingCommand, SerializeType};

/// Why an `extFields` map could not be read into a typed header. The message texts are Java's
/// (`RemotingCommand.decodeCommandCustomHeader`), because clients show them to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the custom field <{0}> is null")]
    Missing(&'static str),
    #[error("the custom field <{field}> has an invalid value <{value}>")]
    Invalid { field: &'static str, value: String },
    /// The header's `checkFields()` refused it; the text is Java's exception message.
    #[error("{0}")]
    Rejected(String),
}

/// A typed custom header: one struct per request or response header class of the Java code.
pub trait CommandHeader: Sized {
    /// The `extFields` Java would send for this header (null fields omitted).
    fn to_ext_fields(&self) -> ExtFields;
    /// Reads the header, with Java's rules: a missing `@CFNotNull` field is an error, a missing
    /// optional field takes its default, unknown keys are ignored.
    fn from_ext_fields(ext: &ExtFields) -> Result<Self, HeaderError>;
    /// The Java class this type mirrors (set by `command_header!`); it decides the key order
    /// [`write_header`] produces.
    fn kind() -> Option<header::HeaderKind> {
        None
    }
    /// The entries of [`to_ext_fields`](Self::to_ext_fields) as owned pairs; `command_header!`
    /// types give static keys, saving an allocation per field on the hot paths.
    fn ext_entries(&self) -> Vec<(Cow<'static, str>, String)> {
        self.to_ext_fields()
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), v.to_string()))
            .collect()
    }
}

/// Reads the typed header of `cmd`. A command without extFields reads as an empty map, so a
/// header with a required field fails with `Missing`.
pub fn read_header<H: CommandHeader>(cmd: &RemotingCommand) -> Result<H, HeaderError> {
    match &cmd.ext_fields {
        Some(ext) => H::from_ext_fields(ext),
        None => H::from_ext_fields(&ExtFields::new()),
    }
}

/// Puts `header` into `cmd`'s extFields beside the keys already there (what Java adds with
/// `addExtField`, e.g. MSG_REGION/TRACE_ON on send responses), in the order Java sends them:
/// for a fast-codec header on a ROCKETMQ frame its fields in declaration order followed by the
/// other keys, otherwise Java's `HashMap` iteration order (see [`header::java_key_order`]).
/// Header fields replace same-named keys.
pub fn write_header<H: CommandHeader>(cmd: &mut RemotingCommand, header: &H) {
    let fields = header.ext_entries();
    let mut others: Vec<(Cow<'static, str>, String)> = Vec::new();
    if let Some(old) = cmd.ext_fields.take() {
        others.extend(
            old.iter()
                .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
                .map(|(k, v)| (Cow::Owned(k.to_string()), v.to_string())),
        );
    }
    let kind = H::kind();
    let fast_binary =
        cmd.serialize_type == SerializeType::RocketMq && kind.is_some_and(|k| k.is_fast_codec());
    let (entries, order) = if fast_binary {
        // Java's FastCodesHeader.encode writes the fields, then the map holds only the extras.
        let keys: Vec<&str> = others.iter().map(|(k, _)| k.as_ref()).collect();
        let extras_order = header::java_key_order(None, &keys);
        let n = fields.len();
        let order: Vec<usize> = (0..n)
            .chain(extras_order.into_iter().map(|i| n + i))
            .collect();
        let mut entries = fields;
        entries.append(&mut others);
        (entries, order)
    } else {
        let mut entries = others;
        entries.extend(fields);
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
        let order = header::java_key_order(kind, &keys);
        (entries, order)
    };
    let mut slots: Vec<Option<(Cow<'static, str>, String)>> =
        entries.into_iter().map(Some).collect();
    let mut out = ExtFields::with_capacity(slots.len());
    for i in order {
        if let Some((k, v)) = slots.get_mut(i).and_then(Option::take) {
            out.insert(k.into_owned(), v);
        }
    }
    cmd.ext_fields = Some(out);
}

pub mod body;

/// RocketMQ's `UtilAll.crc32`: CRC32 masked to a non-negative int. Stored records carry it for
/// their body, REGISTER_BROKER headers for their body (`bodyCrc32`).
pub fn crc32(bytes: &[u8]) -> i32 {
    (crc32fast::hash(bytes) & 0x7FFF_FFFF) as i32
}

/// Reads a request's typed header. On failure, the response Java sends when
/// `decodeCommandCustomHeader` throws: SYSTEM_ERROR with the exception's description. The error
/// is the response itself, ready to return, hence its size.
#[allow(clippy::result_large_err)]
pub fn decode_header<H: CommandHeader>(request: &RemotingCommand) -> Result<H, RemotingCommand> {
    read_header(request).map_err(|e| {
        RemotingCommand::system_error(
            request,
            format!("org.apache.rocketmq.remoting.exception.RemotingCommandException: {e}"),
        )
    })
}

/// A response to `request` carrying `header` in its `extFields`, in Java's key order.
pub fn response_with_header<H: CommandHeader>(
    request: &RemotingCommand,
    code: i32,
    remark: Option<String>,
    header: &H,
) -> RemotingCommand {
    let mut response = RemotingCommand::response_to(request, code, remark);
    write_header(&mut response, header);
    response
}
