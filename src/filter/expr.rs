//! The compiled expression tree and its evaluation, with the semantics of RocketMQ 4.9.7's
//! `org.apache.rocketmq.filter.expression` classes:
//!
//! - values are null, booleans, Java `Integer`/`Long`/`Double` and strings; a message property
//!   is always a string (or null when absent);
//! - three-valued logic: a comparison with a null operand is null, `AND`/`OR` short-circuit on
//!   a decisive side and are otherwise null if either side is; a null result does not match;
//! - numbers widen (int -> long -> double) before comparing; a string meeting a number is
//!   parsed as that number's type (`Integer.valueOf`, `Long.valueOf`, `Double.valueOf`), and an
//!   unparsable string is an evaluation error; a string meeting a boolean is
//!   `Boolean.valueOf(s)`;
//! - `>`, `>=`, `<`, `<=` between two strings parse both as doubles, else it is an error ("It's
//!   illegal to compare string by ..."); strings otherwise only compare with `=` and `<>`;
//! - values of unrelated types compare as "less" (Java's `-1`), so `=` is false and `<` true;
//! - a boolean constant meeting a string is Java's `ClassCastException` (a bug, kept: Java
//!   filters that message out and so do we);
//! - an evaluation error never matches (the broker logs it), as Java's `ExpressionMessageFilter`.

use super::java_num;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;

/// A value during evaluation. Strings borrow from the expression or from the message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(&'a str),
}

impl Value<'_> {
    /// Java's `String.valueOf(value)`.
    pub fn java_string(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Long(v) => v.to_string(),
            Value::Double(v) => java_num::double_to_string(*v),
            Value::Str(s) => s.to_string(),
        }
    }
}

/// Where properties come from (Java `EvaluationContext.get`).
pub trait EvaluationContext {
    fn get(&self, name: &str) -> Option<Value<'_>>;
}

/// Properties as (name, value) string pairs; for tests and tools.
impl EvaluationContext for [(&str, &str)] {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        self.iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| Value::Str(v))
    }
}

/// Java's `EmptyEvaluationContext`: every property is null.
pub struct EmptyContext;

impl EvaluationContext for EmptyContext {
    fn get(&self, _name: &str) -> Option<Value<'_>> {
        None
    }
}

/// A Java exception thrown while evaluating: its `toString()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

fn runtime(cause: String) -> EvalError {
    EvalError(format!("java.lang.RuntimeException: {cause}"))
}

fn number_format(message: String) -> EvalError {
    // `new RuntimeException(nfe)`: the message is the cause's toString().
    runtime(format!("java.lang.NumberFormatException: {message}"))
}

/// A literal that is not a boolean (Java `ConstantExpression`).
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Str(Box<str>),
    Int(i32),
    Long(i64),
    Double(f64),
}

impl Constant {
    pub fn value(&self) -> Value<'_> {
        match self {
            Constant::Str(s) => Value::Str(s),
            Constant::Int(v) => Value::Int(*v),
            Constant::Long(v) => Value::Long(*v),
            Constant::Double(v) => Value::Double(*v),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn symbol(self) -> &'static str {
        match self {
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }

    fn holds(self, o: Ordering) -> bool {
        match self {
            CompareOp::Gt => o == Ordering::Greater,
            CompareOp::Ge => o != Ordering::Less,
            CompareOp::Lt => o == Ordering::Less,
            CompareOp::Le => o != Ordering::Greater,
        }
    }
}

/// The values of an `IN` list: a list for a few, a set for more (as Java does at 5).
#[derive(Debug, Clone, PartialEq)]
pub enum InList {
    Few(Vec<Box<str>>),
    Many(Vec<Box<str>>, HashSet<Box<str>>),
}

impl InList {
    pub fn new(values: Vec<Box<str>>) -> InList {
        if values.len() < 5 {
            InList::Few(values)
        } else {
            let set = values.iter().cloned().collect();
            InList::Many(values, set)
        }
    }

    fn contains(&self, s: &str) -> bool {
        match self {
            InList::Few(v) => v.iter().any(|x| &**x == s),
            InList::Many(_, set) => set.contains(s),
        }
    }

