//! Java's `ExpressionTest` and `ParserTest` (rocketmq-filter 4.9.7) as tables, plus the cases
//! their semantics imply (nulls, widening, string rules, error messages).

use super::*;

/// What evaluating an expression against properties gives.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// `evaluate` returns this value (`None`: null).
    Is(Option<bool>),
    /// `evaluate` throws (Java: RuntimeException / ClassCastException); never a match.
    Throws,
}

use Want::*;

/// (expression, properties, expected result).
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Want);

const T: Want = Is(Some(true));
const F: Want = Is(Some(false));
const NULL: Want = Is(None);

fn check(expr: &str, props: &[(&str, &str)], want: Want) {
    let e = Expression::parse(expr).unwrap_or_else(|err| panic!("{expr}: {err}"));
    let got = e.evaluate(props);
    match (want, &got) {
        (Is(None), Ok(Value::Null)) => {}
        (Is(Some(b)), Ok(Value::Bool(v))) if b == *v => {}
        (Throws, Err(_)) => {}
        _ => panic!("{expr} with {props:?}: want {want:?}, got {got:?}"),
    }
    // The broker's decision: only TRUE matches.
    assert_eq!(e.matches(props), want == T, "{expr} with {props:?}");
}

const AND: &str = "a=3 and b<>4 And c>5 AND d<=4";
const OR: &str = "a=3 or b<>4 Or c>5 OR d<=4";
const IN: &str = "a in ('3', '4', '5')";
const NOT_IN: &str = "a not in ('3', '4', '5')";
const BETWEEN: &str = "a between 2 and 10";
const NOT_BETWEEN: &str = "a not between 2 and 10";
const IS_NULL: &str = "a is null";
const IS_NOT_NULL: &str = "a is not null";
const EQUAL: &str = "a is not null and a='hello'";
const BOOLEAN: &str = "a=TRUE OR b=FALSE";
const NULL_OR: &str = "a is null OR a='hello'";
const STRING_HAS_STRING: &str = "TAGS is not null and TAGS='''''tag'''''";

/// Every case of `ExpressionTest` (properties as strings, as a broker sees them; the Java
/// cases with integer properties have string twins there and here).
#[test]
fn expression_test_cases() {
    let cases: &[Case] = &[
        // testEvaluate_stringHasString
        (STRING_HAS_STRING, &[("TAGS", "''tag''")], T),
        // testEvaluate_stringCompare (Java expects the RuntimeException of the second case)
        ("a between up and low", &[("a", "3.14")], NULL),
        (
            "a between up and low",
            &[("a", "3.14"), ("up", "up"), ("low", "low")],
            Throws,
        ),
        (
            "key is not null and key between 0 and 100",
            &[("key", "con")],
            Throws,
        ),
        ("a between 0 and 100", &[("a", "abc")], Throws),
        ("a=b", &[("a", "3.14"), ("b", "3.14")], T),
        ("a<>b", &[("a", "3.14"), ("b", "3.14")], F),
        ("a<>b", &[("a", "3.14"), ("b", "3.141")], T),
        // testEvaluate_exponent, testEvaluate_floatNumber
        ("a > 3.1E10", &[("a", "3.1415E10")], T),
        ("a > 3.14", &[("a", "3.1415")], T),
        // testEvaluate_twoVariable, testEvaluate_twoVariableGt
        ("a > b", &[("a", "10"), ("b", "20")], F),
        ("a > b", &[("b", "10"), ("a", "20")], T),
        // testEvaluate_nullOr
        (NULL_OR, &[], T),
        (NULL_OR, &[("a", "hello")], T),
        (NULL_OR, &[("a", "abc")], F),
        // testEvaluate_boolean
        (BOOLEAN, &[("a", "true"), ("b", "false")], T),
        (BOOLEAN, &[("a", "false"), ("b", "true")], F),
        // testEvaluate_equal
        (EQUAL, &[("a", "hello")], T),
        (EQUAL, &[], F),
        // testEvaluate_andTrue / andFalse
        (AND, &[("a", "3"), ("b", "5"), ("c", "6"), ("d", "1")], T),
        (AND, &[("a", "4"), ("b", "5"), ("c", "6"), ("d", "1")], F),
        // testEvaluate_orTrue (four ways) / orFalse
        (OR, &[("a", "3")], T),
        (OR, &[("a", "4"), ("b", "5")], T),
        (OR, &[("a", "4"), ("b", "4"), ("c", "6")], T),
        (OR, &[("a", "4"), ("b", "4"), ("c", "3"), ("d", "2")], T),
        (OR, &[("a", "4"), ("b", "4"), ("c", "3"), ("d", "10")], F),
        // testEvaluate_inTrue / inFalse / notInTrue / notInFalse
        (IN, &[("a", "3")], T),
        (IN, &[("a", "4")], T),
        (IN, &[("a", "5")], T),
        (IN, &[("a", "8")], F),
        (NOT_IN, &[("a", "8")], T),
        (NOT_IN, &[("a", "3")], F),
        (NOT_IN, &[("a", "4")], F),
        (NOT_IN, &[("a", "5")], F),
        // testEvaluate_betweenTrue / betweenFalse / notBetweenTrue / notBetweenFalse
        (BETWEEN, &[("a", "2")], T),
        (BETWEEN, &[("a", "10")], T),
        (BETWEEN, &[("a", "3")], T),
        (BETWEEN, &[("a", "1")], F),
        (BETWEEN, &[("a", "11")], F),
        (NOT_BETWEEN, &[("a", "1")], T),
        (NOT_BETWEEN, &[("a", "11")], T),
        (NOT_BETWEEN, &[("a", "2")], F),
        (NOT_BETWEEN, &[("a", "10")], F),
        (NOT_BETWEEN, &[("a", "3")], F),
        // testEvaluate_isNullTrue / isNullFalse / isNotNullTrue / isNotNullFalse
        (IS_NULL, &[("abc", "2")], T),
        (IS_NULL, &[("a", "2")], F),
        (IS_NOT_NULL, &[("a", "2")], T),
        (IS_NOT_NULL, &[("abc", "2")], F),
        // ParserTest's valid expressions, evaluated ("now" is just a property there)
        (
            "(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))",
            &[("a", "4"), ("b", "3")],
            T,
        ),
        (
            "(a between 2 and 10) AND (b not between 6 and 9)",
            &[("a", "5"), ("b", "7")],
            F,
        ),
        (
            "(a between 2 and 10) AND (b not between 6 and 9)",
            &[("a", "5"), ("b", "10")],
            T,
        ),
        ("a <= now", &[("a", "1"), ("now", "2")], T),
        ("a <= now", &[("a", "1")], NULL),
    ];
    for (expr, props, want) in cases {
        check(expr, props, *want);
    }
}

