//! One Rust struct per `CommandCustomHeader` class of RocketMQ 4.9.7, with Java's class and field
//! names, grouped by area. Each is declared with `command_header!`, which also writes its
//! [`CommandHeader`](crate::protocol::CommandHeader) impl.
//!
//! Field rules (from `RemotingCommand.decodeCommandCustomHeader` / `makeCustomHeaderToNet`):
//! - `required`: a `@CFNotNull` boxed field (`String`, `Integer`, `Long`, `Boolean`). Missing key ->
//!   `HeaderError::Missing(java_name)`. A `@CFNotNull` *primitive* (`long timestamp`,
//!   `boolean isForce`, ...) is declared `default` instead: Java 4.9.7 keeps its 0/false when the
//!   key is missing and processes the request normally, so ferrocket does too.
//! - `optional`: a nullable boxed field (`Option<T>`, missing -> `None`) or a Java primitive
//!   without initializer (missing -> `0`/`false`).
//! - `default <expr>`: a field with a Java initializer (`Integer bodyCrc32 = 0`): missing -> that.
//! - Values are parsed as Java does (see [`field`]); an unparsable number is
//!   `HeaderError::Invalid { field, value }`. Nothing is trimmed. Unknown keys are ignored.
//! - Encoding writes every non-null field as Java's `toString`, in Java declaration order (which
//!   is the wire order of the binary "fast codec" headers).
//!
//! Deviation, on purpose: Java 4.9.7 itself *logs and swallows* a missing `@CFNotNull` field (all
//! headers) and an unparsable value (reflective decoder; the four fast-codec decoders do throw
//! `NumberFormatException`). A boxed field then stays null and the processor usually fails later
//! with a NullPointerException -> SYSTEM_ERROR (sometimes it carries on with null, e.g. a
//! GET_ROUTEINFO_BY_TOPIC without `topic` answers TOPIC_NOT_EXIST for "null"). ferrocket rejects
//! such a header up front, with the text Java builds (and only logs):
//! `the custom field <x> is null`; an unparsable optional value is rejected too instead of being
//! dropped.
//!
//! What is here:
//! - the header structs (re-exported from the area modules: [`namesrv`], [`send`], [`pull`],
//!   [`offset`], [`consumer`], [`transaction`], [`query`], [`admin`], [`acl`], [`filtersrv`]), each
//!   with `from_ext_fields` / `to_ext_fields`, `check_fields`, `JAVA_CLASS`, `JAVA_FIELDS`, `KIND`;
//! - [`table`]: [`HeaderKind`] (one variant per header type, with dynamic `reencode`), the
//!   request-code table [`CODE_HEADERS`] / [`request_header_kind`] / [`response_header_kind`], and
//!   the keys Java adds beside a header ([`RPC_HOOK_KEYS`], [`extra_request_keys`],
//!   [`extra_response_keys`]);
//! - [`java_ext_fields_order`]: the `HashMap` iteration order Java writes extFields in, for
//!   byte-identical JSON (and non-fast-codec binary) headers.

pub mod field;

pub use field::HeaderField;

/// Declares a header struct and its `CommandHeader` impl from a field list:
///
/// ```ignore
/// command_header! {
///     /// Docs.
///     pub struct RegisterBrokerRequestHeader {
///         pub broker_name: String = "brokerName" (required),
///         pub compressed: bool = "compressed" (optional),
///         pub body_crc32: Option<i32> = "bodyCrc32" (default Some(0)),
///     }
///     check(h) { /* Java's checkFields(), returning Result<(), HeaderError> */ Ok(()) }
/// }
/// ```
///
/// Besides the struct (`Debug, Clone, PartialEq`, and `Default` with Java's initial values) it
/// generates `JAVA_CLASS` and `JAVA_FIELDS` (extFields keys in declaration order).
macro_rules! command_header {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty = $java:literal ( $($rule:tt)+ )
            ),* $(,)?
        }
        $( check($h:ident) $check:block )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field : $ty, )*
        }

        impl $name {
            /// This header's entry in [`HeaderKind`](crate::protocol::header::HeaderKind).
            pub const KIND: $crate::protocol::header::HeaderKind = $crate::protocol::header::HeaderKind::$name;
            /// The Java class this header mirrors (simple name).
            pub const JAVA_CLASS: &'static str = stringify!($name);
            /// The `extFields` keys of this header, in Java declaration order.
            pub const JAVA_FIELDS: &'static [&'static str] = &[$($java),*];

            /// Java's `checkFields()`, run after decoding.
            pub fn check_fields(&self) -> Result<(), $crate::protocol::HeaderError> {
                command_header!(@check self $(, $h $check)?)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: command_header!(@default $($rule)+), )* }
            }
        }

        impl $crate::protocol::CommandHeader for $name {
            fn kind() -> Option<$crate::protocol::header::HeaderKind> {
                Some(Self::KIND)
            }

            fn to_ext_fields(&self) -> $crate::remoting::ExtFields {
                self.ext_entries().into_iter().map(|(k, v)| (k.into_owned(), v)).collect()
            }

            fn ext_entries(&self) -> Vec<(std::borrow::Cow<'static, str>, String)> {
                #[allow(unused_mut)]
                let mut entries = Vec::with_capacity(Self::JAVA_FIELDS.len());
                $(
                    if let Some(v) = $crate::protocol::header::HeaderField::render_field(&self.$field) {
                        entries.push((std::borrow::Cow::Borrowed($java), v));
                    }
                )*
                entries
            }

            fn from_ext_fields(
                ext: &$crate::remoting::ExtFields,
            ) -> Result<Self, $crate::protocol::HeaderError> {
                let _ = ext; // headers without fields read nothing
                let header = $name {
                    $(
                        $field: match ext.get($java) {
                            Some(raw) => <$ty as $crate::protocol::header::HeaderField>::parse_field($java, raw)?,
                            None => command_header!(@missing $java, $($rule)+),
                        },
                    )*
                };
                header.check_fields()?;
                Ok(header)
            }
        }
    };

    (@check $s:expr) => { Ok(()) };
    (@check $s:expr, $h:ident $check:block) => {{ let $h = $s; $check }};

    (@default required) => { Default::default() };
    (@default optional) => { Default::default() };
    (@default default $e:expr) => { $e };

    (@missing $java:literal, required) => {
        return Err($crate::protocol::HeaderError::Missing($java))
    };
    (@missing $java:literal, optional) => { Default::default() };
    (@missing $java:literal, default $e:expr) => { $e };
}

pub mod acl;
pub mod admin;
pub mod consumer;
pub mod filtersrv;
pub mod java_order;
pub mod namesrv;
pub mod offset;
pub mod pull;
pub mod query;
pub mod send;
pub mod table;
pub mod transaction;

pub use acl::*;
pub use admin::*;
pub use consumer::*;
pub use filtersrv::*;
pub use namesrv::*;
pub use offset::*;
pub use pull::*;
pub use query::*;
pub use send::*;
pub use table::{
    code_headers, extra_request_keys, extra_response_keys, java_ext_fields_order, java_key_order,
    request_header_kind, response_header_kind, CodeHeaders, HeaderKind, CODE_HEADERS,
    RPC_HOOK_KEYS,
};
pub use transaction::*;