    fn values(&self) -> &[Box<str>] {
        match self {
            InList::Few(v) | InList::Many(v, _) => v,
        }
    }
}

/// A node of the expression tree; each variant is one Java expression class.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `ConstantExpression` (strings and numbers).
    Const(Constant),
    /// `BooleanConstantExpression`: TRUE, FALSE, NULL (`None`).
    BoolConst(Option<bool>),
    /// `PropertyExpression`.
    Property(Box<str>),
    /// `UnaryExpression.createNegate`.
    Negate(Box<Expr>),
    /// `UnaryExpression.createNOT`.
    Not(Box<Expr>),
    /// `UnaryExpression.createBooleanCast`: a bare property used as a condition.
    BoolCast(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `ComparisonExpression.doCreateEqual` (`=`, and `IS NULL` against NULL).
    Equal(Box<Expr>, Box<Expr>),
    Compare(CompareOp, Box<Expr>, Box<Expr>),
    /// `UnaryExpression.createInExpression` (the left side is always a property).
    In {
        property: Box<str>,
        list: InList,
        not: bool,
    },
}

impl Expr {
    /// Java `instanceof BooleanExpression`.
    pub fn is_boolean(&self) -> bool {
        !matches!(self, Expr::Const(_) | Expr::Property(_) | Expr::Negate(_))
    }

    /// Java `instanceof ConstantExpression`.
    pub fn is_constant(&self) -> bool {
        matches!(self, Expr::Const(_) | Expr::BoolConst(_))
    }

    /// `((ConstantExpression) e).getValue()`.
    pub fn constant_value(&self) -> Option<Value<'_>> {
        match self {
            Expr::Const(c) => Some(c.value()),
            Expr::BoolConst(b) => Some(b.map_or(Value::Null, Value::Bool)),
            _ => None,
        }
    }

    pub fn evaluate<'a, C: EvaluationContext + ?Sized>(
        &'a self,
        ctx: &'a C,
    ) -> Result<Value<'a>, EvalError> {
        Ok(match self {
            Expr::Const(c) => c.value(),
            Expr::BoolConst(b) => b.map_or(Value::Null, Value::Bool),
            Expr::Property(name) => ctx.get(name).unwrap_or(Value::Null),
            Expr::Negate(e) => match e.evaluate(ctx)? {
                Value::Int(v) => Value::Int(v.wrapping_neg()),
                Value::Long(v) => Value::Long(v.wrapping_neg()),
                Value::Double(v) => Value::Double(-v),
                _ => Value::Null,
            },
            Expr::Not(e) => match e.evaluate(ctx)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            Expr::BoolCast(e) => match e.evaluate(ctx)? {
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(b),
                _ => Value::Bool(false),
            },
            Expr::And(l, r) => {
                let lv = l.evaluate(ctx)?;
                if lv == Value::Bool(false) {
                    return Ok(Value::Bool(false));
                }
                let rv = r.evaluate(ctx)?;
                if rv == Value::Bool(false) {
                    return Ok(Value::Bool(false));
                }
                if lv == Value::Null || rv == Value::Null {
                    Value::Null
                } else {
                    Value::Bool(true)
                }
            }
            Expr::Or(l, r) => {
                let lv = l.evaluate(ctx)?;
                if lv == Value::Bool(true) {
                    return Ok(Value::Bool(true));
                }
                let rv = r.evaluate(ctx)?;
                if rv == Value::Bool(true) {
                    return Ok(Value::Bool(true));
                }
                if lv == Value::Null || rv == Value::Null {
                    Value::Null
                } else {
                    Value::Bool(false)
                }
            }
            Expr::Equal(l, r) => {
                let lv = l.evaluate(ctx)?;
                let rv = r.evaluate(ctx)?;
                match (lv, rv) {
                    (Value::Null, Value::Null) => Value::Bool(true),
                    (Value::Null, _) => Value::Null,
                    (_, Value::Null) => Value::Bool(false),
                    (lv, rv) if java_equals(&lv, &rv) => Value::Bool(true),
                    (lv, rv) => Value::Bool(java_compare(lv, rv)? == Ordering::Equal),
                }
            }
            Expr::Compare(op, l, r) => {
                let lv = l.evaluate(ctx)?;
                if lv == Value::Null {
                    return Ok(Value::Null);
                }
                let rv = r.evaluate(ctx)?;
                if rv == Value::Null {
                    return Ok(Value::Null);
                }
                let order = match (lv, rv) {
                    (Value::Str(a), Value::Str(b)) => {
                        match (java_num::parse_double(a), java_num::parse_double(b)) {
                            (Ok(x), Ok(y)) => java_num::compare_double(x, y),
                            _ => {
                                return Err(runtime(format!(
                                    "It's illegal to compare string by '>=', '>', '<', '<='. lv={a}, rv={b}"
                                )))
                            }
                        }
                    }
                    (lv, rv) => java_compare(lv, rv)?,
                };
                Value::Bool(op.holds(order))
            }
            Expr::In {
                property,
                list,
                not,
            } => match ctx.get(property) {
                Some(Value::Str(s)) => Value::Bool(list.contains(s) ^ not),
                _ => Value::Null,
            },
        })
    }
}

