//! Writers that reproduce fastjson 1.2.69's bytes.
//!
//! - compact (`JSON.toJSONString(obj)`): what RocketMQ sends in most bodies; non-string map keys
//!   are written bare (`{0:"a"}`, `{{"topic":"t"}:1}`);
//! - pretty (`PrettyFormat`): the store's `config/*.json`; tab indentation, a line per member of
//!   beans and string-keyed maps, but non-string-keyed maps stay on one line up to the closing
//!   brace (`{0:3,1:3\n\t\t}`), exactly as fastjson's MapSerializer does;
//! - browser compatible (`BrowserCompatible, QuoteFieldNames, MapSortField`): what the 4.9.7
//!   NameServer answers route queries with for clients >= 4.9.4; keys always quoted, map members
//!   sorted, every non-ASCII character escaped as `\uXXXX`.

use super::Value;
use std::fmt::Write as _;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Compact,
    Pretty,
    Browser,
}

pub fn to_compact(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, Style::Compact, 0);
    out
}

pub fn to_pretty(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, Style::Pretty, 0);
    out
}

pub fn to_browser_compatible(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, Style::Browser, 0);
    out
}

/// Appends `s` as a double-quoted string with fastjson's escaping: `\b \t \n \f \r \" \\` by
/// letter, other control characters and U+007F..U+009F as `\u00XX` (upper-case hex), U+2028 and
/// U+2029 as `\u2028`/`\u2029`; everything else, `/` included, as is.
pub fn escape_into(out: &mut String, s: &str) {
    escape(out, s, false);
}

fn escape(out: &mut String, s: &str, ascii_only: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..0xa0).contains(&(c as u32))
                || c == '\u{2028}'
                || c == '\u{2029}'
                || (ascii_only && (c as u32) >= 0x80) =>
            {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str("\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[((*unit >> shift) & 0xf) as usize] as char);
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push('\t');
    }
}

fn write_value(out: &mut String, v: &Value, style: Style, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_java_double(out, *f),
        Value::String(s) => escape(out, s, style == Style::Browser),
        Value::Array(items) => write_array(out, items, style, depth),
        Value::Object(members) => write_object(out, members, style, depth),
    }
}

fn write_array(out: &mut String, items: &[Value], style: Style, depth: usize) {
    // fastjson writes Java primitive arrays inline even when pretty; Lists get a line per item.
    // A list of plain numbers/booleans is taken to be a primitive array.
    let inline = style != Style::Pretty
        || items.is_empty()
        || items
            .iter()
            .all(|i| matches!(i, Value::Int(_) | Value::Float(_) | Value::Bool(_)));
    out.push('[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        if !inline {
            newline(out, depth + 1);
        }
        write_value(out, item, style, depth + 1);
    }
    if !inline {
        newline(out, depth);
    }
    out.push(']');
}

fn write_object(out: &mut String, members: &[(Value, Value)], style: Style, depth: usize) {
    let sorted;
    let members = if style == Style::Browser {
        let mut m: Vec<&(Value, Value)> = members.iter().collect();
        m.sort_by(|a, b| compare_keys(&a.0, &b.0));
        sorted = m;
        sorted.as_slice()
    } else {
        sorted = members.iter().collect();
        sorted.as_slice()
    };
    out.push('{');
    for (n, (key, value)) in members.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        match key {
            Value::String(k) => {
                if style == Style::Pretty {
                    newline(out, depth + 1);
                }
                escape(out, k, style == Style::Browser);
            }
            other if style == Style::Browser => {
                // WriteNonStringKeyAsString: the key's own JSON text, quoted.
                let text = match other {
                    Value::Int(i) => i.to_string(),
                    other => to_compact(other),
                };
                escape(out, &text, true);
            }
            other => write_value(out, other, style, depth + 1),
        }
        out.push(':');
        write_value(out, value, style, depth + 1);
    }
    if style == Style::Pretty && !members.is_empty() {
        newline(out, depth);
    }
    out.push('}');
}

/// MapSortField order: integer keys numerically, everything else by its text.
fn compare_keys(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        _ => a
            .key_text()
            .unwrap_or_else(|| to_compact(a))
            .cmp(&b.key_text().unwrap_or_else(|| to_compact(b))),
    }
}

