//! The JSON header (serialize type 0): `RemotingCommand` as fastjson 1.2.69 writes it.
//!
//! Writing is exact: compact, members in alphabetical order (`code, extFields, flag, language,
//! opaque, remark, serializeTypeCurrentRPC, version`), null members omitted (`extFields` is
//! absent for a command without custom header and `{}` for one whose fields are all null),
//! `extFields` entries in stored order, `language` as the enum name.
//!
//! Reading is liberal, because C++, Go, Python and Node.js clients write this header too: any
//! member order, unknown members ignored, missing members default to 0/none, numbers given as
//! strings accepted, non-string `extFields` values turned into strings (JSON text for objects
//! and arrays), `null` entries dropped, unknown language names kept, malformed UTF-8 replaced.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::remoting::command::{ExtFields, LanguageCode, RemotingCommand, SerializeType};
use crate::remoting::error::RemotingError;

/// Appends the JSON header of `cmd` to `out`.
pub fn encode(cmd: &RemotingCommand, out: &mut String) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{{\"code\":{}", cmd.code);
    if let Some(ext) = &cmd.ext_fields {
        out.push_str(",\"extFields\":{");
        for (i, (key, value)) in ext.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, key);
            out.push(':');
            write_string(out, value);
        }
        out.push('}');
    }
    let _ = write!(out, ",\"flag\":{},\"language\":", cmd.flag);
    write_string(out, cmd.language.name());
    let _ = write!(out, ",\"opaque\":{}", cmd.opaque);
    if let Some(remark) = &cmd.remark {
        out.push_str(",\"remark\":");
        write_string(out, remark);
    }
    // Java keeps this member in the header it writes; in a JSON header it always says JSON.
    let _ = write!(
        out,
        ",\"serializeTypeCurrentRPC\":\"{}\",\"version\":{}}}",
        SerializeType::Json.name(),
        cmd.version
    );
}

/// Appends `s` quoted, escaped as fastjson escapes it. Runs of characters fastjson leaves
/// alone are copied straight; each character it may escape goes through
/// `crate::fastjson::escape_into`, the one definition of fastjson's rules.
fn write_string(out: &mut String, s: &str) {
    // Every character fastjson escapes is ASCII or starts with 0xC2 (U+0080..U+009F) or 0xE2
    // (U+2028/U+2029); those lead bytes also start characters left alone, which the exact
    // path then simply writes back.
    let needs_care =
        |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b == 0x7F || b == 0xC2 || b == 0xE2;
    out.push('"');
    let mut copied = 0;
    for (i, b) in s.bytes().enumerate() {
        if i < copied || !needs_care(b) {
            continue;
        }
        let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
            continue;
        };
        out.push_str(s.get(copied..i).unwrap_or_default());
        let end = i + c.len_utf8();
        // escape_into writes `"<escaped>"`: keep what is between the quotes.
        let quote = out.len();
        crate::fastjson::escape_into(out, s.get(i..end).unwrap_or_default());
        out.pop();
        out.remove(quote);
        copied = end;
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    out.push('"');
}

/// Decodes a JSON header. The returned command has no body and `serialize_type` Json.
pub fn decode(header: &[u8]) -> Result<RemotingCommand, RemotingError> {
    // The strict check is much faster than the lossy one; fall back only when needed.
    let text = match std::str::from_utf8(header) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(header),
    };
    let mut de = serde_json::Deserializer::from_str(&text);
    let strict = HeaderSeed
        .deserialize(&mut de)
        .and_then(|cmd| de.end().map(|()| cmd));
    match strict {
        Ok(cmd) => Ok(cmd),
        // Standard JSON is the fast path; what fastjson alone accepts (single quotes, bare
        // keys, trailing commas) goes through its parser.
        Err(strict_error) => from_fastjson(&text).ok_or_else(|| {
            RemotingError::bad_header(SerializeType::Json, strict_error.to_string())
        }),
    }
}

