//! Recursive-descent parser for the SOQL subset the sandbox serves:
//! `SELECT fields|COUNT() FROM Obj [WHERE cond] [ORDER BY ...] [LIMIT n] [OFFSET n]`.
//! As in SOQL, AND and OR cannot be mixed at one level without parentheses.

use super::lexer::{tokenize, Spanned, Token};
use super::SoqlError;

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub select: Select,
    pub from: String,
    pub filter: Option<Cond>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Select {
    Count,
    Fields(Vec<Vec<String>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub field: Vec<String>,
    pub descending: bool,
    pub nulls_last: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Compare {
        field: Vec<String>,
        op: CmpOp,
        value: Literal,
    },
    In {
        field: Vec<String>,
        values: Vec<Literal>,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Number(f64),
    Bool(bool),
    Null,
    Date(String),
    DateTime(String),
}

pub fn parse(input: &str) -> Result<Query, SoqlError> {
    let tokens = tokenize(input)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let query = p.query()?;
    if let Some(extra) = p.peek() {
        return Err(p.unexpected(extra));
    }
    Ok(query)
}

/// How deep parentheses and NOT may nest in a WHERE clause. The parser (and the evaluator
/// after it) recurse once per level: without a bound, a query of a few thousand `(` overflows
/// the stack and aborts the whole process.
pub const MAX_NESTING: usize = 50;

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    /// Current nesting of parentheses and NOT.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Spanned> {
        self.tokens.get(self.pos)
    }

    fn unexpected(&self, at: &Spanned) -> SoqlError {
        let shown = match &at.token {
            Token::Ident(s) => s.clone(),
            Token::Str(s) => format!("'{s}'"),
            Token::Number(n) => n.to_string(),
            Token::Date(d) | Token::DateTime(d) => d.clone(),
            other => format!("{other:?}"),
        };
        SoqlError::malformed(format!(
            "unexpected token: '{shown}' at column {}",
            at.column
        ))
    }

    fn end(&self, expected: &str) -> SoqlError {
        SoqlError::malformed(format!("unexpected end of query: expecting {expected}"))
    }

    fn next(&mut self, expected: &str) -> Result<Spanned, SoqlError> {
        let t = self.peek().cloned().ok_or_else(|| self.end(expected))?;
        self.pos += 1;
        Ok(t)
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Spanned { token: Token::Ident(s), .. }) if s.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let found = self.is_keyword(word);
        if found {
            self.pos += 1;
        }
        found
    }

    fn keyword(&mut self, word: &str) -> Result<(), SoqlError> {
        let t = self.next(word)?;
        match &t.token {
            Token::Ident(s) if s.eq_ignore_ascii_case(word) => Ok(()),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn expect(&mut self, token: Token, name: &str) -> Result<(), SoqlError> {
        let t = self.next(name)?;
        if t.token == token {
            Ok(())
        } else {
            Err(self.unexpected(&t))
        }
    }

    fn identifier(&mut self, what: &str) -> Result<String, SoqlError> {
        let t = self.next(what)?;
        match t.token {
            Token::Ident(s) if !is_reserved(&s) => Ok(s),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn query(&mut self) -> Result<Query, SoqlError> {
        self.keyword("SELECT")?;
        let select = self.select_list()?;
        self.keyword("FROM")?;
        let from = self.identifier("an object name")?;
        let filter = if self.eat_keyword("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_keyword("ORDER") {
            self.keyword("BY")?;
            loop {
                order_by.push(self.order_item()?);
                if !self.eat(&Token::Comma) {
                    break;
                }
            }
        }
        let limit = if self.eat_keyword("LIMIT") {
            Some(self.count_literal()?)
        } else {
            None
        };
        let offset = if self.eat_keyword("OFFSET") {
            Some(self.count_literal()?)
        } else {
            None
        };
        Ok(Query {
            select,
            from,
            filter,
            order_by,
            limit,
            offset,
        })
    }

    fn eat(&mut self, token: &Token) -> bool {
        let found = self.peek().is_some_and(|t| &t.token == token);
        if found {
            self.pos += 1;
        }
        found
    }

    fn select_list(&mut self) -> Result<Select, SoqlError> {
        if self.is_keyword("COUNT")
            && self
                .tokens
                .get(self.pos + 1)
                .is_some_and(|t| t.token == Token::LParen)
        {
            self.pos += 2;
            self.expect(Token::RParen, "')'")?;
            return Ok(Select::Count);
        }
        let mut fields = vec![self.field_path()?];
        while self.eat(&Token::Comma) {
            fields.push(self.field_path()?);
        }
        Ok(Select::Fields(fields))
    }

    fn field_path(&mut self) -> Result<Vec<String>, SoqlError> {
        let mut path = vec![self.identifier("a field name")?];
        while self.eat(&Token::Dot) {
            path.push(self.identifier("a field name")?);
        }
        Ok(path)
    }

    fn order_item(&mut self) -> Result<OrderItem, SoqlError> {
        let field = self.field_path()?;
        let descending = if self.eat_keyword("DESC") {
            true
        } else {
            self.eat_keyword("ASC");
            false
        };
        // SOQL sorts nulls first by default, whatever the direction.
        let mut nulls_last = false;
        if self.eat_keyword("NULLS") {
            let t = self.next("FIRST or LAST")?;
            nulls_last = match &t.token {
                Token::Ident(s) if s.eq_ignore_ascii_case("LAST") => true,
                Token::Ident(s) if s.eq_ignore_ascii_case("FIRST") => false,
                _ => return Err(self.unexpected(&t)),
            };
        }
        Ok(OrderItem {
            field,
            descending,
            nulls_last,
        })
    }

    fn count_literal(&mut self) -> Result<usize, SoqlError> {
        let t = self.next("a number")?;
        match t.token {
            Token::Number(n) if n >= 0.0 && n.fract() == 0.0 => Ok(n as usize),
            _ => Err(self.unexpected(&t)),
        }
    }

    /// cond := unary ((AND unary)* | (OR unary)*)
    fn condition(&mut self) -> Result<Cond, SoqlError> {
        let first = self.unary()?;
        let joiner = if self.is_keyword("AND") {
            "AND"
        } else if self.is_keyword("OR") {
            "OR"
        } else {
            return Ok(first);
        };
        let mut parts = vec![first];
        while self.eat_keyword(joiner) {
            parts.push(self.unary()?);
        }
        let other = if joiner == "AND" { "OR" } else { "AND" };
        if let Some(t) = self.peek().filter(|_| self.is_keyword(other)) {
            return Err(SoqlError::malformed(format!(
                "unexpected token: '{other}' at column {}: use parentheses when mixing AND and OR",
                t.column
            )));
        }
        Ok(if joiner == "AND" {
            Cond::And(parts)
        } else {
            Cond::Or(parts)
        })
    }

    fn unary(&mut self) -> Result<Cond, SoqlError> {
        if self.is_keyword("NOT") || self.peek().is_some_and(|t| t.token == Token::LParen) {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                let column = self.peek().map(|t| t.column).unwrap_or_default();
                return Err(SoqlError::malformed(format!(
                    "conditions nest deeper than {MAX_NESTING} levels at column {column}: simplify the WHERE clause"
                )));
            }
            let result = self.nested();
            self.depth -= 1;
            return result;
        }
        self.comparison()
    }

    /// `NOT unary` or `( cond )`, one nesting level down.
    fn nested(&mut self) -> Result<Cond, SoqlError> {
        if self.eat_keyword("NOT") {
            return Ok(Cond::Not(Box::new(self.unary()?)));
        }
        self.expect(Token::LParen, "'('")?;
        let inner = self.condition()?;
        self.expect(Token::RParen, "')'")?;
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Cond, SoqlError> {
        let field = self.field_path()?;
        if self.eat_keyword("NOT") {
            self.keyword("IN")?;
            let values = self.literal_list()?;
            return Ok(Cond::In {
                field,
                values,
                negated: true,
            });
        }
        if self.eat_keyword("IN") {
            let values = self.literal_list()?;
            return Ok(Cond::In {
                field,
                values,
                negated: false,
            });
        }
        let t = self.next("an operator")?;
        let op = match &t.token {
            Token::Eq => CmpOp::Eq,
            Token::Ne => CmpOp::Ne,
            Token::Lt => CmpOp::Lt,
            Token::Le => CmpOp::Le,
            Token::Gt => CmpOp::Gt,
            Token::Ge => CmpOp::Ge,
            Token::Ident(s) if s.eq_ignore_ascii_case("LIKE") => CmpOp::Like,
            _ => return Err(self.unexpected(&t)),
        };
        let value = self.literal()?;
        Ok(Cond::Compare { field, op, value })
    }

    fn literal_list(&mut self) -> Result<Vec<Literal>, SoqlError> {
        self.expect(Token::LParen, "'('")?;
        let mut values = vec![self.literal()?];
        while self.eat(&Token::Comma) {
            values.push(self.literal()?);
        }
        self.expect(Token::RParen, "')'")?;
        Ok(values)
    }

    fn literal(&mut self) -> Result<Literal, SoqlError> {
        let t = self.next("a value")?;
        Ok(match t.token {
            Token::Str(s) => Literal::Str(s),
            Token::Number(n) => Literal::Number(n),
            Token::Date(d) => Literal::Date(d),
            Token::DateTime(d) => Literal::DateTime(d),
            Token::Ident(ref s) if s.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Token::Ident(ref s) if s.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Token::Ident(ref s) if s.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return Err(self.unexpected(&t)),
        })
    }
}

fn is_reserved(word: &str) -> bool {
    const RESERVED: [&str; 17] = [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "LIMIT", "OFFSET", "LIKE",
        "IN", "NULL", "TRUE", "FALSE", "ASC", "DESC",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &str) -> Vec<String> {
        s.split('.').map(String::from).collect()
    }

    #[test]
    fn parses_fields_relationships_and_clauses() {
        let q = parse(
            "select Id, Owner.Email FROM Lead WHERE (Email LIKE '%a\\_b%' OR Name = 'O\\'Brien') \
             AND CreatedDate >= 2026-11-23T10:00:00Z AND Id NOT IN ('x', 'y') \
             ORDER BY LastName DESC NULLS LAST, Id LIMIT 10 OFFSET 20",
        )
        .unwrap();
        assert_eq!(q.from, "Lead");
        assert_eq!(
            q.select,
            Select::Fields(vec![field("Id"), field("Owner.Email")])
        );
        let Some(Cond::And(parts)) = &q.filter else {
            panic!("expected AND, got {:?}", q.filter)
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[0],
            Cond::Or(vec![
                Cond::Compare {
                    field: field("Email"),
                    op: CmpOp::Like,
                    value: Literal::Str("%a\\_b%".into())
                },
                Cond::Compare {
                    field: field("Name"),
                    op: CmpOp::Eq,
                    value: Literal::Str("O'Brien".into())
                },
            ])
        );
        assert_eq!(
            parts[1],
            Cond::Compare {
                field: field("CreatedDate"),
                op: CmpOp::Ge,
                value: Literal::DateTime("2026-11-23T10:00:00.000+0000".into())
            }
        );
        assert!(matches!(&parts[2], Cond::In { negated: true, values, .. } if values.len() == 2));
        assert_eq!(q.order_by.len(), 2);
        assert!(q.order_by[0].descending && q.order_by[0].nulls_last);
        assert!(!q.order_by[1].descending && !q.order_by[1].nulls_last);
        assert_eq!((q.limit, q.offset), (Some(10), Some(20)));
    }

    #[test]
    fn parses_count_not_and_literals() {
        let q = parse("SELECT COUNT() FROM User WHERE NOT IsActive = false AND Amount > -1.5 AND X = null AND D < 2026-01-02").unwrap();
        assert_eq!(q.select, Select::Count);
        let Some(Cond::And(parts)) = q.filter else {
            panic!()
        };
        assert!(matches!(parts[0], Cond::Not(_)));
        assert!(matches!(parts[1], Cond::Compare { value: Literal::Number(n), .. } if n == -1.5));
        assert!(matches!(
            parts[2],
            Cond::Compare {
                value: Literal::Null,
                ..
            }
        ));
        assert!(
            matches!(&parts[3], Cond::Compare { value: Literal::Date(d), .. } if d == "2026-01-02")
        );
    }

    #[test]
    fn rejects_malformed_queries() {
        for bad in [
            "",
            "SELECT FROM Lead",
            "SELECT Id Lead",
            "SELECT Id FROM",
            "SELECT Id FROM Lead WHERE",
            "SELECT Id FROM Lead WHERE Name = 'unterminated",
            "SELECT Id FROM Lead WHERE Name = 'a' AND Email = 'b' OR Id = 'c'",
            "SELECT Id FROM Lead WHERE Name == 'a'",
            "SELECT Id FROM Lead LIMIT -1",
            "SELECT Id FROM Lead WHERE Name = 'x' garbage",
            "SELECT Id, FROM Lead",
            "SELECT Id FROM Lead WHERE Name = 'a\\q'",
            "SELECT Id FROM Lead; DELETE",
            "SELECT Id FROM Lead WHERE (Name = 'a'",
        ] {
            assert!(parse(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let nested = |levels: usize, open: &str, close: &str| {
            format!(
                "SELECT Id FROM Lead WHERE {}Name = 'a'{}",
                open.repeat(levels),
                close.repeat(levels)
            )
        };
        assert!(parse(&nested(MAX_NESTING, "(", ")")).is_ok());
        assert!(parse(&nested(MAX_NESTING, "NOT ", "")).is_ok());
        for query in [
            nested(MAX_NESTING + 1, "(", ")"),
            nested(100_000, "(", ")"),
            nested(100_000, "NOT ", ""),
            nested(100_000, "(NOT ", ")"),
        ] {
            let err = parse(&query).unwrap_err();
            assert_eq!(err.code, "MALFORMED_QUERY");
            assert!(err.message.contains("nest deeper"), "{}", err.message);
        }
    }
}
