//! Typed request/response headers and JSON bodies for every request code. The conversion between
//! a header struct and the `extFields` string map happens here and nowhere else.

pub mod header;
pub mod heartbeat;
pub mod topic;

use crate::remoting::ExtFields;

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
}

pub mod body;
