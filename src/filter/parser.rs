//! A recursive-descent parser for the grammar of `SelectorParser.jj` (RocketMQ 4.9.7), building
//! the tree with the checks Java's factory methods make while parsing:
//!
//! ```text
//! selector   := or                                  (no <EOF> required: Java ignores the rest)
//! or         := and ( OR and )*
//! and        := equality ( AND equality )*
//! equality   := comparison ( "=" comparison | "<>" comparison | IS NULL | IS NOT NULL )*
//! comparison := unary ( (">"|">="|"<"|"<=") unary | BETWEEN unary AND unary
//!                     | NOT BETWEEN unary AND unary | IN "(" str ("," str)* ")"
//!                     | NOT IN "(" str ("," str)* ")" )*
//! unary      := "+" unary | "-" unary | NOT unary | primary
//! primary    := literal | ID | "(" or ")"
//! ```
//!
//! Errors carry the message Java's `MQFilterException.getMessage()` gives: the `toString()` of
//! the exception the parser threw (`ParseException`, `TokenMgrError`, `RuntimeException`,
//! `NumberFormatException`), e.g. `java.lang.RuntimeException: Value 'TRUE' cannot be compared.`

use super::expr::{CompareOp, Constant, Expr, InList, Value};
use super::java_num;
use super::lexer::{escape_image, Kind, Lexer, Token};

/// Why an expression does not compile (Java `MQFilterException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .message.as_deref().unwrap_or("null"))]
pub struct CompileError {
    /// `getMessage()`; `None` where Java's is null (an unknown expression type: the
    /// `NullPointerException` of a missing filter).
    pub message: Option<String>,
}

impl CompileError {
    fn new(message: String) -> CompileError {
        CompileError {
            message: Some(message),
        }
    }
}

fn runtime(message: String) -> CompileError {
    CompileError::new(format!("java.lang.RuntimeException: {message}"))
}

fn parse_exception(message: String) -> CompileError {
    CompileError::new(format!(
        "org.apache.rocketmq.filter.parser.ParseException: {message}"
    ))
}

/// Parses a selector (Java `SelectorParser.parse`).
pub fn parse(sql: &str) -> Result<Expr, CompileError> {
    let mut p = Parser {
        lexer: Lexer::new(sql),
        ahead: Vec::new(),
    };
    let e = p.or()?;
    as_boolean(e)
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    /// Tokens read but not consumed (lookahead).
    ahead: Vec<Token<'a>>,
}

/// JavaCC's `asBooleanExpression`.
fn as_boolean(e: Expr) -> Result<Expr, CompileError> {
    if e.is_boolean() {
        return Ok(e);
    }
    if matches!(e, Expr::Property(_)) {
        return Ok(Expr::BoolCast(Box::new(e)));
    }
    Err(parse_exception(format!(
        "Expression will not result in a boolean value: {e}"
    )))
}

/// `checkLessThanOperand`: no boolean expressions, constants only numbers.
fn check_less_than_operand(e: &Expr) -> Result<(), CompileError> {
    let bad = match e.constant_value() {
        Some(v) => !matches!(v, Value::Int(_) | Value::Long(_) | Value::Double(_)),
        None => e.is_boolean(),
    };
    if bad {
        return Err(runtime(format!("Value '{e}' cannot be compared.")));
    }
    Ok(())
}

fn compare(op: CompareOp, l: Expr, r: Expr) -> Result<Expr, CompileError> {
    check_less_than_operand(&l)?;
    check_less_than_operand(&r)?;
    Ok(Expr::Compare(op, Box::new(l), Box::new(r)))
}

/// `createEqual`: no NULL constant on either side, and a boolean constant on the left only
/// against a boolean constant.
fn equal(l: Expr, r: Expr) -> Result<Expr, CompileError> {
    for e in [&l, &r] {
        if e.constant_value() == Some(Value::Null) {
            return Err(runtime(format!("'{e}' cannot be compared.")));
        }
    }
    if l.is_constant() && r.is_constant() && l.is_boolean() && !r.is_boolean() {
        return Err(runtime(format!("'{l}' cannot be compared with '{r}'")));
    }
    Ok(Expr::Equal(Box::new(l), Box::new(r)))
}

/// `createBetween`: constant bounds must be non-null and in order.
fn between(value: Expr, low: Expr, high: Expr) -> Result<Expr, CompileError> {
    if let (Some(lv), Some(hv)) = (low.constant_value(), high.constant_value()) {
        if lv == Value::Null || hv == Value::Null {
            return Err(runtime(
                "Illegal values of between, values can not be null!".into(),
            ));
        }
        let order = super::expr::java_compare(hv, lv).map_err(|e| CompileError::new(e.0))?;
        if order == std::cmp::Ordering::Less {
            return Err(runtime(format!(
                "Illegal values of between, left value({}) must less than or equal to right value({})",
                lv.java_string(),
                hv.java_string()
            )));
        }
    }
    let ge = compare(CompareOp::Ge, value.clone(), low)?;
    let le = compare(CompareOp::Le, value, high)?;
    Ok(Expr::And(Box::new(ge), Box::new(le)))
}

