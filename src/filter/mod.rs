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

use std::borrow::Cow;
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
/// properties string (`name\u{1}value\u{2}...`); no map is built, nothing is copied unless the
/// bytes are not valid UTF-8 (then they are decoded lossily once, as Java's `new String` does).
pub struct RecordProperties<'a> {
    text: Cow<'a, str>,
}

impl<'a> RecordProperties<'a> {
    pub fn new(bytes: &'a [u8]) -> RecordProperties<'a> {
        RecordProperties {
            text: String::from_utf8_lossy(bytes),
        }
    }
}

impl EvaluationContext for RecordProperties<'_> {
    fn get(&self, name: &str) -> Option<Value<'_>> {
        crate::store::message::encode::property_value(&self.text, name).map(Value::Str)
    }
}

#[cfg(test)]
mod tests;
