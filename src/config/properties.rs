//! Java's `.properties` format, as `java.util.Properties.load` reads it: `key=value`,
//! `key: value` or `key value`, `#`/`!` comments, backslash line continuations and escapes.

/// The key/value pairs of a properties text, in file order (a repeated key: the last one wins
/// when applied, as in Java).
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let mut logical = first.trim_start().to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        // An odd number of trailing backslashes continues the line.
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        out.push(split_entry(&logical));
    }
    out
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

fn split_entry(line: &str) -> (String, String) {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut key_end = chars.len();
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '=' | ':' | ' ' | '\t' | '\u{c}' => {
                key_end = i;
                break;
            }
            _ => i += 1,
        }
    }
    let key: String = chars[..key_end.min(chars.len())].iter().collect();
    // Skip white space, then at most one separator, then white space again.
    let mut j = key_end;
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\u{c}') {
        j += 1;
    }
    if j < chars.len() && matches!(chars[j], '=' | ':') {
        j += 1;
    }
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\u{c}') {
        j += 1;
    }
    let value: String = chars[j.min(chars.len())..].iter().collect();
    (unescape(&key), unescape(&value))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = (0..4).filter_map(|_| it.next()).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_java_properties() {
        let text = "# comment\n! other\n  brokerName = broker-a\nlistenPort:10911\nnamesrvAddr 127.0.0.1:9876;127.0.0.2:9876\n\
                    long=a\\\n    b\nesc=x\\u0041\\=y\nempty=\n\n";
        let p = parse(text);
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("brokerName"), Some("broker-a"));
        assert_eq!(get("listenPort"), Some("10911"));
        assert_eq!(get("namesrvAddr"), Some("127.0.0.1:9876;127.0.0.2:9876"));
        assert_eq!(get("long"), Some("ab"));
        assert_eq!(get("esc"), Some("xA=y"));
        assert_eq!(get("empty"), Some(""));
        assert_eq!(p.len(), 6);
    }

    #[test]
    fn reads_the_golden_broker_configs() {
        let Some(golden) = crate::testkit::golden_or_skip("properties: golden broker configs")
        else {
            return;
        };
        let text = std::fs::read_to_string(golden.join("conf/broker-ha-s.properties")).unwrap();
        let p = parse(&text);
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("brokerRole"), Some("SLAVE"));
        assert_eq!(get("brokerId"), Some("1"));
        assert_eq!(get("haMasterAddress"), Some("127.0.0.1:10912"));
    }
}
