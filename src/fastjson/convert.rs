//! Typed conversion between Rust values and fastjson `Value`s, with Java's rules: missing or
//! null members take the field's Java default, unknown members are ignored, numbers and booleans
//! are accepted in the loose forms fastjson accepts, and every map says how its keys are written.

use super::{parse, to_compact, to_pretty, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::Hash;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

impl JsonError {
    fn expected(what: &str, got: &Value) -> JsonError {
        let mut text = to_compact(got);
        if text.len() > 60 {
            let cut = (0..=60)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push_str("...");
        }
        JsonError(format!("expected {what}, found {text}"))
    }

    /// Prefixes the member name, so errors read `topicConfigTable.Foo.perm: expected ...`.
    pub fn at(self, member: &str) -> JsonError {
        JsonError(format!("{member}: {}", self.0))
    }
}

impl From<super::ParseError> for JsonError {
    fn from(e: super::ParseError) -> JsonError {
        JsonError(e.to_string())
    }
}

/// Converts a Rust value to the `Value` fastjson would produce for the Java object.
pub trait ToJson {
    fn to_json(&self) -> Value;
}

/// Reads a Rust value from a `Value`, as fastjson fills a Java object.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Result<Self, JsonError>;
}

/// A map key: Java writes `Map<String,_>` keys quoted, `Map<Integer|Long,_>` keys bare and
/// `Map<SomeBean,_>` keys as the bean's JSON object.
pub trait JsonKey: Sized {
    fn to_key(&self) -> Value;
    fn from_key(k: &Value) -> Result<Self, JsonError>;
}

/// Parses `text` and reads a `T` from it.
pub fn decode<T: FromJson>(text: &str) -> Result<T, JsonError> {
    T::from_json(&parse(text)?)
}

/// Like [`decode`], for bodies that arrive as bytes. Invalid UTF-8 is an error, not a panic.
pub fn decode_bytes<T: FromJson>(bytes: &[u8]) -> Result<T, JsonError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| JsonError(format!("body is not UTF-8: {e}")))?;
    decode(text)
}

/// `JSON.toJSONString(obj)`.
pub fn encode_compact<T: ToJson + ?Sized>(v: &T) -> String {
    to_compact(&v.to_json())
}

/// `JSON.toJSONString(obj, true)`: the store's config files.
pub fn encode_pretty<T: ToJson + ?Sized>(v: &T) -> String {
    to_pretty(&v.to_json())
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl FromJson for Value {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        Ok(v.clone())
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl FromJson for String {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            // fastjson casts scalars to String fields.
            Value::Int(i) => Ok(i.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Float(_) => Ok(to_compact(v)),
            other => Err(JsonError::expected("a string", other)),
        }
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FromJson for bool {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        v.as_bool()
            .ok_or_else(|| JsonError::expected("a boolean", v))
    }
}

macro_rules! int_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
        impl FromJson for $t {
            fn from_json(v: &Value) -> Result<Self, JsonError> {
                v.as_i64()
                    .and_then(|i| <$t>::try_from(i).ok())
                    .ok_or_else(|| JsonError::expected(stringify!($t), v))
            }
        }
        impl JsonKey for $t {
            fn to_key(&self) -> Value {
                Value::Int(*self as i64)
            }
            fn from_key(k: &Value) -> Result<Self, JsonError> {
                <$t>::from_json(k)
            }
        }
    )*};
}
int_json!(i8, i16, i32, i64, u8, u16, u32, usize);

impl ToJson for u64 {
    fn to_json(&self) -> Value {
        match i64::try_from(*self) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(*self as f64),
        }
    }
}

impl FromJson for u64 {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        v.as_i64()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| JsonError::expected("u64", v))
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> Value {
        Value::Float(*self)
    }
}

impl FromJson for f64 {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        v.as_f64().ok_or_else(|| JsonError::expected("a number", v))
    }
}

impl JsonKey for String {
    fn to_key(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_key(k: &Value) -> Result<Self, JsonError> {
        k.key_text().map_or_else(|| Ok(to_compact(k)), Ok)
    }
}

/// `None` becomes `null`; bean members that are `null` are left out by [`json_bean!`].
impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        if v.is_null() {
            Ok(None)
        } else {
            T::from_json(v).map(Some)
        }
    }
}

fn items(v: &Value) -> Result<&[Value], JsonError> {
    match v {
        Value::Array(items) => Ok(items),
        other => Err(JsonError::expected("an array", other)),
    }
}

fn members(v: &Value) -> Result<&[(Value, Value)], JsonError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(JsonError::expected("an object", other)),
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        items(v)?.iter().map(T::from_json).collect()
    }
}

