//! Typed request/response headers and JSON bodies for every request code. The conversion between
//! a header struct and the `extFields` string map happens here and nowhere else.

pub mod header;
pub mod heartbeat;
pub mod topic;

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
/// other keys, otherwise Java's `HashMap` iteration order (see
/// [`header::java_ext_fields_order`]). Header fields replace same-named keys.
pub fn write_header<H: CommandHeader>(cmd: &mut RemotingCommand, header: &H) {
    let fields = header.to_ext_fields();
    let others: ExtFields = cmd
        .ext_fields
        .take()
        .unwrap_or_default()
        .iter()
        .filter(|(k, _)| fields.get(k).is_none())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let kind = H::kind();
    let ordered = if cmd.serialize_type == SerializeType::RocketMq
        && kind.is_some_and(|k| k.is_fast_codec())
    {
        let mut out = fields;
        for (k, v) in header::java_ext_fields_order(None, &others).iter() {
            out.insert(k, v);
        }
        out
    } else {
        let mut all = others;
        for (k, v) in fields.iter() {
            all.insert(k, v);
        }
        header::java_ext_fields_order(kind, &all)
    };
    cmd.ext_fields = Some(ordered);
}

pub mod body;

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