/// The semantics the Java classes imply beyond their tests.
#[test]
fn java_semantics_cases() {
    let cases: &[Case] = &[
        // null propagation and three-valued logic
        ("a > 5", &[], NULL),
        ("a = 'x'", &[], NULL),
        ("'x' = a", &[], F),
        ("a > 5 OR b = 'y'", &[("b", "y")], T),
        ("a > 5 OR b = 'y'", &[("b", "z")], NULL),
        ("a > 5 AND b = 'y'", &[("b", "z")], F),
        ("NOT (a > 5)", &[], NULL),
        ("NOT (a > 5)", &[("a", "3")], T),
        ("NULL", &[], NULL),
        ("TRUE", &[], T),
        ("FALSE OR TRUE", &[], T),
        // a bare property is a boolean cast: a string is never TRUE
        ("a", &[("a", "true")], F),
        ("a", &[], NULL),
        // numbers: int literal vs string property parses the property as an int
        ("a = 3", &[("a", "3")], T),
        ("a = 3", &[("a", "+3")], T),
        ("a = 3", &[("a", "3.0")], Throws),
        ("a = 3", &[("a", "10000000000")], Throws),
        ("a = 10000000000", &[("a", "10000000000")], T),
        ("a = 3.0", &[("a", "3")], T),
        ("a > 2.5", &[("a", "3")], T),
        ("a > 2.5", &[("a", "x")], Throws),
        ("a >= -1", &[("a", "-1")], T),
        ("a > -2147483648", &[("a", "0")], T),
        ("a < 5L", &[("a", "4")], T),
        // two string properties under > parse as doubles
        ("a > b", &[("a", "1e3"), ("b", "999.5")], T),
        ("a > b", &[("a", "x"), ("b", "1")], Throws),
        // strings compare only for equality
        ("a = 'abc'", &[("a", "abc")], T),
        ("a <> 'abc'", &[("a", "abd")], T),
        ("a = 'abc'", &[("a", "ABC")], F),
        // string vs boolean: Boolean.valueOf
        ("a = TRUE", &[("a", "TRUE")], T),
        ("a = TRUE", &[("a", "yes")], F),
        ("a = FALSE", &[("a", "yes")], T),
        // boolean vs string: Java's ClassCastException
        ("(a > 1) = b", &[("a", "2"), ("b", "true")], Throws),
        ("(a > 1) = (b > 1)", &[("a", "2"), ("b", "3")], T),
        // number vs boolean: "less", so = is false
        ("(a > 1) = 1", &[("a", "2")], F),
        // negation of a string is null
        ("-a > 1", &[("a", "-3")], NULL),
        ("-(-5) = 5", &[], T),
        // IN works on strings only; null property is null
        ("a IN ('x', 'y', 'z', 'w', 'v')", &[("a", "v")], T),
        ("a NOT IN ('x', 'y', 'z', 'w', 'v')", &[("a", "u")], T),
        ("a NOT IN ('x')", &[], NULL),
        // keywords and identifiers are case-insensitive / case-preserving
        ("A is NULL", &[("a", "1")], T),
        // comments and whitespace
        ("a /* c */ = -- line\n 'x'", &[("a", "x")], T),
        // Java never checks for <EOF>: the rest after a complete expression is ignored
        ("a = 'x' b", &[("a", "x")], T),
        ("a = 'x' )", &[("a", "x")], T),
        // escapes
        ("a = 'it''s'", &[("a", "it's")], T),
        // unicode strings
        ("a = '地区'", &[("a", "地区")], T),
        ("a = 1.5E-3", &[("a", "0.0015")], T),
    ];
    for (expr, props, want) in cases {
        check(expr, props, *want);
    }
}