impl<T: ToJson> ToJson for HashSet<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: FromJson + Eq + Hash> FromJson for HashSet<T> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        items(v)?.iter().map(T::from_json).collect()
    }
}

impl<T: ToJson> ToJson for BTreeSet<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: FromJson + Ord> FromJson for BTreeSet<T> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        items(v)?.iter().map(T::from_json).collect()
    }
}

fn map_from_json<K: JsonKey, V: FromJson, M: FromIterator<(K, V)>>(
    v: &Value,
) -> Result<M, JsonError> {
    members(v)?
        .iter()
        .map(|(k, val)| {
            let key = K::from_key(k)?;
            let value = V::from_json(val)
                .map_err(|e| e.at(&k.key_text().unwrap_or_else(|| to_compact(k))))?;
            Ok((key, value))
        })
        .collect()
}

impl<K: JsonKey, V: ToJson> ToJson for HashMap<K, V> {
    fn to_json(&self) -> Value {
        Value::Object(
            self.iter()
                .map(|(k, v)| (k.to_key(), v.to_json()))
                .collect(),
        )
    }
}

impl<K: JsonKey + Eq + Hash, V: FromJson> FromJson for HashMap<K, V> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        map_from_json(v)
    }
}

impl<K: JsonKey, V: ToJson> ToJson for BTreeMap<K, V> {
    fn to_json(&self) -> Value {
        Value::Object(
            self.iter()
                .map(|(k, v)| (k.to_key(), v.to_json()))
                .collect(),
        )
    }
}

impl<K: JsonKey + Ord, V: FromJson> FromJson for BTreeMap<K, V> {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        map_from_json(v)
    }
}

#[doc(hidden)]
pub fn __bean_members(v: &Value) -> Result<&[(Value, Value)], JsonError> {
    members(v)
}

#[doc(hidden)]
pub fn __bean_member<'a>(members: &'a [(Value, Value)], name: &str) -> Option<&'a Value> {
    members
        .iter()
        .find(|(k, v)| !v.is_null() && matches!(k, Value::String(s) if s == name))
        .map(|(_, v)| v)
}

/// Builds a bean `Value` from (Java name, value) pairs the way fastjson writes a Java bean:
/// members sorted by name, `null` members left out.
#[doc(hidden)]
pub fn __bean_value(mut fields: Vec<(&'static str, Value)>) -> Value {
    fields.retain(|(_, v)| !v.is_null());
    fields.sort_by(|a, b| a.0.cmp(b.0));
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (Value::String(k.to_string()), v))
            .collect(),
    )
}