/// Java `lv.equals(rv)`: same class and value (`Double.equals` compares bits).
fn java_equals(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Long(x), Value::Long(y)) => x == y,
        (Value::Double(x), Value::Double(y)) => java_num::compare_double(*x, *y) == Ordering::Equal,
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => false,
    }
}

fn parse_int(s: &str) -> Result<i32, EvalError> {
    java_num::parse_int(s).map_err(number_format)
}

fn parse_long(s: &str) -> Result<i64, EvalError> {
    java_num::parse_long(s).map_err(number_format)
}

fn parse_double(s: &str) -> Result<f64, EvalError> {
    java_num::parse_double(s).map_err(number_format)
}

/// Java `ComparisonExpression.__compare(lv, rv, convertStringExpressions = true)` for non-null
/// values: widen numbers, convert strings to the other side's type.
pub fn java_compare(lv: Value<'_>, rv: Value<'_>) -> Result<Ordering, EvalError> {
    use Value::*;
    let less = Ok(Ordering::Less);
    match (lv, rv) {
        (Bool(a), Bool(b)) => Ok(a.cmp(&b)),
        (Int(a), Int(b)) => Ok(a.cmp(&b)),
        (Long(a), Long(b)) => Ok(a.cmp(&b)),
        (Double(a), Double(b)) => Ok(java_num::compare_double(a, b)),
        (Str(a), Str(b)) => Ok(java_num::compare_str(a, b)),
        // `lv = Boolean.valueOf((String) lv)` on a Boolean: Java's cast fails.
        (Bool(_), Str(_)) => Err(EvalError(
            "java.lang.ClassCastException: java.lang.Boolean cannot be cast to java.lang.String"
                .into(),
        )),
        (Bool(_), _) => less,
        (Int(a), Long(b)) => Ok((a as i64).cmp(&b)),
        (Int(a), Double(b)) => Ok(java_num::compare_double(a as f64, b)),
        (Int(a), Str(b)) => Ok(a.cmp(&parse_int(b)?)),
        (Long(a), Int(b)) => Ok(a.cmp(&(b as i64))),
        (Long(a), Double(b)) => Ok(java_num::compare_double(a as f64, b)),
        (Long(a), Str(b)) => Ok(a.cmp(&parse_long(b)?)),
        (Double(a), Int(b)) => Ok(java_num::compare_double(a, b as f64)),
        (Double(a), Long(b)) => Ok(java_num::compare_double(a, b as f64)),
        (Double(a), Str(b)) => Ok(java_num::compare_double(a, parse_double(b)?)),
        (Str(a), Bool(b)) => Ok(a.eq_ignore_ascii_case("true").cmp(&b)),
        (Str(a), Int(b)) => Ok(parse_int(a)?.cmp(&b)),
        (Str(a), Long(b)) => Ok(parse_long(a)?.cmp(&b)),
        (Str(a), Double(b)) => Ok(java_num::compare_double(parse_double(a)?, b)),
        (Int(_) | Long(_) | Double(_), Bool(_)) => less,
        (Null, _) | (_, Null) => less,
    }
}

/// Java's `toString()` of the expression classes (error messages quote it).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Const(Constant::Str(s)) => {
                write!(f, "'{}'", s.replace('\'', "''"))
            }
            Expr::Const(c) => f.write_str(&c.value().java_string()),
            Expr::BoolConst(None) => f.write_str("NULL"),
            Expr::BoolConst(Some(true)) => f.write_str("TRUE"),
            Expr::BoolConst(Some(false)) => f.write_str("FALSE"),
            Expr::Property(name) => f.write_str(name),
            Expr::Negate(e) => write!(f, "(- {e})"),
            Expr::Not(e) => write!(f, "(NOT {e})"),
            Expr::BoolCast(e) => write!(f, "{e}"),
            Expr::And(l, r) => write!(f, "({l} && {r})"),
            Expr::Or(l, r) => write!(f, "({l} || {r})"),
            Expr::Equal(l, r) => write!(f, "({l} == {r})"),
            Expr::Compare(op, l, r) => write!(f, "({l} {} {r})", op.symbol()),
            Expr::In {
                property,
                list,
                not,
            } => {
                let symbol = if *not { "NOT IN" } else { "IN" };
                write!(f, "{property} {symbol} ( {} )", list.values().join(", "))
            }
        }
    }
}