/// `ParserTest` plus the parse-time errors of the expression factories, with Java's
/// `MQFilterException.getMessage()` where it is fixed by the code (not by JavaCC tables).
#[test]
fn parser_test_cases() {
    // testParse_valid
    for expr in [
        AND,
        OR,
        IN,
        "(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))",
        "(a between 2 and 10) AND (b not between 6 and 9)",
        IS_NULL,
        IS_NOT_NULL,
        "a <= now",
    ] {
        assert!(Expression::parse(expr).is_ok(), "{expr}");
    }
    // testEquals: the same tree whatever the blanks; a different one for OR
    let a = Expression::parse(AND).unwrap();
    assert_eq!(
        a,
        Expression::parse("a=3  and    b<>4 And c>5 AND d<=4").unwrap()
    );
    assert_ne!(a, Expression::parse(OR).unwrap());
    assert_eq!(
        a.to_string(),
        "((((a == 3) && (NOT (b == 4))) && (c > 5)) && (d <= 4))"
    );

    let float_overflow = {
        let mut s = String::from("a > 1");
        s.push_str(&"111111111111111111111111111111111111111111111111111".repeat(2048));
        s.push('.');
        s.push_str(&"111111111111111111111111111111111111111111111111111".repeat(2048));
        s
    };
    let errors: &[(&str, Option<&str>)] = &[
        // testParse_invalid
        ("a and between 2 and 10", None),
        // testParse_decimalOverFlow
        (
            "a > 100000000000000000000000",
            Some("java.lang.NumberFormatException: For input string: \"100000000000000000000000\""),
        ),
        // NOT binds tighter than a comparison: (NOT a) > 5
        ("NOT a > 5", Some("java.lang.RuntimeException: Value '(NOT a)' cannot be compared.")),
        // testParse_illegalBetween
        (
            " a between 10 and 0",
            Some("java.lang.RuntimeException: Illegal values of between, left value(10) must less than or equal to right value(0)"),
        ),
        ("a between NULL and 3", Some("java.lang.RuntimeException: Illegal values of between, values can not be null!")),
        ("a between 'x' and 'y'", Some("java.lang.RuntimeException: Value ''x'' cannot be compared.")),
        ("a > TRUE", Some("java.lang.RuntimeException: Value 'TRUE' cannot be compared.")),
        ("a > 'x'", Some("java.lang.RuntimeException: Value ''x'' cannot be compared.")),
        ("(a > 1) > 2", Some("java.lang.RuntimeException: Value '(a > 1)' cannot be compared.")),
        ("a = NULL", Some("java.lang.RuntimeException: 'NULL' cannot be compared.")),
        ("TRUE = 'x'", Some("java.lang.RuntimeException: 'TRUE' cannot be compared with ''x''")),
        ("3 IN ('x')", Some("java.lang.RuntimeException: Expected a property for In expression, got: 3")),
        ("a > 0.0", Some("java.lang.RuntimeException: 0.0 is less than 4.9E-324")),
        ("a > 1e400", Some("java.lang.RuntimeException: 1e400 is greater than 1.7976931348623157E308")),
        ("3", Some("org.apache.rocketmq.filter.parser.ParseException: Expression will not result in a boolean value: 3")),
        ("'x' AND a", Some("org.apache.rocketmq.filter.parser.ParseException: Expression will not result in a boolean value: 'x'")),
        ("a > 5 AND -b", Some("org.apache.rocketmq.filter.parser.ParseException: Expression will not result in a boolean value: (- b)")),
        ("a # 1", None),
        ("a > 5 #", Some("org.apache.rocketmq.filter.parser.TokenMgrError: Lexical error at line 1, column 7.  Encountered: \"#\" (35), after : \"\"")),
        ("a != 1", None),
        ("a NOT x", None),
        ("a IN ()", None),
        ("a IN (1)", None),
        ("a IS x", None),
        ("", None),
        ("(a > 1", None),
    ];
    for (expr, message) in errors {
        let err = Expression::parse(expr).expect_err(expr);
        let got = err.message.as_deref().unwrap_or("");
        match message {
            Some(m) => assert_eq!(got, *m, "{expr}"),
            None => assert!(
                got.starts_with("org.apache.rocketmq.filter.parser."),
                "{expr}: {got}"
            ),
        }
    }
    // testParse_floatOverFlow
    let err = Expression::parse(&float_overflow)
        .unwrap_err()
        .message
        .unwrap();
    assert!(err.starts_with("java.lang.RuntimeException: 1111"));
    assert!(err.ends_with("1 is greater than 1.7976931348623157E308"));
    // Syntax errors name the token and position as JavaCC does.
    let err = Expression::parse("a and between 2 and 10").unwrap_err();
    assert!(
        err.message.unwrap().starts_with(
            "org.apache.rocketmq.filter.parser.ParseException: Encountered \" \"BETWEEN\" \"between \"\" at line 1, column 7."
        )
    );
    let err = Expression::parse("(a > 1").unwrap_err();
    assert!(err
        .message
        .unwrap()
        .contains("Encountered \"<EOF>\" at line 1, column 6."));
}