/// `ConstantExpression.createFromDecimal`: a long, narrowed to an int when it fits.
fn decimal(image: &str) -> Result<Expr, CompileError> {
    let text = image.strip_suffix(['l', 'L']).unwrap_or(image);
    let v = java_num::parse_long(text)
        .map_err(|m| CompileError::new(format!("java.lang.NumberFormatException: {m}")))?;
    Ok(Expr::Const(match i32::try_from(v) {
        Ok(i) => Constant::Int(i),
        Err(_) => Constant::Long(v),
    }))
}

/// `ConstantExpression.createFloat`. Java rejects values below `Double.MIN_VALUE` (the smallest
/// positive double), so the literal `0.0` does not compile there either.
fn float(image: &str) -> Result<Expr, CompileError> {
    let v = java_num::parse_double(image)
        .map_err(|m| CompileError::new(format!("java.lang.NumberFormatException: {m}")))?;
    if v > f64::MAX {
        return Err(runtime(format!(
            "{image} is greater than 1.7976931348623157E308"
        )));
    }
    if v < f64::from_bits(1) {
        return Err(runtime(format!("{image} is less than 4.9E-324")));
    }
    Ok(Expr::Const(Constant::Double(v)))
}

/// `stringLitteral()`: strip the quotes, `''` is one quote.
fn string_value(image: &str) -> Box<str> {
    let inner = image
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or("");
    inner.replace("''", "'").into_boxed_str()
}

/// Starts of `unaryExpr` (JavaCC's expected list, in token-kind order).
const UNARY_START: &[Kind] = &[
    Kind::Not,
    Kind::True,
    Kind::False,
    Kind::Null,
    Kind::Decimal,
    Kind::Float,
    Kind::Str,
    Kind::Id,
    Kind::LParen,
    Kind::Plus,
    Kind::Minus,
];