/// The header from fastjson's dialect, with the same leniency as the fast path.
fn from_fastjson(text: &str) -> Option<RemotingCommand> {
    use crate::fastjson::Value;
    let value = crate::fastjson::parse(text).ok()?;
    let members = value.as_object()?;
    let mut cmd = RemotingCommand {
        serialize_type: SerializeType::Json,
        ..RemotingCommand::default()
    };
    let int = |v: &Value| match v {
        Value::Null => Some(0),
        v => v.as_i64().and_then(|i| i32::try_from(i).ok()),
    };
    let text_of = |v: &Value| match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(crate::fastjson::to_compact(other)),
    };
    for (key, v) in members {
        match key.key_text()?.as_str() {
            "code" => cmd.code = int(v)?,
            "flag" => cmd.flag = int(v)?,
            "opaque" => cmd.opaque = int(v)?,
            "version" => cmd.version = int(v)?,
            "language" => {
                if let Some(name) = text_of(v) {
                    cmd.language = LanguageCode::from_name(&name);
                }
            }
            "remark" => cmd.remark = text_of(v),
            "extFields" => {
                cmd.ext_fields = match v {
                    Value::Null => None,
                    Value::Object(entries) => {
                        let mut ext = ExtFields::with_capacity(entries.len().min(64));
                        for (k, value) in entries {
                            let k = k
                                .key_text()
                                .unwrap_or_else(|| crate::fastjson::to_compact(k));
                            if let Some(value) = text_of(value) {
                                ext.insert(k, value);
                            }
                        }
                        Some(ext)
                    }
                    _ => return None,
                }
            }
            _ => {}
        }
    }
    Some(cmd)
}

struct HeaderSeed;

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = RemotingCommand;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RemotingCommand, D::Error> {
        d.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = RemotingCommand;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a RemotingCommand header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RemotingCommand, A::Error> {
        let mut cmd = RemotingCommand {
            serialize_type: SerializeType::Json,
            ..RemotingCommand::default()
        };
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "code" => cmd.code = map.next_value::<LenientInt>()?.0,
                "flag" => cmd.flag = map.next_value::<LenientInt>()?.0,
                "opaque" => cmd.opaque = map.next_value::<LenientInt>()?.0,
                "version" => cmd.version = map.next_value::<LenientInt>()?.0,
                "language" => {
                    if let Some(name) = map.next_value::<LenientString>()?.0 {
                        cmd.language = LanguageCode::from_name(&name);
                    }
                }
                "remark" => cmd.remark = map.next_value::<LenientString>()?.0,
                "extFields" => cmd.ext_fields = map.next_value::<LenientExt>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(cmd)
    }
}

/// An `int` member: a JSON integer, or a string holding one (fastjson accepts both); `null`
/// reads as 0. Out-of-range values are errors rather than silently wrapped.
struct LenientInt(i32);