/// Defines a struct that maps to a Java bean in fastjson's JSON: each field names its Java
/// property and, optionally, the Java default used when the member is missing or `null`.
///
/// ```
/// ferrocket::json_bean! {
///     #[derive(Debug, Clone, PartialEq)]
///     pub struct QueueData {
///         pub broker_name: String = "brokerName",
///         pub read_queue_nums: i32 = "readQueueNums" => 16,
///     }
/// }
/// let q: QueueData = ferrocket::fastjson::decode(r#"{"brokerName":"a","x":1}"#).unwrap();
/// assert_eq!(q.read_queue_nums, 16);
/// assert_eq!(ferrocket::fastjson::encode_compact(&q), r#"{"brokerName":"a","readQueueNums":16}"#);
/// ```
///
/// The struct also implements `JsonKey`, for Java maps keyed by this bean.
#[macro_export]
macro_rules! json_bean {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty = $java:literal $(=> $default:expr)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[$fmeta])*
                $fvis $field: $ty,
            )*
        }

        impl ::core::default::Default for $name {
            fn default() -> Self {
                Self {
                    $( $field: $crate::__json_default!($($default)?), )*
                }
            }
        }

        impl $crate::fastjson::ToJson for $name {
            fn to_json(&self) -> $crate::fastjson::Value {
                $crate::fastjson::__bean_value(vec![
                    $( ($java, $crate::fastjson::ToJson::to_json(&self.$field)), )*
                ])
            }
        }

        impl $crate::fastjson::FromJson for $name {
            fn from_json(v: &$crate::fastjson::Value) -> ::core::result::Result<Self, $crate::fastjson::JsonError> {
                let members = $crate::fastjson::__bean_members(v)?;
                #[allow(unused_mut)]
                let mut bean = <Self as ::core::default::Default>::default();
                $(
                    if let Some(m) = $crate::fastjson::__bean_member(members, $java) {
                        bean.$field = $crate::fastjson::FromJson::from_json(m).map_err(|e| e.at($java))?;
                    }
                )*
                Ok(bean)
            }
        }

        impl $crate::fastjson::JsonKey for $name {
            fn to_key(&self) -> $crate::fastjson::Value {
                $crate::fastjson::ToJson::to_json(self)
            }
            fn from_key(k: &$crate::fastjson::Value) -> ::core::result::Result<Self, $crate::fastjson::JsonError> {
                $crate::fastjson::FromJson::from_json(k)
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __json_default {
    () => {
        ::core::default::Default::default()
    };
    ($e:expr) => {
        $e
    };
}

/// Defines an enum that fastjson writes by its Java constant name and reads from its name or
/// its ordinal (variants must be listed in Java's declaration order). Unknown names read as an
/// error naming the value (fastjson fails the same way). Variants must be `Copy`.
///
/// ```
/// ferrocket::json_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
///     pub enum TopicFilterType { #[default] SingleTag = "SINGLE_TAG", MultiTag = "MULTI_TAG" }
/// }
/// assert_eq!(TopicFilterType::MultiTag.java_name(), "MULTI_TAG");
/// ```
#[macro_export]
macro_rules! json_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $java:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// The Java enum constant's name.
            pub fn java_name(&self) -> &'static str {
                match self {
                    $( $name::$variant => $java, )*
                }
            }

            /// The variant for a Java enum constant's name.
            pub fn from_java_name(name: &str) -> Option<Self> {
                match name {
                    $( $java => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// The variant for a Java `ordinal()` (declaration order).
            pub fn from_ordinal(ordinal: i64) -> Option<Self> {
                const ALL: &[$name] = &[$($name::$variant),*];
                usize::try_from(ordinal).ok().and_then(|i| ALL.get(i)).copied()
            }
        }

        impl $crate::fastjson::ToJson for $name {
            fn to_json(&self) -> $crate::fastjson::Value {
                $crate::fastjson::Value::String(self.java_name().to_string())
            }
        }

        impl $crate::fastjson::FromJson for $name {
            fn from_json(v: &$crate::fastjson::Value) -> ::core::result::Result<Self, $crate::fastjson::JsonError> {
                // fastjson reads an enum from its name or its ordinal; the C++ client sends
                // ordinals (`"consumeType":1`).
                let found = match v {
                    $crate::fastjson::Value::Int(i) => Self::from_ordinal(*i),
                    other => other.as_str().and_then(Self::from_java_name),
                };
                found
                    .ok_or_else(|| $crate::fastjson::JsonError(format!(
                        "no {} named {}", stringify!($name), $crate::fastjson::to_compact(v)
                    )))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::json_bean! {
        #[derive(Debug, Clone, PartialEq)]
        struct Broker {
            name: String = "brokerName",
            addrs: HashMap<i64, String> = "brokerAddrs",
            perm: i32 = "perm" => 6,
            order: Option<bool> = "order",
        }
    }

    crate::json_bean! {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        struct Mq {
            topic: String = "topic",
            queue_id: i32 = "queueId",
        }
    }

    #[test]
    fn bean_members_sorted_nulls_left_out_defaults_filled() {
        let b: Broker =
            decode(r#"{"brokerName":"a","brokerAddrs":{0:"x:1"},"unknown":[1],"order":null}"#)
                .unwrap();
        assert_eq!(b.perm, 6);
        assert_eq!(b.order, None);
        assert_eq!(b.addrs.get(&0).map(String::as_str), Some("x:1"));
        assert_eq!(
            encode_compact(&b),
            r#"{"brokerAddrs":{0:"x:1"},"brokerName":"a","perm":6}"#
        );
    }

    #[test]
    fn bean_keys_and_loose_scalars() {
        let text = r#"{{"queueId":1,"topic":"t"}:5,{"queueId":"2","topic":"t"}:"6"}"#;
        let m: BTreeMap<Mq, i64> = decode(text).unwrap();
        assert_eq!(
            m.get(&Mq {
                topic: "t".into(),
                queue_id: 2
            }),
            Some(&6)
        );
        assert_eq!(
            encode_compact(&m),
            r#"{{"queueId":1,"topic":"t"}:5,{"queueId":2,"topic":"t"}:6}"#
        );
    }

    #[test]
    fn type_errors_name_the_member() {
        let e = decode::<Broker>(r#"{"perm":"rw"}"#).unwrap_err();
        assert!(e.0.starts_with("perm: expected i32"), "{e}");
        assert!(decode::<Broker>("[1]").is_err());
        assert!(decode_bytes::<Broker>(&[0xff, 0xfe]).is_err());
    }
}