impl<'a> Parser<'a> {
    fn peek(&mut self, n: usize) -> Result<Token<'a>, CompileError> {
        while self.ahead.len() <= n {
            let t = self.lexer.next_token().map_err(|e| {
                CompileError::new(format!(
                    "org.apache.rocketmq.filter.parser.TokenMgrError: {}",
                    e.0
                ))
            })?;
            self.ahead.push(t);
        }
        self.ahead
            .get(n)
            .copied()
            .ok_or_else(|| CompileError::new("lookahead".into()))
    }

    fn kind(&mut self, n: usize) -> Result<Kind, CompileError> {
        Ok(self.peek(n)?.kind)
    }

    fn advance(&mut self) -> Result<Token<'a>, CompileError> {
        let t = self.peek(0)?;
        self.ahead.remove(0);
        Ok(t)
    }

    /// JavaCC's ParseException for the next token when one of `expected` was needed.
    fn unexpected(&mut self, expected: &[Kind]) -> CompileError {
        let t = match self.peek(0) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let mut message = String::from("Encountered \"");
        if t.kind == Kind::Eof {
            message.push_str("<EOF>");
        } else {
            message.push_str(&format!(
                " {} \"{} \"",
                t.kind.java_image(),
                escape_image(t.image)
            ));
        }
        // JavaCC dates <EOF> at the last character read (whitespace included).
        let (line, column) = (t.line, t.column);
        message.push_str(&format!("\" at line {line}, column {column}.\n"));
        if expected.len() == 1 {
            message.push_str("Was expecting:\n    ");
        } else {
            message.push_str("Was expecting one of:\n    ");
        }
        for k in expected {
            message.push_str(k.java_image());
            message.push_str(" ...\n    ");
        }
        parse_exception(message)
    }

    fn expect(&mut self, kind: Kind) -> Result<Token<'a>, CompileError> {
        if self.kind(0)? == kind {
            return self.advance();
        }
        Err(self.unexpected(&[kind]))
    }

    fn or(&mut self) -> Result<Expr, CompileError> {
        let mut left = self.and()?;
        while self.kind(0)? == Kind::Or {
            self.advance()?;
            let right = self.and()?;
            left = Expr::Or(Box::new(as_boolean(left)?), Box::new(as_boolean(right)?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, CompileError> {
        let mut left = self.equality()?;
        while self.kind(0)? == Kind::And {
            self.advance()?;
            let right = self.equality()?;
            left = Expr::And(Box::new(as_boolean(left)?), Box::new(as_boolean(right)?));
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, CompileError> {
        let mut left = self.comparison()?;
        loop {
            match self.kind(0)? {
                Kind::Eq => {
                    self.advance()?;
                    let right = self.comparison()?;
                    left = equal(left, right)?;
                }
                Kind::Ne => {
                    self.advance()?;
                    let right = self.comparison()?;
                    left = Expr::Not(Box::new(equal(left, right)?));
                }
                Kind::Is => {
                    self.advance()?;
                    let is_null = || Expr::BoolConst(None);
                    if self.kind(0)? == Kind::Null {
                        self.advance()?;
                        left = Expr::Equal(Box::new(left), Box::new(is_null()));
                    } else {
                        self.expect(Kind::Not)?;
                        self.expect(Kind::Null)?;
                        left =
                            Expr::Not(Box::new(Expr::Equal(Box::new(left), Box::new(is_null()))));
                    }
                }
                _ => return Ok(left),
            }
        }
    }

    fn in_list(&mut self) -> Result<Vec<Box<str>>, CompileError> {
        self.expect(Kind::LParen)?;
        let mut values = vec![string_value(self.expect(Kind::Str)?.image)];
        loop {
            match self.kind(0)? {
                Kind::Comma => {
                    self.advance()?;
                    values.push(string_value(self.expect(Kind::Str)?.image));
                }
                Kind::RParen => {
                    self.advance()?;
                    return Ok(values);
                }
                _ => return Err(self.unexpected(&[Kind::Comma, Kind::RParen])),
            }
        }
    }

    fn in_filter(left: Expr, values: Vec<Box<str>>, not: bool) -> Result<Expr, CompileError> {
        match left {
            Expr::Property(property) => Ok(Expr::In {
                property,
                list: InList::new(values),
                not,
            }),
            other => Err(runtime(format!(
                "Expected a property for In expression, got: {other}"
            ))),
        }
    }

    fn comparison(&mut self) -> Result<Expr, CompileError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.kind(0)? {
                Kind::Gt => Some(CompareOp::Gt),
                Kind::Ge => Some(CompareOp::Ge),
                Kind::Lt => Some(CompareOp::Lt),
                Kind::Le => Some(CompareOp::Le),
                _ => None,
            };
            if let Some(op) = op {
                self.advance()?;
                let right = self.unary()?;
                left = compare(op, left, right)?;
                continue;
            }
            match self.kind(0)? {
                Kind::Between => {
                    self.advance()?;
                    let low = self.unary()?;
                    self.expect(Kind::And)?;
                    let high = self.unary()?;
                    left = between(left, low, high)?;
                }
                Kind::In => {
                    self.advance()?;
                    let values = self.in_list()?;
                    left = Self::in_filter(left, values, false)?;
                }
                Kind::Not if self.kind(1)? == Kind::Between => {
                    self.advance()?;
                    self.advance()?;
                    let low = self.unary()?;
                    self.expect(Kind::And)?;
                    let high = self.unary()?;
                    // createNotBetween: no checks on constant bounds.
                    let lt = compare(CompareOp::Lt, left.clone(), low)?;
                    let gt = compare(CompareOp::Gt, left, high)?;
                    left = Expr::Or(Box::new(lt), Box::new(gt));
                }
                Kind::Not if self.kind(1)? == Kind::In => {
                    self.advance()?;
                    self.advance()?;
                    let values = self.in_list()?;
                    left = Self::in_filter(left, values, true)?;
                }
                // JavaCC enters this loop on NOT and then finds neither NOT BETWEEN nor NOT IN.
                Kind::Not => return Err(self.unexpected(&[Kind::Between, Kind::In])),
                _ => return Ok(left),
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, CompileError> {
        match self.kind(0)? {
            Kind::Plus => {
                self.advance()?;
                self.unary()
            }
            Kind::Minus => {
                self.advance()?;
                Ok(Expr::Negate(Box::new(self.unary()?)))
            }
            Kind::Not => {
                self.advance()?;
                let e = self.unary()?;
                Ok(Expr::Not(Box::new(as_boolean(e)?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, CompileError> {
        let t = self.peek(0)?;
        let e = match t.kind {
            Kind::Str => Expr::Const(Constant::Str(string_value(t.image))),
            Kind::Decimal => decimal(t.image)?,
            Kind::Float => float(t.image)?,
            Kind::True => Expr::BoolConst(Some(true)),
            Kind::False => Expr::BoolConst(Some(false)),
            Kind::Null => Expr::BoolConst(None),
            Kind::Id => Expr::Property(t.image.into()),
            Kind::LParen => {
                self.advance()?;
                let e = self.or()?;
                self.expect(Kind::RParen)?;
                return Ok(e);
            }
            _ => return Err(self.unexpected(UNARY_START)),
        };
        self.advance()?;
        Ok(e)
    }
}
