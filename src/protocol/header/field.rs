//! How one header field is read from and written to its `extFields` string, with the parsing
//! rules of the Java types RocketMQ headers use (`String`, `Integer`/`int`, `Long`/`long`,
//! `Short`, `Byte`, `Boolean`/`boolean`, `Double`/`double`).
//!
//! A Rust field type is either the value itself (a `@CFNotNull` field, or a Java primitive, which
//! can never be null) or `Option` of it (a boxed Java field that may be null). Only `Some` values
//! are written, as Java's `makeCustomHeaderToNet` skips null fields.

use crate::protocol::HeaderError;

/// A type a header field can have.
pub trait HeaderField: Sized {
    /// Reads the field from its `extFields` text. `java_name` goes into the error.
    fn parse_field(java_name: &'static str, raw: &str) -> Result<Self, HeaderError>;
    /// The `extFields` text Java writes for this value (`value.toString()`), `None` for null.
    fn render_field(&self) -> Option<String>;
}

fn invalid(java_name: &'static str, raw: &str) -> HeaderError {
    HeaderError::Invalid {
        field: java_name,
        value: raw.to_string(),
    }
}

impl HeaderField for String {
    fn parse_field(_: &'static str, raw: &str) -> Result<Self, HeaderError> {
        Ok(raw.to_string())
    }
    fn render_field(&self) -> Option<String> {
        Some(self.clone())
    }
}

/// `Boolean.parseBoolean` ("true" in any case is true, everything else false; it never fails),
/// plus "1": the C++ client (librocketmq 1.x) writes its booleans as "1"/"0", e.g. `batch=1` on
/// a batch send, which Java reads as false and then stores the whole batch as one message. No
/// Java client sends "1", so reading it as true only makes C++ batches work.
impl HeaderField for bool {
    fn parse_field(_: &'static str, raw: &str) -> Result<Self, HeaderError> {
        Ok(raw.eq_ignore_ascii_case("true") || raw == "1")
    }
    fn render_field(&self) -> Option<String> {
        Some(if *self { "true" } else { "false" }.to_string())
    }
}

/// `Integer.parseInt` and friends: optional sign (`+` or `-`), decimal digits, no whitespace,
/// range-checked. Rust's `from_str` for integers has the same grammar, except that Java also
/// accepts non-ASCII Unicode digits (e.g. Arabic-Indic), which no client sends.
macro_rules! integer_field {
    ($($t:ty),*) => {$(
        impl HeaderField for $t {
            fn parse_field(java_name: &'static str, raw: &str) -> Result<Self, HeaderError> {
                raw.parse::<$t>().map_err(|_| invalid(java_name, raw))
            }
            fn render_field(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}
integer_field!(i8, i16, i32, i64);

/// `Double.parseDouble` (leading/trailing whitespace trimmed, optional `d`/`f` suffix,
/// `NaN`/`Infinity` spelled Java's way) and `Double.toString` (no header of 4.9.7 has a double
/// field; this exists so the macro covers every type Java's decoder accepts). Hexadecimal float
/// literals, which Java also accepts, are rejected.
impl HeaderField for f64 {
    fn parse_field(java_name: &'static str, raw: &str) -> Result<Self, HeaderError> {
        parse_java_double(raw).ok_or_else(|| invalid(java_name, raw))
    }
    fn render_field(&self) -> Option<String> {
        Some(java_double_to_string(*self))
    }
}

impl<T: HeaderField> HeaderField for Option<T> {
    fn parse_field(java_name: &'static str, raw: &str) -> Result<Self, HeaderError> {
        T::parse_field(java_name, raw).map(Some)
    }
    fn render_field(&self) -> Option<String> {
        self.as_ref().and_then(HeaderField::render_field)
    }
}

fn parse_java_double(raw: &str) -> Option<f64> {
    // Java's String.trim: every char <= ' '.
    let s = raw.trim_matches(|c: char| c <= ' ');
    let (sign, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(sign * f64::INFINITY),
        _ => {}
    }
    let digits = unsigned
        .strip_suffix(['d', 'D', 'f', 'F'])
        .unwrap_or(unsigned);
    // Rust accepts "inf"/"nan" spellings Java does not; Java's grammar is digits, '.', exponent.
    let java_grammar = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if !java_grammar {
        return None;
    }
    digits.parse::<f64>().ok().map(|v| sign * v)
}

/// `Double.toString`: plain notation with at least one fractional digit for 1e-3 <= |v| < 1e7,
/// otherwise `d.dddE<exp>`; digits are the shortest that round-trip.
fn java_double_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let abs = v.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            s + ".0"
        }
    } else {
        // Rust's `{:e}` gives "1.2345e-5" / "1e10": shortest digits, our exponent style differs.
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_follow_parse_boolean() {
        for (raw, want) in [
            ("true", true),
            ("TRUE", true),
            ("TrUe", true),
            ("false", false),
            ("1", true), // the C++ client's spelling of true
            ("yes", false),
            ("", false),
            (" true", false),
        ] {
            assert_eq!(bool::parse_field("k", raw), Ok(want), "{raw:?}");
        }
        assert_eq!(true.render_field().as_deref(), Some("true"));
        assert_eq!(false.render_field().as_deref(), Some("false"));
    }

    #[test]
    fn integers_follow_parse_int() {
        assert_eq!(i32::parse_field("queueId", "+7"), Ok(7));
        assert_eq!(i32::parse_field("queueId", "-2147483648"), Ok(i32::MIN));
        for bad in ["", " 1", "1 ", "2147483648", "1.0", "0x10", "abc", "-"] {
            assert_eq!(
                i32::parse_field("queueId", bad),
                Err(HeaderError::Invalid {
                    field: "queueId",
                    value: bad.to_string()
                }),
                "{bad:?}"
            );
        }
        assert_eq!(
            i64::parse_field("offset", "9223372036854775807"),
            Ok(i64::MAX)
        );
        assert!(i16::parse_field("s", "32768").is_err());
        assert_eq!(i8::parse_field("b", "-128"), Ok(-128));
    }

    #[test]
    fn doubles_follow_java() {
        assert_eq!(f64::parse_field("d", " 1.5d "), Ok(1.5));
        assert_eq!(f64::parse_field("d", "-Infinity"), Ok(f64::NEG_INFINITY));
        assert!(f64::parse_field("d", "inf").is_err());
        assert!(f64::parse_field("d", "nan").is_err());
        for (v, s) in [
            (1.0, "1.0"),
            (0.001, "0.001"),
            (1234567.5, "1234567.5"),
            (1e7, "1.0E7"),
            (1.5e-4, "1.5E-4"),
            (-2.0, "-2.0"),
        ] {
            assert_eq!(v.render_field().as_deref(), Some(s));
        }
    }

    #[test]
    fn options_render_only_some() {
        assert_eq!(None::<i64>.render_field(), None);
        assert_eq!(Some(5i64).render_field().as_deref(), Some("5"));
        assert_eq!(Option::<i32>::parse_field("x", "12"), Ok(Some(12)));
    }
}
