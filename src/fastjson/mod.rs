//! JSON the way fastjson 1.2.69 (the JSON library of Java RocketMQ 4.9.7) reads and writes it.
//!
//! Java RocketMQ does not speak standard JSON everywhere: maps with integer keys are written with
//! bare keys (`{0:"127.0.0.1:10911"}`), maps keyed by objects write the key object itself
//! (`{{"brokerName":"a","queueId":1,"topic":"t"}:{...}}`), and the store's config files use
//! fastjson's tab-indented pretty format. `Value` can hold all of that, `parse` reads all of it,
//! and the writers reproduce Java's bytes.
//!
//! Typed bodies implement [`ToJson`]/[`FromJson`] (usually through [`json_bean!`]) so that each
//! map says what its keys are, as the Java field type does.

mod convert;
mod parse;
mod write;

#[doc(hidden)]
pub use convert::{__bean_member, __bean_members, __bean_value};
pub use convert::{
    decode, decode_bytes, encode_compact, encode_pretty, FromJson, JsonError, JsonKey, ToJson,
};
pub use parse::{parse, ParseError};
pub use write::{escape_into, to_browser_compatible, to_compact, to_pretty};

/// A JSON value in fastjson's dialect.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Integers keep their exact value (Java long).
    Int(i64),
    /// Any number with a fraction or exponent, or an integer past the i64 range.
    Float(f64),
    String(String),
    Array(Vec<Value>),
    /// Members in document order. Keys are usually `Value::String`; Java writes `Value::Int`
    /// keys for `Map<Integer/Long, _>` and `Value::Object` keys for `Map<MessageQueue, _>`.
    Object(Vec<(Value, Value)>),
}

impl Value {
    pub fn object() -> Value {
        Value::Object(Vec::new())
    }

    /// The member with string key `key` (or, for integer-keyed maps, the key's text), if this is
    /// an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members
                .iter()
                .find(|(k, _)| k.key_text().as_deref() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Appends a member with a string key (builder style, for objects only).
    pub fn push(&mut self, key: impl Into<String>, value: Value) {
        if let Value::Object(members) = self {
            members.push((Value::String(key.into()), value));
        }
    }

    /// The text of a scalar key: strings as they are, integers in decimal.
    pub fn key_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Integers, and strings or floats holding an integer (fastjson converts those too).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Booleans, and the strings/numbers fastjson accepts for them.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" => Some(false),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Compares two values treating objects as unordered maps (Java HashMap order is not
    /// something to assert on), arrays as ordered, and numbers by value.
    pub fn equivalent(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(ka, va)| {
                        b.iter()
                            .any(|(kb, vb)| ka.equivalent(kb) && va.equivalent(vb))
                    })
            }
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equivalent(y))
            }
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => *a as f64 == *b,
            (a, b) => a == b,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i as i64)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