/// Java's `Double.toString`: `1.0`, `0.001`, `1.0E7`, `1.234E-5`, `NaN` written as fastjson
/// writes non-finite doubles (`null`).
fn write_java_double(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-3..1e7).contains(&abs) {
        let s = format!("{f:?}"); // shortest round-trip, always with a '.' or 'e'
        if s.contains('e') {
            // Rust switches to exponent form earlier than Java for tiny/huge values only.
            out.push_str(&format!("{f}"));
        } else {
            out.push_str(&s);
        }
        if !out.ends_with(|c: char| c.is_ascii_digit()) || !s.contains('.') && !s.contains('e') {
            out.push_str(".0");
        }
        return;
    }
    // Scientific: d.dddE[-]n with at least one fraction digit.
    let s = format!("{f:e}"); // e.g. "1.234e-5" or "1e7"
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    out.push('E');
    out.push_str(exp);
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn escapes_like_fastjson() {
        let mut out = String::new();
        escape_into(&mut out, "a\"b\\c/\n\t\u{1}\u{7f}\u{9f}\u{a0}é\u{2028}");
        assert_eq!(
            out,
            "\"a\\\"b\\\\c/\\n\\t\\u0001\\u007F\\u009F\u{a0}é\\u2028\""
        );
    }

    #[test]
    fn browser_compatible_escapes_non_ascii_and_quotes_int_keys() {
        let v = parse(r#"{"b":{1:"x",0:"é😀"},"a":1}"#).unwrap();
        assert_eq!(
            to_browser_compatible(&v),
            r#"{"a":1,"b":{"0":"\u00E9\uD83D\uDE00","1":"x"}}"#
        );
        assert_eq!(to_compact(&v), r#"{"b":{1:"x",0:"é😀"},"a":1}"#);
    }

    #[test]
    fn java_doubles() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (123.25, "123.25"),
            (1e7, "1.0E7"),
            (1.5e-5, "1.5E-5"),
            (0.0, "0.0"),
            (-2.0, "-2.0"),
        ];
        for (f, want) in cases {
            let mut out = String::new();
            write_java_double(&mut out, f);
            assert_eq!(out, want, "{f}");
        }
    }

    /// The store's config files as Java 4.9.7 wrote them (from the golden corpus): parsed and
    /// written back in pretty format they come out byte-identical.
    #[test]
    fn pretty_round_trips_java_config_files() {
        let Some(golden) = crate::testkit::golden_or_skip("fastjson pretty round trip") else {
            return;
        };
        let dir = tempdir_extract(&golden.join("store/main-master.tar.gz"));
        let config = dir.join("main-master/config");
        let mut checked = 0;
        for name in [
            "topics.json",
            "consumerOffset.json",
            "delayOffset.json",
            "subscriptionGroup.json",
            "consumerFilter.json",
        ] {
            for file in [name.to_string(), format!("{name}.bak")] {
                let text = std::fs::read_to_string(config.join(&file)).unwrap();
                let v = parse(&text).unwrap();
                assert_eq!(to_pretty(&v), text, "{file}");
                checked += 1;
            }
        }
        assert_eq!(checked, 10);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempdir_extract(tarball: &std::path::Path) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ferrocket-fastjson-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = std::process::Command::new("tar")
            .arg("-xzf")
            .arg(tarball)
            .arg("-C")
            .arg(&dir)
            .arg("--wildcards")
            .arg("*/config/*")
            .status()
            .unwrap();
        assert!(status.success());
        dir
    }

    /// Every JSON body in the golden frames parses, and written compact it is byte-identical to
    /// what Java sent (the compact writer keeps member order, so this holds for every body).
    #[test]
    fn compact_round_trips_golden_bodies() {
        let Some(golden) = crate::testkit::golden_or_skip("fastjson compact round trip") else {
            return;
        };
        let mut checked = 0;
        for entry in std::fs::read_dir(golden.join("frames")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let frame = parse(line).unwrap();
                let Some(body) = frame.get("body_text").and_then(Value::as_str) else {
                    continue;
                };
                if !(body.starts_with('{') || body.starts_with('[')) {
                    continue;
                }
                let v = parse(body).unwrap_or_else(|e| panic!("{}: {e}: {body}", path.display()));
                let code = frame
                    .get("request_code")
                    .or(frame.get("code"))
                    .and_then(Value::as_i64);
                // Route data for >= 4.9.4 clients is in the browser-compatible style.
                let again = if code == Some(105)
                    && frame.get("dir").and_then(Value::as_str) == Some("response")
                {
                    to_browser_compatible(&v)
                } else {
                    to_compact(&v)
                };
                assert_eq!(again, body, "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} JSON bodies checked");
    }
}
