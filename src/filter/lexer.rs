//! Tokens of the SQL92 selector language, as the JavaCC grammar `SelectorParser.jj` of
//! RocketMQ 4.9.7 defines them:
//!
//! - skipped: `' ' \t \n \r \f`, `-- ...` up to and including a line end (a `--` with no line
//!   end after it is two minus signs), `/* ... */`;
//! - keywords, case-insensitive: NOT AND OR BETWEEN IN TRUE FALSE NULL IS;
//! - `DECIMAL_LITERAL`: `0` or `[1-9][0-9]*` with an optional `l`/`L` (so `007` is three
//!   tokens and `0L` is `0` followed by the identifier `L`);
//! - `FLOATING_POINT_LITERAL`: `5.5`, `5.`, `5.5E10`, `.5`, `.5E-3`, `5E10` (exponent letter
//!   case-insensitive);
//! - `STRING_LITERAL`: `'...'` with `''` for a quote;
//! - `ID`: `[a-zA-Z_$][a-zA-Z0-9_$]*`;
//! - `= <> > >= < <= ( , ) + -`.
//!
//! Like JavaCC's token manager the lexer is lazy: the parser asks for tokens one at a time, so
//! a character that cannot start a token is an error only if the parser reads that far.
//! Positions are JavaCC's: 1-based line and column, a tab advancing to the next multiple of 8,
//! columns counted in UTF-16 units.

/// Token kinds, in the ordinal order of Java's `SelectorParserConstants`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Eof,
    Not,
    And,
    Or,
    Between,
    In,
    True,
    False,
    Null,
    Is,
    Decimal,
    Float,
    Str,
    Id,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    LParen,
    Comma,
    RParen,
    Plus,
    Minus,
}

impl Kind {
    /// Java's `tokenImage[kind]`, as parse error messages print it.
    pub fn java_image(self) -> &'static str {
        match self {
            Kind::Eof => "<EOF>",
            Kind::Not => "\"NOT\"",
            Kind::And => "\"AND\"",
            Kind::Or => "\"OR\"",
            Kind::Between => "\"BETWEEN\"",
            Kind::In => "\"IN\"",
            Kind::True => "\"TRUE\"",
            Kind::False => "\"FALSE\"",
            Kind::Null => "\"NULL\"",
            Kind::Is => "\"IS\"",
            Kind::Decimal => "<DECIMAL_LITERAL>",
            Kind::Float => "<FLOATING_POINT_LITERAL>",
            Kind::Str => "<STRING_LITERAL>",
            Kind::Id => "<ID>",
            Kind::Eq => "\"=\"",
            Kind::Ne => "\"<>\"",
            Kind::Gt => "\">\"",
            Kind::Ge => "\">=\"",
            Kind::Lt => "\"<\"",
            Kind::Le => "\"<=\"",
            Kind::LParen => "\"(\"",
            Kind::Comma => "\",\"",
            Kind::RParen => "\")\"",
            Kind::Plus => "\"+\"",
            Kind::Minus => "\"-\"",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    /// The source text of the token (quotes included for strings).
    pub image: &'a str,
    pub line: u32,
    pub column: u32,
}

/// JavaCC's `TokenMgrError` message ("Lexical error at line ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexicalError(pub String);

pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// JavaCC `SimpleCharStream` position state.
    line: u32,
    column: u32,
    prev_cr: bool,
    prev_lf: bool,
}

const KEYWORDS: [(&str, Kind); 9] = [
    ("NOT", Kind::Not),
    ("AND", Kind::And),
    ("OR", Kind::Or),
    ("BETWEEN", Kind::Between),
    ("IN", Kind::In),
    ("TRUE", Kind::True),
    ("FALSE", Kind::False),
    ("NULL", Kind::Null),
    ("IS", Kind::Is),
];

fn is_id_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_id_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// JavaCC's `addEscapes`.
fn add_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
            c => out.push(c),
        }
    }
    out
}

