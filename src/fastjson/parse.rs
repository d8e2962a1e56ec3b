//! A liberal reader for the JSON Java RocketMQ writes and accepts: standard JSON plus fastjson's
//! bare and integer keys, object keys, single-quoted strings, trailing commas and `\x` escapes.

use super::Value;

/// Nesting deeper than this is refused: input from the network must not overflow the stack.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset}: {reason}")]
pub struct ParseError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parses one JSON value; only whitespace may follow it.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
    };
    // fastjson tolerates a UTF-8 byte-order mark.
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> ParseError {
        ParseError {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.err("unexpected end")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(q @ (b'"' | b'\'')) => Ok(Value::String(self.string(q)?)),
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => self.number(),
            Some(_) => {
                let word = self.bare_word();
                match word {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" | "undefined" => Ok(Value::Null),
                    _ => Err(self.err("unexpected character")),
                }
            }
        }
    }

    /// A run of identifier characters (for literals and bare keys).
    fn bare_word(&mut self) -> &str {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
                self.pos += 1;
            } else {
                break;
            }
        }
        // Stops only at ASCII bytes, so the slice lies on char boundaries.
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1; // '{'
        let mut members = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.err("unterminated object")),
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                Some(b',') => {
                    // fastjson skips stray and trailing commas.
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let key = match self.peek() {
                Some(b'{' | b'[' | b'"' | b'\'' | b'-' | b'0'..=b'9') => self.value(depth + 1)?,
                _ => {
                    let word = self.bare_word();
                    if word.is_empty() {
                        return Err(self.err("expected a key"));
                    }
                    match word {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        _ => Value::String(word.to_string()),
                    }
                }
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.err("unterminated array")),
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        // Java type suffixes fastjson accepts: 1L, 2S, 3B, 1.5F, 1.5D.
        if let Some(b'L' | b'S' | b'B' | b'F' | b'D') = self.peek() {
            self.pos += 1;
        }
        let digits = text.strip_prefix('+').unwrap_or(text);
        if let Ok(i) = digits.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        digits
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| ParseError {
                offset: start,
                reason: "invalid number",
            })
    }

    fn string(&mut self, quote: u8) -> Result<String, ParseError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == quote || b == b'\\' {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(start..self.pos).unwrap_or(""));
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b) if b == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => {
                    self.pos += 1; // backslash
                    self.escape(&mut out)?;
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let Some(c) = self.peek() else {
            return Err(self.err("unterminated escape"));
        };
        self.pos += 1;
        match c {
            b'"' | b'\'' | b'\\' | b'/' => out.push(c as char),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'v' => out.push('\u{b}'),
            b'0'..=b'7' => out.push((c - b'0') as char),
            b'x' => {
                let v = self.hex(2)?;
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            b'u' => {
                let unit = self.hex(4)?;
                if (0xD800..0xDC00).contains(&unit)
                    && self.s.get(self.pos..self.pos + 2) == Some(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let low = self.hex(4)?;
                    if (0xDC00..0xE000).contains(&low) {
                        let cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        return Ok(());
                    }
                    self.pos = save;
                }
                out.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
            }
            _ => return Err(self.err("invalid escape")),
        }
        Ok(())
    }

    fn hex(&mut self, n: usize) -> Result<u32, ParseError> {
        let digits = self
            .s
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.err("short escape"))?;
        let mut v = 0u32;
        for d in digits {
            let x = (*d as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid hex digit"))?;
            v = v * 16 + x;
        }
        self.pos += n;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn reads_standard_json() {
        let v = parse(r#"{"a":[1,-2,3.5,true,false,null],"b":"x\"\u00e9\ud83d\ude00"}"#).unwrap();
        assert_eq!(
            v.get("a").unwrap(),
            &Value::Array(vec![
                Value::Int(1),
                Value::Int(-2),
                Value::Float(3.5),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null
            ])
        );
        assert_eq!(v.get("b").unwrap(), &s("x\"é😀"));
    }

    #[test]
    fn reads_fastjson_quirks() {
        // Integer keys (cluster info, consumer offsets), object keys (consume stats).
        let v = parse(r#"{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"}}"#).unwrap();
        let addrs = v.get("brokerAddrs").unwrap().as_object().unwrap();
        assert_eq!(addrs[1].0, Value::Int(1));
        assert_eq!(
            v.get("brokerAddrs").unwrap().get("0"),
            Some(&s("127.0.0.1:10911"))
        );

        let v = parse(
            r#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"t"}:{"maxOffset":5}}}"#,
        )
        .unwrap();
        let (k, val) = &v.get("offsetTable").unwrap().as_object().unwrap()[0];
        assert_eq!(k.get("queueId"), Some(&Value::Int(1)));
        assert_eq!(val.get("maxOffset"), Some(&Value::Int(5)));

        // Bare keys, single quotes, trailing commas, tabs and newlines (pretty format).
        let v = parse("{\n\tname:'a\\'b',\n\t\"n\":[1,2,],\n}").unwrap();
        assert_eq!(v.get("name"), Some(&s("a'b")));
        assert_eq!(v.get("n").unwrap().as_array().unwrap().len(), 2);
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        for bad in [
            "",
            "{",
            "[1,",
            "{\"a\"}",
            "\"abc",
            "{\"a\":tru}",
            "1 2",
            "\"\\u12\"",
            "\"\\",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
        let deep = "[".repeat(10_000);
        assert_eq!(parse(&deep).unwrap_err().reason, "nesting too deep");
    }

    #[test]
    fn big_numbers_fall_back_to_float() {
        assert_eq!(parse("9223372036854775807").unwrap(), Value::Int(i64::MAX));
        assert_eq!(parse("1e3").unwrap(), Value::Float(1000.0));
        assert_eq!(parse("123L").unwrap(), Value::Int(123));
    }
}
