//! A small CSS selector syntax check for the specs' unit tests: it accepts the subset of
//! Selectors Level 4 the specs use (type, `#id`, `.class`, attribute selectors with every
//! operator, `:has()`/`:not()` with nested lists, combinators) and refuses anything else, so a
//! typo in a spec fails here rather than as a silent `querySelector` exception in a page.

pub fn check(selector: &str) -> Result<(), String> {
    let mut parser = Parser {
        chars: selector.chars().collect(),
        pos: 0,
    };
    parser.selector_list()?;
    if parser.pos != parser.chars.len() {
        return Err(format!(
            "unexpected `{}` at {}",
            parser.chars[parser.pos], parser.pos
        ));
    }
    Ok(())
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn selector_list(&mut self) -> Result<(), String> {
        loop {
            self.skip_space();
            self.complex(true)?;
            self.skip_space();
            if !self.eat(',') {
                return Ok(());
            }
        }
    }

    /// `compound (combinator compound)*`; inside `:has()` it may start with a combinator.
    fn complex(&mut self, allow_leading_combinator: bool) -> Result<(), String> {
        if allow_leading_combinator && matches!(self.peek(), Some('>' | '+' | '~')) {
            self.pos += 1;
            self.skip_space();
        }
        self.compound()?;
        loop {
            let spaced = self.skip_space();
            match self.peek() {
                Some('>' | '+' | '~') => {
                    self.pos += 1;
                    self.skip_space();
                    self.compound()?;
                }
                Some(',' | ')') | None => return Ok(()),
                Some(_) if spaced => self.compound()?,
                Some(c) => return Err(format!("unexpected `{c}` at {}", self.pos)),
            }
        }
    }

    fn compound(&mut self) -> Result<(), String> {
        let start = self.pos;
        if !self.eat('*') && self.peek().is_some_and(is_ident_start) {
            self.ident()?;
        }
        loop {
            match self.peek() {
                Some('#') | Some('.') => {
                    self.pos += 1;
                    self.ident()?;
                }
                Some('[') => self.attribute()?,
                Some(':') => self.pseudo()?,
                _ => break,
            }
        }
        if self.pos == start {
            return Err(format!("expected a selector at {}", self.pos));
        }
        Ok(())
    }

    fn ident(&mut self) -> Result<String, String> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        if !self.peek().is_some_and(is_ident_start) {
            return Err(format!("expected a name at {start}"));
        }
        while self
            .peek()
            .is_some_and(|c| is_ident_start(c) || c.is_ascii_digit() || c == '-')
        {
            self.pos += 1;
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    fn attribute(&mut self) -> Result<(), String> {
        self.eat('[');
        self.skip_space();
        self.ident()?;
        self.skip_space();
        if self.eat(']') {
            return Ok(());
        }
        if matches!(self.peek(), Some('~' | '|' | '^' | '$' | '*')) {
            self.pos += 1;
        }
        if !self.eat('=') {
            return Err(format!("expected `=` or `]` at {}", self.pos));
        }
        self.skip_space();
        match self.peek() {
            Some(quote @ ('"' | '\'')) => {
                self.pos += 1;
                while self.peek().is_some_and(|c| c != quote) {
                    self.pos += 1;
                }
                if !self.eat(quote) {
                    return Err("unterminated string".into());
                }
            }
            _ => {
                self.ident()?;
            }
        }
        self.skip_space();
        if self.peek().is_some_and(|c| c == 'i' || c == 's') {
            self.pos += 1;
            self.skip_space();
        }
        if self.eat(']') {
            Ok(())
        } else {
            Err(format!("expected `]` at {}", self.pos))
        }
    }

    fn pseudo(&mut self) -> Result<(), String> {
        self.eat(':');
        let name = self.ident()?;
        match name.as_str() {
            "has" | "not" | "is" | "where" => {
                if !self.eat('(') {
                    return Err(format!("`:{name}` needs an argument"));
                }
                loop {
                    self.skip_space();
                    self.complex(name == "has")?;
                    self.skip_space();
                    if !self.eat(',') {
                        break;
                    }
                }
                if self.eat(')') {
                    Ok(())
                } else {
                    Err(format!("expected `)` at {}", self.pos))
                }
            }
            "first-child" | "last-child" | "only-child" | "checked" | "disabled" | "empty"
            | "scope" => Ok(()),
            other => Err(format!("unsupported pseudo-class `:{other}`")),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_the_forms_specs_use() {
        for ok in [
            "div.aUx",
            "#bodyCell .bPageTitle h2",
            "div[role=dialog]:has(form)",
            "div[name=to] div[role=option][data-name]",
            "div[role=button][data-tooltip^=\"Send\"]",
            "span[title*=\"@\"]",
            ".IZ .Up div > div[role=button]:not(.Uo):not([aria-haspopup=true])",
            "div:has(> [aria-label=\"Command toolbar\"]):has(input[aria-label=\"Add a subject\"])",
            "a, b > c ~ d + e",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_broken_selectors() {
        for bad in [
            "",
            "div[role=dialog",
            "div[title*=\"@]",
            "div:has(form",
            "div >",
            "div..x",
            "div[=x]",
            "div:hover-ish",
            "div > > p",
            "div)",
            "[aria-label=Command toolbar]",
        ] {
            assert!(check(bad).is_err(), "{bad} should be refused");
        }
    }
}
