//! The few `java.lang` conversions the SQL92 filter's semantics depend on: `Integer.valueOf`,
//! `Long.valueOf`, `Double.valueOf` (what they accept and their exception messages),
//! `Double.toString`, `Double.compare` and `String.compareTo` (UTF-16 order).

use std::cmp::Ordering;

/// `NumberFormatException.forInputString(s).getMessage()`.
pub fn for_input_string(s: &str) -> String {
    format!("For input string: \"{s}\"")
}

/// `Long.parseLong(s)` (radix 10): an optional sign, then ASCII digits, in range.
pub fn parse_long(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(for_input_string(s));
    }
    // Rust's parser takes the same sign and digit forms; it fails exactly on overflow.
    s.parse::<i64>().map_err(|_| for_input_string(s))
}

/// `Integer.parseInt(s)`.
pub fn parse_int(s: &str) -> Result<i32, String> {
    let v = parse_long(s)?;
    i32::try_from(v).map_err(|_| for_input_string(s))
}

/// `Double.parseDouble(s)`: surrounding whitespace (chars <= ' ') is trimmed; an optional sign;
/// `NaN`, `Infinity`, or digits with an optional point and exponent and an optional
/// `f`/`F`/`d`/`D` suffix. (Hexadecimal floating literals are not accepted here.)
pub fn parse_double(s: &str) -> Result<f64, String> {
    let t = s.trim_matches(|c: char| c <= ' ');
    if t.is_empty() {
        return Err("empty String".to_string());
    }
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let signed = |v: f64| if negative { -v } else { v };
    match body {
        "NaN" => return Ok(f64::NAN),
        "Infinity" => return Ok(signed(f64::INFINITY)),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits += 1;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return Err(for_input_string(s));
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(for_input_string(s));
        }
    }
    if i != bytes.len() {
        return Err(for_input_string(s));
    }
    body.parse::<f64>()
        .map(signed)
        .map_err(|_| for_input_string(s))
}

/// `Double.compare(a, b)`: -0.0 < 0.0, NaN equal to itself and above everything.
pub fn compare_double(a: f64, b: f64) -> Ordering {
    if a < b {
        return Ordering::Less;
    }
    if a > b {
        return Ordering::Greater;
    }
    let bits = |v: f64| {
        if v.is_nan() {
            0x7ff8_0000_0000_0000i64
        } else {
            v.to_bits() as i64
        }
    };
    bits(a).cmp(&bits(b))
}

/// `String.compareTo`: lexicographic over UTF-16 code units.
pub fn compare_str(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `Double.toString(v)`: decimal notation for 1e-3 <= |v| < 1e7, else `d.dddE[-]n`; always a
/// fractional digit. Digits are the shortest that read back as `v`.
pub fn double_to_string(v: f64) -> String {
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
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    // `{:e}` gives the shortest digits as `d.ddde[-]n`.
    let s = format!("{v:e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_number_parsing() {
        assert_eq!(parse_int("+3"), Ok(3));
        assert_eq!(parse_int("-2147483648"), Ok(i32::MIN));
        assert_eq!(
            parse_int("2147483648"),
            Err("For input string: \"2147483648\"".into())
        );
        assert!(parse_int("3.0").is_err());
        assert!(parse_int("").is_err());
        assert!(parse_int(" 3").is_err());
        assert_eq!(parse_long("9223372036854775807"), Ok(i64::MAX));
        assert!(parse_long("9223372036854775808").is_err());
        assert_eq!(parse_double(" 3.5 "), Ok(3.5));
        assert_eq!(parse_double("1e3"), Ok(1000.0));
        assert_eq!(parse_double("5."), Ok(5.0));
        assert_eq!(parse_double(".5"), Ok(0.5));
        assert_eq!(parse_double("2d"), Ok(2.0));
        assert_eq!(parse_double("-Infinity"), Ok(f64::NEG_INFINITY));
        assert!(parse_double("NaN").is_ok_and(f64::is_nan));
        for bad in ["inf", "nan", "abc", "1e", ".", "1.2.3", "0x10"] {
            assert!(parse_double(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_double(""), Err("empty String".into()));
    }

    #[test]
    fn java_double_strings_and_order() {
        assert_eq!(double_to_string(2.5), "2.5");
        assert_eq!(double_to_string(10.0), "10.0");
        assert_eq!(double_to_string(3.1e10), "3.1E10");
        assert_eq!(double_to_string(f64::MAX), "1.7976931348623157E308");
        assert_eq!(double_to_string(1e-4), "1.0E-4");
        assert_eq!(compare_double(-0.0, 0.0), Ordering::Less);
        assert_eq!(compare_double(f64::NAN, f64::INFINITY), Ordering::Greater);
        assert_eq!(compare_double(f64::NAN, f64::NAN), Ordering::Equal);
        assert_eq!(compare_str("\u{ffff}", "\u{10000}"), Ordering::Greater);
        assert_eq!(compare_str("a", "b"), Ordering::Less);
    }
}