#[test]
fn compile_by_type_and_cache() {
    assert!(compile(SQL92, "a > 5").is_ok());
    // The same text twice: the cached tree.
    let a = compile(SQL92, "b < 7").unwrap();
    let b = compile(SQL92, "b < 7").unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    // Failures are cached and identical too.
    assert_eq!(compile(SQL92, "a >"), compile(SQL92, "a >"));
    // Only SQL92 has a filter: another type fails with Java's null message.
    assert_eq!(
        compile("FOO", "a > 5").unwrap_err(),
        CompileError { message: None }
    );
    assert!(is_tag_type(None) && is_tag_type(Some("")) && is_tag_type(Some("TAG")));
    assert!(!is_tag_type(Some("SQL92")));
}

#[test]
fn record_properties_are_read_in_place() {
    let props = "a\u{1}7\u{2}KEYS\u{1}sql-7\u{2}empty\u{1}\u{2}dup\u{1}1\u{2}dup\u{1}2";
    let ctx = RecordProperties::new(props.as_bytes());
    assert_eq!(ctx.get("a"), Some(Value::Str("7")));
    assert_eq!(ctx.get("empty"), None, "Java drops empty values");
    assert_eq!(ctx.get("dup"), Some(Value::Str("2")), "the last one wins");
    assert_eq!(ctx.get("b"), None);
    let e = Expression::parse("a > 5 AND KEYS = 'sql-7'").unwrap();
    assert!(e.matches(&ctx));
    assert!(!Expression::parse("a > 7").unwrap().matches(&ctx));
    assert!(Expression::parse("x IS NULL")
        .unwrap()
        .matches(&EmptyContext));
}

#[test]
fn record_properties_are_located_in_stored_records() {
    use crate::store::message::{MessageExtBrokerInner, StoredRecord};
    let dir = std::env::temp_dir().join(format!("ferrocket-filter-rec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = crate::store::config::MessageStoreConfig::with_root(&dir);
    config.mapped_file_size_commit_log = 1024 * 1024;
    let store = crate::store::message_store::MessageStore::open(config).unwrap();
    let mut msg = MessageExtBrokerInner::new("T", 0, b"body".to_vec());
    msg.properties_string = "a\u{1}9\u{2}bad\u{1}\u{ff}".into();
    let offset = store.put_message(msg).append.unwrap().wrote_offset;
    let record = store.look_message_by_offset(offset).unwrap();
    let located = RecordProperties::of_record(&record).unwrap();
    assert_eq!(located.get("a"), Some(Value::Str("9")));
    assert_eq!(
        located.bytes,
        StoredRecord::decode(&record).unwrap().properties,
        "the same bytes the full decoder finds"
    );
    assert!(Expression::parse("a > 5").unwrap().matches(&located));
    // Truncated records are not located.
    for cut in [0, 10, 40, record.len() - 1] {
        if let Some(p) = RecordProperties::of_record(&record[..cut]) {
            panic!("located properties in {cut} bytes: {:?}", p.bytes);
        }
    }
    // Invalid UTF-8 in a value reads lossily (U+FFFD), as Java's new String does.
    let raw = RecordProperties::new(b"a\x01\xff\xfe\x02b\x01ok");
    assert_eq!(raw.get("a"), Some(Value::Str("\u{fffd}\u{fffd}")));
    assert_eq!(raw.get("b"), Some(Value::Str("ok")));
    store.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}