pub fn escape_image(s: &str) -> String {
    add_escapes(s)
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            line: 1,
            column: 0,
            prev_cr: false,
            prev_lf: false,
        }
    }

    fn peek_char(&self, ahead: usize) -> Option<char> {
        self.src.get(self.pos..)?.chars().nth(ahead)
    }

    /// Consumes one char, updating line and column as `SimpleCharStream.UpdateLineColumn`.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char(0)?;
        self.pos += c.len_utf8();
        self.column += c.len_utf16() as u32;
        if self.prev_lf {
            self.prev_lf = false;
            self.line += 1;
            self.column = 1;
        } else if self.prev_cr {
            self.prev_cr = false;
            if c == '\n' {
                self.prev_lf = true;
            } else {
                self.line += 1;
                self.column = 1;
            }
        }
        match c {
            '\r' => self.prev_cr = true,
            '\n' => self.prev_lf = true,
            '\t' => {
                self.column -= 1;
                self.column += 8 - (self.column % 8);
            }
            _ => {}
        }
        Some(c)
    }

    /// Where the next char will be, as JavaCC reports it.
    fn next_position(&self) -> (u32, u32) {
        if self.prev_lf {
            return (self.line + 1, 1);
        }
        if self.prev_cr && self.peek_char(0) != Some('\n') {
            return (self.line + 1, 1);
        }
        (self.line, self.column + 1)
    }

    fn error_at(&self, after_start: usize) -> LexicalError {
        let (line, column) = self.next_position();
        let after = self.src.get(after_start..self.pos).unwrap_or("");
        let encountered = match self.peek_char(0) {
            None => "<EOF> ".to_string(),
            Some(c) => {
                let code = c.encode_utf16(&mut [0u16; 2]).first().copied().unwrap_or(0);
                format!("\"{}\" ({}), ", add_escapes(&c.to_string()), code)
            }
        };
        LexicalError(format!(
            "Lexical error at line {line}, column {column}.  Encountered: {encountered}after : \"{}\"",
            add_escapes(after)
        ))
    }

    /// Skips whitespace and comments. A block comment without its end is a lexical error.
    fn skip(&mut self) -> Result<(), LexicalError> {
        loop {
            match self.peek_char(0) {
                Some(' ' | '\t' | '\n' | '\r' | '\u{c}') => {
                    self.bump();
                }
                Some('-') if self.peek_char(1) == Some('-') => {
                    let rest = self.src.get(self.pos..).unwrap_or("");
                    if !rest.contains(['\n', '\r']) {
                        return Ok(()); // not a comment: two minus signs
                    }
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                        if c == '\r' {
                            if self.peek_char(0) == Some('\n') {
                                self.bump();
                            }
                            break;
                        }
                    }
                }
                Some('/') if self.peek_char(1) == Some('*') => {
                    let start = self.pos;
                    self.bump();
                    self.bump();
                    loop {
                        match self.peek_char(0) {
                            None => return Err(self.error_at(start)),
                            Some('*') if self.peek_char(1) == Some('/') => {
                                self.bump();
                                self.bump();
                                break;
                            }
                            Some(_) => {
                                self.bump();
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let mut n = 0;
        while self.peek_char(0).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            n += 1;
        }
        n
    }

    /// Whether an exponent (`E[+-]?digits`) starts at the cursor; consumes it if so.
    fn exponent(&mut self) -> bool {
        if !matches!(self.peek_char(0), Some('e' | 'E')) {
            return false;
        }
        let sign = usize::from(matches!(self.peek_char(1), Some('+' | '-')));
        if !self.peek_char(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
            return false;
        }
        for _ in 0..=sign {
            self.bump();
        }
        self.digits();
        true
    }

    /// The next token; `Kind::Eof` at the end.
    pub fn next_token(&mut self) -> Result<Token<'a>, LexicalError> {
        self.skip()?;
        let (line, column) = self.next_position();
        let start = self.pos;
        let Some(c) = self.peek_char(0) else {
            return Ok(Token {
                kind: Kind::Eof,
                image: "",
                line: self.line,
                column: self.column,
            });
        };
        let kind = match c {
            c if is_id_start(c) => {
                while self.peek_char(0).is_some_and(is_id_part) {
                    self.bump();
                }
                let word = self.src.get(start..self.pos).unwrap_or("");
                KEYWORDS
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(word))
                    .map_or(Kind::Id, |(_, kind)| *kind)
            }
            '0'..='9' => {
                // Longest match between DECIMAL_LITERAL and FLOATING_POINT_LITERAL.
                let save = (self.pos, self.line, self.column, self.prev_cr, self.prev_lf);
                self.digits();
                if self.peek_char(0) == Some('.') {
                    self.bump();
                    self.digits();
                    self.exponent();
                    Kind::Float
                } else if self.exponent() {
                    Kind::Float
                } else if c == '0' {
                    // DECIMAL_LITERAL "0" takes only the first zero.
                    (self.pos, self.line, self.column, self.prev_cr, self.prev_lf) = save;
                    self.bump();
                    Kind::Decimal
                } else {
                    if matches!(self.peek_char(0), Some('l' | 'L')) {
                        self.bump();
                    }
                    Kind::Decimal
                }
            }
            '.' if self.peek_char(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.bump();
                self.digits();
                self.exponent();
                Kind::Float
            }
            '\'' => {
                self.bump();
                loop {
                    match self.peek_char(0) {
                        None => return Err(self.error_at(start)),
                        Some('\'') if self.peek_char(1) == Some('\'') => {
                            self.bump();
                            self.bump();
                        }
                        Some('\'') => {
                            self.bump();
                            break;
                        }
                        Some(_) => {
                            self.bump();
                        }
                    }
                }
                Kind::Str
            }
            '=' => {
                self.bump();
                Kind::Eq
            }
            '<' => {
                self.bump();
                match self.peek_char(0) {
                    Some('>') => {
                        self.bump();
                        Kind::Ne
                    }
                    Some('=') => {
                        self.bump();
                        Kind::Le
                    }
                    _ => Kind::Lt,
                }
            }
            '>' => {
                self.bump();
                if self.peek_char(0) == Some('=') {
                    self.bump();
                    Kind::Ge
                } else {
                    Kind::Gt
                }
            }
            '(' | ')' | ',' | '+' | '-' => {
                self.bump();
                match c {
                    '(' => Kind::LParen,
                    ')' => Kind::RParen,
                    ',' => Kind::Comma,
                    '+' => Kind::Plus,
                    _ => Kind::Minus,
                }
            }
            _ => return Err(self.error_at(start)),
        };
        Ok(Token {
            kind,
            image: self.src.get(start..self.pos).unwrap_or(""),
            line,
            column,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t.kind == Kind::Eof {
                return out;
            }
            out.push((t.kind, t.image));
        }
    }

    #[test]
    fn tokens_as_javacc_splits_them() {
        use Kind::*;
        let cases: &[(&str, &[(Kind, &str)])] = &[
            ("a>=1", &[(Id, "a"), (Ge, ">="), (Decimal, "1")]),
            ("nOt In iS", &[(Not, "nOt"), (In, "In"), (Is, "iS")]),
            ("notx $a_1", &[(Id, "notx"), (Id, "$a_1")]),
            ("007", &[(Decimal, "0"), (Decimal, "0"), (Decimal, "7")]),
            ("0L", &[(Decimal, "0"), (Id, "L")]),
            (
                "12l 5. .5 5E10 5.5e-3 3.1E10",
                &[
                    (Decimal, "12l"),
                    (Float, "5."),
                    (Float, ".5"),
                    (Float, "5E10"),
                    (Float, "5.5e-3"),
                    (Float, "3.1E10"),
                ],
            ),
            ("1e", &[(Decimal, "1"), (Id, "e")]),
            ("'it''s' ''", &[(Str, "'it''s'"), (Str, "''")]),
            (
                "a<>b<c<=d",
                &[
                    (Id, "a"),
                    (Ne, "<>"),
                    (Id, "b"),
                    (Lt, "<"),
                    (Id, "c"),
                    (Le, "<="),
                    (Id, "d"),
                ],
            ),
            (
                "a -- note\n= /* x */ 1",
                &[(Id, "a"), (Eq, "="), (Decimal, "1")],
            ),
            (
                "a --1",
                &[(Id, "a"), (Minus, "-"), (Minus, "-"), (Decimal, "1")],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(kinds(src), want.to_vec(), "{src}");
        }
    }

    #[test]
    fn lexical_errors_read_like_javacc() {
        let mut lx = Lexer::new("a # 1");
        assert_eq!(lx.next_token().unwrap().kind, Kind::Id);
        assert_eq!(
            lx.next_token().unwrap_err().0,
            "Lexical error at line 1, column 3.  Encountered: \"#\" (35), after : \"\""
        );
        let mut lx = Lexer::new("'abc");
        assert_eq!(
            lx.next_token().unwrap_err().0,
            "Lexical error at line 1, column 5.  Encountered: <EOF> after : \"\\'abc\""
        );
        let mut lx = Lexer::new("\n\ta");
        let t = lx.next_token().unwrap();
        assert_eq!((t.line, t.column), (2, 9));
    }
}
