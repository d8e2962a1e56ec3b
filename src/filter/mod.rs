//! SQL92 message filters (Java module `rocketmq-filter` of 4.9.7): a consumer subscribes with
//! an expression over message properties (`a > 5 AND region IN ('eu', 'us')`) and the broker
//! delivers only the messages it matches.
//!
//! - [`lexer`]: tokens of `SelectorParser.jj`;
//! - [`parser`]: the grammar, building an [`Expr`] with Java's construction-time checks and
//!   Java's error messages;
//! - [`expr`]: the tree and its evaluation (null propagation, number widening, string rules);
//! - [`bloom`]: the bloom-filter bit positions stored in `consumerFilter.json`;
//! - [`RecordProperties`]: an evaluation context over a stored record's properties, read in
//!   place from the mapped CommitLog bytes.
//!
//! [`compile`] is Java's `FilterFactory.INSTANCE.get(type).compile(expression)`, with its cache
//! of the last parsed expressions (`SelectorParser`'s 100-entry cache).

pub mod bloom;
pub mod expr;
pub mod java_num;
pub mod lexer;
pub mod parser;

pub use expr::{EmptyContext, EvalError, EvaluationContext, Expr, Value};
pub use parser::CompileError;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `ExpressionType.SQL92`.
pub const SQL92: &str = "SQL92";
/// `ExpressionType.TAG`.
pub const TAG: &str = "TAG";

/// `ExpressionType.isTagType`: null, empty and "TAG" are tag expressions.
pub fn is_tag_type(expression_type: Option<&str>) -> bool {
    matches!(expression_type, None | Some("") | Some(TAG))
}

/// A compiled SQL92 expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    root: Expr,
}

impl Expression {
    /// `SelectorParser.parse(sql)` without the cache.
    pub fn parse(sql: &str) -> Result<Expression, CompileError> {
        parser::parse(sql).map(|root| Expression { root })
    }

    pub fn root(&self) -> &Expr {
        &self.root
    }

    /// `expression.evaluate(context)`.
    pub fn evaluate<'a, C: EvaluationContext + ?Sized>(
        &'a self,
        ctx: &'a C,
    ) -> Result<Value<'a>, EvalError> {
        self.root.evaluate(ctx)
    }

    /// What `ExpressionMessageFilter.isMatchedByCommitLog` decides: only a `TRUE` result
    /// matches; null, non-boolean results and evaluation errors do not.
    pub fn matches<C: EvaluationContext + ?Sized>(&self, ctx: &C) -> bool {
        matches!(self.evaluate(ctx), Ok(Value::Bool(true)))
    }
}

/// Java's `toString()` of the compiled tree.
impl std::fmt::Display for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.root.fmt(f)
    }
}

const CACHE_CAPACITY: usize = 100;

type CacheMap = HashMap<String, Result<Arc<Expression>, CompileError>>;

fn cache() -> &'static Mutex<CacheMap> {
    static CACHE: std::sync::OnceLock<Mutex<CacheMap>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// `FilterFactory.INSTANCE.get(type).compile(expression)`. Only SQL92 has a filter; any other
/// type fails with a null message (Java's NullPointerException on the missing filter). Results,
/// failures included, are cached like Java's parse cache (bounded; cleared when full).
pub fn compile(expression_type: &str, expression: &str) -> Result<Arc<Expression>, CompileError> {
    if expression_type != SQL92 {
        return Err(CompileError { message: None });
    }
    if let Some(hit) = cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(expression)
    {
        return hit.clone();
    }
    let compiled = Expression::parse(expression).map(Arc::new);
    let mut cache = cache().lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(expression.to_string(), compiled.clone());
    compiled
}

/// The properties of a stored message as an evaluation context, looked up in place in the
/// properties bytes (`name\u{1}value\u{2}...`, Java's `string2messageProperties` rules: the
/// first `\u{1}` splits, empty names and values are dropped, the last duplicate wins). No map
/// is built and nothing is copied; only bytes that are not valid UTF-8 are decoded (lossily,
/// as Java's `new String` does) into a string kept for the message's other lookups.
pub struct RecordProperties<'a> {
    bytes: &'a [u8],
    lossy: std::cell::OnceCell<String>,
}

impl<'a> RecordProperties<'a> {
    pub fn new(bytes: &'a [u8]) -> RecordProperties<'a> {
        RecordProperties {
            bytes,
            lossy: std::cell::OnceCell::new(),
        }
    }

    /// The properties of the stored record at the start of `record`, located from the fixed
    /// header fields without decoding the rest; `None` when the bytes are not a whole record.
    pub fn of_record(record: &'a [u8]) -> Option<RecordProperties<'a>> {
        use crate::store::message::sys_flag;
        let int = |at: usize| -> Option<i32> {
            let b = record.get(at..at.checked_add(4)?)?;
            Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        let flags = int(36)?;
        let host = |v6: bool| if v6 { 20 } else { 8 };
        let born = host(flags & sys_flag::BORNHOST_V6_FLAG != 0);
        let stored = host(flags & sys_flag::STOREHOSTADDRESS_V6_FLAG != 0);
        let body_len_at = 36 + 4 + 8 + born + 8 + stored + 4 + 8;
        let body_len = usize::try_from(int(body_len_at)?).ok()?;
        let topic_len_at = body_len_at.checked_add(4)?.checked_add(body_len)?;
        let topic_len = *record.get(topic_len_at)? as usize;
        let props_len_at = topic_len_at + 1 + topic_len;
        let b = record.get(props_len_at..props_len_at + 2)?;
        let props_len = usize::try_from(i16::from_be_bytes([b[0], b[1]])).ok()?;
        let start = props_len_at + 2;
        Some(RecordProperties::new(record.get(start..start + props_len)?))
    }

    /// The last non-empty value of `name`, as raw bytes.
    fn raw(&self, name: &str) -> Option<&'a [u8]> {
        let mut found = None;
        for entry in self.bytes.split(|b| *b == 2) {
            let Some(sep) = entry.iter().position(|b| *b == 1) else {
                continue;
            };
            let (key, value) = (&entry[..sep], &entry[sep + 1..]);
            if !value.is_empty() && key == name.as_bytes() {
                found = Some(value);
            }
        }
        found
    }
}

impl EvaluationContext for RecordProperties<'_> {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        let raw = self.raw(name)?;
        match std::str::from_utf8(raw) {
            Ok(s) => Some(Value::Str(s)),
            Err(_) => {
                let text = self
                    .lossy
                    .get_or_init(|| String::from_utf8_lossy(self.bytes).into_owned());
                crate::store::message::encode::property_value(text, name).map(Value::Str)
            }
        }
    }
}

#[cfg(test)]
mod tests;