impl<'de> de::Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientInt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an int")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientInt, E> {
                i32::try_from(v)
                    .map(LenientInt)
                    .map_err(|_| E::custom(format!("int out of range: {v}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientInt, E> {
                i32::try_from(v)
                    .map(LenientInt)
                    .map_err(|_| E::custom(format!("int out of range: {v}")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientInt, E> {
                if v.fract() == 0.0 && v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX) {
                    Ok(LenientInt(v as i32))
                } else {
                    Err(E::custom(format!("not an int: {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientInt, E> {
                v.trim()
                    .parse()
                    .map(LenientInt)
                    .map_err(|_| E::custom(format!("not an int: {v:?}")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientInt, E> {
                Ok(LenientInt(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string member; `null` reads as absent, scalars as their text.
struct LenientString(Option<String>);

impl<'de> de::Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(LenientString(value_to_string(value)))
    }
}

use serde::Deserialize;

/// Java turns every extFields value into a String; `null` means the entry is absent.
fn value_to_string(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// The `extFields` object; `null` reads as no map.
struct LenientExt(Option<ExtFields>);

impl<'de> de::Deserialize<'de> for LenientExt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientExt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an extFields object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientExt, E> {
                Ok(LenientExt(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LenientExt, A::Error> {
                let mut ext = ExtFields::with_capacity(map.size_hint().unwrap_or(8).min(64));
                while let Some((key, value)) = map.next_entry::<String, ExtValue>()? {
                    if let Some(value) = value.0 {
                        ext.insert(key, value);
                    }
                }
                Ok(LenientExt(Some(ext)))
            }
        }
        d.deserialize_any(V)
    }
}

/// One extFields value: strings are taken as they are (the common case, no detour through
/// `serde_json::Value`), anything else is converted.
struct ExtValue(Option<String>);

impl<'de> de::Deserialize<'de> for ExtValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an extFields value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(serde_json::Value::from(v).to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ExtValue, E> {
                Ok(ExtValue(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<ExtValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ExtValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ExtValue(Some(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(cmd: &RemotingCommand) -> String {
        let mut s = String::new();
        encode(cmd, &mut s);
        s
    }

    #[test]
    fn writes_fastjson_member_order_and_omits_nulls() {
        let mut cmd = RemotingCommand {
            code: 105,
            version: 407,
            opaque: 7,
            ..Default::default()
        };
        assert_eq!(
            encoded(&cmd),
            r#"{"code":105,"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":407}"#
        );
        cmd.ext_fields = Some(ExtFields::new());
        cmd.remark = Some("a\"b\\c\nd\u{1}\u{7f}\u{85}é\u{2028}\u{2029}\u{2027}/".into());
        assert_eq!(
            encoded(&cmd),
            r#"{"code":105,"extFields":{},"flag":0,"language":"JAVA","opaque":7,"remark":"a\"b\\c\nd\u0001\u007F\u0085é\u2028\u2029‧/","serializeTypeCurrentRPC":"JSON","version":407}"#
        );
        let mut ext = ExtFields::new();
        ext.insert("topic", "T");
        ext.insert("a", "1");
        cmd.ext_fields = Some(ext);
        cmd.remark = None;
        assert!(
            encoded(&cmd).starts_with(r#"{"code":105,"extFields":{"topic":"T","a":"1"},"flag":0"#)
        );
    }

    #[test]
    fn string_escaping_agrees_with_crate_fastjson() {
        let mut samples: Vec<String> = (0u32..0x3000)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b{c}{c}"))
            .collect();
        samples.push("plain".into());
        samples.push(String::new());
        samples.push("\u{1}\u{2}k\u{1}v\u{2}é世\u{2028}\u{85}\"\\/\u{7f}".into());
        for sample in samples {
            let mut ours = String::new();
            write_string(&mut ours, &sample);
            let mut reference = String::new();
            crate::fastjson::escape_into(&mut reference, &sample);
            assert_eq!(ours, reference, "{sample:?}");
        }
    }

    #[test]
    fn reads_liberally() {
        let text = br#" {"version":"399","opaque":2.0,"extFields":{"n":12,"b":true,"x":null,"o":{"k":[1]},"s":"v"},
            "language":"NODE_JS","opaque":-3,"flag":1,"code":0,"whatever":[1,{"a":2}],"remark":null} "#;
        let cmd = decode(text).unwrap();
        assert_eq!(cmd.code, 0);
        assert_eq!(cmd.version, 399);
        assert_eq!(cmd.opaque, -3);
        assert_eq!(cmd.flag, 1);
        assert_eq!(cmd.language, LanguageCode::NodeJs);
        assert_eq!(cmd.remark, None);
        let ext: Vec<_> = cmd.ext_fields.as_ref().unwrap().iter().collect();
        assert_eq!(
            ext,
            vec![
                ("n", "12"),
                ("b", "true"),
                ("o", r#"{"k":[1]}"#),
                ("s", "v")
            ]
        );

        let minimal = decode(br#"{"code":34,"language":"COBOL"}"#).unwrap();
        // fastjson's own dialect: single quotes, bare keys, trailing comma.
        let dialect =
            decode(br#"{code:11,'extFields':{topic:'T',queueId:3,},opaque:'5',}"#).unwrap();
        assert_eq!((dialect.code, dialect.opaque), (11, 5));
        assert_eq!(dialect.ext("topic"), Some("T"));
        assert_eq!(dialect.ext("queueId"), Some("3"));
        assert_eq!(minimal.code, 34);
        assert_eq!(minimal.language.name(), "COBOL");
        assert_eq!(minimal.ext_fields, None);
    }

    #[test]
    fn rejects_what_is_not_a_header() {
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"{\"code\":1}x",
            b"{\"code\":99999999999}",
            b"null",
            b"{\"code\":{}}",
        ] {
            assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn round_trips() {
        let mut ext = ExtFields::new();
        ext.insert("k\u{2}", "v\u{1}\u{2}");
        let cmd = RemotingCommand {
            code: 310,
            language: LanguageCode::Go,
            version: 1,
            opaque: i32::MIN,
            flag: 2,
            remark: Some("héllo 世界".into()),
            ext_fields: Some(ext),
            serialize_type: SerializeType::Json,
            body: None,
        };
        assert_eq!(decode(encoded(&cmd).as_bytes()).unwrap(), cmd);
    }
}
