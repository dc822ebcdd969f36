//! SOQL tokens. Keywords are plain identifiers here; the parser matches them case-insensitively.

use super::SoqlError;
use crate::store::format_datetime;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Ident(String),
    Str(String),
    Number(f64),
    /// A date literal in canonical `YYYY-MM-DD` form.
    Date(String),
    /// A datetime literal in canonical UTC `YYYY-MM-DDTHH:MM:SS.sss+0000` form.
    DateTime(String),
    Comma,
    LParen,
    RParen,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub token: Token,
    /// 1-based column, for error messages.
    pub column: usize,
}

pub fn tokenize(input: &str) -> Result<Vec<Spanned>, SoqlError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let push = |out: &mut Vec<Spanned>, token| out.push(Spanned { token, column });
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            ',' => push(&mut out, Token::Comma),
            '(' => push(&mut out, Token::LParen),
            ')' => push(&mut out, Token::RParen),
            '.' => push(&mut out, Token::Dot),
            '=' => push(&mut out, Token::Eq),
            '!' if chars.get(i + 1) == Some(&'=') => {
                push(&mut out, Token::Ne);
                i += 1;
            }
            '<' => match chars.get(i + 1) {
                Some('=') => {
                    push(&mut out, Token::Le);
                    i += 1;
                }
                Some('>') => {
                    push(&mut out, Token::Ne);
                    i += 1;
                }
                _ => push(&mut out, Token::Lt),
            },
            '>' if chars.get(i + 1) == Some(&'=') => {
                push(&mut out, Token::Ge);
                i += 1;
            }
            '>' => push(&mut out, Token::Gt),
            '\'' => {
                let (text, next) = string_literal(&chars, i)?;
                push(&mut out, Token::Str(text));
                i = next;
                continue;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let (token, next) = number_or_date(&chars, i)?;
                push(&mut out, token);
                i = next;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                push(&mut out, Token::Ident(chars[start..i].iter().collect()));
                continue;
            }
            other => {
                return Err(SoqlError::malformed(format!(
                    "unexpected character '{other}' at column {column}"
                )))
            }
        }
        i += 1;
    }
    Ok(out)
}

/// A quoted string starting at `start` (the opening quote). Escapes as SOQL defines them;
/// `\%` and `\_` keep their backslash so LIKE can tell them from wildcards.
fn string_literal(chars: &[char], start: usize) -> Result<(String, usize), SoqlError> {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\'' => return Ok((text, i + 1)),
            '\\' => {
                let escaped = chars.get(i + 1).copied().ok_or_else(|| {
                    SoqlError::malformed(format!("unterminated string at column {}", start + 1))
                })?;
                match escaped {
                    'n' => text.push('\n'),
                    'r' => text.push('\r'),
                    't' => text.push('\t'),
                    'b' => text.push('\u{8}'),
                    'f' => text.push('\u{c}'),
                    '\'' | '"' => text.push(escaped),
                    '\\' => text.push_str("\\\\"),
                    '%' | '_' => {
                        text.push('\\');
                        text.push(escaped);
                    }
                    other => {
                        return Err(SoqlError::malformed(format!(
                            "invalid escape sequence '\\{other}' at column {}",
                            i + 1
                        )))
                    }
                }
                i += 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    Err(SoqlError::malformed(format!(
        "unterminated string starting at column {}",
        start + 1
    )))
}

fn number_or_date(chars: &[char], start: usize) -> Result<(Token, usize), SoqlError> {
    let mut i = start;
    if chars[i] == '-' {
        i += 1;
    }
    let digits_start = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    // YYYY- starts a date or datetime literal.
    if i - digits_start == 4 && chars[start] != '-' && chars.get(i) == Some(&'-') {
        while i < chars.len() && (chars[i].is_ascii_digit() || "-:TZ+.".contains(chars[i])) {
            i += 1;
        }
        let text: String = chars[start..i].iter().collect();
        let token = if text.len() == 10 {
            chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(|d| Token::Date(d.format("%Y-%m-%d").to_string()))
        } else {
            chrono::DateTime::parse_from_rfc3339(&text)
                .map(|t| Token::DateTime(format_datetime(t.with_timezone(&chrono::Utc))))
        };
        return token.map(|t| (t, i)).map_err(|_| {
            SoqlError::malformed(format!("invalid date or datetime literal: {text}"))
        });
    }
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    let text: String = chars[start..i].iter().collect();
    text.parse::<f64>()
        .map(|n| (Token::Number(n), i))
        .map_err(|_| SoqlError::malformed(format!("invalid number: {text}")))
}
